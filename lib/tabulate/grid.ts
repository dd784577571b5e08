/**
 * The tabulation of a space: its axes, the mapping between a point and its index (the last axis
 * varies fastest), and the row-major matrices of points that feed the model and the labeller.
 */
import { fail, formatValue } from '../errors';
import { ListAxis, RangeAxis, type Axis, type AxisSpec, type FillMode } from './axis';
import { axisEntries, WHERE } from './options';
import type { Axes, Point, TabulateOptions } from './types';

/** The axes of a space and the index of each of its points; see the module comment. */
export class Grid {
  /** Exact number of points. */
  readonly size: number;
  readonly axisList: readonly Axis[];
  /** Axis names, in order. */
  readonly names: readonly string[];
  /** Names of the model's input columns (a one-hot string axis has one per value). */
  readonly featureNames: readonly string[];
  /** Points that share one value of axis j: the product of the later axes' lengths. */
  readonly strides: readonly number[];

  constructor(axes: Axes, options: TabulateOptions) {
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
    this.names = this.axisList.map((axis) => axis.name);
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
  }

  /** Number of model input columns. */
  get featureCount(): number {
    return this.featureNames.length;
  }

  /** The axis called `name`. */
  axis(name: string): Axis {
    const axis = this.axisList.find((candidate) => candidate.name === name);
    if (!axis) fail('InputSpace.axis()', `there is no axis ${formatValue(name)}. Axes: ${this.names.join(', ')}.`);
    return axis;
  }

  /** The index of the point whose value on axis j is that axis's value number `positions[j]`. */
  indexAt(positions: readonly number[]): number {
    if (positions.length !== this.axisList.length || positions.some((k, j) => !Number.isInteger(k) || k < 0 || k >= this.axisList[j].length)) {
      fail('InputSpace.indexAt()', `positions must hold one value index per axis (${this.names.join(', ')}), each within its axis. Received: ${formatValue(positions)}.`);
    }
    return positions.reduce((index, k, j) => index + k * this.strides[j], 0);
  }

  /** The point with index `i`, its keys in axis order. */
  at(i: number): Point {
    this.checkIndex(i, 'at()');
    const point: Point = {};
    let rest = i;
    for (let j = this.axisList.length - 1; j >= 0; j--) {
      const axis = this.axisList[j];
      point[axis.name] = axis.value(rest % axis.length);
      rest = Math.floor(rest / axis.length);
    }
    const ordered: Point = {};
    for (const name of this.names) ordered[name] = point[name];
    return ordered;
  }

  /** The index of `point`, or -1 when one of its values is off the grid. */
  indexOf(point: Point): number {
    if (typeof point !== 'object' || point === null) fail('InputSpace.indexOf()', `point must be an object such as ${formatValue(this.at(0))}. Received: ${formatValue(point)}.`);
    for (const key of Object.keys(point)) {
      if (!this.names.includes(key)) fail('InputSpace.indexOf()', `point has key \`${key}\`, which is not an axis. Axes: ${this.names.join(', ')}.`);
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

  /** Refuses an index outside the space, naming the InputSpace `method` called. */
  checkIndex(i: number, method: string): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      fail(`InputSpace.${method}`, `index must be an integer in [0, ${this.size}). Received: ${formatValue(i)}.`);
    }
  }

  /** Writes point `index` (any order) at `out[offset...]`. */
  writePoint(index: number, out: Float32Array, offset: number, mode: FillMode): void {
    let position = offset;
    for (const [j, axis] of this.axisList.entries()) {
      axis.write(Math.floor(index / this.strides[j]) % axis.length, out, position, mode);
      position += axis.width(mode);
    }
  }

  /** The `count` points from `start` as a row-major matrix. */
  matrix(start: number, count: number, mode: FillMode): Float32Array {
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

  /** The model input of the `count` points from `start`. */
  featureMatrix(start: number, count: number): Float32Array {
    return this.matrix(start, count, 'features');
  }

  /** The `count` points from `start` as `labelBatch` takes them (one column per axis). */
  rawMatrix(start: number, count: number): Float32Array {
    return this.matrix(start, count, 'raw');
  }
}
