/**
 * Plotly figures as notebook outputs. Each chart is one MIME bundle:
 *
 * - `application/vnd.plotly.v1+json` — the figure itself, drawn natively by JupyterLab (with
 *   plotly's extension), VS Code and nteract;
 * - `text/html` — a `<div>` and a script that draws it with plotly.js, for every other front end
 *   and for HTML exported by nbconvert; where that script finds plotly.js is lib/plots/library.ts;
 * - `text/plain` — a one-line summary, for terminals and logs; left out of outputs that only
 *   browsers can use (the live training chart), so that `jupyter console` prints nothing for them.
 */
import { randomBytes } from 'node:crypto';
import { currentSession, type DisplayHandle, type MimeBundle } from '../session';
import { escapeHtml } from '../util/html';
import { embeddedCopyHtml, ensureEmbeddedCopy, loaderSource } from './library';

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
  /**
   * Redraws the chart with `figure`. With `live`, the figure is a frame of a chart still changing
   * (a run training, a sweep running) and is sent as the HTML form only: renderers of the plotly
   * type need not redraw an updated output, and plotly's own JupyterLab renderer does not (it keeps
   * its first graph, so the chart froze at its first frame), while the HTML form redraws in place
   * in every front end. Sent without `live` (the final state), the chart is the full bundle again,
   * which front ends draw afresh, because the output's preferred type changes.
   *
   * @example
   * const chart = showFigure({ data: [{ y: [1] }] }, undefined);
   * chart?.update({ data: [{ y: [1, 2] }] }, undefined, { live: true }); // while it changes
   * chart?.update({ data: [{ y: [1, 2, 3] }] }, undefined);              // its final state
   */
  update(figure: PlotlyFigure, text: string | undefined, options?: ChartUpdateOptions): void;
}

/** Options of {@link showFigure} and {@link ChartHandle.update}. */
export interface ChartUpdateOptions {
  /** The figure is a frame of a chart still changing: sent as HTML only. Defaults to false. */
  readonly live?: boolean;
}

/** Config shared by every cellfit chart: responsive, no plotly logo, no link to the cloud. */
export const CHART_CONFIG = { responsive: true, displaylogo: false, showLink: false } as const;

/**
 * A new chart id. Random rather than counted: a saved notebook holds charts of earlier kernel
 * sessions, and an id must name one chart in the page (its updates find it by id).
 */
function newChartId(): string {
  return `cellfit-chart-${randomBytes(6).toString('hex')}`;
}

/**
 * The MIME bundle of a figure: plotly JSON, an HTML fallback that draws it with plotly.js, and
 * `text` as the plain-text form.
 *
 * @example
 * session.display(figureBundle({ data: [{ y: [1, 3, 2] }] }, 'a line'));
 */
export function figureBundle(figure: PlotlyFigure, text: string | undefined, id = newChartId()): MimeBundle {
  const full = { data: figure.data, layout: figure.layout ?? {}, config: { ...CHART_CONFIG, ...figure.config } };
  return { [PLOTLY_MIME]: full, 'text/html': figureHtml(full, id), ...(text === undefined ? {} : { 'text/plain': text }) };
}

/**
 * Shows a figure in the running notebook cell and returns a handle that redraws it in place, or
 * `undefined` outside a notebook. The first chart of a kernel session is preceded by the embedded
 * copy of plotly.js (see lib/plots/library.ts). With `text: undefined` the chart is for browsers
 * only: terminals, which cannot draw it, print nothing for it. With `live`, the chart starts as a
 * frame of a chart still changing (see {@link ChartHandle.update}).
 */
export function showFigure(figure: PlotlyFigure, text: string | undefined, { live = false }: ChartUpdateOptions = {}): ChartHandle | undefined {
  const session = currentSession();
  if (!session) return undefined;
  ensureEmbeddedCopy(session);
  const id = newChartId();
  const bundle = (next: PlotlyFigure, nextText: string | undefined, live: boolean): MimeBundle => {
    const { [PLOTLY_MIME]: plotly, ...html } = figureBundle(next, nextText, id);
    return live ? html : { [PLOTLY_MIME]: plotly, ...html };
  };
  const display: DisplayHandle = session.display(bundle(figure, text, live));
  return { update: (next, nextText, { live = false } = {}) => display.update(bundle(next, nextText, live)) };
}

/**
 * The MIME bundle of a chart that an object returns from its `[Symbol.for('Jupyter.display')]()`
 * method: like {@link figureBundle}, and in a notebook it first makes sure the page has plotly.js
 * (the HTML fallback cannot draw without it).
 */
export function chartBundle(figure: PlotlyFigure, text: string): MimeBundle {
  const session = currentSession();
  if (session) ensureEmbeddedCopy(session);
  return figureBundle(figure, text);
}

/**
 * A self-contained HTML page with the figures and plotly.js (the embedded copy: 1.9 MB), for
 * `run.plot({ file })` and exported reports: it opens with no network.
 */
export function standalonePage(title: string, figures: readonly { figure: PlotlyFigure; text: string }[]): string {
  const charts = figures.map(({ figure, text }, i) => figureBundle(figure, text, `cellfit-page-chart-${i + 1}`)['text/html']).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
${embeddedCopyHtml()}
</head>
<body style="font-family: sans-serif; margin: 2em;">
<h1 style="font-size: 1.3em;">${escapeHtml(title)}</h1>
${charts}
</body>
</html>
`;
}

function figureHtml(figure: PlotlyFigure, id: string): string {
  const json = JSON.stringify(figure).replace(/</g, '\\u003c');
  const height = typeof figure.layout?.height === 'number' ? figure.layout.height : 420;
  // The note is what a page that does not run the script shows (an untrusted notebook, a viewer
  // that strips scripts); the script replaces it at once.
  //
  // The script finds its own <div> (front ends that run scripts elsewhere, like the classic
  // Notebook's jQuery, fall back to the id). A live chart's updates arrive as new outputs that
  // replace the old one: the plot drawn for that id is moved into the new <div> and updated in
  // place (Plotly.react on a drawn plot redraws only what changed, and keeps the zoom), instead of
  // being drawn from scratch every time. Before plotly.js has loaded, only the newest state of
  // each chart is drawn.
  return `<div id="${id}" class="cellfit-chart" style="width: 100%; height: ${height}px;"><div class="cellfit-chart-note" style="padding: 1em; color: #777; font: 13px sans-serif;">${NOTE}</div></div>
<script type="text/javascript">
(function () {
  var id = ${JSON.stringify(id)};
  var script = document.currentScript;
  var previous = script && script.previousElementSibling;
  var element = previous && previous.id === id ? previous : document.getElementById(id);
  if (!element) return;
  var figure = ${json};
  var note = function (text) {
    var shown = element.querySelector('.cellfit-chart-note');
    if (shown) shown.textContent = text;
  };
  note('Loading plotly.js…');
  var charts = window.__cellfitCharts = window.__cellfitCharts || {};
  charts[id + ':latest'] = element;
  (${loaderSource()})(function (Plotly) {
    if (charts[id + ':latest'] !== element && !element.isConnected) return;
    var plot = charts[id];
    if (!plot || (plot.isConnected && plot.parentNode !== element)) plot = charts[id] = document.createElement('div');
    if (plot.parentNode !== element) {
      element.textContent = '';
      plot.style.height = '100%';
      element.appendChild(plot);
    }
    Plotly.react(plot, figure.data, figure.layout, figure.config);
  }, note);
})();
</script>`;
}

/** What a chart shows where its script does not run. */
const NOTE = 'A cellfit chart: it draws where its script runs (in the classic Notebook, File → Trust Notebook).';
