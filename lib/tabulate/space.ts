/**
 * `tabulateInputSpace()`: every possible input of a system, as the cartesian product of exact axes,
 * labelled by an exact model of it — the training set of the "useful overfitting" pattern, where
 * there is no unseen data and the proof of a model is its error over the whole space.
 *
 * The space is its grid (./grid.ts) and its labeller (./labels.ts); streaming and gathering
 * (./batches.ts), encoding (./encode.ts), tables (./table.ts), evaluation (./evaluate.ts) and
 * display (./display.ts) each live in their own module.
 */
import { inspect } from 'node:util';
import type { ColumnTable } from 'arquero';
import type { tf } from '../backend';
import { fail } from '../errors';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { gatherRows, gatherTensors, streamBatches } from './batches';
import { describeSpace, spaceBundle } from './display';
import { encodePoints } from './encode';
import { evaluateSpace } from './evaluate';
import { Grid } from './grid';
import { Labeller } from './labels';
import { checkOptions, WHERE } from './options';
import { spaceTable, spaceTableAsync } from './table';
import type { Axes, AxisInfo, BatchOptions, EvaluateSpaceOptions, Point, PointOf, Predictor, SpaceBatch, SpaceEvaluation, TabulateOptions } from './types';

// lib/plots/space.ts imports these from here.
export type { AxisInfo, Predictor, SpaceEvaluation } from './types';

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
  private readonly grid: Grid;
  private readonly labeller: Labeller<P>;
  private readonly normalize: boolean;

  constructor(axes: Axes, options: TabulateOptions<P> = {}) {
    checkOptions(options);
    this.grid = new Grid(axes, options);
    this.size = this.grid.size;
    this.axes = this.grid.names;
    this.featureNames = this.grid.featureNames;
    this.normalize = options.normalize ?? false;
    const labelNames = typeof options.labels === 'string' ? [options.labels] : options.labels;
    for (const name of labelNames ?? []) {
      if (this.axes.includes(name)) fail(WHERE, `label name \`${name}\` is also an axis name. Choose distinct \`labels\`.`);
    }
    this.labeller = new Labeller(this.grid, options);
  }

  /** Number of model input columns. */
  get featureCount(): number {
    return this.grid.featureCount;
  }

  /** True when the space has a labeller (`label` or `labelBatch`). */
  get labelled(): boolean {
    return this.labeller.labelled;
  }

  /**
   * Number of label columns (0 without a labeller). Found from `labels` or by labelling the first
   * point; an asynchronous labeller needs `labels` to say it up front.
   */
  get labelCount(): number {
    return this.labeller.count;
  }

  /** Names of the label columns in tables. */
  get labelNames(): string[] {
    return this.labeller.names;
  }

  /** Read-only facts about an axis: its length, whether it is numeric, and its values by index. */
  axis(name: string): AxisInfo {
    return this.grid.axis(name);
  }

  /** The index of the point whose value on axis j is that axis's value number `positions[j]`. */
  indexAt(positions: readonly number[]): number {
    return this.grid.indexAt(positions);
  }

  /**
   * The point with index `i` (0 ≤ i < size), as `{ axis: value }`.
   *
   * @example
   * space.at(0);   // { temperature: 60, fluid: 'water' }
   */
  at(i: number): P {
    return this.grid.at(i) as P;
  }

  /**
   * The index of `point` in the space, or -1 when one of its values is off the grid. Every axis
   * must be given; extra keys are an error.
   */
  indexOf(point: P): number {
    return this.grid.indexOf(point);
  }

  /**
   * Streams the space in batches of `batchSize` points as tensors, in index order. Memory stays
   * flat whatever the size: each batch's tensors are disposed when the next batch is requested
   * (`tf.keep()` or clone what you want to keep).
   *
   * @example
   * for await (const { xs, ys, start, count } of space.batches(65536)) { ... }
   */
  batches(batchSize: number, options: BatchOptions = {}): AsyncGenerator<SpaceBatch> {
    return streamBatches(this.grid, this.labeller, batchSize, options);
  }

  /**
   * Features and labels of the points at `indices` (any order), e.g. a shuffled mini-batch.
   * The caller owns (and disposes) the tensors.
   */
  gather(indices: ArrayLike<number>): Promise<{ xs: tf.Tensor2D; ys?: tf.Tensor2D }> {
    return gatherTensors(this.grid, this.labeller, indices);
  }

  /**
   * {@link gather} as row-major float32 arrays (`indices.length × featureCount` features and
   * `× labelCount` labels), for code that feeds its own memory rather than tensors.
   */
  gatherRows(indices: ArrayLike<number>): Promise<{ features: Float32Array; labels?: Float32Array }> {
    return gatherRows(this.grid, this.labeller, indices);
  }

  /**
   * Encodes points (any values on the grid or between) the way the model sees the space: scaled
   * if `normalize`, string axes one-hot or as index.
   *
   * @example
   * model.predict(space.encode([{ temperature: 61.234, fluid: 'water' }]));
   */
  encode(points: readonly P[]): tf.Tensor2D {
    return encodePoints(this.grid, points, this.normalize);
  }

  /**
   * The whole space as an arquero table: a column per axis (true values) and the label column(s).
   * Refuses spaces larger than `maxRows`, which would not fit in memory; stream those with
   * {@link batches}. The labeller must be synchronous (see {@link toTableAsync}).
   */
  toTable({ maxRows = 1_000_000 }: { maxRows?: number } = {}): ColumnTable {
    return spaceTable(this.grid, this.labeller, maxRows);
  }

  /** {@link toTable} for asynchronous labellers. */
  toTableAsync({ maxRows = 1_000_000 }: { maxRows?: number } = {}): Promise<ColumnTable> {
    return spaceTableAsync(this.grid, this.labeller, maxRows);
  }

  /**
   * The error of `model` over every point of the space — the proof that a useful-overfitting model
   * reproduces the labels everywhere, not just on a sample. The engine is chosen as `train()`
   * chooses it (`engine`, default `'auto'`): a chain of dense layers is run by the fused engine's
   * forward pass (no tensor per batch: 10⁸ points take seconds, in flat memory); other models by
   * their `predict`.
   *
   * @example
   * const { maxAbsError, worst } = await space.evaluate(model);
   * await space.evaluate(model, { engine: 'tfjs', worst: 10 });
   */
  evaluate(model: Predictor, options: EvaluateSpaceOptions = {}): Promise<SpaceEvaluation<P>> {
    return evaluateSpace(this.grid, this.labeller, model, options);
  }

  /** A one-paragraph description for logs and `console.log`. */
  toString(): string {
    return describeSpace(this.grid, this.labeller);
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** How the notebook shows a space: its axes as a table. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return spaceBundle(this.grid, this.labeller);
  }
}
