/**
 * Plotly figures as notebook outputs. Each chart is one MIME bundle:
 *
 * - `application/vnd.plotly.v1+json` — the figure itself, drawn natively by JupyterLab (with
 *   plotly's extension), VS Code and nteract;
 * - `text/html` — a `<div>` and a script that draws it with plotly.js, for every other frontend and
 *   for HTML exported by nbconvert;
 * - `text/plain` — a one-line summary, for terminals and logs.
 *
 * plotly.js itself (from the `plotly.js-dist` dependency, never a CDN) is sent once per kernel
 * session, as its own output just before the first chart, gzipped and base64-encoded (2 MB instead
 * of 11 MB; browsers inflate it with DecompressionStream). Charts drawn before it has loaded wait
 * in a queue, so exported pages work whatever the order of their outputs.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { currentSession, type DisplayHandle, type MimeBundle, type NotebookSession } from '../session';
import { escapeHtml } from '../util/html';

/** A plotly figure: traces, layout and config, as plotly.js and the plotly MIME renderer take them. */
export interface PlotlyFigure {
  readonly data: readonly Record<string, unknown>[];
  readonly layout?: Record<string, unknown>;
  readonly config?: Record<string, unknown>;
}

/** The MIME type of plotly figures, rendered natively by JupyterLab, VS Code and nteract. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** A chart shown in a notebook, redrawn in place by {@link ChartHandle.update}. */
export interface ChartHandle {
  update(figure: PlotlyFigure, text: string): void;
}

/** Config shared by every cellfit chart: responsive, no plotly logo, no link to the cloud. */
export const CHART_CONFIG = { responsive: true, displaylogo: false, showLink: false } as const;

let chartCount = 0;
/** Where plotly.js was last sent: the session, and the execution whose outputs hold it. */
let library: { readonly session: NotebookSession; readonly execution?: { readonly id: string; readonly cell?: string } } | undefined;
let compressedLibrary: string | undefined;

/**
 * The MIME bundle of a figure: plotly JSON, an HTML fallback that draws it with plotly.js, and
 * `text` as the plain-text form.
 *
 * @example
 * session.display(figureBundle({ data: [{ y: [1, 3, 2] }] }, 'a line'));
 */
export function figureBundle(figure: PlotlyFigure, text: string, id = `cellfit-chart-${++chartCount}`): MimeBundle {
  const full = { data: figure.data, layout: figure.layout ?? {}, config: { ...CHART_CONFIG, ...figure.config } };
  return { [PLOTLY_MIME]: full, 'text/html': figureHtml(full, id), 'text/plain': text };
}

/**
 * Shows a figure in the running notebook cell and returns a handle that redraws it in place, or
 * `undefined` outside a notebook. The first chart of a kernel session is preceded by plotly.js.
 */
export function showFigure(figure: PlotlyFigure, text: string): ChartHandle | undefined {
  const session = currentSession();
  if (!session) return undefined;
  ensureLibrary(session);
  const id = `cellfit-chart-${++chartCount}`;
  const display: DisplayHandle = session.display(figureBundle(figure, text, id));
  return { update: (next, nextText) => display.update(figureBundle(next, nextText, id)) };
}

/**
 * The MIME bundle of a chart that an object returns from its `[Symbol.for('Jupyter.display')]()`
 * method: like {@link figureBundle}, and in a notebook it first makes sure the page has plotly.js
 * (the HTML fallback cannot draw without it).
 */
export function chartBundle(figure: PlotlyFigure, text: string): MimeBundle {
  const session = currentSession();
  if (session) ensureLibrary(session);
  return figureBundle(figure, text);
}

/**
 * A self-contained HTML page with the figures and plotly.js inline, for `run.plot({ file })` and
 * exported reports: it opens with no network.
 */
export function standalonePage(title: string, figures: readonly { figure: PlotlyFigure; text: string }[]): string {
  const library = readFileSync(plotlyPath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  const charts = figures.map(({ figure, text }, i) => figureBundle(figure, text, `cellfit-page-chart-${i + 1}`)['text/html']).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<script>${library}</script>
</head>
<body style="font-family: sans-serif; margin: 2em;">
<h1 style="font-size: 1.3em;">${escapeHtml(title)}</h1>
${charts}
</body>
</html>
`;
}

/** The bundle that loads plotly.js into the page (once per kernel session). */
export function libraryBundle(): MimeBundle {
  compressedLibrary ??= gzipSync(readFileSync(plotlyPath()), { level: 9 }).toString('base64');
  const loader = `(function () {
  if (window.Plotly || window.__cellfitPlotlyLoading) return;
  window.__cellfitPlotlyLoading = true;
  var binary = atob("${compressedLibrary}");
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  var inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  new Response(inflated).text().then(function (source) {
    var script = document.createElement('script');
    script.text = source;
    document.head.appendChild(script);
    var waiting = window.__cellfitPlotlyQueue || [];
    window.__cellfitPlotlyQueue = { push: function (draw) { draw(); } };
    waiting.forEach(function (draw) { draw(); });
  });
})();`;
  return {
    'text/html': `<script type="text/javascript" data-cellfit="plotly.js ${plotlyVersion()}">${loader}</script>`,
    'text/plain': `(plotly.js ${plotlyVersion()} for cellfit charts)`,
  };
}

function ensureLibrary(session: NotebookSession): void {
  // A new kernel (or a new session provider) starts a new page history, so send the library again.
  if (library?.session === session && !libraryReplaced(session, library.execution)) return;
  session.display(libraryBundle());
  library = { session, ...(session.execution ? { execution: session.execution } : {}) };
}

/**
 * Whether the cell holding plotly.js ran again since: running a cell replaces its outputs, so the
 * notebook would keep charts but lose the library they need once saved or exported.
 */
function libraryReplaced(session: NotebookSession, holder: { readonly id: string; readonly cell?: string } | undefined): boolean {
  if (!holder?.cell || !session.latestExecution) return false;
  return session.latestExecution(holder.cell) !== holder.id;
}

function figureHtml(figure: PlotlyFigure, id: string): string {
  const json = JSON.stringify(figure).replace(/</g, '\\u003c');
  const height = typeof figure.layout?.height === 'number' ? figure.layout.height : 420;
  // The script finds its own <div> (ids can repeat when a notebook holds outputs of several kernel
  // sessions; frontends that run scripts elsewhere, like jQuery's, fall back to the id) and queues
  // the drawing until plotly.js has loaded.
  return `<div id="${id}" class="cellfit-chart" style="width: 100%; height: ${height}px;"></div>
<script type="text/javascript">
(function () {
  var previous = document.currentScript && document.currentScript.previousElementSibling;
  var element = previous && previous.classList.contains('cellfit-chart') ? previous : document.getElementById(${JSON.stringify(id)});
  var figure = ${json};
  var draw = function () { window.Plotly.react(element, figure.data, figure.layout, figure.config); };
  if (window.Plotly) draw(); else (window.__cellfitPlotlyQueue = window.__cellfitPlotlyQueue || []).push(draw);
})();
</script>`;
}

function plotlyPath(): string {
  return require.resolve('plotly.js-dist/plotly.js');
}

function plotlyVersion(): string {
  return (require('plotly.js-dist/package.json') as { version: string }).version;
}

