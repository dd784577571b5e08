/**
 * `split()`: train / validation / test splits that are seeded, stratified or repeatable (hashed on
 * a key), for every data form cellfit accepts, returned in the form they came in.
 */
import type { ColumnTable } from 'arquero';
import { viewData, type DataView, type Row, type RowOf, type Tabular } from './data';
import { fail, formatValue, warn } from './errors';
import { checkSeed, getSeed, Rng, type Seed } from './random';
import { JUPYTER_DISPLAY, type MimeBundle } from './session';
import { escapeHtml } from './util/html';
import { InputSpace } from './tabulate';
import { murmur3 } from './util/murmur3';
import { checkBoolean, checkKeys, checkNumber, type OptionKeys } from './util/options';
import type { KnownOptions } from './util/types';

/** A row of `T` as `stratify` and `key` see it: a space's rows are its table's (axes and labels). */
export type SplitRow<T> = T extends InputSpace<any> ? Row : RowOf<T>;

/** A part of a split. */
export type PartName = 'train' | 'validation' | 'test';

/** The parts a split can have, in the order they are returned. */
export const PART_NAMES: readonly PartName[] = ['train', 'validation', 'test'];

/** Chooses the label (for `stratify`) or key (for `key`) of a row `R`. */
export type RowFunction<T, R = Row> = (row: R, index: number) => T;

/** Options of {@link split}; `R` is the type of a row of the data (see {@link RowOf}). */
export interface SplitOptions<R = Row> {
  /** Fraction of the rows for training, in [0, 1]. The fractions given must sum to 1. */
  readonly train: number;
  /** Fraction for validation (evaluated inside the training loop). Omit it for a two-way split. */
  readonly validation?: number;
  /** Fraction for the held-out test set (final metrics). Omit it for a train/validation split. */
  readonly test?: number;
  /** Seed of the shuffle (or salt of the key hash). Defaults to the global seed (see `setSeed`). */
  readonly seed?: Seed;
  /** Shuffle before splitting; `false` keeps the data order (e.g. time series). Defaults to true. */
  readonly shuffle?: boolean;
  /**
   * A column name, or a function of the row, giving a label whose share is kept equal in every
   * part (within one row). Defaults to none.
   */
  readonly stratify?: (keyof R & string) | RowFunction<unknown, R>;
  /**
   * A column name, or a function of the row, giving a string or number key: rows go to parts by a
   * stable hash of their key, so adding rows never moves an existing row and rows sharing a key
   * stay together ("repeatable splitting"). Part sizes then follow the fractions only on average.
   * Defaults to none.
   */
  readonly key?: (keyof R & string) | RowFunction<string | number | Date, R>;
}

/** How the rows were assigned, kept on the result for display and reports. */
export interface SplitSummary {
  readonly method: 'shuffled' | 'ordered' | 'stratified' | 'hashed';
  readonly seed?: Seed;
  readonly rows: number;
  readonly sizes: Readonly<Partial<Record<PartName, number>>>;
  /** With `stratify`: rows per label per part. */
  readonly labels?: ReadonlyMap<unknown, Readonly<Partial<Record<PartName, number>>>>;
}

/** Part `K` when the options `O` give its fraction (optional when `O` may lack it). */
export type PartIn<P, O, K extends 'validation' | 'test'> = K extends keyof O ? (Record<never, never> extends Pick<O, K> ? { [_ in K]?: P } : { [_ in K]: P }) : unknown;

/** The parts present in `O`, each of type `P`. */
export type SplitResult<P, O> = { train: P } & PartIn<P, O, 'validation'> &
  PartIn<P, O, 'test'> & {
    /** How the rows were assigned (not enumerable, so `Object.keys` lists only the parts). */
    readonly summary: SplitSummary;
  };

/** The form each part takes: that of the input (an InputSpace splits into arquero tables). */
export type SplitPart<T> = T extends InputSpace<any> ? ColumnTable : T;

const SPLIT_KEYS = { train: true, validation: true, test: true, seed: true, shuffle: true, stratify: true, key: true } as const satisfies OptionKeys<SplitOptions>;
const WHERE = 'split()';

/**
 * Splits rows into train / validation / test parts. Every row lands in exactly one part; part
 * sizes follow the fractions with largest-remainder rounding (so they sum to the row count); the
 * same data and seed give the same split in every process. Rows keep their original relative
 * order within each part.
 *
 * Each part has the type of the data (rows of `Flight` give `Flight[]` parts, `{ xs, ys }` of
 * tensors gives tensors), the parts present are those whose fractions `options` gives, and
 * `stratify` and `key` name the data's columns or receive its rows.
 *
 * @example
 * const { train, validation, test } = split(rows, { train: 0.8, validation: 0.1, test: 0.1, seed: 42 });
 * const { train, test } = split({ xs, ys }, { train: 0.8, test: 0.2, stratify: 'ys' });
 * const { train, test } = split(flights, { train: 0.8, test: 0.2, key: 'date' }); // repeatable
 */
export function split<T extends Tabular | InputSpace<any>, const O extends SplitOptions<SplitRow<T>> & KnownOptions<O, SplitOptions>>(data: T, options: O): SplitResult<SplitPart<T>, O> {
  const parts = checkOptions(options);
  let rowsData: Tabular;
  if (data instanceof InputSpace) {
    warn(
      WHERE,
      'this is a tabulated input space: it holds every possible input, so there is no unseen data to hold out, ' +
        'and a held-out part is input the model never learns. Train on the whole space ' +
        '(train(model, space)) and check it with space.evaluate(model).',
    );
    rowsData = data.toTable();
  } else {
    rowsData = data;
  }
  const view = viewData(rowsData, WHERE);
  // The row functions were typed for the data's rows; the view hands them exactly those rows.
  const assignment = assign(view, parts, options as unknown as SplitOptions);
  const result: Record<string, unknown> = {};
  for (const [p, name] of parts.names.entries()) result[name] = view.take(assignment.indices[p]);
  Object.defineProperty(result, 'summary', { value: assignment.summary, enumerable: false });
  Object.defineProperty(result, JUPYTER_DISPLAY, { value: () => summaryBundle(assignment.summary), enumerable: false });
  return result as SplitResult<SplitPart<T>, O>;
}

interface Parts {
  readonly names: PartName[];
  readonly fractions: number[];
}

function checkOptions(options: SplitOptions<any>): Parts {
  if (typeof options !== 'object' || options === null) {
    fail(WHERE, `options must be an object such as { train: 0.8, test: 0.2 }. Received: ${formatValue(options)}.`);
  }
  checkKeys(WHERE, options, SPLIT_KEYS);
  if (options.train === undefined) {
    fail(WHERE, 'option `train` is required: the fraction of rows to train on, e.g. { train: 0.8, test: 0.2 }.');
  }
  const names = PART_NAMES.filter((name) => options[name] !== undefined);
  const fractions = names.map((name) => {
    const fraction = options[name];
    checkNumber(WHERE, name, fraction, { min: 0, max: 1 });
    return fraction;
  });
  const total = fractions.reduce((sum, fraction) => sum + fraction, 0);
  if (Math.abs(total - 1) > 1e-9) {
    const terms = names.map((name, i) => `${name}=${fractions[i]}`).join(' + ');
    fail(WHERE, `the fractions must sum to 1. Received: ${terms} = ${+total.toPrecision(12)}. Adjust them so that they add up to 1.`);
  }
  if (options.seed !== undefined) checkSeed(options.seed, WHERE);
  if (options.shuffle !== undefined) checkBoolean(WHERE, 'shuffle', options.shuffle);
  for (const option of ['stratify', 'key'] as const) {
    const value = options[option];
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'function') {
      fail(WHERE, `\`${option}\` must be a column name or a function of the row. Received: ${option}=${formatValue(value)}.`);
    }
  }
  if (options.stratify !== undefined && options.key !== undefined) {
    fail(WHERE, 'options `stratify` and `key` cannot be combined: `key` assigns rows by hash alone. Choose one.');
  }
  return { names, fractions };
}

interface Assignment {
  /** Row indices of each part, ascending. */
  readonly indices: Uint32Array[];
  readonly summary: SplitSummary;
}

function assign(view: DataView, parts: Parts, options: SplitOptions): Assignment {
  if (options.key !== undefined) return assignByKey(view, parts, options.key, options.seed);
  const seed = options.seed ?? getSeed();
  const shuffle = options.shuffle ?? true;
  const sizes = largestRemainder(view.size, parts.fractions);
  const partOf = new Uint8Array(view.size);
  let labels: Map<unknown, number[]> | undefined;
  if (options.stratify !== undefined) {
    labels = groupByLabel(view, options.stratify);
    warnIfContinuous(labels, view.size, options.stratify);
    const groups = [...labels.values()];
    const counts = roundTable(
      groups.map((group) => sizes.map((size) => (group.length * size) / view.size)),
      groups.map((group) => group.length),
      sizes,
    );
    const rng = new Rng(seed);
    groups.forEach((group, g) => {
      const order = shuffle ? rng.shuffle(group.slice()) : group;
      fillParts(partOf, order, counts[g]);
    });
  } else {
    const order = shuffle ? new Rng(seed).permutation(view.size) : Uint32Array.from({ length: view.size }, (_, i) => i);
    fillParts(partOf, order, sizes);
  }
  const indices = collect(partOf, parts.names.length);
  const summary: SplitSummary = {
    method: labels ? 'stratified' : shuffle ? 'shuffled' : 'ordered',
    ...(shuffle ? { seed } : {}),
    rows: view.size,
    sizes: sizesByName(parts.names, indices),
    ...(labels ? { labels: countLabels(labels, partOf, parts.names) } : {}),
  };
  return { indices, summary };
}

function assignByKey(view: DataView, parts: Parts, key: string | RowFunction<string | number | Date>, seed: Seed | undefined): Assignment {
  const keys = typeof key === 'string' ? view.column(key, 'key') : Array.from({ length: view.size }, (_, i) => key(view.row(i), i));
  const salt = seed === undefined ? 0 : murmur3(String(seed));
  const bounds: number[] = [];
  parts.fractions.reduce((cumulative, fraction, p) => (bounds[p] = cumulative + fraction), 0);
  bounds[bounds.length - 1] = Infinity; // the last part takes every remaining hash, whatever the rounding
  const partOf = new Uint8Array(view.size);
  const distinct = new Set<string>();
  keys.forEach((value, i) => {
    const text = keyText(value, i, key);
    distinct.add(text);
    const position = murmur3(text, salt) / 2 ** 32;
    partOf[i] = bounds.findIndex((bound) => position < bound);
  });
  const indices = collect(partOf, parts.names.length);
  parts.names.forEach((name, p) => {
    if (indices[p].length === 0 && parts.fractions[p] > 0) {
      warn(
        WHERE,
        `part \`${name}\` got no rows: with \`key\`, rows go to parts by a hash of their key, and the ${distinct.size} distinct ` +
          `key${distinct.size === 1 ? '' : 's'} all hashed elsewhere. Use a key with more distinct values, or split without \`key\`.`,
      );
    }
  });
  const summary: SplitSummary = {
    method: 'hashed',
    ...(seed === undefined ? {} : { seed }),
    rows: view.size,
    sizes: sizesByName(parts.names, indices),
  };
  return { indices, summary };
}

/** How a notebook shows a split: part sizes and shares, and label counts per part when stratified. */
export function summaryBundle(summary: SplitSummary): MimeBundle {
  const names = Object.keys(summary.sizes) as PartName[];
  const share = (count: number, total: number) => `${total === 0 ? 0 : ((100 * count) / total).toFixed(1)}%`;
  const how = `${summary.method}${summary.seed === undefined ? '' : `, seed ${formatValue(summary.seed)}`}`;
  const text = `split of ${summary.rows} rows (${how}): ${names.map((name) => `${summary.sizes[name]} ${name}`).join(' / ')}`;
  const labels = summary.labels ? [...summary.labels.keys()] : [];
  const header = ['part', 'rows', 'share', ...labels.map((label) => `label ${formatValue(label)}`)];
  const rows = names.map((name) => {
    const size = summary.sizes[name]!;
    const labelCells = labels.map((label) => {
      const count = summary.labels!.get(label)![name]!;
      return `${count} (${share(count, size)})`;
    });
    return [name, String(size), share(size, summary.rows), ...labelCells];
  });
  const cells = (row: string[], tag: string) => row.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join('');
  const html =
    `<div><strong>split</strong> of ${summary.rows} rows (${escapeHtml(how)})<table><thead><tr>${cells(header, 'th')}</tr></thead>` +
    `<tbody>${rows.map((row) => `<tr>${cells(row, 'td')}</tr>`).join('')}</tbody></table></div>`;
  return { 'text/plain': text, 'text/html': html };
}


function keyText(value: unknown, row: number, key: string | RowFunction<unknown>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return String(value);
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  const option = typeof key === 'string' ? `key column ${formatValue(key)}` : 'the `key` function';
  return fail(WHERE, `${option} must give a string, a finite number or a date for every row. Received: ${formatValue(value)} for row ${row}.`);
}

/**
 * Warns when the stratification labels look like a continuous value (most rows have a label of their
 * own, e.g. an income column): stratifying on them is silently pointless. Classes, even many of
 * them, leave most labels with several rows.
 */
function warnIfContinuous(labels: Map<unknown, number[]>, rows: number, stratify: string | RowFunction<unknown>): void {
  if (labels.size <= 50 || labels.size <= rows / 2) return;
  const example = typeof stratify === 'string' ? `(row) => Math.floor(row.${stratify} / 10000)` : '(row) => Math.floor(value(row) / width)';
  warn(
    WHERE,
    `\`stratify\` gives ${labels.size} distinct labels for ${rows} rows — a continuous value, not a class: each label has about one row, so stratifying keeps nothing in proportion. ` +
      `Stratify on a class column, or on bins of this one, e.g. stratify: ${example}.`,
  );
}

/** Rows grouped by label, in order of first appearance (so the grouping is deterministic). */
function groupByLabel(view: DataView, stratify: string | RowFunction<unknown>): Map<unknown, number[]> {
  const labels =
    typeof stratify === 'string' ? view.column(stratify, 'stratify') : Array.from({ length: view.size }, (_, i) => stratify(view.row(i), i));
  const groups = new Map<unknown, number[]>();
  labels.forEach((label, i) => {
    // Tensor rows and one-hot vectors arrive as arrays; group them by value, not identity.
    const groupKey = typeof label === 'object' && label !== null ? JSON.stringify(label) : label;
    let group = groups.get(groupKey);
    if (!group) {
      group = [];
      groups.set(groupKey, group);
    }
    group.push(i);
  });
  return groups;
}

/** Integer sizes proportional to `fractions` that sum to `total` (Hamilton's method). */
export function largestRemainder(total: number, fractions: readonly number[]): number[] {
  const exact = fractions.map((fraction) => fraction * total);
  const sizes = exact.map((value) => Math.floor(value + 1e-9));
  let missing = total - sizes.reduce((sum, size) => sum + size, 0);
  const byRemainder = exact.map((value, i) => ({ i, remainder: value - sizes[i] })).sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing <= 0) break;
    if (fractions[i] === 0) continue;
    sizes[i]++;
    missing--;
  }
  return sizes;
}

/**
 * Rounds each cell of `targets` down or up so that every row sums to `rowTotals` and every column
 * to `columnTotals` — always possible when the targets' own row and column sums are those integers
 * (controlled rounding; Bacharach 1966). Cells with larger fractional parts are rounded up first,
 * and a max-flow pass repairs what that greedy order leaves unmatched.
 */
export function roundTable(targets: number[][], rowTotals: number[], columnTotals: number[]): number[][] {
  const counts = targets.map((row) => row.map((value) => Math.floor(value + 1e-9)));
  const rowNeed = rowTotals.map((total, r) => total - counts[r].reduce((sum, value) => sum + value, 0));
  const columnNeed = columnTotals.map((total, c) => total - counts.reduce((sum, row) => sum + row[c], 0));
  const canRaise = (r: number, c: number) => targets[r][c] - counts[r][c] > 1e-9;
  const raised = targets.map((row) => row.map(() => false));
  // Greedy: largest fractional parts first.
  const cells = targets
    .flatMap((row, r) => row.map((value, c) => ({ r, c, remainder: value - Math.floor(value + 1e-9) })))
    .filter(({ r, c }) => canRaise(r, c))
    .sort((a, b) => b.remainder - a.remainder || a.r - b.r || a.c - b.c);
  for (const { r, c } of cells) {
    if (rowNeed[r] > 0 && columnNeed[c] > 0) {
      raised[r][c] = true;
      rowNeed[r]--;
      columnNeed[c]--;
    }
  }
  // Repair: augmenting paths row → column (unraised cell) → row (raised cell, lowered back) → …
  for (let start = 0; start < targets.length; start++) {
    while (rowNeed[start] > 0) {
      const visitedRows = new Set<number>();
      const augment = (r: number): boolean => {
        visitedRows.add(r);
        for (let c = 0; c < columnTotals.length; c++) {
          if (raised[r][c] || !canRaise(r, c)) continue;
          if (columnNeed[c] > 0) {
            raised[r][c] = true;
            columnNeed[c]--;
            return true;
          }
          for (let other = 0; other < targets.length; other++) {
            if (raised[other][c] && !visitedRows.has(other) && augment(other)) {
              raised[other][c] = false;
              raised[r][c] = true;
              return true;
            }
          }
        }
        return false;
      };
      if (!augment(start)) throw new Error(`roundTable: no rounding exists for row ${start} (targets do not have integer margins)`);
      rowNeed[start]--;
    }
  }
  return counts.map((row, r) => row.map((value, c) => value + (raised[r][c] ? 1 : 0)));
}

function fillParts(partOf: Uint8Array, order: ArrayLike<number>, sizes: readonly number[]): void {
  let position = 0;
  sizes.forEach((size, p) => {
    for (let end = position + size; position < end; position++) partOf[order[position]] = p;
  });
}

function collect(partOf: Uint8Array, partCount: number): Uint32Array[] {
  const sizes = new Array<number>(partCount).fill(0);
  for (const p of partOf) sizes[p]++;
  const indices = sizes.map((size) => new Uint32Array(size));
  const filled = new Array<number>(partCount).fill(0);
  partOf.forEach((p, i) => (indices[p][filled[p]++] = i));
  return indices;
}

function sizesByName(names: readonly PartName[], indices: readonly Uint32Array[]): Partial<Record<PartName, number>> {
  return Object.fromEntries(names.map((name, p) => [name, indices[p].length]));
}

function countLabels(labels: Map<unknown, number[]>, partOf: Uint8Array, names: readonly PartName[]): Map<unknown, Partial<Record<PartName, number>>> {
  const table = new Map<unknown, Partial<Record<PartName, number>>>();
  for (const [label, rows] of labels) {
    const counts: Partial<Record<PartName, number>> = Object.fromEntries(names.map((name) => [name, 0]));
    for (const row of rows) counts[names[partOf[row]]]! += 1;
    table.set(label, counts);
  }
  return table;
}
