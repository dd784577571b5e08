/**
 * One axis of a tabulated input space: an exact numeric range (`{ min, max, step }`) or a list of
 * values. Axes know their values, how to find a value's index, and how to write a run of points
 * into a row-major feature matrix — the hot loop of streaming, kept inside each class so that it
 * stays monomorphic.
 */
import { fail, formatValue } from '../errors';

/** An exact numeric range: `min + k·step` for k = 0..K, rounded to the inputs' decimals. */
export interface RangeSpec {
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

/** An axis as given to `tabulateInputSpace`: a range or a list of numbers or strings. */
export type AxisSpec = RangeSpec | readonly number[] | readonly string[];

/** How string axes reach the model: one column per value, or the value's index in one column. */
export type CategoricalEncoding = 'onehot' | 'index';

/** How values are written into a matrix. */
export type FillMode =
  /** The model input: numbers as they are (or scaled to [-1, 1]), strings one-hot or as index. */
  | 'features'
  /** One column per axis: numbers as they are, strings as their index (for `labelBatch`). */
  | 'raw';

/** Common shape of both axis kinds. */
export abstract class Axis {
  constructor(
    readonly name: string,
    readonly length: number,
  ) {}

  /** The k-th value of the axis. */
  abstract value(k: number): number | string;

  /** True when the values are numbers (a range or a list of numbers), false for categories. */
  abstract readonly numeric: boolean;

  /** The index of `value` on the axis, or -1 when it is not one of its values. */
  abstract indexOf(value: unknown): number;

  /** Names of the feature columns this axis contributes to the model input. */
  abstract featureNames(): string[];

  /** A one-line description, e.g. `temperature: 60 to 80 by 0.01 (2001 values)`. */
  abstract describe(): string;

  /** Writes the value with index `k` at `out[offset...]`. */
  abstract write(k: number, out: Float32Array, offset: number, mode: FillMode): void;

  /**
   * Writes this axis's column(s) for the `count` consecutive points starting at `start`, into the
   * row-major matrix `out` whose rows are `width` wide, at column `column`. `stride` is the number
   * of consecutive points that share one value of this axis (the product of the later axes' lengths).
   */
  fill(out: Float32Array, width: number, column: number, start: number, count: number, stride: number, mode: FillMode): void {
    let k = Math.floor(start / stride) % this.length;
    let runLeft = stride - (start % stride);
    for (let point = 0; point < count; ) {
      const run = Math.min(runLeft, count - point);
      // A run shares one value: write it once, then copy it down the run.
      const first = point * width + column;
      this.write(k, out, first, mode);
      const span = this.width(mode);
      for (let t = 1; t < run; t++) {
        const offset = first + t * width;
        for (let c = 0; c < span; c++) out[offset + c] = out[first + c];
      }
      point += run;
      runLeft = stride;
      k = k + 1 === this.length ? 0 : k + 1;
    }
  }

  /** Number of columns this axis writes in `mode`. */
  abstract width(mode: FillMode): number;
}

/** A numeric range axis. Values are computed from their index, never by accumulation. */
export class RangeAxis extends Axis {
  readonly numeric = true;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** Scaled integers: value(k) = (minUnits + k·stepUnits) / scale, exact below 2^53. */
  private readonly scale: number;
  private readonly minUnits: number;
  private readonly stepUnits: number;
  private readonly exact: boolean;
  private readonly digits: number;
  private readonly normalize: boolean;

  constructor(name: string, spec: RangeSpec, normalize: boolean) {
    const { min, max, step } = checkRange(name, spec);
    const digits = Math.max(decimals(min), decimals(max), decimals(step));
    const scale = 10 ** digits;
    const [minUnits, maxUnits, stepUnits] = [min, max, step].map((x) => Math.round(x * scale));
    const exact = digits <= 15 && [minUnits, maxUnits, maxUnits - minUnits].every((units) => Math.abs(units) <= Number.MAX_SAFE_INTEGER) && stepUnits > 0;
    const steps = exact ? Math.floor((maxUnits - minUnits) / stepUnits) : Math.floor((max - min) / step + 1e-9);
    if (!Number.isSafeInteger(steps + 1)) {
      fail('tabulateInputSpace()', `axis \`${name}\` has too many values (${steps + 1}). Received: min=${min}, max=${max}, step=${step}.`);
    }
    super(name, steps + 1);
    this.min = min;
    this.max = max;
    this.step = step;
    this.scale = scale;
    this.minUnits = minUnits;
    this.stepUnits = stepUnits;
    this.exact = exact;
    this.digits = Math.min(digits, 100);
    this.normalize = normalize;
  }

  value(k: number): number {
    if (this.exact) return (this.minUnits + k * this.stepUnits) / this.scale;
    return Number((this.min + k * this.step).toFixed(this.digits));
  }

  indexOf(value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) return -1;
    const k = Math.round((value - this.min) / this.step);
    if (k < 0 || k >= this.length) return -1;
    // A point computed by the caller's own arithmetic may be a rounding error away from the grid.
    return Math.abs(this.value(k) - value) <= this.step * 1e-6 ? k : -1;
  }

  featureNames(): string[] {
    return [this.name];
  }

  describe(): string {
    return `${this.name}: ${this.min} to ${this.value(this.length - 1)} by ${this.step} (${this.length} values)`;
  }

  width(): number {
    return 1;
  }

  write(k: number, out: Float32Array, offset: number, mode: FillMode): void {
    out[offset] = mode === 'features' && this.normalize ? this.normalized(k) : this.value(k);
  }

  override fill(out: Float32Array, width: number, column: number, start: number, count: number, stride: number, mode: FillMode): void {
    if (stride !== 1 || !this.exact) {
      super.fill(out, width, column, start, count, stride, mode);
      return;
    }
    // The fastest axis changes at every point: a tight loop with the value formula inlined.
    const { length, minUnits, stepUnits, scale } = this;
    const normalized = mode === 'features' && this.normalize;
    const spread = length > 1 ? 2 / (length - 1) : 0;
    let k = start % length;
    for (let i = 0, offset = column; i < count; i++, offset += width) {
      out[offset] = normalized ? k * spread - 1 : (minUnits + k * stepUnits) / scale;
      if (++k === length) k = 0;
    }
  }

  /** The value scaled to [-1, 1] across the axis (0 for a single-value axis). */
  private normalized(k: number): number {
    return this.length > 1 ? (2 * k) / (this.length - 1) - 1 : 0;
  }
}

/** An axis that lists its values: numbers (used as they are) or strings (categories). */
export class ListAxis extends Axis {
  readonly values: readonly (number | string)[];
  readonly categorical: boolean;
  readonly numeric: boolean;
  private readonly positions: Map<number | string, number>;
  private readonly encoding: CategoricalEncoding;
  private readonly numericFeatures?: Float32Array;
  /** Each value's encoded row, per mode: the fast path of `fill` copies from here. */
  private readonly encoded = new Map<FillMode, Float32Array>();

  constructor(name: string, values: readonly unknown[], encoding: CategoricalEncoding, normalize: boolean) {
    const checked = checkList(name, values);
    super(name, checked.length);
    this.values = checked;
    this.categorical = typeof checked[0] === 'string';
    this.numeric = !this.categorical;
    this.encoding = encoding;
    this.positions = new Map(checked.map((value, k) => [value, k]));
    if (!this.categorical) {
      const numbers = checked as number[];
      const low = Math.min(...numbers);
      const high = Math.max(...numbers);
      this.numericFeatures = Float32Array.from(numbers, (x) => (normalize ? (high > low ? (2 * (x - low)) / (high - low) - 1 : 0) : x));
    }
  }

  value(k: number): number | string {
    return this.values[k];
  }

  indexOf(value: unknown): number {
    return this.positions.get(value as number | string) ?? -1;
  }

  featureNames(): string[] {
    if (this.categorical && this.encoding === 'onehot') return this.values.map((value) => `${this.name}=${value}`);
    return [this.name];
  }

  describe(): string {
    const shown = this.values.slice(0, 6).map((value) => (typeof value === 'string' ? JSON.stringify(value) : String(value)));
    if (this.values.length > 6) shown.push('...');
    return `${this.name}: [${shown.join(', ')}] (${this.length} values${this.categorical ? `, ${this.encoding}` : ''})`;
  }

  width(mode: FillMode): number {
    return mode === 'features' && this.categorical && this.encoding === 'onehot' ? this.length : 1;
  }

  override fill(out: Float32Array, width: number, column: number, start: number, count: number, stride: number, mode: FillMode): void {
    if (stride !== 1) {
      super.fill(out, width, column, start, count, stride, mode);
      return;
    }
    // The fastest axis changes at every point: copy each point's encoded row from a table.
    const span = this.width(mode);
    const table = this.encodedTable(mode, span);
    let k = start % this.length;
    for (let i = 0, offset = column; i < count; i++, offset += width) {
      const from = k * span;
      for (let c = 0; c < span; c++) out[offset + c] = table[from + c];
      if (++k === this.length) k = 0;
    }
  }

  private encodedTable(mode: FillMode, span: number): Float32Array {
    let table = this.encoded.get(mode);
    if (!table) {
      table = new Float32Array(this.length * span);
      for (let k = 0; k < this.length; k++) this.write(k, table, k * span, mode);
      this.encoded.set(mode, table);
    }
    return table;
  }

  write(k: number, out: Float32Array, offset: number, mode: FillMode): void {
    if (mode === 'raw') {
      out[offset] = this.categorical ? k : (this.values[k] as number);
    } else if (!this.categorical) {
      out[offset] = this.numericFeatures![k];
    } else if (this.encoding === 'onehot') {
      for (let c = 0; c < this.length; c++) out[offset + c] = c === k ? 1 : 0;
    } else {
      out[offset] = k;
    }
  }
}

/** Number of decimals in the shortest representation of `x`: 0.01 → 2, 1.5e-7 → 8, 60 → 0. */
export function decimals(x: number): number {
  const [mantissa, exponent = '0'] = String(Math.abs(x)).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

const RANGE_KEYS = ['min', 'max', 'step'];

function checkRange(name: string, spec: RangeSpec): RangeSpec {
  for (const key of Object.keys(spec)) {
    if (!RANGE_KEYS.includes(key)) fail('tabulateInputSpace()', `axis \`${name}\` has unknown key \`${key}\`. A numeric axis is { min, max, step }.`);
  }
  for (const key of RANGE_KEYS) {
    const value = (spec as unknown as Record<string, unknown>)[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      fail('tabulateInputSpace()', `axis \`${name}\`: \`${key}\` must be a finite number. Received: ${key}=${formatValue(value)}.`);
    }
  }
  if (!(spec.step > 0)) {
    fail('tabulateInputSpace()', `axis \`${name}\`: \`step\` must be greater than 0. Received: step=${formatValue(spec.step)}.`);
  }
  if (spec.min > spec.max) {
    fail('tabulateInputSpace()', `axis \`${name}\`: \`min\` must not exceed \`max\`. Received: min=${spec.min}, max=${spec.max}.`);
  }
  return spec;
}

function checkList(name: string, values: readonly unknown[]): readonly (number | string)[] {
  if (values.length === 0) fail('tabulateInputSpace()', `axis \`${name}\` has an empty list of values. Give at least one value.`);
  const kind = typeof values[0];
  values.forEach((value, i) => {
    const valid = (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string';
    if (!valid) fail('tabulateInputSpace()', `axis \`${name}\`: values must be finite numbers or strings. Received: ${name}[${i}]=${formatValue(value)}.`);
    if (typeof value !== kind) {
      fail('tabulateInputSpace()', `axis \`${name}\` mixes numbers and strings. Received: ${name}[0]=${formatValue(values[0])}, ${name}[${i}]=${formatValue(value)}.`);
    }
  });
  const seen = new Map<unknown, number>();
  values.forEach((value, i) => {
    const first = seen.get(value);
    if (first !== undefined) {
      fail('tabulateInputSpace()', `axis \`${name}\` lists ${formatValue(value)} twice (at ${first} and ${i}). Axis values must be distinct.`);
    }
    seen.set(value, i);
  });
  return values as readonly (number | string)[];
}
