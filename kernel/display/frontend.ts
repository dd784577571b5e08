/**
 * What `cellfit install` puts in the kernelspec directory besides kernel.json, for the browser
 * front ends (see lib/plots/library.ts for why):
 *
 * - `plotly-<version>.min.js`: plotly.js, which every Jupyter server serves at
 *   `<base>kernelspecs/<name>/…` and every chart loads from there;
 * - `kernel.js`: the classic Notebook (6.x) loads it when a notebook uses the kernel. It starts
 *   loading plotly.js as the notebook opens, and names the cell of each execute_request in
 *   `metadata.cellId` as JupyterLab does, so that the kernel learns when a cell's outputs (among
 *   them the embedded copy of plotly.js) were replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loaderSource, plotlyFile, plotlyResourceName } from '../../lib/plots/library';

/** The source of kernel.js for the kernelspec `name` (an AMD module, as the classic Notebook's requirejs loads it). */
export function kernelJs(name: string): string {
  return `// cellfit's kernel.js, written by \`cellfit install\`: the classic Jupyter Notebook loads it when a
// notebook uses the cellfit kernel. It starts loading plotly.js from this directory (so charts draw
// as soon as they arrive), and names the cell of each execute_request in metadata.cellId, as
// JupyterLab does (the kernel then knows when a cell's outputs were replaced).
define(['notebook/js/codecell', 'services/kernels/kernel'], function (codecell, kernel) {
  'use strict';
  var loadPlotly = ${loaderSource(name).replace(/\n/g, '\n  ')};

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
        metadata = Object.assign({ cellId: running.id || running.cell_id }, metadata || {});
      }
      return send.call(this, type, content, callbacks, metadata, buffers);
    };
  }

  return {
    onload: function () {
      nameCells();
      loadPlotly(function () {}, function (message) { console.warn('cellfit:', message); });
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
