/**
 * The public types of a tabulated input space: its axes and options, its points and labels, its
 * batches and the evaluation of a model over it.
 */
import type { tf } from '../backend';
import type { EngineChoice } from '../engines/engine';
import type { AxisSpec, CategoricalEncoding } from './axis';

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

/** Anything that predicts from a feature tensor, e.g. a tfjs LayersModel (what the engines' `TensorPredictor` is). */
export interface Predictor {
  predict(xs: tf.Tensor): tf.Tensor | tf.Tensor[];
}

/** The options of `InputSpace.evaluate`. */
export interface EvaluateSpaceOptions {
  /** Points predicted at a time (default 65536). */
  readonly batchSize?: number;
  /** How many of the worst points to describe (default 5). */
  readonly worst?: number;
  /** What predicts: 'fused', 'tfjs' or 'auto' (the default, or CELLFIT_ENGINE): as `train()`'s `engine` option. */
  readonly engine?: EngineChoice;
  /** Threads the fused engine splits a batch over (default CELLFIT_THREADS, else the machine's cores). */
  readonly threads?: number;
}

