/**
 * The `tfjs` engine: each step runs the model's own training function (forward pass, loss with
 * regularisation penalties, gradients, optimizer update — what `model.fit` runs per batch), so it
 * trains any model tf.js can. Dropout masks come from the run's seeded generator: tf.js seeds them
 * from `Math.random`, which stands in for it during the (synchronous) step.
 *
 * Per-batch losses stay on the device until `takeOutputs()` reads them in one go, and batches are
 * gathered a chunk at a time: one gather for many batches costs far less per batch than one each.
 */
import { tf } from '../../backend';
import type { OptimizerSnapshot, SnapshotBuffers, WeightSpec, WeightsSnapshot } from '../../checkpoint/snapshot';
import { fail } from '../../errors';
import type { Rng } from '../../random';
import type { Batch, Dataset } from '../data';
import type { Engine, EngineInfo, EngineSetup } from '../engine';
import { optimizerDriver, type OptimizerDriver } from './adam';
import { evaluateWithTfjs } from './inference';
import { restoreOptimizer, setLearningRate } from './optimizer';
import { applyWeights, modelWeights, snapshotWeights, trainableVariables, weightSpecs } from './weights';

/** The model's training function: inputs and targets in, [loss, ...metrics] scalars out. */
export type TrainFunction = (data: tf.Tensor[]) => tf.Scalar[];

/**
 * Values per tensor gathered in one go, to be split into batches. wasm's slice (behind split)
 * copies its whole input each time, so the chunk stays small.
 */
const CHUNK_VALUES = 16384;
/** Marks a batch already handed out from the chunk. */
const EMPTY_BATCH = {} as Batch;

/** See the module comment. */
export class TfjsEngine implements Engine {
  readonly info: EngineInfo;
  private readonly model: tf.LayersModel;
  private readonly data: Dataset;
  private readonly batchSize: number;
  private readonly where: string;
  private readonly trainFunction: TrainFunction;
  private readonly driver: OptimizerDriver;
  private readonly randomStandIn: () => number;
  /** Batches per gathered chunk (1: a gather per batch). */
  private readonly chunkBatches: number;
  private order: Uint32Array = new Uint32Array(0);
  private batchesPerEpoch = 0;
  private pending: tf.Scalar[][] = [];
  private ahead: Batch[] = [];
  private aheadFrom = 0;
  /** The weights manifest's entries: fixed while the engine lives, so snapshots share them. */
  private specs?: readonly WeightSpec[];

  constructor({ model, optimizer, data, batchSize, dropout, where }: EngineSetup, info: EngineInfo = { name: 'tfjs' }) {
    this.info = info;
    this.model = model;
    this.data = data;
    this.batchSize = batchSize;
    this.where = where;
    this.trainFunction = trainFunctionOf(model, where);
    this.driver = optimizerDriver(optimizer);
    this.randomStandIn = randomFrom(dropout);
    const rowValues = Math.max(...[model.inputs[0].shape, model.outputs[0].shape].map((shape) => shape.slice(1).reduce<number>((product, size) => product * (size ?? 1), 1)));
    this.chunkBatches = Math.max(1, Math.min(64, Math.floor(CHUNK_VALUES / (batchSize * rowValues))));
    this.driver.attach();
  }

  beginEpoch(order: Uint32Array): void {
    this.order = order;
    this.batchesPerEpoch = Math.ceil(order.length / this.batchSize);
  }

  async step(index: number, rows: number): Promise<void> {
    const drawn = this.nextBatch(index, rows);
    const { xs, ys } = drawn instanceof Promise ? await drawn : drawn;
    const random = Math.random;
    Math.random = this.randomStandIn;
    try {
      this.pending.push(this.trainFunction([xs, ys]));
    } finally {
      Math.random = random;
      tf.dispose([xs, ys]);
    }
  }

  takeOutputs(): number[][] {
    if (this.pending.length === 0) return [];
    const width = this.pending[0].length;
    const scalars = this.pending.flat();
    const stacked = tf.stack(scalars);
    const values = stacked.dataSync();
    tf.dispose([stacked, ...scalars]);
    const rows: number[][] = [];
    for (let b = 0; b < this.pending.length; b++) rows.push(Array.from(values.subarray(b * width, (b + 1) * width)));
    this.pending = [];
    return rows;
  }

  endEpoch(): void {
    tf.dispose(this.ahead.filter((batch) => batch !== EMPTY_BATCH).flatMap((batch) => [batch.xs, batch.ys]));
    this.ahead = [];
  }

  setLearningRate(rate: number): void {
    setLearningRate(this.driver.optimizer, rate);
  }

  evaluate(data: Dataset, batchSize: number): Promise<number[]> {
    return evaluateWithTfjs(this.model, data, batchSize);
  }

  weights(buffers?: SnapshotBuffers): WeightsSnapshot {
    const weights = modelWeights(this.model);
    return snapshotWeights(weights, buffers, (this.specs ??= weightSpecs(weights)));
  }

  setWeights(snapshot: WeightsSnapshot, source: string): void {
    applyWeights(modelWeights(this.model), snapshot, this.where, source);
  }

  optimizerState(buffers?: SnapshotBuffers): OptimizerSnapshot {
    return this.driver.capture(buffers);
  }

  setOptimizerState(snapshot: OptimizerSnapshot, _source: string): void {
    // The driver may hold moments of its own: hand them back before replacing the optimizer's.
    this.driver.detach();
    restoreOptimizer(this.driver.optimizer, snapshot, trainableVariables(this.model), this.where);
    this.driver.attach();
  }

  syncModel(): void {
    // The weights live in the model's variables already.
  }

  close(): void {
    tf.dispose(this.pending.flat());
    this.pending = [];
    this.endEpoch();
    this.driver.detach();
  }

  /** Batch `index` of the epoch: drawn from a chunk gathered ahead when the data allows. */
  private nextBatch(index: number, rows: number): Batch | Promise<Batch> {
    const { data, batchSize } = this;
    if (this.ahead.length === 0 || this.aheadFrom + this.ahead.length <= index || this.aheadFrom > index) {
      this.endEpoch();
      const count = Math.min(this.chunkBatches, this.batchesPerEpoch - index);
      const sizes = Array.from({ length: count }, (_, k) => Math.min(batchSize, this.order.length - (index + k) * batchSize));
      const start = index * batchSize;
      const indices = Int32Array.from(this.order.subarray(start, start + sizes.reduce((sum, size) => sum + size, 0)));
      if (!data.batches || count === 1) return data.batch(indices.subarray(0, rows));
      this.ahead = data.batches(indices, sizes);
      this.aheadFrom = index;
    }
    const batch = this.ahead[index - this.aheadFrom];
    if (index - this.aheadFrom === this.ahead.length - 1) {
      this.ahead = [];
    } else {
      this.ahead[index - this.aheadFrom] = EMPTY_BATCH;
    }
    return batch;
  }
}

/** The model's own training step (what model.fit runs per batch). */
function trainFunctionOf(model: tf.LayersModel, where: string): TrainFunction {
  // A Sequential model trains through the functional model it wraps.
  const wrapped = (model as unknown as { model?: unknown }).model;
  const core = wrapped instanceof tf.LayersModel ? wrapped : model;
  const maker = (core as unknown as { makeTrainFunction?: () => TrainFunction }).makeTrainFunction;
  if (typeof maker !== 'function') fail(where, 'this tfjs version has no LayersModel.makeTrainFunction(); cellfit needs @tensorflow/tfjs 4.x.');
  return maker.call(core);
}

/** `Math.random`'s stand-in drawing from `rng`. */
function randomFrom(rng: Rng): () => number {
  return () => rng.random();
}
