/**
 * The fused engine's memory layout and the orchestration of its kernels: a training step, an
 * evaluation pass and a prediction pass, run by every participating thread on its share.
 *
 * A step on thread t of T: gather and forward its rows of the batch through every layer, the loss
 * and its gradient for those rows, and the data gradients (dZ) of those rows down every layer — all
 * row-local. After a barrier, for every layer, the kernel gradient of kernel rows t/T (each element a
 * sequential sum over ALL batch rows in row order, so no partial sums exist and the bits never
 * depend on T) and the optimizer update of those rows; a second barrier ends the step. Thread 0 (the
 * caller's thread) also sums the per-row losses and metrics and the regularisers' penalties, in
 * order. With T = 1 the same code runs with no-op barriers.
 */
import type { Kernels } from './kernels';
import type { DenseLayer, NetworkPlan } from './spec';

/** Words of the control block (Int32 indices) shared by the threads. */
export const CONTROL = {
  /** Incremented by the caller to start a job; workers wait on it. */
  job: 0,
  barrierCount: 1,
  barrierGen: 2,
  kind: 3,
  threads: 4,
  capRows: 5,
  maxSteps: 6,
  dataRows: 7,
  stagingRows: 8,
  steps: 9,
  batchSize: 10,
  rows: 11,
  source: 12,
  start: 13,
  /** Workers that finished the job (the caller waits for T − 1). */
  done: 14,
  /** A worker that failed stores 1 here. */
  failed: 15,
  /** The evaluation chunk the workers are on. */
  chunk: 16,
  chunkRows: 17,
} as const;
export const CONTROL_WORDS = 64;

export const enum JobKind {
  Exit = 0,
  Train = 1,
  Evaluate = 2,
  Predict = 3,
}

/** Where a pass reads its rows from. */
export const enum Source {
  /** Rows of the resident dataset listed in the index buffer. */
  Indices = 0,
  /** Rows the caller copied into the staging buffers, in order. */
  Staging = 1,
  /** A contiguous range of the resident dataset from `start`. */
  Range = 2,
}

/** What a layout depends on besides the plan. */
export interface LayoutParams {
  /** Rows one pass holds (a multiple of 4). */
  readonly capRows: number;
  /** Steps one training call may run. */
  readonly maxSteps: number;
  /** Rows of the resident dataset. */
  readonly dataRows: number;
  /** Rows of the staging buffers. */
  readonly stagingRows: number;
}

/** A place in the chain (before dense layer p, or the output for p = L) and its buffers. */
interface Position {
  readonly width: number;
  /** Row stride of every buffer but the base of position 0 (the input rows). */
  readonly ld: number;
  /** Forward buffers: the base (input rows or layer output) then one per dropout. */
  readonly buffers: number[];
  /** Gradient buffers, same indices (position 0 has none). */
  readonly grads: number[];
  readonly dropouts: readonly { readonly index: number; readonly mult: number; readonly offset: number }[];
}

interface LayerBuffers {
  readonly layer: DenseLayer;
  readonly np: number;
  /** The layer's input rows in quads of columns, and dZ in panels of 8 (the kernel gradient's operands). */
  readonly xq: number;
  readonly dzp: number;
  readonly wp: number;
  readonly wtp: number;
  readonly z: number;
  readonly a: number;
  readonly dz: number;
  readonly da: number;
  readonly w: number;
  readonly b: number;
  readonly dw: number;
  readonly db: number;
}

/** Byte offsets of every buffer. */
export interface Layout {
  readonly params: LayoutParams;
  readonly bytes: number;
  readonly control: number;
  readonly weights: number;
  readonly grads: number;
  readonly slots: readonly [number, number, number];
  readonly consts: number;
  readonly x: number;
  readonly y: number;
  readonly positions: readonly Position[];
  readonly layers: readonly LayerBuffers[];
  readonly packed: number;
  readonly ldap: number;
  readonly lossRows: number;
  readonly metricRows: number;
  readonly masks: number;
  /** Mask bytes of one step (every dropout's cap rows). */
  readonly maskStep: number;
  readonly indices: number;
  readonly dataX: number;
  readonly dataY: number;
  readonly stagingX: number;
  readonly stagingY: number;
}

/** Floats of the per-step optimizer constants. */
export const CONST_STRIDE = 16;

const align = (n: number) => Math.ceil(n / 64) * 64;
export const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** The layout of `plan` for `params`; params, gradients and slots sit first, so they never move. */
export function computeLayout(plan: NetworkPlan, params: LayoutParams): Layout {
  let offset = 0;
  // 64 bytes of slack after each buffer: vector loads may run past the last element.
  const alloc = (bytes: number) => {
    const at = offset;
    offset = align(offset + bytes + 64);
    return at;
  };
  const cap = params.capRows;
  const control = alloc(CONTROL_WORDS * 4);
  const P = plan.paramCount;
  const weights = alloc(P * 4);
  const grads = alloc(P * 4);
  // The three slot vectors back to back, with no slack between them, so that a checkpoint copies
  // them in one slice (getFlatSlots). The update kernel stores only the lanes of its range
  // (storeLanes), so a vector that runs past one slot's end only reads the next slot's start.
  const slotBlock = alloc(3 * P * 4);
  const slots: [number, number, number] = [slotBlock, slotBlock + P * 4, slotBlock + 2 * P * 4];
  const packedWeights = plan.dense.map((layer) => ({
    wp: alloc(roundUp(layer.units, 8) * layer.inputs * 4),
    wtp: layer.index > 0 ? alloc(roundUp(layer.inputs, 8) * layer.units * 4) : 0,
  }));
  const consts = alloc(params.maxSteps * CONST_STRIDE * 4);
  const x = alloc(cap * plan.inputs * 4);
  const y = alloc(cap * plan.targets * 4);
  const layers: LayerBuffers[] = [];
  const positions: Position[] = [];
  let dropoutIndex = 0;
  let maskOffset = 0;
  const L = plan.dense.length;
  for (let p = 0; p <= L; p++) {
    const width = p === 0 ? plan.inputs : plan.dense[p - 1].units;
    const ld = roundUp(width, 4);
    const rates = p < L ? plan.dense[p].dropoutsBefore : plan.dropoutsAfter;
    const buffers: number[] = [];
    const gradBuffers: number[] = [];
    if (p === 0) {
      buffers.push(x);
    } else {
      const layer = plan.dense[p - 1];
      const z = alloc(cap * ld * 4);
      const a = layer.activation === 'linear' ? z : alloc(cap * ld * 4);
      const da = alloc(cap * ld * 4);
      const dz = layer.activation === 'linear' ? da : alloc(cap * ld * 4);
      layers.push({
        layer,
        np: ld,
        xq: alloc(cap * roundUp(layer.inputs, 4) * 4),
        dzp: alloc(cap * roundUp(layer.units, 8) * 4),
        ...packedWeights[p - 1],
        z,
        a,
        dz,
        da,
        w: weights + layer.kernelOffset * 4,
        b: layer.useBias ? weights + layer.biasOffset * 4 : 0,
        dw: grads + layer.kernelOffset * 4,
        db: layer.useBias ? grads + layer.biasOffset * 4 : 0,
      });
      buffers.push(a);
      gradBuffers.push(da);
    }
    const dropouts = rates.map((rate) => {
      buffers.push(alloc(cap * ld * 4));
      if (p > 0) gradBuffers.push(alloc(cap * ld * 4));
      const entry = { index: dropoutIndex++, mult: dropoutMultiplier(rate), offset: maskOffset };
      maskOffset += cap * width;
      return entry;
    });
    positions.push({ width, ld, buffers, grads: gradBuffers, dropouts });
  }
  const maxInner = Math.max(...plan.dense.map((layer) => Math.max(layer.inputs, layer.index > 0 ? layer.units : 0)));
  const ldap = roundUp(maxInner * 4, 16);
  const packed = alloc((cap / 4) * ldap * 4);
  const lossRows = alloc(cap * 4);
  const metricRows = alloc(Math.max(1, plan.metrics.length) * cap * 4);
  const maskStep = roundUp(maskOffset, 16);
  const masks = alloc(params.maxSteps * maskStep);
  const indices = alloc(params.maxSteps * cap * 4);
  const dataX = alloc((params.dataRows + 4) * plan.inputs * 4);
  const dataY = alloc((params.dataRows + 4) * plan.targets * 4);
  const stagingX = alloc((params.stagingRows + 4) * plan.inputs * 4);
  const stagingY = alloc((params.stagingRows + 4) * plan.targets * 4);
  return {
    params,
    bytes: offset,
    control,
    weights,
    grads,
    slots,
    consts,
    x,
    y,
    positions,
    layers,
    packed,
    ldap,
    lossRows,
    metricRows,
    masks,
    maskStep,
    indices,
    dataX,
    dataY,
    stagingX,
    stagingY,
  };
}

/** tf.js dropout's multiplier for kept elements: floor(u + keepProb) / keepProb in float32. */
function dropoutMultiplier(rate: number): number {
  return Math.fround(1 / Math.fround(1 - rate));
}

/** A barrier all threads of a job pass together (a no-op for one thread). */
export interface Barrier {
  wait(): void;
}

export const NO_BARRIER: Barrier = { wait: () => undefined };

/** [start, end) of part t of T of 0..n, in multiples of `m`. */
function share(n: number, t: number, T: number, m: number): [number, number] {
  const size = roundUp(Math.ceil(n / T), m);
  const start = Math.min(t * size, n);
  return [start, Math.min(start + size, n)];
}

/** What a training call asks of the threads (the rest is in memory: indices, masks, constants). */
export interface TrainJob {
  readonly steps: number;
  readonly batchSize: number;
  /** Rows over all steps (the last batch may be short). */
  readonly rows: number;
  readonly source: Source;
  readonly start: number;
}

/** Per-step loss scale: the gradient of mean-over-batch(mean-over-units(loss)) as tf.js takes it. */
function lossScale(plan: NetworkPlan, batch: number): number {
  const inverse = Math.fround(1 / batch);
  // these sum over units rather than average
  if (plan.loss === 'categoricalCrossentropy' || plan.loss === 'sparseCategoricalCrossentropy' || plan.loss === 'kullbackLeiblerDivergence' || plan.loss === 'categoricalHinge') return inverse;
  if (plan.loss === 'meanAbsolutePercentageError') return Math.fround(Math.fround(inverse * 100) / plan.outputs);
  return Math.fround(inverse / plan.outputs);
}

/** Runs the passes (a training step, an evaluation or a prediction pass) of the kernels over one memory; every thread holds one over the same shared memory. */
export class PassRunner {
  layout: Layout;

  constructor(
    readonly plan: NetworkPlan,
    readonly kernels: Kernels,
    layout: Layout,
  ) {
    this.layout = layout;
  }

  // ---------------------------------------------------------------------------------------------
  // Forward

  /** The input rows of a pass: a pointer and its row stride, gathering into X when needed. */
  private inputRows(source: Source, first: number, r0: number, r1: number, start: number, withTargets: boolean, idx: number): { x: number; y: number; ldy: number } {
    const { kernels: k, layout, plan } = this;
    const count = Math.max(0, r1 - r0);
    if (source === Source.Indices) {
      if (count > 0) {
        const at = idx + (first + r0) * 4;
        k.gather(layout.dataX, plan.inputs, at, count, layout.x + r0 * plan.inputs * 4, plan.inputs);
        if (withTargets) k.gather(layout.dataY, plan.targets, at, count, layout.y + r0 * plan.targets * 4, plan.targets);
      }
      return { x: layout.x, y: layout.y, ldy: plan.targets };
    }
    const baseX = source === Source.Staging ? layout.stagingX : layout.dataX;
    const baseY = source === Source.Staging ? layout.stagingY : layout.dataY;
    const row = source === Source.Staging ? first : start + first;
    return { x: baseX + row * plan.inputs * 4, y: baseY + row * plan.targets * 4, ldy: plan.targets };
  }

  /**
   * Forward rows r0..r1 (multiples of 4) from input rows at `x` (stride = inputs). Training keeps
   * what the backward pass needs; with `masks` (≥ 0), dropout applies. Returns the prediction
   * buffer and its stride.
   */
  forward(x: number, r0: number, r1: number, masks: number, training: boolean): { out: number; ld: number } {
    const { kernels: k, layout, plan } = this;
    const rows = r1 - r0;
    let input = x;
    let ld = plan.inputs;
    for (let p = 0; p <= plan.dense.length; p++) {
      const position = layout.positions[p];
      if (p > 0) {
        input = position.buffers[0];
        ld = position.ld;
      }
      if (masks >= 0 && rows > 0) {
        position.dropouts.forEach((dropout, d) => {
          const dst = position.buffers[d + 1];
          k.dropout(input + r0 * ld * 4, ld, masks + dropout.offset + r0 * position.width, position.width, rows, position.width, dropout.mult, dst + r0 * position.ld * 4, position.ld);
          input = dst;
          ld = position.ld;
        });
      }
      if (p === plan.dense.length) return { out: input, ld };
      const buffers = layout.layers[p];
      const layer = buffers.layer;
      if (rows === 0) continue;
      const ap = layout.packed + (r0 / 4) * layout.ldap * 4;
      k.packRows(input + r0 * ld * 4, ld, rows, layer.inputs, ap, layout.ldap);
      if (training) k.packQuads(input, ld, r0, r1, layout.params.capRows, layer.inputs, buffers.xq);
      const softmax = layer.activation === 'softmax' || layer.activation === 'logSoftmax';
      const z = buffers.z + r0 * buffers.np * 4;
      const a = buffers.a + r0 * buffers.np * 4;
      // Pre-activations are kept only for the backward pass (and softmax, which reads them next).
      const keep = training || softmax ? z : 0;
      if (layer.units < 4) k.matmulNarrow(ap, layout.ldap, buffers.w, buffers.b, layer.inputs, rows, layer.units, keep, softmax ? z : a, buffers.np, layer.act);
      else k.matmul(ap, layout.ldap, buffers.wp, buffers.b, layer.inputs, rows, layer.units, keep, softmax ? z : a, buffers.np, layer.act);
      if (softmax) k.softmaxRows(layer.activation === 'logSoftmax' ? 1 : 0, z, a, buffers.np, rows, layer.units);
    }
    throw new Error('unreachable');
  }

  // ---------------------------------------------------------------------------------------------
  // Backward

  /** From the gradient in position p's last buffer down to dZ of layer p − 1, rows r0..r1. */
  private backPosition(p: number, r0: number, r1: number, masks: number): void {
    const { kernels: k, layout } = this;
    const rows = r1 - r0;
    if (rows <= 0) return;
    const position = layout.positions[p];
    for (let d = position.dropouts.length; d >= 1; d--) {
      const dropout = position.dropouts[d - 1];
      k.dropout(position.grads[d] + r0 * position.ld * 4, position.ld, masks + dropout.offset + r0 * position.width, position.width, rows, position.width, dropout.mult, position.grads[d - 1] + r0 * position.ld * 4, position.ld);
    }
    const buffers = layout.layers[p - 1];
    const layer = buffers.layer;
    const o = r0 * buffers.np * 4;
    if (layer.activation === 'softmax' || layer.activation === 'logSoftmax') {
      k.softmaxBackRows(layer.activation === 'logSoftmax' ? 1 : 0, buffers.da + o, buffers.a + o, buffers.dz + o, buffers.np, rows, layer.units);
    } else if (layer.activation !== 'linear') {
      k.deriveRows(layer.act, buffers.da + o, buffers.z + o, buffers.a + o, buffers.dz + o, buffers.np, rows, layer.units);
    }
    if (layer.units >= 4) k.packCols(buffers.dz, buffers.np, r0, r1, layout.params.capRows, layer.units, buffers.dzp);
  }

  /** The gradient with respect to layer l's input, rows r0..r1: dZ_l · W_lᵀ. */
  private backData(l: number, r0: number, r1: number): void {
    const { kernels: k, layout } = this;
    const rows = r1 - r0;
    if (rows <= 0) return;
    const buffers = layout.layers[l];
    const layer = buffers.layer;
    const position = layout.positions[l];
    const ap = layout.packed + (r0 / 4) * layout.ldap * 4;
    k.packRows(buffers.dz + r0 * buffers.np * 4, buffers.np, rows, layer.units, ap, layout.ldap);
    const target = position.grads[position.grads.length - 1] + r0 * position.ld * 4;
    k.matmul(ap, layout.ldap, buffers.wtp, 0, layer.units, rows, layer.inputs, target, target, position.ld, 0);
  }

  /** Kernel and bias gradients of layer l over the batch's `batch` rows, kernel rows and bias columns t/T. */
  private gradients(l: number, batch: number, t: number, T: number): void {
    const { kernels: k, layout } = this;
    const buffers = layout.layers[l];
    const layer = buffers.layer;
    const [k0, k1] = share(layer.inputs, t, T, 8);
    if (k1 > k0 && layer.units < 4) k.gradKernelNarrow(buffers.xq, buffers.dz, buffers.np, layout.params.capRows, batch, k0, k1, layer.units, buffers.dw);
    else if (k1 > k0) k.gradKernel(buffers.xq, buffers.dzp, layout.params.capRows, batch, k0, k1, layer.units, buffers.dw);
    if (layer.useBias) {
      const [n0, n1] = share(layer.units, t, T, 4);
      if (n1 > n0) k.gradBias(buffers.dz, buffers.np, batch, n0, n1, buffers.db);
    }
  }

  /** Regularisers, the optimizer update and the repacking of layer l, kernel rows and bias columns t/T. */
  private updateLayer(l: number, t: number, T: number, consts: number): void {
    const { kernels: k, layout, plan } = this;
    const buffers = layout.layers[l];
    const layer = buffers.layer;
    const { id, config } = plan.optimizer;
    const flags = (config.useNesterov ? 1 : 0) | (config.centered ? 2 : 0);
    const [s0, s1, s2] = layout.slots;
    const [k0, k1] = share(layer.inputs, t, T, 8);
    if (k1 > k0) {
      const i0 = layer.kernelOffset + k0 * layer.units;
      const i1 = layer.kernelOffset + k1 * layer.units;
      if (layer.kernel.l1 !== 0 || layer.kernel.l2 !== 0) k.regularize(layout.weights, layout.grads, i0, i1, layer.kernel.l1, layer.kernel.l2);
      k.update(id, flags, layout.weights, layout.grads, s0, s1, s2, i0, i1, consts);
      this.packLayer(l, k0, k1);
    }
    if (layer.useBias) {
      const [n0, n1] = share(layer.units, t, T, 4);
      if (n1 > n0) {
        const i0 = layer.biasOffset + n0;
        const i1 = layer.biasOffset + n1;
        if (layer.bias.l1 !== 0 || layer.bias.l2 !== 0) k.regularize(layout.weights, layout.grads, i0, i1, layer.bias.l1, layer.bias.l2);
        k.update(id, flags, layout.weights, layout.grads, s0, s1, s2, i0, i1, consts);
      }
    }
  }

  /** Repacks kernel rows k0..k1 of layer l (k0 a multiple of 8) into its forward and backward panels. */
  packLayer(l: number, k0: number, k1: number): void {
    const { kernels: k, layout } = this;
    const buffers = layout.layers[l];
    const layer = buffers.layer;
    k.packCols(buffers.w, layer.units, k0, k1, layer.inputs, layer.units, buffers.wp);
    if (buffers.wtp) k.packTransposed(buffers.w, layer.inputs, layer.units, k0, k1, buffers.wtp);
  }

  /** Every layer's panels from the weights (after they were set). */
  packAll(): void {
    this.plan.dense.forEach((layer, l) => this.packLayer(l, 0, layer.inputs));
  }

  /** The regularisers' penalties on the current weights, one per regularised tensor in tf.js' order (model.losses). */
  private penalties(): number[] {
    const { kernels: k, layout } = this;
    const values: number[] = [];
    for (const layer of this.plan.dense) {
      if (layer.kernel.l1 !== 0 || layer.kernel.l2 !== 0) {
        values.push(k.penalty(layout.weights + layer.kernelOffset * 4, layer.inputs * layer.units, layer.kernel.l1, layer.kernel.l2));
      }
      if (layer.useBias && (layer.bias.l1 !== 0 || layer.bias.l2 !== 0)) {
        values.push(k.penalty(layout.weights + layer.biasOffset * 4, layer.units, layer.bias.l1, layer.bias.l2));
      }
    }
    return values;
  }

  /**
   * Runs a training job's share for thread t of T. Thread 0 writes each step's
   * [loss, ...metrics] into `out` (from index 0).
   */
  train(job: TrainJob, t: number, T: number, barrier: Barrier, out?: Float32Array): void {
    const { kernels: k, layout, plan } = this;
    const L = plan.dense.length;
    const M = plan.metrics.length;
    const hasMasks = plan.dropouts.length > 0;
    for (let s = 0; s < job.steps; s++) {
      const first = s * job.batchSize;
      const batch = Math.min(job.batchSize, job.rows - first);
      const padded = roundUp(batch, 4);
      const [r0, r1] = share(padded, t, T, 4);
      const masks = hasMasks ? layout.masks + s * layout.maskStep : -1;
      const consts = layout.consts + s * CONST_STRIDE * 4;
      const real1 = Math.min(r1, batch);
      const input = this.inputRows(job.source, first, r0, real1, job.start, true, layout.indices);
      const { out: pred, ld } = this.forward(input.x, r0, r1, masks, true);
      // The loss and its gradient for this thread's real rows.
      const output = layout.positions[L];
      const gradient = output.grads[output.grads.length - 1];
      if (real1 > r0) {
        k.loss(plan.lossId, pred + r0 * ld * 4, ld, input.y + r0 * input.ldy * 4, input.ldy, real1 - r0, plan.outputs, layout.lossRows + r0 * 4, gradient + r0 * ld * 4, lossScale(plan, batch));
        plan.metrics.forEach((metric, m) => {
          k.metric(metric.id, pred + r0 * ld * 4, ld, input.y + r0 * input.ldy * 4, input.ldy, real1 - r0, plan.outputs, layout.metricRows + (m * layout.params.capRows + r0) * 4);
        });
      }
      // Padded rows' gradients are garbage that never reaches a batch sum (those stop at `batch`).
      // The data gradients of this thread's rows, all layers down: row-local, no barrier needed.
      this.backPosition(L, r0, r1, masks);
      for (let l = L - 1; l > 0; l--) {
        this.backData(l, r0, r1);
        this.backPosition(l, r0, r1, masks);
      }
      // The penalties read the weights before any thread updates them (after the barrier).
      const penalties = t === 0 ? this.penalties() : [];
      barrier.wait();
      if (t === 0) {
        let loss = Math.fround(k.mean(layout.lossRows, batch));
        for (const penalty of penalties) loss = Math.fround(loss + penalty);
        if (out) {
          out[s * (1 + M)] = loss;
          for (let m = 0; m < M; m++) out[s * (1 + M) + 1 + m] = k.mean(layout.metricRows + m * layout.params.capRows * 4, batch);
        }
      }
      // Every layer's gradient over all rows, then its update: kernel rows t/T of each layer.
      for (let l = L - 1; l >= 0; l--) {
        this.gradients(l, batch, t, T);
        this.updateLayer(l, t, T, consts);
      }
      barrier.wait();
    }
  }

  /**
   * Forward rows `first`..`first + count` of a pass (no dropout) for thread t of T; with targets,
   * the per-row loss and metrics land in lossRows / metricRows from index 0. Returns the
   * prediction buffer and stride (rows from 0).
   */
  pass(source: Source, first: number, count: number, start: number, withTargets: boolean, t: number, T: number): { out: number; ld: number } {
    const { kernels: k, layout, plan } = this;
    const padded = roundUp(count, 4);
    const [r0, r1] = share(padded, t, T, 4);
    const real1 = Math.min(r1, count);
    const input = this.inputRows(source, first, r0, real1, start, withTargets, layout.indices);
    const { out, ld } = this.forward(input.x, r0, r1, -1, false);
    if (withTargets && real1 > r0) {
      k.loss(plan.lossId, out + r0 * ld * 4, ld, input.y + r0 * input.ldy * 4, input.ldy, real1 - r0, plan.outputs, layout.lossRows + r0 * 4, 0, 0);
      plan.metrics.forEach((metric, m) => {
        k.metric(metric.id, out + r0 * ld * 4, ld, input.y + r0 * input.ldy * 4, input.ldy, real1 - r0, plan.outputs, layout.metricRows + (m * layout.params.capRows + r0) * 4);
      });
    }
    return { out, ld };
  }
}

/** The layout parameters a job's control block carries. */
export function layoutParamsOf(control: Int32Array): LayoutParams {
  return {
    capRows: control[CONTROL.capRows],
    maxSteps: control[CONTROL.maxSteps],
    dataRows: control[CONTROL.dataRows],
    stagingRows: control[CONTROL.stagingRows],
  };
}

/** Writes a layout's parameters into the control block. */
export function writeLayoutParams(control: Int32Array, params: LayoutParams): void {
  control[CONTROL.capRows] = params.capRows;
  control[CONTROL.maxSteps] = params.maxSteps;
  control[CONTROL.dataRows] = params.dataRows;
  control[CONTROL.stagingRows] = params.stagingRows;
}

/** Runs thread t's share of the job described in the control block. */
export function runShare(runner: PassRunner, control: Int32Array, t: number, barrier: Barrier, out?: Float32Array): void {
  const T = control[CONTROL.threads];
  const kind = control[CONTROL.kind] as JobKind;
  if (kind === JobKind.Train) {
    const job: TrainJob = {
      steps: control[CONTROL.steps],
      batchSize: control[CONTROL.batchSize],
      rows: control[CONTROL.rows],
      source: control[CONTROL.source] as Source,
      start: control[CONTROL.start],
    };
    runner.train(job, t, T, barrier, out);
  } else if (kind === JobKind.Evaluate || kind === JobKind.Predict) {
    runner.pass(control[CONTROL.source] as Source, control[CONTROL.chunk], control[CONTROL.chunkRows], control[CONTROL.start], kind === JobKind.Evaluate, t, T);
  }
}
