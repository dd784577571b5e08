/**
 * The labels of a space: its labeller (`label` point by point, or `labelBatch` over raw matrices),
 * the number and names of its label columns, and the checks of what the labeller returns.
 */
import { fail, formatValue } from '../errors';
import type { Grid } from './grid';
import type { Label, Point, TabulateOptions } from './types';

/** Float32 labels for tensors, Float64 for tables (which show the exact labels). */
export type LabelArray = Float32ArrayConstructor | Float64ArrayConstructor;

/** Labels points of a grid with the space's labeller; see the module comment. */
export class Labeller<P extends Point = Point> {
  /** Label columns, once known (from `labels`, or from the first labels computed). */
  private width?: number;

  constructor(
    private readonly grid: Grid,
    private readonly options: TabulateOptions<P>,
  ) {
    const names = typeof options.labels === 'string' ? [options.labels] : options.labels;
    if (names) this.width = names.length;
  }

  /** True when the space has a labeller (`label` or `labelBatch`). */
  get labelled(): boolean {
    return this.options.label !== undefined || this.options.labelBatch !== undefined;
  }

  /** True when the labeller is `labelBatch`, which takes raw rows (one column per axis). */
  get batched(): boolean {
    return this.options.labelBatch !== undefined;
  }

  /** True when the label columns were named by the `labels` option. */
  get named(): boolean {
    return this.options.labels !== undefined;
  }

  /** Number of label columns (0 without a labeller), labelling the first point when `labels` does not say it. */
  get count(): number {
    if (!this.labelled) return 0;
    if (this.width === undefined) {
      const first = this.options.labelBatch ? this.options.labelBatch(this.grid.rawMatrix(0, 1), 1) : this.options.label!(this.grid.at(0) as P);
      if (isPromise(first)) {
        fail('InputSpace.labelCount', 'the labeller is asynchronous, so the number of label columns is not known up front. Pass `labels` names to tabulateInputSpace().');
      }
      this.width = this.options.labelBatch ? (first as ArrayLike<number>).length : labelLength(first as Label);
    }
    return this.width;
  }

  /** Names of the label columns in tables. */
  get names(): string[] {
    const { labels } = this.options;
    if (typeof labels === 'string') return [labels];
    if (labels) return [...labels];
    const count = this.count;
    return count === 1 ? ['label'] : Array.from({ length: count }, (_, i) => `label_${i}`);
  }

  /** Labels of `count` consecutive points, row-major. */
  range(start: number, count: number): Promise<Float32Array>;
  range(start: number, count: number, precision: LabelArray): Promise<Float32Array | Float64Array>;
  async range(start: number, count: number, precision: LabelArray = Float32Array): Promise<Float32Array | Float64Array> {
    if (this.options.labelBatch) return this.ofRawRows(this.grid.rawMatrix(start, count), count);
    return this.ofPoints(Array.from({ length: count }, (_, i) => this.grid.at(start + i) as P), precision);
  }

  /** Labels of `count` points given as `labelBatch` takes them (one column per axis), by `labelBatch`. */
  async ofRawRows(raw: Float32Array, count: number): Promise<Float32Array> {
    const labels = this.checkBatchLabels(await this.options.labelBatch!(raw, count), count);
    return labels instanceof Float32Array ? labels : Float32Array.from(labels);
  }

  /** Labels of `points`, by `label`, row-major. */
  ofPoints(points: P[]): Promise<Float32Array>;
  ofPoints(points: P[], precision: LabelArray): Promise<Float32Array | Float64Array>;
  async ofPoints(points: P[], precision: LabelArray = Float32Array): Promise<Float32Array | Float64Array> {
    const values = points.map((point) => this.options.label!(point));
    const resolved = values.some(isPromise) ? await Promise.all(values) : (values as Label[]);
    return this.flatten(resolved, points, precision);
  }

  /** Every point's labels for a table, when the labeller is synchronous (else an error pointing to `toTableAsync`). */
  all(): ArrayLike<number> {
    const size = this.grid.size;
    if (this.options.labelBatch) {
      const result = this.options.labelBatch(this.grid.rawMatrix(0, size), size);
      if (isPromise(result)) fail('InputSpace.toTable()', 'labelBatch is asynchronous. Use `await space.toTableAsync()`.');
      return this.checkBatchLabels(result, size);
    }
    const points = Array.from({ length: size }, (_, i) => this.grid.at(i) as P);
    const values = points.map((point) => this.options.label!(point));
    if (values.some(isPromise)) fail('InputSpace.toTable()', 'label is asynchronous. Use `await space.toTableAsync()`.');
    return this.flatten(values as Label[], points, Float64Array);
  }

  private checkBatchLabels(labels: ArrayLike<number>, count: number): ArrayLike<number> {
    const width = this.width ?? (labels?.length !== undefined && count > 0 ? labels.length / count : NaN);
    if (!labels || typeof labels.length !== 'number' || !Number.isInteger(width) || width < 1 || labels.length !== count * width) {
      fail(
        'InputSpace (labelBatch)',
        `labelBatch must return count × labelCount numbers, row-major. Received: ${formatValue(labels)} for count=${count}${this.width ? ` and labelCount=${this.width}` : ''}.`,
      );
    }
    this.width = width;
    for (let i = 0; i < labels.length; i++) {
      if (!Number.isFinite(labels[i])) {
        fail('InputSpace (labelBatch)', `labelBatch returned ${formatValue(labels[i])} for point ${Math.floor(i / width)} of the batch. Labels must be finite numbers.`);
      }
    }
    return labels;
  }

  /** Labels row-major in `precision`, each point's checked against the others'. */
  private flatten(values: readonly Label[], points: readonly Point[], precision: LabelArray = Float32Array): Float32Array | Float64Array {
    const width = (this.width ??= values.length > 0 ? labelLength(values[0]) : 1);
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
}

function labelLength(label: Label): number {
  return typeof label === 'number' ? 1 : Array.isArray(label) || ArrayBuffer.isView(label) ? label.length : 1;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | null)?.then === 'function';
}
