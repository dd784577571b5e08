/**
 * `FusedNetwork`: a dense network trained, evaluated and run entirely inside one WebAssembly
 * memory — parameters, gradients, optimizer slots, activations, batches and (optionally) the whole
 * training set — by SIMD128 kernels compiled from ./assembly/. No tf.Tensor is involved.
 *
 * Results are tf.js' (same formulas and float32 constants) and, bit for bit, those of the scalar
 * reference (./reference.ts) on every machine, whatever the thread count.
 *
 * @example
 * const net = new FusedNetwork({
 *   inputs: 2,
 *   layers: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 1 }],
 *   loss: 'meanSquaredError',
 *   metrics: ['mae'],
 *   optimizer: { className: 'Adam', config: { learningRate: 1e-3 } },
 * });
 * net.setWeights(model.getWeights().map((w) => w.dataSync() as Float32Array));
 * net.setData(xs, ys);                                   // resident training set, rows × inputs
 * const order = rng.permutation(rows);                   // the epoch's order
 * const logs = net.train({ rows: order, batchSize: 32 }); // [loss, mae] per batch
 * const [loss, mae] = net.evaluate({ xs: testXs, ys: testYs });
 * const predictions = net.predict(gridXs);
 * net.dispose();
 */
import { fail, formatValue } from '../../errors';
import { checkInteger } from '../../util/options';
import { SLOT_FIELDS } from '../optimizers';
import {
  CONST_STRIDE,
  CONTROL,
  CONTROL_WORDS,
  PassRunner,
  JobKind,
  NO_BARRIER,
  Source,
  computeLayout,
  roundUp,
  runShare,
  writeLayoutParams,
  type Layout,
  type LayoutParams,
} from './passes';
import { instantiate, sharedMemory, wasmModule, type Kernels, type WasmMemory } from './kernels';
import { ReferenceKernels } from './reference';
import { PREDICTION_ONLY, planNetwork, type FusedSpec, type NetworkPlan, type NetworkSpec } from './spec';
import { WorkerPool, controlBarrier } from './threads';

/** The optimizer's complete state: tf.js' field names, one array per trainable weight. */
export interface OptimizerState {
  /** Steps taken (tf.js `iterations`). */
  readonly iterations: number;
  /** Hidden scalars as exact float32 values: Adam `accBeta1`, `accBeta2`; Adamax `iteration`, `accBeta1`. */
  readonly scalars: Readonly<Record<string, number>>;
  /** Slot field → one array per trainable weight (params order). */
  readonly slots: Readonly<Record<string, readonly Float32Array[]>>;
}

/** A trainable weight: its tf.js name and shape, in `model.trainableWeights` order. */
export interface WeightInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Rows for a pass: resident rows by index, a resident range, or rows given now. */
export type PassRows =
  | { readonly rows: Uint32Array | Int32Array | readonly number[] }
  | { readonly start: number; readonly count: number }
  | { readonly xs: Float32Array; readonly ys?: Float32Array };

/** Options of {@link FusedNetwork.train}. */
export type NetworkTrainOptions = PassRows & {
  /** Rows per step; the last step takes the rest. */
  readonly batchSize: number;
  /** One learning rate per step, or one for all. Defaults to the optimizer config's learningRate. */
  readonly learningRates?: ArrayLike<number> | number;
  /**
   * Dropout keep masks (nonzero = keep), step after step; within a step, each dropout layer in
   * model order, its batch rows × width, row-major (see {@link FusedNetwork.maskLayout}).
   * Required when the network has dropout.
   */
  readonly masks?: Uint8Array;
  /** Where [loss, ...metrics] per step go; a new array by default. */
  readonly out?: Float32Array;
};

/** Options of {@link FusedNetwork.evaluate}. */
export type EvaluateOptions = PassRows & {
  /** Defaults to 32, as model.evaluate. */
  readonly batchSize?: number;
};

const WHERE = 'FusedNetwork';

/**
 * Below this many multiply-adds in a pass (a training step, an evaluation or prediction chunk), the
 * barriers cost more than a second thread saves: measured on 2 cores, 2-64-64-1 gains 1.5× at
 * batch 256 (1.1M) and loses at batch 128 (bench/fused.bench.ts).
 */
export const THREAD_MIN_MACS = 1 << 20;

/** Activations (rows × units summed over layers) in one pass of predict(). */
const PREDICT_PASS_FLOATS = 1 << 21;

export class FusedNetwork {
  readonly plan: NetworkPlan;
  /** Threads this network may use (spec.threads, default: the machine's cores). */
  readonly threads: number;
  /** Names of the values train() reports after the loss, as tf.js reports them ('acc', 'mse', ...). */
  readonly metricNames: readonly string[];
  /** The trainable weights, in model.trainableWeights order. */
  readonly weights: readonly WeightInfo[];
  private readonly memory: WasmMemory;
  private readonly kernels: Kernels;
  private runner: PassRunner;
  private pool?: WorkerPool;
  private control: Int32Array;
  private iterations = 0;
  private scalars: Record<string, number> = {};
  private dataRows = 0;
  private disposed = false;
  private readonly spec: FusedSpec;
  /** Built by {@link FusedNetwork.forPrediction}: it has no loss or optimizer to train or evaluate with. */
  private predictsOnly = false;

  /**
   * A network that only predicts: built from the network alone, with no loss, metrics or
   * optimizer (train() and evaluate() refuse).
   *
   * @example
   * const net = FusedNetwork.forPrediction({ inputs: 2, layers: [{ type: 'dense', units: 1 }] }, { threads: 1 });
   * net.setWeights(model.trainableWeights.map((w) => w.read().dataSync() as Float32Array));
   * const predictions = net.predict(gridXs);
   */
  static forPrediction(network: NetworkSpec, options: { readonly threads?: number; readonly kernels?: 'wasm' | 'reference' } = {}): FusedNetwork {
    const net = new FusedNetwork({ inputs: network.inputs, layers: network.layers, ...PREDICTION_ONLY, threads: options.threads }, { kernels: options.kernels });
    net.predictsOnly = true;
    return net;
  }

  /**
   * @param spec The network (validated here; errors name the field and the value received).
   * @param options.kernels `'reference'` runs the scalar TypeScript reference instead of wasm, on
   *   one thread (slow: for tests that hold the two bit-identical). Defaults to 'wasm'.
   */
  constructor(spec: FusedSpec, options: { readonly kernels?: 'wasm' | 'reference' } = {}) {
    this.plan = planNetwork(spec);
    this.spec = { ...spec, threads: this.plan.threads };
    this.threads = this.plan.threads;
    this.metricNames = this.plan.metrics.map((metric) => metric.name);
    this.weights = this.plan.dense.flatMap((layer) => [
      { name: `${layer.name}/kernel`, shape: [layer.inputs, layer.units], offset: layer.kernelOffset, size: layer.inputs * layer.units },
      ...(layer.useBias ? [{ name: `${layer.name}/bias`, shape: [layer.units], offset: layer.biasOffset, size: layer.units }] : []),
    ]);
    const params: LayoutParams = { capRows: 256, maxSteps: 1, dataRows: 0, stagingRows: 0 };
    const layout = computeLayout(this.plan, params);
    const pages = Math.ceil(layout.bytes / 65536);
    if (options.kernels === 'reference') {
      this.memory = growableMemory(pages);
      this.kernels = new ReferenceKernels(this.memory);
      this.threads = 1;
    } else {
      this.memory = sharedMemory(pages);
      this.kernels = instantiate(this.memory);
    }
    this.runner = new PassRunner(this.plan, this.kernels, layout);
    this.control = new Int32Array(this.memory.buffer, 0, CONTROL_WORDS);
    writeLayoutParams(this.control, params);
    this.resetOptimizer();
    this.runner.packAll();
  }

  /** Dropout masks of one step: each dropout layer's width, in model order (rows × width bytes each). */
  get maskLayout(): readonly { readonly width: number; readonly rate: number }[] {
    return this.plan.dropouts.map(({ width, rate }) => ({ width, rate }));
  }

  // -----------------------------------------------------------------------------------------------
  // State

  /** The trainable weights' values (copies), in model.trainableWeights order. */
  getWeights(): Float32Array[] {
    const F = this.f32();
    const base = this.runner.layout.weights / 4;
    return this.weights.map((weight) => F.slice(base + weight.offset, base + weight.offset + weight.size));
  }

  /** Sets every trainable weight (same order and sizes as {@link weights}), bit for bit. */
  setWeights(values: readonly ArrayLike<number>[]): void {
    this.check();
    if (!Array.isArray(values) || values.length !== this.weights.length) {
      fail(`${WHERE}.setWeights()`, `expected ${this.weights.length} arrays (${this.weights.map((w) => w.name).join(', ')}). Received: ${formatValue(values)}.`);
    }
    values.forEach((value, i) => {
      if (value?.length !== this.weights[i].size) fail(`${WHERE}.setWeights()`, `${this.weights[i].name} has shape [${this.weights[i].shape.join(', ')}] (${this.weights[i].size} values). Received: ${formatValue(value)}.`);
    });
    const F = this.f32();
    const base = this.runner.layout.weights / 4;
    values.forEach((value, i) => F.set(value, base + this.weights[i].offset));
    this.runner.packAll();
  }

  /** Whether every weight is finite, checked where they live (a pass of the engine's kernels). */
  weightsFinite(): boolean {
    return this.kernels.allFinite(this.runner.layout.weights, this.plan.paramCount) === 1;
  }

  /**
   * Every trainable weight back to back, in {@link weights} order (the parameter vector as the
   * engine holds it): one copy, for snapshots, into `into` when given (of exactly that size).
   */
  getFlatWeights(into?: ArrayBuffer): Float32Array {
    const base = this.runner.layout.weights / 4;
    return copyOut(this.f32(), base, this.plan.paramCount, into);
  }

  /**
   * The optimizer's slot vectors back to back, field after field (tf.js' order of the fields, each
   * in {@link weights} order): one copy, for snapshots, into `into` when given (of exactly that
   * size). Scalars and iterations are in {@link getOptimizerState}.
   */
  getFlatSlots(into?: ArrayBuffer): Float32Array {
    // The layout holds the slot vectors back to back (computeLayout): one copy takes them all.
    return copyOut(this.f32(), this.runner.layout.slots[0] / 4, this.slotFields().length * this.plan.paramCount, into);
  }

  /** The optimizer's complete state, to save (tf.js field names; bit-exact values). */
  getOptimizerState(): OptimizerState {
    const F = this.f32();
    const slots: Record<string, Float32Array[]> = {};
    this.slotFields().forEach((field, s) => {
      const base = this.runner.layout.slots[s] / 4;
      slots[field] = this.weights.map((weight) => F.slice(base + weight.offset, base + weight.offset + weight.size));
    });
    return { iterations: this.iterations, scalars: { ...this.scalars }, slots };
  }

  /** Restores a state returned by {@link getOptimizerState} (or read from a checkpoint). */
  setOptimizerState(state: OptimizerState): void {
    this.check();
    const where = `${WHERE}.setOptimizerState()`;
    if (!Number.isInteger(state?.iterations) || state.iterations < 0) fail(where, `iterations must be a non-negative integer. Received: iterations=${formatValue(state?.iterations)}.`);
    const fields = this.slotFields();
    for (const field of fields) {
      const arrays = state.slots?.[field];
      if (!Array.isArray(arrays) || arrays.length !== this.weights.length) fail(where, `slots.${field} must hold ${this.weights.length} arrays. Received: ${field}=${formatValue(arrays)}.`);
      arrays.forEach((array, i) => {
        if (array?.length !== this.weights[i].size) fail(where, `slots.${field}[${i}] must hold ${this.weights[i].size} values for ${this.weights[i].name} [${this.weights[i].shape.join(', ')}]. Received: ${formatValue(array)}.`);
      });
    }
    for (const name of Object.keys(this.scalars)) {
      if (typeof state.scalars?.[name] !== 'number') fail(where, `scalars.${name} must be a number. Received: ${name}=${formatValue(state.scalars?.[name])}.`);
    }
    const F = this.f32();
    fields.forEach((field, s) => {
      const base = this.runner.layout.slots[s] / 4;
      state.slots[field].forEach((array, i) => F.set(array, base + this.weights[i].offset));
    });
    this.iterations = state.iterations;
    for (const name of Object.keys(this.scalars)) this.scalars[name] = Math.fround(state.scalars[name]);
  }

  /** Returns the optimizer to its state before the first step (tf.js' fresh slots and scalars). */
  resetOptimizer(): void {
    const { className, config } = this.plan.optimizer;
    const F = this.f32();
    const P = this.plan.paramCount;
    for (const slot of this.runner.layout.slots) F.fill(0, slot / 4, slot / 4 + P);
    if (className === 'Adagrad') F.fill(Math.fround(config.initialAccumulatorValue as number), this.runner.layout.slots[0] / 4, this.runner.layout.slots[0] / 4 + P);
    this.iterations = 0;
    this.scalars = {};
    if (className === 'Adam') this.scalars = { accBeta1: Math.fround(config.beta1 as number), accBeta2: Math.fround(config.beta2 as number) };
    if (className === 'Adamax') this.scalars = { iteration: 0, accBeta1: Math.fround(config.beta1 as number) };
  }

  /** The optimizer's slot fields (tf.js' names), in order; RMSProp has its third only when centered. */
  get slotFieldNames(): readonly string[] {
    return this.slotFields();
  }

  /** The optimizer's step count and hidden scalars (its slots are in {@link getFlatSlots}). */
  getOptimizerCounters(): Pick<OptimizerState, 'iterations' | 'scalars'> {
    return { iterations: this.iterations, scalars: { ...this.scalars } };
  }

  private slotFields(): string[] {
    const fields = [...SLOT_FIELDS[this.plan.optimizer.className]];
    if (this.plan.optimizer.className === 'RMSProp' && !this.plan.optimizer.config.centered) fields.pop();
    return fields;
  }

  // -----------------------------------------------------------------------------------------------
  // Data

  /**
   * Makes `rows` rows resident in the engine's memory (xs: rows × inputs; ys: rows × targets,
   * where targets is 1 for sparseCategoricalCrossentropy, the output width otherwise), so that
   * train/evaluate/predict gather batches inside wasm from an index list.
   */
  setData(xs: Float32Array, ys: Float32Array): void {
    this.check();
    const { inputs, targets } = this.plan;
    const where = `${WHERE}.setData()`;
    if (!(xs instanceof Float32Array) || xs.length % inputs !== 0) fail(where, `xs must be a Float32Array of rows × ${inputs} values. Received: xs=${formatValue(xs)}.`);
    const rows = xs.length / inputs;
    if (!(ys instanceof Float32Array) || ys.length !== rows * targets) fail(where, `ys must be a Float32Array of ${rows} rows × ${targets} values. Received: ys=${formatValue(ys)}.`);
    this.ensure({ dataRows: rows });
    this.dataRows = rows;
    const F = this.f32();
    F.set(xs, this.runner.layout.dataX / 4);
    F.set(ys, this.runner.layout.dataY / 4);
  }

  // -----------------------------------------------------------------------------------------------
  // Training

  /**
   * Trains ⌈rows / batchSize⌉ consecutive mini-batches, one optimizer step each, and returns each
   * step's [loss, ...metrics] as tf.js reports them per batch (loss includes regulariser penalties).
   */
  train(options: NetworkTrainOptions): Float32Array {
    this.check();
    const where = `${WHERE}.train()`;
    this.checkTrainable(where);
    const { batchSize } = options;
    checkInteger(where, 'batchSize', batchSize, 1);
    const source = this.resolveRows(options, where, true);
    const steps = Math.ceil(source.count / batchSize);
    const rates = this.rates(options.learningRates, steps, where);
    const width = 1 + this.plan.metrics.length;
    const out = options.out ?? new Float32Array(steps * width);
    if (out.length < steps * width) fail(where, `out must hold ${steps * width} values (${steps} steps × ${width}). Received: out=${formatValue(out)}.`);
    if (steps === 0) return out;
    this.ensure({ capRows: roundUp(batchSize, 4), maxSteps: steps, stagingRows: source.kind === Source.Staging ? source.count : 0 });
    const layout = this.runner.layout;
    this.writeSource(source, layout);
    this.writeMasks(options.masks, steps, batchSize, source.count, where);
    this.writeConstants(rates, steps);
    const T = this.threadsFor(batchSize);
    const c = this.control;
    c[CONTROL.kind] = JobKind.Train;
    c[CONTROL.threads] = T;
    c[CONTROL.steps] = steps;
    c[CONTROL.batchSize] = batchSize;
    c[CONTROL.rows] = source.count;
    c[CONTROL.source] = source.kind;
    c[CONTROL.start] = source.start;
    this.run(T, out);
    return out;
  }

  /**
   * Loss and metrics over rows, in batches, without dropout or updates, averaged as tf.js'
   * model.evaluate does (each batch's mean weighted by its size, in float32; no penalties).
   */
  evaluate(options: EvaluateOptions): number[] {
    this.check();
    const where = `${WHERE}.evaluate()`;
    this.checkTrainable(where);
    const batchSize = options.batchSize ?? 32;
    checkInteger(where, 'batchSize', batchSize, 1);
    const source = this.resolveRows(options, where, true);
    if (source.count === 0) fail(where, `there are no rows to evaluate. Received: 0 rows.`);
    const width = 1 + this.plan.metrics.length;
    const sums = new Array<number>(width).fill(0);
    const chunk = Math.max(1, Math.floor(Math.max(this.runner.layout.params.capRows, batchSize) / batchSize)) * batchSize;
    this.ensure({ capRows: roundUp(chunk, 4), stagingRows: source.kind === Source.Staging ? chunk : 0 });
    const layout = this.runner.layout;
    for (let first = 0; first < source.count; first += chunk) {
      const count = Math.min(chunk, source.count - first);
      this.passChunk(source, first, count, JobKind.Evaluate);
      for (let b = 0; b < count; b += batchSize) {
        const n = Math.min(batchSize, count - b);
        const values = [this.kernels.mean(layout.lossRows + b * 4, n), ...this.plan.metrics.map((_, m) => this.kernels.mean(layout.metricRows + (m * layout.params.capRows + b) * 4, n))];
        values.forEach((value, i) => (sums[i] = Math.fround(sums[i] + Math.fround(n * value))));
      }
    }
    return sums.map((sum) => Math.fround(sum / source.count));
  }

  /**
   * The network's outputs for rows (no dropout), rows × outputs into `out` (a new array by
   * default). Streams: memory stays flat however many rows are passed, chunk by chunk.
   */
  predict(rows: Float32Array | PassRows, out?: Float32Array): Float32Array {
    this.check();
    const where = `${WHERE}.predict()`;
    const source = this.resolveRows(rows instanceof Float32Array ? { xs: rows } : rows, where, false);
    const outputs = this.plan.outputs;
    const result = out ?? new Float32Array(source.count * outputs);
    if (result.length < source.count * outputs) fail(where, `out must hold ${source.count * outputs} values. Received: out=${formatValue(out)}.`);
    // Passes of ~2M activations: long enough that waking the worker threads is a small part of one.
    const activations = this.plan.dense.reduce((sum, layer) => sum + layer.units, 0);
    const chunk = Math.min(Math.max(source.count, 4), Math.max(4096, Math.min(65536, Math.floor(PREDICT_PASS_FLOATS / activations))));
    this.ensure({ capRows: roundUp(chunk, 4), stagingRows: source.kind === Source.Staging ? chunk : 0 });
    const cap = this.runner.layout.params.capRows;
    for (let first = 0; first < source.count; first += cap) {
      const count = Math.min(cap, source.count - first);
      const { out: pred, ld } = this.passChunk(source, first, count, JobKind.Predict);
      const F = this.f32();
      let from = pred / 4;
      let to = first * outputs;
      for (let r = 0; r < count; r++, from += ld) for (let j = 0; j < outputs; j++) result[to++] = F[from + j];
    }
    return result;
  }

  /** Stops the worker threads and drops the memory. The network cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
    this.pool = undefined;
  }

  // -----------------------------------------------------------------------------------------------

  private check(): void {
    if (this.disposed) fail(WHERE, 'the network was disposed.');
  }

  private checkTrainable(where: string): void {
    if (this.predictsOnly) fail(where, 'this network was built by FusedNetwork.forPrediction() and has no loss or optimizer. Build it with new FusedNetwork({ ...network, loss, optimizer }) to train or evaluate it.');
  }

  private f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  /** Threads for a pass of `rows` rows: more only when the multiply-adds per pass pay for the barriers. */
  private threadsFor(rows: number): number {
    if (this.threads === 1) return 1;
    const macs = rows * this.plan.dense.reduce((sum, layer) => sum + layer.inputs * layer.units, 0);
    if (macs < THREAD_MIN_MACS || rows < 8 * this.threads) return 1;
    return this.threads;
  }

  private run(T: number, out?: Float32Array): Float32Array | undefined {
    if (T === 1) {
      runShare(this.runner, this.control, 0, NO_BARRIER, out);
      return out;
    }
    this.pool ??= new WorkerPool(this.threads - 1, this.spec, this.memory, wasmModule());
    this.pool.start();
    try {
      runShare(this.runner, this.control, 0, controlBarrier(this.control, T), out);
    } catch (error) {
      this.pool.abort(T - 1);
      throw error;
    }
    this.pool.finish(T - 1);
    return out;
  }

  private passChunk(source: ResolvedRows, first: number, count: number, kind: JobKind): { out: number; ld: number } {
    const layout = this.runner.layout;
    if (source.kind === Source.Staging) {
      const F = this.f32();
      const { inputs, targets } = this.plan;
      F.set(source.xs!.subarray((source.first + first) * inputs, (source.first + first + count) * inputs), layout.stagingX / 4);
      if (kind === JobKind.Evaluate) F.set(source.ys!.subarray((source.first + first) * targets, (source.first + first + count) * targets), layout.stagingY / 4);
    } else if (source.kind === Source.Indices) {
      new Uint32Array(this.memory.buffer).set(source.indices!.subarray(first, first + count), layout.indices / 4);
    }
    const c = this.control;
    c[CONTROL.kind] = kind;
    const T = this.threadsFor(count);
    c[CONTROL.threads] = T;
    c[CONTROL.source] = source.kind;
    c[CONTROL.chunk] = source.kind === Source.Range ? first : 0;
    c[CONTROL.chunkRows] = count;
    c[CONTROL.start] = source.start;
    this.run(T);
    const position = layout.positions[layout.positions.length - 1];
    return { out: position.buffers[0], ld: position.ld };
  }

  private resolveRows(options: PassRows, where: string, targets: boolean): ResolvedRows {
    const o = options as Partial<{ rows: ArrayLike<number>; start: number; count: number; xs: Float32Array; ys: Float32Array }>;
    if (o.xs !== undefined) {
      const { inputs } = this.plan;
      if (!(o.xs instanceof Float32Array) || o.xs.length % inputs !== 0) fail(where, `xs must be a Float32Array of rows × ${inputs} values. Received: xs=${formatValue(o.xs)}.`);
      const count = o.xs.length / inputs;
      if (targets && (!(o.ys instanceof Float32Array) || o.ys.length !== count * this.plan.targets)) {
        fail(where, `ys must be a Float32Array of ${count} rows × ${this.plan.targets} values. Received: ys=${formatValue(o.ys)}.`);
      }
      return { kind: Source.Staging, count, start: 0, first: 0, xs: o.xs, ys: o.ys };
    }
    if (o.rows !== undefined) {
      const indices = o.rows instanceof Uint32Array ? o.rows : Uint32Array.from(o.rows as ArrayLike<number>);
      for (let i = 0; i < indices.length; i++) {
        if (indices[i] >= this.dataRows || (!(o.rows instanceof Uint32Array) && (o.rows as ArrayLike<number>)[i] !== indices[i])) {
          fail(where, `rows[${i}] is not a row of the resident data (${this.dataRows} rows; see setData()). Received: ${formatValue((o.rows as ArrayLike<number>)[i])}.`);
        }
      }
      return { kind: Source.Indices, count: indices.length, start: 0, first: 0, indices };
    }
    if (o.start !== undefined || o.count !== undefined) {
      const start = o.start ?? 0;
      const count = o.count ?? this.dataRows - start;
      if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > this.dataRows) {
        fail(where, `start and count must select resident rows (0..${this.dataRows}). Received: start=${formatValue(start)}, count=${formatValue(count)}.`);
      }
      return { kind: Source.Range, count, start, first: 0 };
    }
    return fail(where, `give the rows as { rows } (indices into setData()'s rows), { start, count } or { xs${targets ? ', ys' : ''} }. Received: ${formatValue(options)}.`);
  }

  private writeSource(source: ResolvedRows, layout: Layout): void {
    if (source.kind === Source.Indices) new Uint32Array(this.memory.buffer).set(source.indices!, layout.indices / 4);
    if (source.kind === Source.Staging) {
      const F = this.f32();
      F.set(source.xs!, layout.stagingX / 4);
      F.set(source.ys!, layout.stagingY / 4);
    }
  }

  private writeMasks(masks: Uint8Array | undefined, steps: number, batchSize: number, rows: number, where: string): void {
    const dropouts = this.plan.dropouts;
    if (dropouts.length === 0) return;
    const perRow = dropouts.reduce((sum, d) => sum + d.width, 0);
    if (!(masks instanceof Uint8Array) || masks.length !== rows * perRow) {
      fail(where, `masks must be a Uint8Array of ${rows * perRow} bytes (each step's rows × ${dropouts.map((d) => d.width).join(' + ')} dropout widths). Received: masks=${formatValue(masks)}.`);
    }
    const layout = this.runner.layout;
    const U8 = new Uint8Array(this.memory.buffer);
    const cap = layout.params.capRows;
    let read = 0;
    for (let s = 0; s < steps; s++) {
      const batch = Math.min(batchSize, rows - s * batchSize);
      let offset = layout.masks + s * layout.maskStep;
      for (const dropout of dropouts) {
        U8.set(masks.subarray(read, read + batch * dropout.width), offset);
        read += batch * dropout.width;
        offset += cap * dropout.width;
      }
    }
  }

  private rates(given: ArrayLike<number> | number | undefined, steps: number, where: string): ArrayLike<number> {
    const fallback = this.plan.optimizer.config.learningRate as number;
    const rates = given === undefined ? fallback : given;
    if (typeof rates === 'number') {
      if (!Number.isFinite(rates)) fail(where, `learningRates must be finite. Received: learningRates=${formatValue(rates)}.`);
      return new Array<number>(steps).fill(rates);
    }
    if (rates.length !== steps) fail(where, `learningRates must hold one rate per step (${steps}). Received: ${rates.length} rates.`);
    for (let s = 0; s < steps; s++) {
      if (typeof rates[s] !== 'number' || !Number.isFinite(rates[s])) fail(where, `learningRates[${s}] must be a finite number. Received: ${formatValue(rates[s])}.`);
    }
    return rates;
  }

  /** Each step's float32 optimizer constants, computed as tf.js does, advancing the hidden scalars. */
  private writeConstants(rates: ArrayLike<number>, steps: number): void {
    const f = Math.fround;
    const { className, config } = this.plan.optimizer;
    const F = this.f32();
    const eps = f((config.epsilon as number | undefined) ?? 1e-7);
    for (let s = 0; s < steps; s++) {
      const lr = rates[s];
      const c = [f(-lr), f(lr), eps, 0, 0, 0, 0, 0, 0];
      const num = (key: string) => config[key] as number;
      switch (className) {
        case 'Momentum':
          c[3] = f(num('momentum'));
          break;
        case 'Adagrad':
          c[2] = f(1e-7);
          break;
        case 'Adadelta':
          c.splice(3, 2, f(num('rho')), f(1 - num('rho')));
          break;
        case 'Adam': {
          const { accBeta1, accBeta2 } = this.scalars;
          c.splice(3, 6, f(num('beta1')), f(1 - num('beta1')), f(num('beta2')), f(1 - num('beta2')), f(1 - accBeta1), f(1 - accBeta2));
          this.scalars.accBeta1 = f(accBeta1 * f(num('beta1')));
          this.scalars.accBeta2 = f(accBeta2 * f(num('beta2')));
          break;
        }
        case 'Adamax': {
          const { iteration, accBeta1 } = this.scalars;
          const rate = f(f(-lr) / f(f(iteration * f(num('decay'))) + 1));
          c.splice(3, 4, f(num('beta1')), f(1 - num('beta1')), f(num('beta2')), f(rate / f(1 - accBeta1)));
          this.scalars.iteration = f(iteration + 1);
          this.scalars.accBeta1 = f(accBeta1 * f(num('beta1')));
          break;
        }
        case 'RMSProp':
          c.splice(3, 3, f(num('decay')), f(1 - num('decay')), f(num('momentum')));
          break;
      }
      F.set(c, this.runner.layout.consts / 4 + s * CONST_STRIDE);
      this.iterations++;
    }
  }

  /** Grows the layout (and the memory) when a call needs more rows or steps; weights and slots stay put. */
  private ensure(need: Partial<LayoutParams>): void {
    const current = this.runner.layout.params;
    const next: LayoutParams = {
      capRows: Math.max(current.capRows, need.capRows ?? 0),
      maxSteps: Math.max(current.maxSteps, need.maxSteps ?? 0),
      dataRows: need.dataRows ?? current.dataRows,
      stagingRows: Math.max(current.stagingRows, need.stagingRows ?? 0),
    };
    if (next.capRows === current.capRows && next.maxSteps === current.maxSteps && next.dataRows === current.dataRows && next.stagingRows === current.stagingRows) return;
    const old = this.runner.layout;
    const layout = computeLayout(this.plan, next);
    const pages = Math.ceil(layout.bytes / 65536) - this.memory.buffer.byteLength / 65536;
    // Keep the resident data across the move (it sits after the scratch buffers).
    const keep = need.dataRows === undefined && this.dataRows > 0 ? { x: this.f32().slice(old.dataX / 4, old.dataX / 4 + this.dataRows * this.plan.inputs), y: this.f32().slice(old.dataY / 4, old.dataY / 4 + this.dataRows * this.plan.targets) } : undefined;
    if (pages > 0) this.memory.grow(pages);
    this.runner = new PassRunner(this.plan, this.kernels, layout);
    this.runner.packAll();
    writeLayoutParams(this.control, next);
    if (keep) {
      const F = this.f32();
      F.set(keep.x, layout.dataX / 4);
      F.set(keep.y, layout.dataY / 4);
    }
  }
}

interface ResolvedRows {
  readonly kind: Source;
  readonly count: number;
  /** First resident row of a range. */
  readonly start: number;
  /** First row of `xs` to use. */
  readonly first: number;
  readonly indices?: Uint32Array;
  readonly xs?: Float32Array;
  readonly ys?: Float32Array;
}

/** An ordinary (unshared) memory for the reference kernels. */
function growableMemory(pages: number): WasmMemory {
  let buffer = new ArrayBuffer(pages * 65536);
  return {
    get buffer() {
      return buffer;
    },
    grow(more: number) {
      const old = buffer.byteLength / 65536;
      const next = new ArrayBuffer(buffer.byteLength + more * 65536);
      new Uint8Array(next).set(new Uint8Array(buffer));
      buffer = next;
      return old;
    },
  };
}

/**
 * A copy of `count` floats of `memory` from float index `start`: into `into` when given (a reused
 * buffer, already paged in), else into a new one.
 */
function copyOut(memory: Float32Array, start: number, count: number, into?: ArrayBuffer): Float32Array {
  if (!into) return memory.slice(start, start + count);
  if (into.byteLength !== count * 4) throw new RangeError(`a snapshot of ${count} floats needs a buffer of ${count * 4} bytes; received ${into.byteLength} bytes.`);
  const out = new Float32Array(into);
  out.set(memory.subarray(start, start + count));
  return out;
}
