/**
 * Where charts get plotly.js from. A chart never depends on which output the kernel put plotly.js
 * in, because in a live notebook no output holds it:
 *
 * 1. **Served by the Jupyter server.** `cellfit install` puts `plotly-<version>.min.js` in the
 *    kernelspec directory, which every Jupyter server serves at `<base>kernelspecs/<name>/…`
 *    (classic Notebook 6, Notebook 7, JupyterLab). A chart's script loads it from there with a
 *    `<script src>` — parsed off the main thread and cached by the browser — so charts draw in every
 *    reopened notebook, whatever cells were re-run, cleared or moved. The classic Notebook also loads
 *    the kernelspec's `kernel.js` (kernel/display/frontend.ts), which starts that download as the
 *    notebook opens.
 * 2. **Drawn by the front end.** JupyterLab with plotly's extension, VS Code and nteract render
 *    `application/vnd.plotly.v1+json` themselves and never run the script.
 * 3. **An embedded copy, for files that leave the server** (nbconvert's HTML; `cellfit run --html`
 *    puts one in its page itself). The kernel sends plotly.js once per kernel session, gzipped and
 *    base64-encoded, as an inert `<script type="text/x-cellfit-plotly">` that live pages never
 *    evaluate (the old copy was inflated and `eval`ed by every page: a ~3 s freeze). A page that has
 *    no Jupyter server behind it inflates the copy (DecompressionStream, off the main thread) and
 *    runs it from a blob URL. The copy is sent again when the cell holding it runs again (the
 *    front end names the cell in `metadata.cellId`: JupyterLab, VS Code, `cellfit run`, and the
 *    classic Notebook through cellfit's kernel.js).
 *
 * plotly.py's notebook renderers faced the same choice: `notebook_connected` loads plotly.js from a
 * CDN (cellfit must work offline), `notebook` embeds it once with init_notebook_mode (the chart
 * breaks when that cell is cleared). Serving it from the kernelspec is offline and output-free.
 */
import { readFileSync } from 'node:fs';
import { gzip, gzipSync } from 'node:zlib';
import type { MimeBundle, NotebookSession } from '../session';
import { hiddenOutputHtml } from '../util/html';

/** The plotly.js file charts load: the minified bundle of the `plotly.js-dist-min` dependency. */
export function plotlyFile(): string {
  return require.resolve('plotly.js-dist-min/plotly.min.js');
}

/** The version of that plotly.js. */
export function plotlyVersion(): string {
  return (require('plotly.js-dist-min/package.json') as { version: string }).version;
}

/** The name plotly.js has in the kernelspec directory (versioned: a stale install is a 404, not a mismatch). */
export function plotlyResourceName(): string {
  return `plotly-${plotlyVersion()}.min.js`;
}

/**
 * The kernelspec name the running kernel was installed under, for the URL of plotly.js on a
 * Jupyter server: `cellfit install` writes it into the spec's environment.
 */
export function kernelName(): string {
  const name = process.env.CELLFIT_KERNEL_NAME;
  return name && /^[a-z0-9._-]+$/i.test(name) ? name : 'cellfit';
}

let compressed: string | undefined;
let compressing: Promise<string> | undefined;

/** plotly.js gzipped and base64-encoded (1.9 MB instead of 4.9 MB). */
export function compressedPlotly(): string {
  compressed ??= gzipSync(readFileSync(plotlyFile()), { level: 9 }).toString('base64');
  return compressed;
}

/**
 * Compresses plotly.js on libuv's thread pool, so that the first chart does not wait for it
 * (gzip -9 of 4.9 MB takes ~0.4 s; the kernel calls this at start).
 */
export function prepareCompressedPlotly(): Promise<string> {
  compressing ??= new Promise<string>((resolve, reject) => {
    gzip(readFileSync(plotlyFile()), { level: 9 }, (error, result) => {
      if (error) return reject(error);
      compressed ??= result.toString('base64');
      resolve(compressed);
    });
  });
  return compressing;
}

/**
 * The output carrying the embedded copy: the copy itself, inert, and a script that loads it when
 * charts of this page are waiting for plotly.js (a page without a server, whose copy comes after
 * its charts). No `text/plain`: terminals print nothing for it; browsers collapse it.
 */
export function libraryBundle(): MimeBundle {
  return { 'text/html': libraryHtml(compressedPlotly()) };
}

/** The HTML of {@link libraryBundle} around `base64` (gzipped plotly.js), for the kernelspec `kernel`. */
export function libraryHtml(base64: string, kernel = kernelName()): string {
  return `${embeddedCopyHtml(base64)}\n<script type="text/javascript">\n(${loaderSource(kernel)})(function () {}, function () {}, true);\n</script>${hiddenOutputHtml()}`;
}

/** The inert `<script>` holding plotly.js, gzipped and base64-encoded. */
export function embeddedCopyHtml(base64 = compressedPlotly()): string {
  return `<script type="${COPY_TYPE}" data-plotly-version="${plotlyVersion()}">${base64}</script>`;
}

/** The type of the inert script that holds the embedded copy. */
export const COPY_TYPE = 'text/x-cellfit-plotly';

/** Where plotly.js was last sent: the session, and the execution whose outputs hold it. */
let sent: { readonly session: NotebookSession; readonly execution?: { readonly id: string; readonly cell?: string } } | undefined;

/**
 * Sends the embedded copy into the running cell unless this session's notebook still holds one, or
 * the front end puts one into the file itself when it saves (cellfit's kernel.js in the classic
 * Notebook does: it knows which outputs the file has, cleared ones included).
 */
export function ensureEmbeddedCopy(session: NotebookSession): void {
  if (session.execution?.savesPlotly) return;
  // A new kernel (or a new session provider) starts a new page history, so send the copy again.
  if (sent?.session === session && !holderReplaced(session, sent.execution)) return;
  session.display(libraryBundle());
  sent = { session, ...(session.execution ? { execution: session.execution } : {}) };
}

/**
 * Whether the cell holding the copy ran again since: running a cell replaces its outputs, so the
 * notebook would keep its charts but lose the copy once saved and exported.
 */
function holderReplaced(session: NotebookSession, holder: { readonly id: string; readonly cell?: string } | undefined): boolean {
  if (!holder?.cell || !session.latestExecution) return false;
  return session.latestExecution(holder.cell) !== holder.id;
}

/**
 * The browser-side loader, as the source of a function `(done, fail, onlyIfWaiting)` for the
 * kernelspec `kernel` (whose directory serves plotly.js): calls
 * `done(Plotly)` once plotly.js is on the page, loading it on first use — from the Jupyter server
 * the page came from, else from an embedded copy in the page. `fail(message)` tells a chart why it
 * waits; it stays queued, so a copy that arrives later still draws it. Every chart carries this
 * (~1.5 kB) because no other output can be relied on.
 */
export function loaderSource(kernel = kernelName()): string {
  const constants = JSON.stringify({ file: plotlyResourceName(), kernel, copy: COPY_TYPE });
  return `function (done, fail, onlyIfWaiting) {
  var c = ${constants};
  var state = window.__cellfitPlotly = window.__cellfitPlotly || { waiting: [], triedServer: false, loading: false };
  var ready = window.Plotly && parseInt(window.Plotly.version, 10) >= 2;
  if (ready) return done(window.Plotly);
  if (onlyIfWaiting && state.waiting.length === 0) return;
  if (!onlyIfWaiting) state.waiting.push([done, fail]);
  if (state.loading) return;
  var settle = function (error) {
    state.loading = false;
    var waiting = state.waiting;
    if (!error) state.waiting = [];
    for (var i = 0; i < waiting.length; i++) error ? waiting[i][1](error) : waiting[i][0](window.Plotly);
  };
  var fromScript = function (src, onError) {
    state.loading = true;
    var script = document.createElement('script');
    script.src = src;
    script.async = true;
    script.onload = function () { window.Plotly ? settle() : onError(); };
    script.onerror = onError;
    document.head.appendChild(script);
  };
  var fromCopy = function () {
    var copy = document.querySelector('script[type="' + c.copy + '"]');
    if (!copy || typeof DecompressionStream === 'undefined') {
      return settle(state.triedServer
        ? 'plotly.js (' + c.file + ') was not found on this Jupyter server: run \`npx cellfit install\` again.'
        : 'plotly.js is not in this page: export it with \`cellfit run --html\`, or open the notebook in Jupyter.');
    }
    state.loading = true;
    var binary = atob(copy.textContent.replace(/\\s+/g, ''));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).blob().then(function (source) {
      fromScript(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), function () { settle('plotly.js in this page did not load.'); });
    }, function () { settle('plotly.js in this page is damaged.'); });
  };
  var base = null;
  try {
    var config = document.getElementById('jupyter-config-data');
    if (config) base = JSON.parse(config.textContent).baseUrl;
    else if (document.body && document.body.hasAttribute('data-base-url')) base = document.body.getAttribute('data-base-url');
  } catch (error) {}
  if (typeof base === 'string' && !state.triedServer) {
    state.triedServer = true;
    fromScript(base.replace(/\\/?$/, '/') + 'kernelspecs/' + encodeURIComponent(c.kernel) + '/' + c.file, fromCopy);
  } else {
    fromCopy();
  }
}`;
}
