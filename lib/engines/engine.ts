/**
 * The seam between the training loop and what runs its steps. The loop (lib/train/loop.ts) owns
 * the run's progress — position, seeded data order, losses so far, history, stopping, checkpoints —
 * and hands each mini-batch to an `Engine`, which owns the weights and optimizer state while
 * training and puts them back into the tf.js model when training ends.
 *
 * Two engines implement it: `tfjs` runs the model's own training function (any model tf.js can
 * train), `fused` runs whole steps of dense networks inside one WebAssembly memory. Both read and
 * write the same snapshots (lib/checkpoint/snapshot.ts), so checkpoints have one format and a run
 * saved by one engine continues on the other.
 */
import type { tf } from '../backend';
import type { OptimizerSnapshot, WeightsSnapshot } from '../checkpoint/snapshot';
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
  /** A copy of the model's weights as they are now (all of `model.weights`, in order). */
  weights(): WeightsSnapshot;
  /** Replaces the weights (shapes checked; `source` names them in errors). */
  setWeights(snapshot: WeightsSnapshot, source: string): void;
  /** A copy of the optimizer's full state as it is now. */
  optimizerState(): OptimizerSnapshot;
  /** Replaces the optimizer's state (same class; `source` names it in errors). */
  setOptimizerState(snapshot: OptimizerSnapshot, source: string): void;
  /** Makes the tf.js model hold the engine's current weights (for callbacks that read it). */
  syncModel(): void;
  /** Ends training: the model and its optimizer get the engine's state; what the engine holds is freed. */
  close(): void;
}
