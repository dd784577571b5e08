/**
 * `preprocess()`: tabular preprocessing fitted on the training part of a split — missing numbers
 * imputed, numbers standardised, categories one-hot encoded or looked up — as scikit-learn's
 * `ColumnTransformer` or Keras' `Normalization`/`StringLookup` layers after `adapt()`. The fitted
 * state is plain JSON: `train()` stores it beside the run's checkpoints and applies it to every
 * part (and `run.evaluate()`, `run.predict()` to raw rows), and an export carries it, so the
 * exported model predicts from raw rows too. arquero computes the statistics.
 */
import { createHash } from 'node:crypto';
import { tf } from './backend';
import { viewData, type ColumnName, type DataView, type Tabular } from './data';
import { fail, formatValue } from './errors';
import { JUPYTER_DISPLAY, type MimeBundle } from './session';
import { escapeHtml } from './util/html';
import { checkKeys, type OptionKeys } from './util/options';
import { arquero } from './util/arquero';

const WHERE = 'preprocess()';

/** How missing numbers are filled. */
export type ImputeStrategy = 'median' | 'mean';
/** How numbers are scaled: z-scores (`standard`) or left as they are (`none`). */
export type ScaleStrategy = 'standard' | 'none';
/** How categories become numbers: a 0/1 column each (`onehot`) or one index column (`lookup`). */
export type EncodeStrategy = 'onehot' | 'lookup';

/** Options of {@link preprocess}. */
export interface PreprocessOptions<C extends string = string> {
  /** The feature columns, in the order the model sees them. Required. */
  readonly features: readonly C[];
  /** Columns that hold categories. Defaults to the features whose values are strings or booleans. */
  readonly categorical?: readonly C[];
  /** Fills missing numbers (null, undefined, NaN, '') with the training part's median or mean. Defaults to 'median'. */
  readonly impute?: ImputeStrategy;
  /** 'standard' subtracts the training part's mean and divides by its standard deviation; 'none' leaves numbers as they are. Defaults to 'standard'. */
  readonly scale?: ScaleStrategy;
  /**
   * 'onehot': a 0/1 column per category seen in the training part; 'lookup': one column holding
   * 1, 2, … per category. Missing and unseen categories are all zeros (onehot) or 0 (lookup).
   * Defaults to 'onehot'.
   */
  readonly encode?: EncodeStrategy;
}

/** A fitted numeric column: its fill value and scaling. */
export interface NumericColumn {
  readonly name: string;
  readonly kind: 'numeric';
  /** What a missing value becomes (before scaling). */
  readonly fill: number;
  /** Subtracted, then divided by `scale` (0 and 1 with scale 'none'). */
  readonly center: number;
  readonly scale: number;
  /** Missing values among the fitted rows. */
  readonly missing: number;
}

/** A fitted categorical column: its categories, in order. */
export interface CategoricalColumn {
  readonly name: string;
  readonly kind: 'categorical';
  readonly encode: EncodeStrategy;
  /** The categories seen in the training part, sorted. */
  readonly categories: readonly string[];
  /** Missing values among the fitted rows. */
  readonly missing: number;
}

/** One fitted column. */
export type FittedColumn = NumericColumn | CategoricalColumn;

/** The JSON form of a fitted {@link Preprocessing} (what `preprocessing.json` holds). */
export interface PreprocessingJson {
  readonly format: 'cellfit-preprocessing';
  readonly version: 1;
  readonly features: readonly string[];
  readonly columns: readonly FittedColumn[];
  /** How many rows it was fitted on, and a digest of their feature values. */
  readonly fittedOn: { readonly rows: number; readonly digest: string };
}

/** The file a run directory and an export hold the preprocessing in. */
export const PREPROCESSING_FILE = 'preprocessing.json';

const PREPROCESS_KEYS = { features: true, categorical: true, impute: true, scale: true, encode: true } as const satisfies OptionKeys<PreprocessOptions>;

/**
 * Fits preprocessing on `train` — the training part of a split, never the whole data, so that
 * no statistic of the validation or test rows leaks into training — and returns it, ready for
 * `train(model, parts, { features, label, preprocess })`. `width` is the model's input width.
 *
 * @example
 * const parts = split(loans, { train: 0.7, validation: 0.15, test: 0.15, seed: 1, stratify: 'defaulted' });
 * const features = ['income', 'age', 'purpose'];
 * const prep = preprocess(parts.train, { features, impute: 'median', encode: 'onehot' });
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: 'relu', inputShape: [prep.width] }), ...] });
 * const run = await train(model, parts, { features, label: 'defaulted', preprocess: prep, epochs: 20 });
 * run.predict([{ income: 52000, age: null, purpose: 'car' }]);   // raw rows in, predictions out
 */
export function preprocess<T extends Tabular, const C extends ColumnName<T>>(train: T, options: PreprocessOptions<C>): Preprocessing {
  if (typeof options !== 'object' || options === null) fail(WHERE, `options must be an object such as { features: ['age', 'city'] }. Received: ${formatValue(options)}.`);
  checkKeys(WHERE, options, PREPROCESS_KEYS);
  const { features, categorical, impute = 'median', scale = 'standard', encode = 'onehot' } = options;
  if (!Array.isArray(features) || features.length === 0 || features.some((name) => typeof name !== 'string')) {
    fail(WHERE, `\`features\` must be a non-empty list of column names. Received: features=${formatValue(features)}.`);
  }
  if (new Set(features).size !== features.length) fail(WHERE, `\`features\` names a column twice. Received: features=${formatValue(features)}.`);
  if (categorical !== undefined && (!Array.isArray(categorical) || categorical.some((name) => !features.includes(name)))) {
    fail(WHERE, `\`categorical\` must list some of the features. Received: categorical=${formatValue(categorical)}; features are ${features.join(', ')}.`);
  }
  checkChoice('impute', impute, ['median', 'mean']);
  checkChoice('scale', scale, ['standard', 'none']);
  checkChoice('encode', encode, ['onehot', 'lookup']);
  const view = viewData(train, WHERE);
  const columns = features.map((name): FittedColumn => {
    const values = view.column(name, 'features');
    const isCategorical = categorical !== undefined ? categorical.includes(name) : values.some((value) => (typeof value === 'string' && value !== '') || typeof value === 'boolean');
    return isCategorical ? fitCategorical(name, values, encode) : fitNumeric(name, values, impute, scale);
  });
  return new Preprocessing({ format: 'cellfit-preprocessing', version: 1, features: [...features], columns, fittedOn: { rows: view.size, digest: digestFeatures(view, features) } });
}

/** Fitted preprocessing; see {@link preprocess}. */
export class Preprocessing {
  /** The feature columns it reads, in order. */
  readonly features: readonly string[];
  /** Each feature column as fitted. */
  readonly columns: readonly FittedColumn[];
  /** Values per row it produces: the model's input width. */
  readonly width: number;
  /** A name per value it produces, e.g. `income`, `purpose=car`. */
  readonly outputNames: readonly string[];
  /** How many rows it was fitted on, and a digest of their feature values. */
  readonly fittedOn: { readonly rows: number; readonly digest: string };

  constructor(json: PreprocessingJson) {
    if (json?.format !== 'cellfit-preprocessing' || json.version !== 1 || !Array.isArray(json.columns)) {
      fail('Preprocessing', `this is not cellfit preprocessing (format ${formatValue(json?.format)}, version ${formatValue(json?.version)}).`);
    }
    this.features = json.features;
    this.columns = json.columns;
    this.fittedOn = json.fittedOn;
    this.outputNames = json.columns.flatMap((column) => (column.kind === 'categorical' && column.encode === 'onehot' ? column.categories.map((category: string) => `${column.name}=${category}`) : [column.name]));
    this.width = this.outputNames.length;
  }

  /** Reads the JSON form back (a `preprocessing.json` file's content). */
  static fromJSON(json: PreprocessingJson): Preprocessing {
    return new Preprocessing(json);
  }

  /** The row-major values it produces for `data` (rows, an arquero table or columns holding the features). */
  transform(data: Tabular, where = 'Preprocessing.transform()'): { readonly values: Float32Array; readonly rows: number } {
    const view = viewData(data, where);
    const values = new Float32Array(view.size * this.width);
    let offset = 0;
    for (const column of this.columns) {
      const cells = view.column(column.name, 'features');
      if (column.kind === 'numeric') {
        cells.forEach((cell, r) => (values[r * this.width + offset] = scaled(cell, column, r, where)));
        offset += 1;
      } else {
        const index = new Map(column.categories.map((category, k) => [category, k]));
        cells.forEach((cell, r) => {
          const k = isMissing(cell) ? undefined : index.get(String(cell));
          if (k === undefined) return;
          if (column.encode === 'onehot') values[r * this.width + offset + k] = 1;
          else values[r * this.width + offset] = k + 1;
        });
        offset += column.encode === 'onehot' ? column.categories.length : 1;
      }
    }
    return { values, rows: view.size };
  }

  /** {@link transform} as a `[rows, width]` tensor (the caller disposes it). */
  transformTensor(data: Tabular, where = 'Preprocessing.transform()'): tf.Tensor2D {
    const { values, rows } = this.transform(data, where);
    return tf.tensor2d(values, [rows, this.width]);
  }

  /** True when `data` holds the feature values it was fitted on (the training part). */
  fittedOnData(data: Tabular): boolean {
    const view = viewData(data, 'Preprocessing');
    return view.size === this.fittedOn.rows && digestFeatures(view, this.features) === this.fittedOn.digest;
  }

  toJSON(): PreprocessingJson {
    return { format: 'cellfit-preprocessing', version: 1, features: this.features, columns: this.columns, fittedOn: this.fittedOn };
  }

  /** sha256 of the fitted state, for run identities. */
  get fingerprint(): string {
    return createHash('sha256').update(JSON.stringify(this.toJSON())).digest('hex');
  }

  toString(): string {
    return `Preprocessing of ${this.features.length} columns into ${this.width} values, fitted on ${this.fittedOn.rows} rows`;
  }

  /** Shown in a notebook: a table of what each column became. */
  [JUPYTER_DISPLAY](): MimeBundle {
    const rows = this.columns.map((column) =>
      column.kind === 'numeric'
        ? [column.name, 'numeric', `${column.missing} missing → ${round(column.fill)}`, column.scale === 1 && column.center === 0 ? 'as is' : `(x − ${round(column.center)}) / ${round(column.scale)}`]
        : [column.name, `categorical (${column.encode})`, `${column.missing} missing → ${column.encode === 'onehot' ? 'all 0' : '0'}`, column.categories.join(', ')],
    );
    const head = ['column', 'kind', 'missing', 'becomes'];
    const html = `<table><tr>${head.map((h) => `<th style="text-align:left">${h}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((cell) => `<td style="text-align:left">${escapeHtml(cell)}</td>`).join('')}</tr>`).join('')}</table>`;
    return { 'text/plain': `${this.toString()}:\n${rows.map((row) => `  ${row.join(' | ')}`).join('\n')}`, 'text/html': html };
  }
}

/** A value that counts as missing: null, undefined, NaN or the empty string (what CSV readers give for an empty cell). */
function isMissing(value: unknown): boolean {
  return value === null || value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value));
}

/** A cell of a numeric column as a number, or undefined when missing; anything else is an error naming the row. */
function numberOrMissing(value: unknown, column: string, row: number, where: string): number | undefined {
  if (isMissing(value)) return undefined;
  const number = typeof value === 'boolean' ? Number(value) : value;
  if (typeof number !== 'number') fail(where, `numeric column ${formatValue(column)} holds ${formatValue(value)} in row ${row}. List it in \`categorical\` if it holds categories.`);
  if (!Number.isFinite(number)) fail(where, `numeric column ${formatValue(column)} holds ${number} in row ${row}. Drop or clip the row: only missing values are imputed.`);
  return number;
}

function scaled(cell: unknown, column: NumericColumn, row: number, where: string): number {
  const value = numberOrMissing(cell, column.name, row, where) ?? column.fill;
  return (value - column.center) / column.scale;
}

function fitNumeric(name: string, values: readonly unknown[], impute: ImputeStrategy, scale: ScaleStrategy): NumericColumn {
  const numbers = values.map((value, r) => numberOrMissing(value, name, r, WHERE));
  const missing = numbers.filter((value) => value === undefined).length;
  if (missing === numbers.length) fail(WHERE, `numeric column ${formatValue(name)} has no values in the training part to fit on: every one of its ${numbers.length} rows is missing.`);
  const aq = arquero();
  // arquero's ops skip missing values (null, undefined, NaN).
  const column = aq.table({ x: numbers.map((value) => value ?? null) });
  const [stats] = column.rollup({ mean: aq.op.mean('x'), median: aq.op.median('x'), sd: aq.op.stdevp('x') }).objects() as { mean: number; median: number; sd: number }[];
  const fill = impute === 'median' ? stats.median : stats.mean;
  if (scale === 'none') return { name, kind: 'numeric', fill, center: 0, scale: 1, missing };
  // Statistics after imputation, as scikit-learn's SimpleImputer → StandardScaler pipeline computes them.
  const filled = aq.table({ x: numbers.map((value) => value ?? fill) });
  const [after] = filled.rollup({ mean: aq.op.mean('x'), sd: aq.op.stdevp('x') }).objects() as { mean: number; sd: number }[];
  return { name, kind: 'numeric', fill, center: after.mean, scale: after.sd > 0 ? after.sd : 1, missing };
}

function fitCategorical(name: string, values: readonly unknown[], encode: EncodeStrategy): CategoricalColumn {
  const missing = values.filter(isMissing).length;
  const present = arquero().table({ c: values.filter((value) => !isMissing(value)).map(String) });
  if (present.numRows() === 0) fail(WHERE, `categorical column ${formatValue(name)} has no values in the training part to fit on: every one of its ${values.length} rows is missing.`);
  const categories = present.groupby('c').count().orderby('c').array('c') as string[];
  return { name, kind: 'categorical', encode, categories: Array.from(categories), missing };
}

function digestFeatures(view: DataView, features: readonly string[]): string {
  const hash = createHash('sha256');
  for (const name of features) hash.update(JSON.stringify(view.column(name, 'features').map((value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value))));
  return hash.digest('hex');
}

function checkChoice(option: string, value: unknown, choices: readonly string[]): void {
  if (!choices.includes(value as string)) fail(WHERE, `\`${option}\` must be ${choices.map((choice) => `'${choice}'`).join(' or ')}. Received: ${option}=${formatValue(value)}.`);
}

function round(value: number): string {
  return String(Number(value.toPrecision(4)));
}
