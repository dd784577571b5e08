/**
 * Tables for the toolkit's own results and for arquero tables, recognised by shape so that the
 * kernel works with any copy of cellfit or arquero a notebook loads. An object that implements
 * `[Symbol.for('Jupyter.display')]` itself never reaches this module (kernel/display/bundle.ts
 * asks it first).
 */
import type { MimeBundle } from '../../lib/session';
import { formatCell, isPlainObject, recordsTable, tableBundle, type TableData } from './table';

const MAX_ROWS = 20;

/** The bundle for an arquero table, a training run, an input space or a `split()` result. */
export function cellfitBundle(value: unknown): MimeBundle | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (isArqueroTable(value)) return arqueroBundle(value);
  if (isRun(value)) return runBundle(value);
  if (isInputSpace(value)) return inputSpaceBundle(value);
  if (isSplitResult(value)) return splitBundle(value as Record<string, unknown>);
  return undefined;
}

interface ArqueroLike {
  numRows(): number;
  numCols(): number;
  columnNames(): string[];
  objects(options?: { limit?: number }): Record<string, unknown>[];
  toHTML(options?: { limit?: number }): string;
}

function isArqueroTable(value: object): value is ArqueroLike {
  const t = value as Partial<Record<keyof ArqueroLike, unknown>>;
  return ['numRows', 'numCols', 'columnNames', 'objects', 'toHTML'].every((key) => typeof t[key as keyof ArqueroLike] === 'function');
}

function arqueroBundle(table: ArqueroLike): MimeBundle {
  const data: TableData = { columns: table.columnNames(), rows: table.objects({ limit: MAX_ROWS }), totalRows: table.numRows() };
  return tableBundle(data);
}

interface RunLike {
  id: string;
  status: string;
  epoch: number;
  epochs: number;
  history?: unknown;
  best?: { epoch?: number; monitor?: string; value?: number };
  dir?: string;
  checkpoints?: unknown;
  resumedFrom?: unknown;
}

function isRun(value: object): value is RunLike {
  const run = value as Partial<RunLike>;
  return typeof run.id === 'string' && typeof run.status === 'string' && typeof run.epoch === 'number' && typeof run.epochs === 'number' &&
    'history' in value && 'checkpoints' in value;
}

/** A one-row summary of a run, then its per-epoch history (when it is `{ metric: number[] }`). */
function runBundle(run: RunLike): MimeBundle {
  const summary = tableBundle({
    columns: ['run', 'status', 'epochs', 'best'],
    rows: [{ run: run.id, status: run.status, epochs: `${run.epoch}/${run.epochs}`, best: describeBest(run.best) }],
    caption: `Run ${run.id}${run.dir ? ` (${run.dir})` : ''}`,
  });
  const history = historyTable(run.history);
  if (!history) return summary;
  const epochs = tableBundle(history);
  return {
    'text/plain': `${String(summary['text/plain'])}\n\n${String(epochs['text/plain'])}`,
    'text/html': `${String(summary['text/html'])}${String(epochs['text/html'])}`,
  };
}

/** `val_loss 0.0123 @ epoch 7`. */
export function describeBest(best: { epoch?: number; monitor?: string; value?: number } | undefined): string {
  if (!best || best.value === undefined) return '';
  return `${best.monitor ?? 'best'} ${formatCell(best.value)}${best.epoch === undefined ? '' : ` @ epoch ${best.epoch}`}`;
}

/** History as `{ loss: [..], val_loss: [..] }` or as an array of per-epoch records: the last epochs. */
function historyTable(history: unknown): TableData | undefined {
  if (Array.isArray(history) && history.length > 0 && history.every(isPlainObject)) {
    const rows = history.slice(-MAX_ROWS) as Record<string, unknown>[];
    return { ...recordsTable(rows, MAX_ROWS), totalRows: history.length, caption: 'History (last epochs)' };
  }
  if (!isPlainObject(history)) return undefined;
  const metrics = Object.entries(history).filter((entry): entry is [string, number[]] => Array.isArray(entry[1]));
  if (metrics.length === 0) return undefined;
  const length = Math.max(...metrics.map(([, values]) => values.length));
  if (length === 0) return undefined;
  const rows: Record<string, unknown>[] = [];
  for (let epoch = Math.max(0, length - MAX_ROWS); epoch < length; epoch++) {
    const row: Record<string, unknown> = { epoch: epoch + 1 };
    for (const [name, values] of metrics) row[name] = values[epoch];
    rows.push(row);
  }
  return { columns: ['epoch', ...metrics.map(([name]) => name)], rows, totalRows: length, caption: 'History (last epochs)' };
}

interface InputSpaceLike {
  size: number;
  axes: readonly string[];
  at(index: number): Record<string, unknown>;
  indexOf(point: unknown): number;
  batches(size: number): unknown;
}

function isInputSpace(value: object): value is InputSpaceLike {
  const space = value as Partial<InputSpaceLike>;
  return typeof space.size === 'number' && Array.isArray(space.axes) && typeof space.at === 'function' &&
    typeof space.indexOf === 'function' && typeof space.batches === 'function';
}

/** One row per axis: first and last value of the space along it, plus the space's size. */
function inputSpaceBundle(space: InputSpaceLike): MimeBundle {
  const first = space.size > 0 ? space.at(0) : {};
  const last = space.size > 0 ? space.at(space.size - 1) : {};
  return tableBundle({
    columns: ['axis', 'first', 'last'],
    rows: space.axes.map((axis) => ({ axis, first: first[axis], last: last[axis] })),
    caption: `InputSpace of ${space.size.toLocaleString('en-US')} points over ${space.axes.join(' × ')}`,
  });
}

const PARTS = ['train', 'validation', 'test'] as const;

function rowCount(part: unknown): number | undefined {
  if (Array.isArray(part)) return part.length;
  if (typeof part !== 'object' || part === null) return undefined;
  const table = part as { numRows?: unknown };
  if (typeof table.numRows === 'function') return (table.numRows as () => number)();
  if (!isPlainObject(part)) return undefined;
  const lengths = Object.values(part).map((column) => {
    const c = column as { shape?: unknown; length?: unknown };
    if (Array.isArray(c.shape) && typeof c.shape[0] === 'number') return c.shape[0] as number;
    return typeof c.length === 'number' ? c.length : undefined;
  });
  return lengths.length > 0 && lengths.every((n) => n !== undefined && n === lengths[0]) ? lengths[0] : undefined;
}

function isSplitResult(value: object): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.includes('train') && keys.length >= 2 && keys.every((key) => (PARTS as readonly string[]).includes(key)) &&
    keys.every((key) => rowCount(value[key]) !== undefined);
}

/** Part sizes and shares of a `split()` result. */
function splitBundle(parts: Record<string, unknown>): MimeBundle {
  const sizes = PARTS.filter((part) => part in parts).map((part) => ({ part, rows: rowCount(parts[part])! }));
  const total = sizes.reduce((sum, { rows }) => sum + rows, 0);
  return tableBundle({
    columns: ['part', 'rows', 'share'],
    rows: sizes.map(({ part, rows }) => ({ part, rows, share: total === 0 ? '' : `${((100 * rows) / total).toFixed(1)}%` })),
    caption: `split of ${total.toLocaleString('en-US')} rows`,
  });
}
