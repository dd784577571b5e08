/**
 * What `cellfit install` puts in the kernelspec directory besides kernel.json, for the browser
 * front ends (see lib/plots/library.ts for why):
 *
 * - `plotly-<version>.min.js`: plotly.js, which every Jupyter server serves at
 *   `<base>kernelspecs/<name>/…` and every chart loads from there;
 * - `kernel.js`: the classic Notebook (6.x) loads it when a notebook uses the kernel. It
 *   1. starts loading plotly.js as the notebook opens, so the first chart draws at once;
 *   2. embeds plotly.js into the notebook file when it is saved and holds charts but no copy — the
 *      Notebook's `before_save` event exists for such changes. The page knows which outputs the
 *      file will have (re-run, cleared and moved cells included), which the kernel cannot: so the
 *      saved file always has exactly what nbconvert's HTML needs, and the kernel sends no copy
 *      (execute_request metadata `cellfit.savesPlotly`);
 *   3. names the cell of each execute_request in `metadata.cellId`, as JupyterLab does;
 *   4. gives cells created in the page their nbformat 4.5 cell ids before a save: Debian's Notebook
 *      6.4 signs what it is given, then nbformat adds the missing ids, and the file reopened
 *      "Not Trusted" (its signature no longer matched).
 */
import fs from 'node:fs';
import path from 'node:path';
import { COPY_TYPE, libraryHtml, loaderSource, plotlyFile, plotlyResourceName } from '../../lib/plots/library';

/** The source of kernel.js for the kernelspec `name` (an AMD module, as the classic Notebook's requirejs loads it). */
export function kernelJs(name: string): string {
  const [copyStart, copyEnd] = libraryHtml('\u0000', name).split('\u0000');
  const constants = { file: plotlyResourceName(), kernel: name, copyStart, copyEnd, copyMark: `<script type="${COPY_TYPE}"`, chartMark: 'class="cellfit-chart"' };
  return `// cellfit's kernel.js, written by \`cellfit install\` (see kernel/display/frontend.ts in cellfit):
// the classic Jupyter Notebook loads it when a notebook uses the cellfit kernel. It loads plotly.js
// from this directory as the notebook opens, puts plotly.js into the notebook file when it is saved
// with charts (for nbconvert's HTML), and names the cell of each execute_request in
// metadata.cellId, as JupyterLab does.
define(['base/js/namespace', 'base/js/events', 'notebook/js/codecell', 'services/kernels/kernel'], function (Jupyter, events, codecell, kernel) {
  'use strict';
  var c = ${JSON.stringify(constants)};
  var loadPlotly = ${loaderSource(name).replace(/\n/g, '\n  ')};
  // The embedded copy (gzipped, base64), made in the browser from the served file.
  var copy = null;

  function prepareCopy() {
    if (typeof CompressionStream === 'undefined' || typeof fetch === 'undefined') return;
    var base = (document.body.getAttribute('data-base-url') || '/').replace(/\\/?$/, '/');
    fetch(base + 'kernelspecs/' + encodeURIComponent(c.kernel) + '/' + c.file, { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
        return new Response(response.body.pipeThrough(new CompressionStream('gzip'))).blob();
      })
      .then(function (blob) {
        return new Promise(function (resolve, reject) {
          var reader = new FileReader();
          reader.onload = function () { resolve(String(reader.result).replace(/^[^,]*,/, '')); };
          reader.onerror = reject;
          reader.readAsDataURL(blob);
        });
      })
      .then(function (base64) { copy = c.copyStart + base64 + c.copyEnd; }, function (error) { console.warn('cellfit: no copy of plotly.js for saved notebooks:', error); });
  }

  function html(output) {
    var value = output.data && output.data['text/html'];
    return Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '';
  }

  // Debian's Notebook 6.4 signs the notebook it is given, then nbformat (5.5) adds the cell ids
  // that nbformat 4.5 requires to cells created in the page (they have none), and the signature no
  // longer matches the file: it reopened "Not Trusted". Cells get their ids before the save.
  function nameCellsForSave() {
    events.on('before_save.Notebook', function () {
      if (Jupyter.notebook.nbformat !== 4 || Jupyter.notebook.nbformat_minor < 5) return;
      Jupyter.notebook.get_cells().forEach(function (cell) {
        if (cell.id === undefined) cell.id = String(cell.cell_id).replace(/[^a-zA-Z0-9_-]/g, '').slice(0, 64) || Math.random().toString(36).slice(2);
      });
    });
  }

  function embedOnSave() {
    events.on('before_save.Notebook', function () {
      if (!copy) return;
      var holder = null;
      var copies = 0;
      Jupyter.notebook.get_cells().forEach(function (cell) {
        if (cell.cell_type !== 'code') return;
        cell.output_area.outputs.forEach(function (output) {
          var text = html(output);
          if (text.indexOf(c.copyMark) >= 0) copies++;
          else if (!holder && text.indexOf(c.chartMark) >= 0) holder = cell;
        });
      });
      if (holder && copies === 0) holder.output_area.append_output({ output_type: 'display_data', data: { 'text/html': copy }, metadata: {} });
    });
  }

  function nameCells() {
    var CodeCell = codecell.CodeCell;
    var Kernel = kernel.Kernel;
    if (CodeCell.prototype.__cellfitNamesCells) return;
    CodeCell.prototype.__cellfitNamesCells = true;
    var running = null;
    var execute = CodeCell.prototype.execute;
    CodeCell.prototype.execute = function () {
      running = this;
      try {
        return execute.apply(this, arguments);
      } finally {
        running = null;
      }
    };
    var send = Kernel.prototype.send_shell_message;
    Kernel.prototype.send_shell_message = function (type, content, callbacks, metadata, buffers) {
      if (type === 'execute_request' && running) {
        metadata = Object.assign({ cellId: running.id || running.cell_id }, copy ? { cellfit: { savesPlotly: true } } : {}, metadata || {});
      }
      return send.call(this, type, content, callbacks, metadata, buffers);
    };
  }

  return {
    onload: function () {
      nameCells();
      nameCellsForSave();
      embedOnSave();
      loadPlotly(function () {}, function (message) { console.warn('cellfit:', message); });
      prepareCopy();
    }
  };
});
`;
}

/** Writes kernel.js and plotly.js into the directory `dir` of the kernelspec `name`. */
export function writeFrontendFiles(dir: string, name: string): void {
  fs.writeFileSync(path.join(dir, 'kernel.js'), kernelJs(name));
  fs.copyFileSync(plotlyFile(), path.join(dir, plotlyResourceName()));
}
