/**
 * Tables as MIME bundles: an HTML table for notebooks and an aligned plain-text table for
 * terminals, text-only frontends and tests. Every tabular result of the kernel (arquero tables,
 * arrays of records, %runs, %checkpoints, the %%sweep summary) is drawn here.
 */
import { inspect } from 'node:util';
import type { MimeBundle } from '../../lib/session';
import { escapeHtml } from '../../lib/util/html';

/** A table to show: column names in order, rows as objects keyed by those names. */
export interface TableData {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
  /** Total rows when `rows` holds only the first ones. Defaults to `rows.length`. */
  readonly totalRows?: number;
  /** A line above the table, e.g. "3 runs in checkpoints/". */
  readonly caption?: string;
}

export { escapeHtml };

/** How a cell value reads in a table: numbers to 6 significant digits, dates as ISO, no quotes. */
export function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    return String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 10 });
}

const isNumeric = (rows: readonly Record<string, unknown>[], column: string) =>
  rows.length > 0 && rows.every((row) => row[column] === undefined || row[column] === null || typeof row[column] === 'number');

function summary({ rows, totalRows, columns }: TableData): string {
  const total = totalRows ?? rows.length;
  const shown = total > rows.length ? ` (showing the first ${rows.length})` : '';
  return `${total} row${total === 1 ? '' : 's'} × ${columns.length} column${columns.length === 1 ? '' : 's'}${shown}`;
}

/**
 * An HTML table: numeric columns right-aligned, a caption, and a note when rows were cut.
 *
 * @example
 * htmlTable({ columns: ['epoch', 'loss'], rows: [{ epoch: 1, loss: 0.5 }] });
 */
export function htmlTable(table: TableData): string {
  const { columns, rows, caption } = table;
  const align = columns.map((column) => (isNumeric(rows, column) ? 'right' : 'left'));
  const head = columns.map((column, i) => `<th style="text-align: ${align[i]};">${escapeHtml(column)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${columns.map((column, i) => `<td style="text-align: ${align[i]};">${escapeHtml(formatCell(row[column]))}</td>`).join('')}</tr>`)
    .join('');
  const note = `<caption style="caption-side: bottom; text-align: left; font-size: smaller;">${escapeHtml(summary(table))}</caption>`;
  const title = caption === undefined ? '' : `<div>${escapeHtml(caption)}</div>`;
  return `${title}<table class="cellfit-table">${note}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * A plain-text table with aligned columns, e.g.
 * ```
 * epoch  loss
 * -----  ----
 *     1   0.5
 * ```
 */
export function textTable(table: TableData): string {
  const { columns, rows, caption, totalRows } = table;
  const cells = rows.map((row) => columns.map((column) => formatCell(row[column]).replace(/\n/g, ' ')));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((row) => row[i].length)));
  const numeric = columns.map((column) => isNumeric(rows, column));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const lines = [
    columns.map((column, i) => pad(column, i)).join('  ').trimEnd(),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map((row) => row.map((cell, i) => pad(cell, i)).join('  ').trimEnd()),
  ];
  if (caption !== undefined) lines.unshift(caption);
  if ((totalRows ?? rows.length) > rows.length) lines.push(`... ${summary(table)}`);
  return lines.join('\n');
}

/** The bundle of a table: `text/html` and `text/plain`. */
export function tableBundle(table: TableData): MimeBundle {
  return { 'text/plain': textTable(table), 'text/html': htmlTable(table) };
}

/**
 * Columns of an array of records: the union of their keys, in first-seen order; nested plain
 * objects (e.g. a checkpoint's `metrics`) are flattened one level into `metrics.loss` columns.
 */
export function recordsTable(records: readonly Record<string, unknown>[], maxRows = 50, caption?: string): TableData {
  const rows = records.slice(0, maxRows).map(flattenRecord);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return { columns, rows, totalRows: records.length, caption };
}

function flattenRecord(record: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (isPlainObject(value) && Object.keys(value).length <= 12) {
      for (const [inner, innerValue] of Object.entries(value)) flat[`${key}.${inner}`] = innerValue;
    } else {
      flat[key] = value;
    }
  }
  return flat;
}

/** Whether `value` is an object literal (or `Object.create(null)`), not a class instance or array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
