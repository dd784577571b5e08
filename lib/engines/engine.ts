/**
 * The seams between the toolkit and what computes with a model.
 *
 * Training: the loop (lib/train/loop.ts) owns the run's progress — position, seeded data order,
 * losses so far, history, stopping, checkpoints — and hands each mini-batch to an `Engine`, which
 * owns the weights and optimizer state while training and puts them back into the tf.js model when
 * training ends. Validation after each epoch runs on that engine too.
 *
 * Outside training: a `ModelEvaluator` (loss and metrics over a dataset, for `run.evaluate()`) and
 * a `RowPredictor` (outputs for rows of features, for `space.evaluate()`), chosen by the same
 * selection as the training engine (./select.ts).
 *
 * Two engines implement them: `tfjs` runs the model's own functions (any model tf.js can run),
 * `fused` runs dense networks inside one WebAssembly memory. Both read and write the same
 * snapshots (lib/checkpoint/snapshot.ts), so checkpoints have one format and a run saved by one
 * engine continues on the other.
 */
import type { tf } from '../backend';
import type { OptimizerSnapshot, SnapshotBuffers, WeightsSnapshot } from '../checkpoint/snapshot';
import type { Rng } from '../random';
import type { Dataset } from './data';

/** The engines that can run training steps. */
export type EngineName = 'fused' | 'tfjs';

/** The `engine` option of `train()`: an engine, or `auto` — the fused one when it supports the model. */
export type EngineChoice = 'auto' | EngineName;

/** The values the `engine` option accepts. */
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'fused', 'tfjs'];

/** Which engine ran a run. */
export interface EngineInfo {
  readonly name: EngineName;
  /** Why `engine: 'auto'` did not choose the fused engine (what it does not support). */
  readonly reason?: string;
  /** Threads the fused engine splits large batches over. */
  readonly threads?: number;
}

/** What an engine is built from. */
export interface EngineSetup {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  /** The training rows; batches are drawn from them by index. */
  readonly data: Dataset;
  readonly batchSize: number;
  /** Draws dropout masks (it stands in for Math.random, from which tf.js seeds them). */
  readonly dropout: Rng;
  /** Names the caller in errors, e.g. `train()`. */
  readonly where: string;
}

/** Runs the steps of one training call; see the module comment. */
export interface Engine {
  readonly info: EngineInfo;
  /** The order of the next epoch's rows (called before its first step). */
  beginEpoch(order: Uint32Array): void;
  /** Trains batch `index` of the epoch: rows `order[index · batchSize ...]`, `rows` of them. */
  step(index: number, rows: number): void | Promise<void>;
  /** `[loss, ...metrics]` of each step since the last call, oldest first (one device read at most). */
  takeOutputs(): number[][];
  /** Frees what was gathered ahead for the epoch (at its end, an interrupt or an error). */
  endEpoch(): void;
  /** The learning rate of the following steps. */
  setLearningRate(rate: number): void;
  /** Mean loss and metrics over `data`, in `model.metricsNames` order (as `model.evaluate` gives them). */
  evaluate(data: Dataset, batchSize: number): Promise<number[]>;
  /**
   * A copy of the model's weights as they are now (all of `model.weights`, in order); in a buffer
   * of `buffers` when given and the engine can (a checkpoint's snapshot, whose buffer comes back).
   */
  weights(buffers?: SnapshotBuffers): WeightsSnapshot;
  /**
   * Whether all the weights are finite, where the engine can tell without a snapshot, faster than
   * a pass over one (the fused engine, in its memory). Checkpoints never hold non-finite weights.
   */
  weightsFinite?(): boolean;
  /** Replaces the weights (shapes checked; `source` names them in errors). */
  setWeights(snapshot: WeightsSnapshot, source: string): void;
  /** A copy of the optimizer's full state as it is now; its values in a buffer of `buffers`, as {@link weights}. */
  optimizerState(buffers?: SnapshotBuffers): OptimizerSnapshot;
  /** Replaces the optimizer's state (same class; `source` names it in errors). */
  setOptimizerState(snapshot: OptimizerSnapshot, source: string): void;
  /** Makes the tf.js model hold the engine's current weights (for callbacks that read it). */
  syncModel(): void;
  /** Ends training: the model and its optimizer get the engine's state; what the engine holds is freed. */
  close(): void;
}

/** Loss and metrics of a model as it is now, on one engine (see the module comment). */
export interface ModelEvaluator {
  readonly info: EngineInfo;
  /** Mean loss and metrics over `data`, in `model.metricsNames` order (as `model.evaluate` gives them). */
  evaluate(data: Dataset, batchSize: number): Promise<number[]>;
  /** Frees what the evaluator holds (the fused engine's copy of the weights). */
  dispose(): void;
}

/** Anything that predicts from a feature tensor, e.g. a tf.js LayersModel. */
export interface TensorPredictor {
  predict(xs: tf.Tensor): tf.Tensor | tf.Tensor[];
}

/** Outputs of a model as it is now for rows of float32 features, on one engine (see the module comment). */
export interface RowPredictor {
  readonly info: EngineInfo;
  /** Outputs of `rows` rows of features (row-major), rows × outputs, into `out` when it is given and large enough. */
  predict(features: Float32Array, rows: number, out?: Float32Array): Float32Array;
  /** Frees what the predictor holds (the fused engine's copy of the weights). */
  dispose(): void;
}

/** The widths of the rows a caller predicts, and how to name them in errors. */
export interface RowShape {
  /** Features per row. */
  readonly inputs: number;
  /** Outputs per row the caller expects. */
  readonly outputs: number;
  /** The caller's side of a mismatch, e.g. `the space has 2 feature and 1 label column(s)`. */
  readonly describe: string;
}
