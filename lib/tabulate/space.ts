/**
 * `tabulateInputSpace()`: every possible input of a system, as the cartesian product of exact axes,
 * labelled by an exact model of it — the training set of the "useful overfitting" pattern, where
 * there is no unseen data and the proof of a model is its error over the whole space.
 */
import { inspect } from 'node:util';
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { ready, tf } from '../backend';
import { fail, formatValue } from '../errors';
import { rowPredictor } from '../engines/fused/predict';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { escapeHtml } from '../util/html';
import { Axis, ListAxis, RangeAxis, type AxisSpec, type CategoricalEncoding, type FillMode } from './axis';

/** A point of the space: one value per axis, by axis name. */
export type Point = Record<string, number | string>;

/**
 * The type of an axis's values: `number` for a range or a list of numbers; for a list of strings,
 * the union of its strings (`['water', 'glycol']` → `'water' | 'glycol'`).
 */
export type AxisValue<S> = S extends readonly string[] ? S[number] : number;

/**
 * The point type of axes `A`, as {@link tabulateInputSpace} infers it:
 * `{ temperature: { min: 60, max: 80, step: 0.01 }, fluid: ['water', 'glycol'] }` gives
 * `{ temperature: number; fluid: 'water' | 'glycol' }`. Axes given as a Map give {@link Point}.
 */
export type PointOf<A> = A extends ReadonlyMap<string, AxisSpec>
  ? Point
  : A extends readonly (readonly [string, AxisSpec])[]
    ? { -readonly [E in A[number] as E[0]]: AxisValue<E[1]> }
    : { -readonly [K in keyof A & string]: AxisValue<A[K]> };

/** The exact label of a point: one number, or several for a multi-output model. */
export type Label = number | readonly number[];

/** The axes of a space, in order (the last varies fastest): an object, a Map or `[name, spec]` pairs. */
export type Axes = Readonly<Record<string, AxisSpec>> | ReadonlyMap<string, AxisSpec> | readonly (readonly [string, AxisSpec])[];

/** Options of {@link tabulateInputSpace}; `P` is the point type its axes give (see {@link PointOf}). */
export interface TabulateOptions<P extends Point = Point> {
  /** The exact label of a point, e.g. a physical model (sync or async). Defaults to none. */
  label?(point: P): Label | Promise<Label>;
  /**
   * A fast, vectorised labeller: receives `count` points as a row-major Float32Array with one
   * column per axis (numbers as they are, string axes as the index of their value) and returns the
   * labels row-major, `count × labelCount` values. Used instead of `label` when both are given.
   * Defaults to none.
   */
  readonly labelBatch?: (xs: Float32Array, count: number) => ArrayLike<number> | Promise<ArrayLike<number>>;
  /** Name(s) of the label column(s) in tables. Defaults to `'label'` (`label_0`, `label_1`, ... for several). */
  readonly labels?: string | readonly string[];
  /**
   * How string axes are fed to the model: `'onehot'` (one 0/1 column per value; the default, since
   * categories have no order) or `'index'` (the value's position as one number). Defaults to 'onehot'.
   */
  readonly categorical?: CategoricalEncoding;
  /**
   * Scale numeric axes to [-1, 1] in the model input (labels and tables keep the true values).
   * Networks fit well-scaled inputs far faster; use `space.encode(points)` to feed new points the
   * same way. Defaults to false.
   */
  readonly normalize?: boolean;
}

/** What {@link InputSpace.axis} tells about an axis. */
export interface AxisInfo {
  readonly name: string;
  /** Number of values. */
  readonly length: number;
  /** True for numbers (a range or a numeric list), false for string categories. */
  readonly numeric: boolean;
  /** The k-th value. */
  value(k: number): number | string;
}

/** One streamed batch: `xs` (features) and `ys` (labels) are valid until the next batch is requested. */
export interface SpaceBatch {
  readonly xs: tf.Tensor2D;
  readonly ys?: tf.Tensor2D;
  /** Index of the first point of the batch in the space. */
  readonly start: number;
  readonly count: number;
}

/** Options of {@link InputSpace.batches}. */
export interface BatchOptions {
  /** Compute labels (when the space has a labeller). Defaults to true. */
  readonly labels?: boolean;
  /** First point index to stream. Defaults to 0. */
  readonly start?: number;
  /** Index one past the last point to stream. Defaults to `size`. */
  readonly end?: number;
}

/** A point where the model is furthest from the label. */
export interface WorstPoint<P extends Point = Point> {
  readonly index: number;
  readonly point: P;
  readonly label: number[];
  readonly prediction: number[];
  /** The largest absolute error over the label's outputs. */
  readonly absError: number;
}

/** The error of a model over the whole space. */
export interface SpaceEvaluation<P extends Point = Point> {
  readonly points: number;
  readonly maxAbsError: number;
  readonly meanAbsError: number;
  readonly rmse: number;
  /** The points with the largest errors, worst first. */
  readonly worst: readonly WorstPoint<P>[];
}

/** Anything that predicts from a feature tensor, e.g. a tfjs LayersModel. */
export interface Predictor {
  predict(xs: tf.Tensor): tf.Tensor | tf.Tensor[];
}

const WHERE = 'tabulateInputSpace()';

/**
 * Tabulates every possible input: the cartesian product of the axes (the last axis varies
 * fastest), each numeric axis exact (`60..80` by `0.01` is exactly 2001 values, 60.01 not
 * 60.010000000000005), optionally labelled by an exact model.
 *
 * The type of a point follows from the axes ({@link PointOf}): ranges and lists of numbers give
 * `number` fields, lists of strings the union of their strings — in `label`, `at()`, `indexOf()`,
 * `encode()` and the worst points of `evaluate()`.
 *
 * @example
 * const space = tabulateInputSpace(
 *   { temperature: { min: 60, max: 80, step: 0.01 }, fluid: ['water', 'glycol'] },
 *   { label: ({ temperature, fluid }) => viscosity(temperature, fluid), normalize: true },
 * );
 * space.size;            // 4002
 * space.at(1);           // { temperature: 60, fluid: 'glycol' }
 * await space.evaluate(model);   // { maxAbsError, meanAbsError, rmse, worst }
 */
export function tabulateInputSpace<const A extends Axes>(axes: A, options: TabulateOptions<PointOf<A>> = {}): InputSpace<PointOf<A>> {
  return new InputSpace(axes, options);
}

/**
 * Every input of a system, streamed in batches; see {@link tabulateInputSpace}. `P` is the type
 * of its points.
 */
export class InputSpace<P extends Point = Point> {
  /** Exact number of points. */
  readonly size: number;
  /** Axis names, in order. */
  readonly axes: readonly string[];
  /** Names of the model's input columns (a one-hot string axis has one per value). */
  readonly featureNames: readonly string[];
  private readonly axisList: readonly Axis[];
  /** Points that share one value of axis j: the product of the later axes' lengths. */
  private readonly strides: readonly number[];
  private readonly options: TabulateOptions<P>;
  private labelWidth?: number;

  constructor(axes: Axes, options: TabulateOptions<P> = {}) {
    checkOptions(options);
    const entries = axisEntries(axes);
    if (entries.length === 0) fail(WHERE, 'axes is empty. Give at least one axis, e.g. { temperature: { min: 60, max: 80, step: 0.01 } }.');
    const categorical = options.categorical ?? 'onehot';
    const normalize = options.normalize ?? false;
    const seen = new Set<string>();
    this.axisList = entries.map(([name, spec]) => {
      if (typeof name !== 'string' || name === '') fail(WHERE, `axis names must be non-empty strings. Received: ${formatValue(name)}.`);
      if (seen.has(name)) fail(WHERE, `axis name \`${name}\` appears twice. Axis names must be distinct.`);
      seen.add(name);
      if (Array.isArray(spec)) return new ListAxis(name, spec, categorical, normalize);
      if (typeof spec === 'object' && spec !== null) return new RangeAxis(name, spec as Extract<AxisSpec, { min: number }>, normalize);
      return fail(WHERE, `axis \`${name}\` must be { min, max, step } or a list of values. Received: ${name}=${formatValue(spec)}.`);
    });
    this.axes = this.axisList.map((axis) => axis.name);
    this.featureNames = this.axisList.flatMap((axis) => axis.featureNames());
    const strides: number[] = [];
    let size = 1;
    for (let j = this.axisList.length - 1; j >= 0; j--) {
      strides[j] = size;
      size *= this.axisList[j].length;
    }
    if (!Number.isSafeInteger(size)) {
      fail(WHERE, `the space has more points (${size.toExponential(3)}) than can be indexed exactly (2^53). Use coarser steps or fewer axes.`);
    }
    this.size = size;
    this.strides = strides;
    this.options = options;
    const labelNames = typeof options.labels === 'string' ? [options.labels] : options.labels;
    if (labelNames) {
      this.labelWidth = labelNames.length;
      for (const name of labelNames) {
        if (seen.has(name)) fail(WHERE, `label name \`${name}\` is also an axis name. Choose distinct \`labels\`.`);
      }
    }
  }

  /** Number of model input columns. */
  get featureCount(): number {
    return this.featureNames.length;
  }

  /** True when the space has a labeller (`label` or `labelBatch`). */
  get labelled(): boolean {
    return this.options.label !== undefined || this.options.labelBatch !== undefined;
  }

  /**
   * Number of label columns (0 without a labeller). Found from `labels` or by labelling the first
   * point; an asynchronous labeller needs `labels` to say it up front.
   */
  get labelCount(): number {
    if (!this.labelled) return 0;
    if (this.labelWidth === undefined) {
      const first = this.options.labelBatch ? this.options.labelBatch(this.rawMatrix(0, 1), 1) : this.options.label!(this.at(0));
      if (isPromise(first)) {
        fail('InputSpace.labelCount', 'the labeller is asynchronous, so the number of label columns is not known up front. Pass `labels` names to tabulateInputSpace().');
      }
      this.labelWidth = this.options.labelBatch ? (first as ArrayLike<number>).length : labelLength(first as Label);
    }
    return this.labelWidth;
  }

  /** Names of the label columns in tables. */
  get labelNames(): string[] {
    const { labels } = this.options;
    if (typeof labels === 'string') return [labels];
    if (labels) return [...labels];
    const count = this.labelCount;
    return count === 1 ? ['label'] : Array.from({ length: count }, (_, i) => `label_${i}`);
  }

  /** Read-only facts about an axis: its length, whether it is numeric, and its values by index. */
  axis(name: string): AxisInfo {
    const axis = this.axisList.find((candidate) => candidate.name === name);
    if (!axis) fail('InputSpace.axis()', `there is no axis ${formatValue(name)}. Axes: ${this.axes.join(', ')}.`);
    return axis;
  }

  /** The index of the point whose value on axis j is that axis's value number `positions[j]`. */
  indexAt(positions: readonly number[]): number {
    if (positions.length !== this.axisList.length || positions.some((k, j) => !Number.isInteger(k) || k < 0 || k >= this.axisList[j].length)) {
      fail('InputSpace.indexAt()', `positions must hold one value index per axis (${this.axes.join(', ')}), each within its axis. Received: ${formatValue(positions)}.`);
    }
    return positions.reduce((index, k, j) => index + k * this.strides[j], 0);
  }

  /**
   * The point with index `i` (0 ≤ i < size), as `{ axis: value }`.
   *
   * @example
   * space.at(0);   // { temperature: 60, fluid: 'water' }
   */
  at(i: number): P {
    this.checkIndex(i, 'at()');
    const point: Point = {};
    let rest = i;
    for (let j = this.axisList.length - 1; j >= 0; j--) {
      const axis = this.axisList[j];
      point[axis.name] = axis.value(rest % axis.length);
      rest = Math.floor(rest / axis.length);
    }
    return this.ordered(point);
  }

  /**
   * The index of `point` in the space, or -1 when one of its values is off the grid. Every axis
   * must be given; extra keys are an error.
   */
  indexOf(point: P): number {
    if (typeof point !== 'object' || point === null) fail('InputSpace.indexOf()', `point must be an object such as ${formatValue(this.at(0))}. Received: ${formatValue(point)}.`);
    for (const key of Object.keys(point)) {
      if (!this.axes.includes(key)) fail('InputSpace.indexOf()', `point has key \`${key}\`, which is not an axis. Axes: ${this.axes.join(', ')}.`);
    }
    let index = 0;
    for (const [j, axis] of this.axisList.entries()) {
      if (!(axis.name in point)) fail('InputSpace.indexOf()', `point lacks axis \`${axis.name}\`. Received: ${formatValue(point)}.`);
      const k = axis.indexOf(point[axis.name]);
      if (k < 0) return -1;
      index += k * this.strides[j];
    }
    return index;
  }

  /**
   * Streams the space in batches of `batchSize` points as tensors, in index order. Memory stays
   * flat whatever the size: each batch's tensors are disposed when the next batch is requested
   * (`tf.keep()` or clone what you want to keep).
   *
   * @example
   * for await (const { xs, ys, start, count } of space.batches(65536)) { ... }
   */
  async *batches(batchSize: number, { labels = true, start = 0, end = this.size }: BatchOptions = {}): AsyncGenerator<SpaceBatch> {
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      fail('InputSpace.batches()', `batchSize must be a positive integer. Received: batchSize=${formatValue(batchSize)}.`);
    }
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.size || start > end) {
      fail('InputSpace.batches()', `start and end must be integers with 0 ≤ start ≤ end ≤ ${this.size}. Received: start=${formatValue(start)}, end=${formatValue(end)}.`);
    }
    await ready();
    const withLabels = labels && this.labelled;
    let current: SpaceBatch | undefined;
    try {
      for (let first = start; first < end; first += batchSize) {
        const count = Math.min(batchSize, end - first);
        const ysValues = withLabels ? await this.labelRange(first, count) : undefined;
        disposeBatch(current);
        const xs = tf.tensor2d(this.featureMatrix(first, count), [count, this.featureCount]);
        const ys = ysValues ? tf.tensor2d(ysValues, [count, this.labelCount]) : undefined;
        current = { xs, ...(ys ? { ys } : {}), start: first, count };
        yield current;
      }
    } finally {
      disposeBatch(current);
    }
  }

  /**
   * Features and labels of the points at `indices` (any order), e.g. a shuffled mini-batch.
   * The caller owns (and disposes) the tensors.
   */
  async gather(indices: ArrayLike<number>): Promise<{ xs: tf.Tensor2D; ys?: tf.Tensor2D }> {
    const { features, labels } = await this.gatherRows(indices);
    await ready();
    const xs = tf.tensor2d(features, [indices.length, this.featureCount]);
    return labels ? { xs, ys: tf.tensor2d(labels, [indices.length, this.labelCount]) } : { xs };
  }

  /**
   * {@link gather} as row-major float32 arrays (`indices.length × featureCount` features and
   * `× labelCount` labels), for code that feeds its own memory rather than tensors.
   */
  async gatherRows(indices: ArrayLike<number>): Promise<{ features: Float32Array; labels?: Float32Array }> {
    for (let i = 0; i < indices.length; i++) this.checkIndex(indices[i], 'gather()');
    const features = new Float32Array(indices.length * this.featureCount);
    const raw = this.options.labelBatch ? new Float32Array(indices.length * this.axisList.length) : undefined;
    for (let i = 0; i < indices.length; i++) {
      this.writePoint(indices[i], features, i * this.featureCount, 'features');
      if (raw) this.writePoint(indices[i], raw, i * this.axisList.length, 'raw');
    }
    if (!this.labelled) return { features };
    const labels = raw ? await this.callLabelBatch(raw, indices.length) : await this.labelPoints(Array.from(indices, (i) => this.at(i)));
    return { features, labels };
  }

  /**
   * Encodes points (any values on the grid or between) the way the model sees the space: scaled
   * if `normalize`, string axes one-hot or as index.
   *
   * @example
   * model.predict(space.encode([{ temperature: 61.234, fluid: 'water' }]));
   */
  encode(points: readonly P[]): tf.Tensor2D {
    const out = new Float32Array(points.length * this.featureCount);
    points.forEach((point, i) => {
      let offset = i * this.featureCount;
      for (const axis of this.axisList) {
        const value: unknown = point?.[axis.name];
        if (value === undefined) fail('InputSpace.encode()', `point ${i} lacks axis \`${axis.name}\`. Received: ${formatValue(point)}.`);
        if (axis instanceof RangeAxis) {
          if (typeof value !== 'number' || !Number.isFinite(value)) {
            fail('InputSpace.encode()', `axis \`${axis.name}\` of point ${i} must be a finite number. Received: ${axis.name}=${formatValue(value)}.`);
          }
          out[offset] = this.options.normalize ? (axis.length > 1 ? (2 * (value - axis.min)) / (axis.value(axis.length - 1) - axis.min) - 1 : 0) : value;
        } else {
          const k = axis.indexOf(value);
          if (k < 0) fail('InputSpace.encode()', `axis \`${axis.name}\` of point ${i} is not one of its values. Received: ${axis.name}=${formatValue(value)}.`);
          axis.write(k, out, offset, 'features');
        }
        offset += axis.width('features');
      }
    });
    return tf.tensor2d(out, [points.length, this.featureCount]);
  }

  /**
   * The whole space as an arquero table: a column per axis (true values) and the label column(s).
   * Refuses spaces larger than `maxRows`, which would not fit in memory; stream those with
   * {@link batches}. The labeller must be synchronous (see {@link toTableAsync}).
   */
  toTable({ maxRows = 1_000_000 }: { maxRows?: number } = {}): ColumnTable {
    this.checkTableSize(maxRows, 'toTable()');
    const columns = this.axisColumns();
    if (this.labelled) {
      let labels: ArrayLike<number>;
      if (this.options.labelBatch) {
        const result = this.options.labelBatch(this.rawMatrix(0, this.size), this.size);
        if (isPromise(result)) fail('InputSpace.toTable()', 'labelBatch is asynchronous. Use `await space.toTableAsync()`.');
        labels = this.checkBatchLabels(result, this.size);
      } else {
        const points = Array.from({ length: this.size }, (_, i) => this.at(i));
        const values = points.map((point) => this.options.label!(point));
        if (values.some(isPromise)) fail('InputSpace.toTable()', 'label is asynchronous. Use `await space.toTableAsync()`.');
        labels = this.flattenLabels(values as Label[], points, Float64Array);
      }
      Object.assign(columns, this.labelColumns(labels));
    }
    return aq.table(columns);
  }

  /** {@link toTable} for asynchronous labellers. */
  async toTableAsync({ maxRows = 1_000_000 }: { maxRows?: number } = {}): Promise<ColumnTable> {
    this.checkTableSize(maxRows, 'toTableAsync()');
    const columns = this.axisColumns();
    if (this.labelled) Object.assign(columns, this.labelColumns(await this.labelRange(0, this.size, Float64Array)));
    return aq.table(columns);
  }

  /**
   * The error of `model` over every point of the space — the proof that a useful-overfitting model
   * reproduces the labels everywhere, not just on a sample. A chain of dense layers is run by the
   * fused engine's forward pass (no tensor per batch: 10⁸ points take seconds, in flat memory);
   * other models by their `predict`.
   *
   * @example
   * const { maxAbsError, worst } = await space.evaluate(model);
   */
  async evaluate(model: Predictor, { batchSize = 65536, worst = 5 }: { batchSize?: number; worst?: number } = {}): Promise<SpaceEvaluation<P>> {
    if (!model || typeof model.predict !== 'function') {
      fail('InputSpace.evaluate()', `model must have a predict(xs) method, like a tfjs LayersModel. Received: ${formatValue(model)}.`);
    }
    if (!this.labelled) fail('InputSpace.evaluate()', 'the space has no labels. Pass `label` or `labelBatch` to tabulateInputSpace().');
    if (!Number.isInteger(worst) || worst < 0) fail('InputSpace.evaluate()', `worst must be a non-negative integer. Received: worst=${formatValue(worst)}.`);
    const width = this.labelCount;
    const errors = new ErrorTally(width, worst);
    // A dense chain runs on the fused engine's forward pass: no tensor per batch.
    const predictor = model instanceof tf.LayersModel ? rowPredictor(model) : undefined;
    if (predictor && (predictor.inputs !== this.featureCount || predictor.outputs !== width)) {
      predictor.dispose();
      fail('InputSpace.evaluate()', `the model maps ${predictor.inputs} inputs to ${predictor.outputs} outputs but the space has ${this.featureCount} feature and ${width} label column(s).`);
    }
    try {
      if (predictor) {
        await ready();
        let predictions = new Float32Array(0);
        for (let first = 0; first < this.size; first += batchSize) {
          const count = Math.min(batchSize, this.size - first);
          const labels = await this.labelRange(first, count);
          if (predictions.length < count * width) predictions = new Float32Array(count * width);
          predictor.predict(this.featureMatrix(first, count), predictions);
          errors.addDifferences(predictions, labels, first, count);
        }
      } else {
        for await (const { xs, ys, start, count } of this.batches(batchSize)) {
          const absErrors = tf.tidy(() => {
            const prediction = model.predict(xs);
            if (Array.isArray(prediction)) fail('InputSpace.evaluate()', `the model has ${prediction.length} outputs; evaluate() compares one output with the labels.`);
            if (prediction.shape.length !== 2 || prediction.shape[1] !== width) {
              fail('InputSpace.evaluate()', `the model predicts shape [${prediction.shape.join(', ')}] but the space has ${width} label column(s). Received: prediction shape [${prediction.shape.join(', ')}].`);
            }
            return tf.abs(tf.sub(prediction, ys!));
          });
          const values = await absErrors.data();
          absErrors.dispose();
          errors.add(values, start, count);
        }
      }
    } finally {
      predictor?.dispose();
    }
    const elements = this.size * width;
    return {
      points: this.size,
      maxAbsError: errors.maxAbs,
      meanAbsError: errors.sumAbs / elements,
      rmse: Math.sqrt(errors.sumSquares / elements),
      worst: await this.describeWorst(model, errors.worst),
    };
  }

  /** A one-paragraph description for logs and `console.log`. */
  toString(): string {
    const labels = this.labelled ? `; labels: ${this.options.labels ? this.labelNames.join(', ') : 'yes'}` : '';
    return `InputSpace of ${this.size.toLocaleString('en-US')} points (${this.featureCount} feature${this.featureCount === 1 ? '' : 's'}${labels})\n  ${this.axisList.map((axis) => axis.describe()).join('\n  ')}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** How the notebook shows a space: its axes as a table. */
  [JUPYTER_DISPLAY](): MimeBundle {
    const rows = this.axisList
      .map((axis) => {
        const first = escapeHtml(String(axis.value(0)));
        const last = escapeHtml(String(axis.value(axis.length - 1)));
        const step = axis instanceof RangeAxis ? String(axis.step) : '';
        return `<tr><td>${escapeHtml(axis.name)}</td><td>${axis instanceof RangeAxis ? 'range' : 'list'}</td><td>${first}</td><td>${last}</td><td>${step}</td><td>${axis.length.toLocaleString('en-US')}</td></tr>`;
      })
      .join('');
    const html =
      `<div><strong>InputSpace</strong>: ${this.size.toLocaleString('en-US')} points, ${this.featureCount} model input column(s)` +
      `${this.labelled ? ', labelled' : ''}<table><thead><tr><th>axis</th><th>kind</th><th>first</th><th>last</th><th>step</th><th>values</th></tr></thead>` +
      `<tbody>${rows}</tbody></table></div>`;
    return { 'text/plain': this.toString(), 'text/html': html };
  }

  private ordered(point: Point): P {
    const ordered: Point = {};
    for (const name of this.axes) ordered[name] = point[name];
    return ordered as P;
  }

  private checkIndex(i: number, method: string): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      fail(`InputSpace.${method}`, `index must be an integer in [0, ${this.size}). Received: ${formatValue(i)}.`);
    }
  }

  private checkTableSize(maxRows: number, method: string): void {
    if (this.size > maxRows) {
      fail(
        `InputSpace.${method}`,
        `the space has ${this.size.toLocaleString('en-US')} points, more than maxRows=${maxRows}. Stream it with space.batches(n), or raise maxRows.`,
      );
    }
  }

  /** Writes point `index` (any order) at `out[offset...]`. */
  private writePoint(index: number, out: Float32Array, offset: number, mode: FillMode): void {
    let position = offset;
    for (const [j, axis] of this.axisList.entries()) {
      axis.write(Math.floor(index / this.strides[j]) % axis.length, out, position, mode);
      position += axis.width(mode);
    }
  }

  /** The `count` points from `start` as a row-major matrix. */
  private matrix(start: number, count: number, mode: FillMode): Float32Array {
    const widths = this.axisList.map((axis) => axis.width(mode));
    const width = widths.reduce((sum, w) => sum + w, 0);
    const out = new Float32Array(count * width);
    let column = 0;
    for (const [j, axis] of this.axisList.entries()) {
      axis.fill(out, width, column, start, count, this.strides[j], mode);
      column += widths[j];
    }
    return out;
  }

  private featureMatrix(start: number, count: number): Float32Array {
    return this.matrix(start, count, 'features');
  }

  private rawMatrix(start: number, count: number): Float32Array {
    return this.matrix(start, count, 'raw');
  }

  /** Labels of `count` consecutive points, row-major. */
  private labelRange(start: number, count: number): Promise<Float32Array>;
  private labelRange(start: number, count: number, precision: LabelArray): Promise<Float32Array | Float64Array>;
  private async labelRange(start: number, count: number, precision: LabelArray = Float32Array): Promise<Float32Array | Float64Array> {
    if (this.options.labelBatch) return this.callLabelBatch(this.rawMatrix(start, count), count);
    return this.labelPoints(Array.from({ length: count }, (_, i) => this.at(start + i)), precision);
  }

  private async callLabelBatch(raw: Float32Array, count: number): Promise<Float32Array> {
    const labels = this.checkBatchLabels(await this.options.labelBatch!(raw, count), count);
    return labels instanceof Float32Array ? labels : Float32Array.from(labels);
  }

  private checkBatchLabels(labels: ArrayLike<number>, count: number): ArrayLike<number> {
    const width = this.labelWidth ?? (labels?.length !== undefined && count > 0 ? labels.length / count : NaN);
    if (!labels || typeof labels.length !== 'number' || !Number.isInteger(width) || width < 1 || labels.length !== count * width) {
      fail(
        'InputSpace (labelBatch)',
        `labelBatch must return count × labelCount numbers, row-major. Received: ${formatValue(labels)} for count=${count}${this.labelWidth ? ` and labelCount=${this.labelWidth}` : ''}.`,
      );
    }
    this.labelWidth = width;
    for (let i = 0; i < labels.length; i++) {
      if (!Number.isFinite(labels[i])) {
        fail('InputSpace (labelBatch)', `labelBatch returned ${formatValue(labels[i])} for point ${Math.floor(i / width)} of the batch. Labels must be finite numbers.`);
      }
    }
    return labels;
  }

  private labelPoints(points: P[]): Promise<Float32Array>;
  private labelPoints(points: P[], precision: LabelArray): Promise<Float32Array | Float64Array>;
  private async labelPoints(points: P[], precision: LabelArray = Float32Array): Promise<Float32Array | Float64Array> {
    const values = points.map((point) => this.options.label!(point));
    const resolved = values.some(isPromise) ? await Promise.all(values) : (values as Label[]);
    return this.flattenLabels(resolved, points, precision);
  }

  /** Labels row-major: Float32 for tensors, Float64 for tables (which show the exact labels). */
  private flattenLabels(values: readonly Label[], points: readonly Point[], precision: LabelArray = Float32Array): Float32Array | Float64Array {
    const width = (this.labelWidth ??= values.length > 0 ? labelLength(values[0]) : 1);
    const out = new precision(values.length * width);
    values.forEach((value, i) => {
      const list = typeof value === 'number' ? [value] : value;
      if (!Array.isArray(list) && !ArrayBuffer.isView(list)) {
        fail('InputSpace (label)', `label must return a number or an array of numbers. Received: ${formatValue(value)} for point ${formatValue(points[i])}.`);
      }
      if (list.length !== width) {
        fail('InputSpace (label)', `label returned ${list.length} value(s) for point ${formatValue(points[i])} but ${width} for others. Every point needs the same number of labels.`);
      }
      for (let c = 0; c < width; c++) {
        if (!Number.isFinite(list[c])) {
          fail('InputSpace (label)', `label returned ${formatValue(list[c])} for point ${formatValue(points[i])}. Labels must be finite numbers.`);
        }
        out[i * width + c] = list[c];
      }
    });
    return out;
  }

  private axisColumns(): Record<string, unknown[] | Float64Array> {
    const columns: Record<string, unknown[] | Float64Array> = {};
    for (const [j, axis] of this.axisList.entries()) {
      const stride = this.strides[j];
      const column = axis instanceof RangeAxis || !(axis as ListAxis).categorical ? new Float64Array(this.size) : new Array<unknown>(this.size);
      for (let i = 0; i < this.size; i++) column[i] = axis.value(Math.floor(i / stride) % axis.length) as never;
      columns[axis.name] = column;
    }
    return columns;
  }

  private labelColumns(labels: ArrayLike<number>): Record<string, Float64Array> {
    const names = this.labelNames;
    const columns: Record<string, Float64Array> = {};
    names.forEach((name, c) => {
      const column = new Float64Array(this.size);
      for (let i = 0; i < this.size; i++) column[i] = labels[i * names.length + c];
      columns[name] = column;
    });
    return columns;
  }

  private async describeWorst(model: Predictor, worst: { index: number; error: number }[]): Promise<WorstPoint<P>[]> {
    if (worst.length === 0) return [];
    const { xs, ys } = await this.gather(worst.map(({ index }) => index));
    const prediction = model.predict(xs) as tf.Tensor;
    const [labels, predictions] = [(await ys!.array()) as number[][], (await prediction.array()) as number[][]];
    tf.dispose([xs, ys!, prediction]);
    return worst.map(({ index, error }, i) => ({ index, point: this.at(index), label: labels[i], prediction: predictions[i], absError: error }));
  }
}

function checkOptions(options: TabulateOptions): void {
  if (typeof options !== 'object' || options === null) fail(WHERE, `options must be an object. Received: ${formatValue(options)}.`);
  const known = ['label', 'labelBatch', 'labels', 'categorical', 'normalize'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) fail(WHERE, `unknown option \`${key}\`. Expected one of ${known.join(', ')}.`);
  }
  for (const key of ['label', 'labelBatch'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      fail(WHERE, `option \`${key}\` must be a function. Received: ${key}=${formatValue(options[key])}.`);
    }
  }
  const { labels, categorical, normalize } = options;
  const labelList = typeof labels === 'string' ? [labels] : labels;
  if (labelList !== undefined && (!Array.isArray(labelList) || labelList.length === 0 || labelList.some((name) => typeof name !== 'string' || name === ''))) {
    fail(WHERE, `option \`labels\` must be a name or a non-empty list of names. Received: labels=${formatValue(labels)}.`);
  }
  if (labelList && new Set(labelList).size !== labelList.length) fail(WHERE, `option \`labels\` repeats a name. Received: labels=${formatValue(labels)}.`);
  if (categorical !== undefined && categorical !== 'onehot' && categorical !== 'index') {
    fail(WHERE, `option \`categorical\` must be 'onehot' or 'index'. Received: categorical=${formatValue(categorical)}.`);
  }
  if (normalize !== undefined && typeof normalize !== 'boolean') fail(WHERE, `option \`normalize\` must be true or false. Received: normalize=${formatValue(normalize)}.`);
}

function axisEntries(axes: Axes): (readonly [string, AxisSpec])[] {
  if (axes instanceof Map) return [...axes.entries()];
  if (Array.isArray(axes)) {
    return axes.map((entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2) fail(WHERE, `axes given as a list must hold [name, spec] pairs. Received: axes[${i}]=${formatValue(entry)}.`);
      return entry as unknown as readonly [string, AxisSpec];
    });
  }
  if (typeof axes !== 'object' || axes === null) fail(WHERE, `axes must be an object such as { temperature: { min: 60, max: 80, step: 0.01 } }. Received: ${formatValue(axes)}.`);
  return Object.entries(axes as Record<string, AxisSpec>);
}

type LabelArray = Float32ArrayConstructor | Float64ArrayConstructor;

function labelLength(label: Label): number {
  return typeof label === 'number' ? 1 : Array.isArray(label) || ArrayBuffer.isView(label) ? label.length : 1;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | null)?.then === 'function';
}

function disposeBatch(batch: SpaceBatch | undefined): void {
  if (!batch) return;
  batch.xs.dispose();
  batch.ys?.dispose();
}

/** Keeps `list` sorted by error, worst first, at most `limit` long. */
/**
 * Sums, maximum and worst points of absolute errors, a batch at a time. A point's error is the
 * largest over its label columns; NaN (a diverged model) ranks as the worst error and sticks. One
 * tight loop per batch: a 10⁸-point evaluation spends its time in the model, not here.
 */
class ErrorTally {
  sumAbs = 0;
  sumSquares = 0;
  maxAbs = 0;
  /** The worst points, the worst first. */
  readonly worst: { index: number; error: number }[] = [];
  /** What a point's ranked error must exceed to enter `worst` (−∞ until it is full). */
  private threshold = -Infinity;

  constructor(
    private readonly width: number,
    private readonly limit: number,
  ) {
    if (limit === 0) this.threshold = Infinity;
  }

  /** |prediction − label| in float32, as tf.abs(tf.sub(...)) computes it; overwrites `predictions`. */
  addDifferences(predictions: Float32Array, labels: Float32Array, start: number, count: number): void {
    const n = count * this.width;
    for (let k = 0; k < n; k++) predictions[k] = Math.abs(predictions[k] - labels[k]);
    this.add(predictions, start, count);
  }

  /** Absolute errors of `count` points from `start` (row-major, `width` per point). */
  add(errors: ArrayLike<number>, start: number, count: number): void {
    const { width } = this;
    let { sumAbs, sumSquares, maxAbs } = this;
    for (let i = 0, k = 0; i < count; i++) {
      let pointError = 0;
      for (let c = 0; c < width; c++, k++) {
        const error = errors[k];
        sumAbs += error;
        sumSquares += error * error;
        if (error > pointError || error !== error) pointError = error;
      }
      if (pointError > maxAbs || pointError !== pointError) maxAbs = pointError;
      if (rankError(pointError) > this.threshold) this.insert(start + i, pointError);
    }
    this.sumAbs = sumAbs;
    this.sumSquares = sumSquares;
    this.maxAbs = maxAbs;
  }

  private insert(index: number, error: number): void {
    const list = this.worst;
    let position = list.length;
    while (position > 0 && rankError(list[position - 1].error) < rankError(error)) position--;
    list.splice(position, 0, { index, error });
    if (list.length > this.limit) list.pop();
    if (list.length === this.limit) this.threshold = rankError(list[list.length - 1].error);
  }
}

function rankError(error: number): number {
  return Number.isNaN(error) ? Infinity : error;
}

