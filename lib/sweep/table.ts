/**
 * A small table as a notebook output: aligned plain text (terminals, logs, `cellfit run`) and an
 * HTML table (front-ends), from the same rows. The kernel has a richer one (kernel/display/table.ts),
 * but the toolkit never imports the kernel.
 */
import type { MimeBundle } from '../session';
import { escapeHtml } from '../util/html';

/** Columns, rows of cells (already formatted), and a caption above. */
export interface TextTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly caption: string;
  /** Columns aligned right (numbers). */
  readonly numeric?: ReadonlySet<string>;
}

/** The table as plain text and HTML. */
export function tableBundle({ columns, rows, caption, numeric = new Set() }: TextTable): MimeBundle {
  const widths = columns.map((column, c) => Math.max(column.length, ...rows.map((row) => row[c].length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => (numeric.has(columns[c]) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const text = [caption, line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
  const align = (c: number) => (numeric.has(columns[c]) ? 'right' : 'left');
  const html =
    `<table><caption style="text-align:left">${escapeHtml(caption)}</caption>` +
    `<thead><tr>${columns.map((column, c) => `<th style="text-align:${align(c)}">${escapeHtml(column)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((row) => `<tr>${row.map((cell, c) => `<td style="text-align:${align(c)}">${escapeHtml(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return { 'text/plain': text, 'text/html': html };
}
