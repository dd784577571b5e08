/**
 * "The numbers in a notebook's outputs", which must be identical when a tutorial is executed twice.
 *
 * Per code cell, in output order, every number written in:
 * - stream text (stdout and stderr);
 * - `text/plain` of results and displays (tables, objects, run summaries, progress lines);
 * - the traces of plotly figures (`application/vnd.plotly.v1+json`: every x, y, z value and text);
 * - error messages (`evalue`).
 *
 * Left out, because they differ between two correct executions: ISO-8601 timestamps (checkpoint
 * times, "updated" columns) and the directory the notebook ran in (absolute checkpoint paths).
 * `text/html` is left out as a rendering of the same data (chart ids and the inlined plotly.js
 * library are not results), and so are terminal-only outputs (training's progress trail for
 * jupyter console, lib/progress.ts): time paces them and they carry ETAs. Durations are not masked: the tutorials print none, so a timing that
 * slipped into an output would show up here as a difference — which is what we want to hear about.
 */
import type { Notebook, Output } from '../../kernel/runner/notebook';
import { HIDDEN_OUTPUT_CLASS } from '../../lib/util/html';

const TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/gi;

/** The numbers of one cell's outputs, as the strings they were written as. */
export interface CellNumbers {
  /** 1-based cell number, as `cellfit run` counts. */
  readonly cell: number;
  readonly numbers: readonly string[];
}

const text = (value: unknown): string => (Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : JSON.stringify(value));

function outputText(output: Output): string {
  switch (output.output_type) {
    case 'stream':
      return text(output.text);
    case 'error':
      return `${output.ename}: ${output.evalue}`;
    case 'display_data':
    case 'execute_result': {
      if (text(output.data['text/html'] ?? '').includes(HIDDEN_OUTPUT_CLASS)) return '';
      const plotly = output.data['application/vnd.plotly.v1+json'] as { data?: unknown } | undefined;
      return [text(output.data['text/plain'] ?? ''), plotly ? JSON.stringify(plotly.data) : ''].join('\n');
    }
  }
}

/** Every number in the outputs of `notebook`'s code cells; `ranIn` (the kernel's directory) is masked. */
export function outputNumbers(notebook: Notebook, ranIn: string): CellNumbers[] {
  const result: CellNumbers[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.cell_type !== 'code') return;
    const joined = (cell.outputs ?? []).map(outputText).join('\n').split(ranIn).join('<dir>').replace(TIMESTAMP, '<time>');
    result.push({ cell: index + 1, numbers: joined.match(NUMBER) ?? [] });
  });
  return result;
}
