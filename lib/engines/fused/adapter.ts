/**
 * The fused engine behind `train()`'s engine seam: a {@link FusedNetwork} built from the model's
 * plan, holding the weights, optimizer state and (when they fit) the training rows in its
 * WebAssembly memory while the run trains, and putting weights and optimizer state back into the
 * tf.js model when it ends.
 *
 * Dropout masks are drawn as tf.js draws them: per step and dropout layer, a seed from the run's
 * dropout generator (tf.js takes it from `Math.random`, for which that generator stands in), a
 * seedrandom Alea stream from the seed, and `floor(u + keepProb)` per element — so both engines
 * drop the same units.
 */
import seedrandom from 'seedrandom';
import type { tf } from '../../backend';
import { type OptimizerSnapshot, type SlotSpec, type SnapshotBuffers, type WeightsSnapshot } from '../../checkpoint/snapshot';
import { fail } from '../../errors';
import type { Rng } from '../../random';
import type { Dataset, Rows } from '../data';
import type { Engine, EngineInfo, EngineSetup } from '../engine';
import { captureOptimizer, restoreOptimizer, setLearningRate } from '../tfjs/optimizer';
import { applyWeights, modelWeights, trainableVariables } from '../tfjs/weights';
import { evaluateDataset } from './inference';
import { FusedNetwork, type OptimizerState } from './network';
import { networkSpecOf, trainingSpecOf, type FusedPlan } from './plan';

/**
 * Training sets up to this many float32 values (features + labels, 256 MB) are copied into the
 * engine's memory once and gathered there; larger ones are gathered batch by batch.
 */
const RESIDENT_VALUES = 2 ** 26;

/** tf.js' names for optimizer slots: `<variable>/<suffix>`, per class and slot field (tfjs-core optimizers/*.ts). */
const SLOT_SUFFIXES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Momentum: { accumulations: 'momentum' },
  Adagrad: { accumulatedGrads: 'accumulator' },
  Adadelta: { accumulatedGrads: 'accum_grad', accumulatedUpdates: 'accum_var' },
  Adam: { accumulatedFirstMoment: 'm', accumulatedSecondMoment: 'v' },
  Adamax: { accumulatedFirstMoment: 'm', accumulatedWeightedInfNorm: 'v' },
  RMSProp: { accumulatedMeanSquares: 'rms', accumulatedMoments: 'momentum', accumulatedMeanGrads: 'mg' },
};

/** See the module comment. */
export class FusedEngine implements Engine {
  readonly info: EngineInfo;
  private readonly model: tf.LayersModel;
  private readonly optimizer: tf.Optimizer;
  private readonly net: FusedNetwork;
  private readonly data: Dataset;
  private readonly batchSize: number;
  private readonly dropout: Rng;
  private readonly where: string;
  private readonly className: string;
  private readonly resident: boolean;
  private readonly masks?: { readonly layout: readonly { readonly width: number; readonly keep: number }[]; buffer: Uint8Array };
  private readonly out: Float32Array;
  private readonly evaluated = new WeakMap<Dataset, Rows>();
  private order: Uint32Array = new Uint32Array(0);
  private rate: number;
  private outputs: number[][] = [];
  private weightSpecs?: WeightsSnapshot['specs'];
  private slotSpecs?: SlotSpec[];
  private optimizerConfig?: Record<string, unknown>;

  constructor(setup: EngineSetup, plan: FusedPlan, threads: number) {
    const { model, optimizer, data, batchSize, dropout, where } = setup;
    this.model = model;
    this.optimizer = optimizer;
    this.data = data;
    this.batchSize = batchSize;
    this.dropout = dropout;
    this.where = where;
    this.className = plan.optimizer.className;
    this.net = new FusedNetwork({ ...networkSpecOf(plan), ...trainingSpecOf(plan), threads });
    this.info = { name: 'fused', threads: this.net.threads };
    try {
      this.net.setWeights(model.trainableWeights.map((weight) => weight.read().dataSync() as Float32Array));
      this.net.setOptimizerState(toFusedState(captureOptimizer(optimizer), this.net));
      this.rate = (optimizer as unknown as { learningRate: number }).learningRate;
      const rows = data.rows && data.size * (data.widths.features + data.widths.labels) <= RESIDENT_VALUES ? data.rows() : undefined;
      if (rows) this.net.setData(rows.xs, rows.ys);
      this.resident = rows !== undefined;
      const layout = this.net.maskLayout;
      if (layout.length > 0) this.masks = { layout: layout.map(({ width, rate }) => ({ width, keep: Math.fround(1 - rate) })), buffer: new Uint8Array(0) };
      this.out = new Float32Array(1 + this.net.metricNames.length);
    } catch (error) {
      this.net.dispose();
      throw error;
    }
  }

  beginEpoch(order: Uint32Array): void {
    this.order = order;
  }

  step(index: number, rows: number): void | Promise<void> {
    const start = index * this.batchSize;
    const indices = this.order.subarray(start, start + rows);
    const masks = this.masks ? this.drawMasks(rows) : undefined;
    if (this.resident) return this.record(this.net.train({ rows: indices, batchSize: rows, learningRates: this.rate, ...(masks ? { masks } : {}), out: this.out }));
    const gathered = this.data.gatherRows(Int32Array.from(indices));
    const train = ({ xs, ys }: Rows) => this.record(this.net.train({ xs, ys, batchSize: rows, learningRates: this.rate, ...(masks ? { masks } : {}), out: this.out }));
    return gathered instanceof Promise ? gathered.then(train) : train(gathered);
  }

  takeOutputs(): number[][] {
    const rows = this.outputs;
    this.outputs = [];
    return rows;
  }

  endEpoch(): void {}

  setLearningRate(rate: number): void {
    this.rate = rate;
  }

  evaluate(data: Dataset, batchSize: number): Promise<number[]> {
    return evaluateDataset(this.net, data, batchSize, this.evaluated);
  }

  weights(buffers?: SnapshotBuffers): WeightsSnapshot {
    // The specs never change while the engine lives; snapshots (one per checkpoint) share them.
    const specs = (this.weightSpecs ??= modelWeights(this.model).map((weight) => ({ name: weight.originalName, shape: [...weight.shape], dtype: 'float32' as const })));
    const flat = this.net.getFlatWeights(buffers?.take(this.net.plan.paramCount * 4));
    return { specs, data: new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength) };
  }

  weightsFinite(): boolean {
    return this.net.weightsFinite();
  }

  setWeights(snapshot: WeightsSnapshot, source: string): void {
    const { specs, data } = snapshot;
    const expected = this.net.weights;
    if (specs.length !== expected.length || specs.some((spec, i) => spec.shape.join(',') !== expected[i].shape.join(','))) {
      fail(this.where, `${source} holds weights of shapes ${specs.map((spec) => `[${spec.shape.join(', ')}]`).join(', ')} but the model's are ${expected.map((weight) => `[${weight.shape.join(', ')}]`).join(', ')}: it belongs to a different model architecture.`);
    }
    const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
    let offset = aligned.byteOffset;
    this.net.setWeights(
      expected.map((weight) => {
        const values = new Float32Array(aligned.buffer, offset, weight.size);
        offset += weight.size * 4;
        return values;
      }),
    );
  }

  optimizerState(buffers?: SnapshotBuffers): OptimizerSnapshot {
    const { iterations, scalars } = this.net.getOptimizerCounters();
    // One copy of the slot vectors; their specs follow its layout, field after field.
    const flat = this.net.getFlatSlots(buffers?.take(this.net.slotFieldNames.length * this.net.plan.paramCount * 4));
    const slots = (this.slotSpecs ??= this.slotLayout());
    return {
      meta: { className: this.className, config: (this.optimizerConfig ??= this.optimizer.getConfig() as Record<string, unknown>), iterations, learningRate: this.rate, scalars, slots },
      data: new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength),
    };
  }

  /** Where each slot vector sits in getFlatSlots(): fixed while the engine lives. */
  private slotLayout(): SlotSpec[] {
    const variables = trainableVariables(this.model);
    const suffixes = SLOT_SUFFIXES[this.className] ?? {};
    const slots: SlotSpec[] = [];
    let offset = 0;
    for (const field of this.net.slotFieldNames) {
      this.net.weights.forEach((weight, index) => {
        slots.push({ field, index, name: `${variables[index].name}/${suffixes[field]}`, shape: weight.shape, offset, length: weight.size });
        offset += weight.size * 4;
      });
    }
    return slots;
  }

  setOptimizerState(snapshot: OptimizerSnapshot, source: string): void {
    if (snapshot.meta.className !== this.className) {
      fail(this.where, `${source} holds the state of a ${snapshot.meta.className} optimizer, but the model is compiled with ${this.className}. Compile it with the optimizer it was trained with.`);
    }
    this.net.setOptimizerState(toFusedState(snapshot, this.net));
  }

  syncModel(): void {
    applyWeights(modelWeights(this.model), this.weights(), this.where, 'the fused engine');
  }

  close(): void {
    try {
      this.syncModel();
      restoreOptimizer(this.optimizer, this.optimizerState(), trainableVariables(this.model), this.where);
      setLearningRate(this.optimizer, this.rate);
    } finally {
      this.net.dispose();
    }
  }

  private record(values: Float32Array): void {
    this.outputs.push(Array.from(values));
  }

  /**
   * The keep masks of one step, as tf.js' dropout draws them (tfjs-core ops/dropout.ts,
   * rand_util.ts UniformRandom): each layer takes a seed from `Math.random` — the run's dropout
   * generator — and keeps an element when float32(u + keepProb) ≥ 1 for its uniform u.
   */
  private drawMasks(rows: number): Uint8Array {
    const masks = this.masks!;
    const size = masks.layout.reduce((sum, layer) => sum + rows * layer.width, 0);
    if (masks.buffer.length < size) masks.buffer = new Uint8Array(size);
    const buffer = masks.buffer;
    let offset = 0;
    for (const { width, keep } of masks.layout) {
      const uniform = seedrandom.alea(String(this.dropout.random()));
      const end = offset + rows * width;
      for (let i = offset; i < end; i++) buffer[i] = Math.fround(Math.fround(uniform()) + keep) >= 1 ? 1 : 0;
      offset = end;
    }
    return buffer.subarray(0, size);
  }
}

/** A snapshot in the shared format as the fused network takes it (fresh tf.js state: the network's own). */
function toFusedState(snapshot: OptimizerSnapshot, net: FusedNetwork): OptimizerState {
  const { meta, data } = snapshot;
  if (meta.slots.length === 0) {
    // tf.js creates its slots at the first step: none yet is the state before it.
    net.resetOptimizer();
    const fresh = net.getOptimizerState();
    return { ...fresh, iterations: meta.iterations, scalars: { ...fresh.scalars, ...meta.scalars } };
  }
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  const slots: Record<string, Float32Array[]> = {};
  for (const slot of meta.slots) {
    (slots[slot.field] ??= [])[slot.index] = new Float32Array(aligned.buffer, aligned.byteOffset + slot.offset, slot.length);
  }
  return { iterations: meta.iterations, scalars: meta.scalars, slots };
}
