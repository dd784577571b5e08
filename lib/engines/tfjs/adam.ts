/**
 * How the tfjs engine drives the model's compiled optimizer.
 *
 * For most optimizers the loop lets tfjs apply the gradients as it always does. For Adam — the
 * default choice, and the one with the longest per-tensor update (about fifteen small ops, plus a
 * scalar made from each JS number) — small models spend most of a step in op overhead, so the
 * driver runs the same update with fewer ops: the small weight tensors (biases, narrow kernels) are
 * updated together as one flat vector (their gradients concatenated, the moments kept flat, the
 * result split back), the large ones one by one as tfjs does, with the constants made once.
 * Every element goes through exactly the ops tfjs' AdamOptimizer applies, in the same order, with
 * the same float32 constants, so the weights are bit-for-bit those tfjs would produce (a test
 * compares with model.fit).
 *
 * While attached, the driver holds the moments; `detach()` writes them back into the optimizer's
 * own slot variables, so after training `model.optimizer` holds the state tfjs expects (and
 * `model.fit` could continue from it).
 */
import { tf } from '../../backend';
import type { OptimizerSnapshot, SlotSpec, SnapshotBuffers } from '../../checkpoint/snapshot';
import { captureOptimizer } from './optimizer';
import { copyValues } from './read';

/** The loop's handle on the optimizer. */
export interface OptimizerDriver {
  readonly optimizer: tf.Optimizer;
  /** Starts routing gradient updates through the driver. */
  attach(): void;
  /** Moves any state held by the driver back into the optimizer and stops routing. */
  detach(): void;
  /** The optimizer's complete state (the same format whichever driver took it), into one of `buffers` when given. */
  capture(buffers?: SnapshotBuffers): OptimizerSnapshot;
}

/**
 * Bound on (values in the flat vector) × (tensors in it). wasm's split copies the whole vector once
 * per part, so fusing pays only while that product is small; the smallest tensors are fused first.
 */
const FUSE_BUDGET = 2 ** 18;

/** The driver for `optimizer`: the leaner Adam update unless `lean` is false, else tfjs' own. */
export function optimizerDriver(optimizer: tf.Optimizer, lean = true): OptimizerDriver {
  if (lean && optimizer.getClassName() === 'Adam' && Object.getPrototypeOf(optimizer) === tf.AdamOptimizer.prototype) return new LeanAdam(optimizer);
  return {
    optimizer,
    attach: () => undefined,
    detach: () => undefined,
    capture: (buffers) => captureOptimizer(optimizer, buffers),
  };
}

type NamedGradient = { name: string; tensor: tf.Tensor | null | undefined };
type Slot = { originalName: string; variable: tf.Variable };

interface AdamFields {
  getConfig(): tf.serialization.ConfigDict;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  iterations_?: number;
  incrementIterations(): void;
  applyGradients(gradients: NamedGradient[] | tf.NamedTensorMap): void;
}

interface Constants {
  readonly beta1: tf.Scalar;
  readonly oneMinusBeta1: tf.Scalar;
  readonly beta2: tf.Scalar;
  readonly oneMinusBeta2: tf.Scalar;
  readonly epsilon: tf.Scalar;
  readonly one: tf.Scalar;
}

/** The moments while attached: small tensors in one flat pair, large ones each in their own. */
interface Moments {
  readonly names: string[];
  readonly shapes: number[][];
  readonly sizes: number[];
  /** Indices of the tensors updated together, and each one's offset in the flat vectors. */
  readonly fused: number[];
  readonly offsets: number[];
  readonly fusedSize: number;
  /** Indices of the tensors updated one by one. */
  readonly single: number[];
  /** By tensor index: its position in `fused`, or -1. */
  readonly fusedAt: number[];
  /** Bytes of a snapshot of all the moments (m then v, tensor after tensor). */
  readonly slotBytes: number;
  /** Where each moment sits in a snapshot: fixed while the moments live, so snapshots share it. */
  slots?: SlotSpec[];
  flat?: { m: tf.Tensor1D; v: tf.Tensor1D };
  /** Per-tensor moments of the `single` tensors, by index. */
  own: Map<number, { m: tf.Tensor; v: tf.Tensor }>;
}

/** Adam with fewer ops per step; see the module comment. */
class LeanAdam implements OptimizerDriver {
  private readonly adam: AdamFields;
  private moments?: Moments;
  private constants?: Constants;
  private rate?: { value: number; tensor: tf.Scalar };
  private attached = false;

  constructor(readonly optimizer: tf.Optimizer) {
    this.adam = optimizer as unknown as AdamFields;
  }

  attach(): void {
    if (this.attached) return;
    const opt = this.adam;
    this.constants = tf.tidy(() => ({
      beta1: tf.keep(tf.scalar(opt.beta1)),
      oneMinusBeta1: tf.keep(tf.scalar(1 - opt.beta1)),
      beta2: tf.keep(tf.scalar(opt.beta2)),
      oneMinusBeta2: tf.keep(tf.scalar(1 - opt.beta2)),
      epsilon: tf.keep(tf.scalar(opt.epsilon)),
      one: tf.keep(tf.scalar(1)),
    }));
    // An own property shadows the prototype's method until detach().
    opt.applyGradients = (gradients) => this.apply(gradients);
    this.attached = true;
  }

  detach(): void {
    if (!this.attached) return;
    delete (this.adam as Partial<AdamFields>).applyGradients;
    if (this.moments) {
      this.writeBack(this.moments);
      this.disposeMoments(this.moments);
    }
    tf.dispose([...Object.values(this.constants ?? {}), ...(this.rate ? [this.rate.tensor] : [])]);
    this.moments = undefined;
    this.constants = this.rate = undefined;
    this.attached = false;
  }

  capture(buffers?: SnapshotBuffers): OptimizerSnapshot {
    const moments = this.moments;
    if (!moments) return captureOptimizer(this.optimizer, buffers);
    const opt = this.adam;
    const { slots, data } = copyMoments(moments, buffers);
    return {
      meta: {
        className: 'Adam',
        config: opt.getConfig() as Record<string, unknown>,
        iterations: opt.iterations_ ?? 0,
        learningRate: opt.learningRate,
        scalars: { accBeta1: opt.accBeta1.dataSync()[0], accBeta2: opt.accBeta2.dataSync()[0] },
        slots,
      },
      data,
    };
  }

  private apply(gradients: NamedGradient[] | tf.NamedTensorMap): void {
    const opt = this.adam;
    const list: NamedGradient[] = Array.isArray(gradients) ? gradients : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
    this.moments ??= this.start(list);
    const moments = this.moments;
    const usable = list.length === moments.names.length && list.every((gradient, i) => gradient.name === moments.names[i] && gradient.tensor != null);
    if (!usable) {
      // A variable without a gradient, or another variable list: tfjs' own update handles that.
      this.detach();
      opt.applyGradients(gradients);
      return;
    }
    const c = this.constants!;
    if (this.rate?.value !== opt.learningRate) {
      this.rate?.tensor.dispose();
      this.rate = { value: opt.learningRate, tensor: tf.keep(tf.scalar(-opt.learningRate)) };
    }
    const rate = this.rate.tensor;
    const variables = tf.engine().registeredVariables;
    const kept = tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(c.one, opt.accBeta1);
      const oneMinusAccBeta2 = tf.sub(c.one, opt.accBeta2);
      // tfjs' AdamOptimizer.applyGradients, op for op, on a tensor of moments and gradients.
      const step = (m: tf.Tensor, v: tf.Tensor, gradient: tf.Tensor) => {
        const newM = tf.add(tf.mul(m, c.beta1), tf.mul(gradient, c.oneMinusBeta1));
        const newV = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(gradient), c.oneMinusBeta2));
        const correctedM = tf.div(newM, oneMinusAccBeta1);
        const correctedV = tf.div(newV, oneMinusAccBeta2);
        const update = tf.mul(tf.div(correctedM, tf.add(tf.sqrt(correctedV), c.epsilon)), rate);
        return { m: newM, v: newV, update };
      };
      const result: tf.Tensor[] = [];
      if (moments.flat) {
        // Vectors need no reshaping: each reshape saved is an op saved, per step.
        const gradient = tf.concat(moments.fused.map((i) => (moments.shapes[i].length === 1 ? list[i].tensor! : tf.reshape(list[i].tensor!, [-1]))));
        const { m, v, update } = step(moments.flat.m, moments.flat.v, gradient);
        const parts = tf.split(update, moments.fused.map((i) => moments.sizes[i]));
        moments.fused.forEach((i, k) => {
          const variable = variables[list[i].name];
          variable.assign(tf.add(moments.shapes[i].length === 1 ? parts[k] : tf.reshape(parts[k], moments.shapes[i]), variable));
        });
        result.push(m, v);
      }
      for (const i of moments.single) {
        const variable = variables[list[i].name];
        const own = moments.own.get(i)!;
        const { m, v, update } = step(own.m, own.v, list[i].tensor!);
        variable.assign(tf.add(update, variable));
        result.push(m, v);
      }
      opt.accBeta1.assign(tf.mul(opt.accBeta1, c.beta1));
      opt.accBeta2.assign(tf.mul(opt.accBeta2, c.beta2));
      return result;
    });
    let k = 0;
    if (moments.flat) {
      tf.dispose([moments.flat.m, moments.flat.v]);
      moments.flat = { m: kept[k++] as tf.Tensor1D, v: kept[k++] as tf.Tensor1D };
    }
    for (const i of moments.single) {
      const own = moments.own.get(i)!;
      tf.dispose([own.m, own.v]);
      moments.own.set(i, { m: kept[k++], v: kept[k++] });
    }
    opt.incrementIterations();
  }

  /** Takes the variable list from the first step and the moments from the optimizer's slots. */
  private start(list: readonly NamedGradient[]): Moments {
    const opt = this.adam;
    const registered = list.map((item) => tf.engine().registeredVariables[item.name]);
    const sizes = registered.map((variable) => variable.size);
    let fused: number[] = [];
    let total = 0;
    for (const i of sizes.map((_, k) => k).sort((a, b) => sizes[a] - sizes[b])) {
      if ((total + sizes[i]) * (fused.length + 1) > FUSE_BUDGET) break;
      fused.push(i);
      total += sizes[i];
    }
    fused = fused.length < 2 ? [] : fused.sort((a, b) => a - b);
    const single = sizes.map((_, i) => i).filter((i) => !fused.includes(i));
    const offsets: number[] = [];
    let fusedSize = 0;
    for (const i of fused) {
      offsets.push(fusedSize);
      fusedSize += sizes[i];
    }
    const fusedAt = sizes.map((_, i) => fused.indexOf(i));
    const slotBytes = 2 * 4 * sizes.reduce((sum, size) => sum + size, 0);
    const moments: Moments = { names: list.map((item) => item.name), shapes: registered.map((variable) => [...variable.shape]), sizes, fused, offsets, fusedSize, single, fusedAt, slotBytes, own: new Map() };
    const slotsValid = (slots: Slot[]) => slots.length === list.length && slots.every((slot, i) => slot && slot.variable.size === sizes[i]);
    const first = slotsValid(opt.accumulatedFirstMoment) ? opt.accumulatedFirstMoment : undefined;
    const second = slotsValid(opt.accumulatedSecondMoment) ? opt.accumulatedSecondMoment : undefined;
    const from = (slots: Slot[] | undefined, i: number) => (slots ? tf.clone(slots[i].variable) : tf.zeros(moments.shapes[i]));
    if (fused.length > 0) {
      const flat = (slots: Slot[] | undefined) => (slots ? (tf.tidy(() => tf.concat(fused.map((i) => tf.reshape(slots[i].variable, [-1])))) as tf.Tensor1D) : (tf.zeros([fusedSize]) as tf.Tensor1D));
      moments.flat = { m: flat(first), v: flat(second) };
    }
    for (const i of single) moments.own.set(i, { m: from(first, i), v: from(second, i) });
    return moments;
  }

  /** Puts the moments back into the optimizer's per-variable slots. */
  private writeBack(moments: Moments): void {
    const opt = this.adam;
    const { slots, data } = copyMoments(moments);
    for (const field of ['accumulatedFirstMoment', 'accumulatedSecondMoment'] as const) {
      for (const slot of opt[field]) slot?.variable.dispose();
      opt[field] = [];
    }
    for (const slot of slots) {
      const initial = tf.tensor(new Float32Array(data.buffer, data.byteOffset + slot.offset, slot.length), [...slot.shape], 'float32');
      const variable = initial.variable(false);
      initial.dispose();
      opt[slot.field as 'accumulatedFirstMoment' | 'accumulatedSecondMoment'][slot.index] = { originalName: slot.name, variable };
    }
  }

  private disposeMoments(moments: Moments): void {
    if (moments.flat) tf.dispose([moments.flat.m, moments.flat.v]);
    for (const own of moments.own.values()) tf.dispose([own.m, own.v]);
  }
}

/** Where a snapshot holds each moment: the first moments (m) of every tensor in order, then the second (v), as tfjs names them. */
function slotLayout(moments: Moments): SlotSpec[] {
  const slots: SlotSpec[] = [];
  let offset = 0;
  for (const [field, suffix] of [
    ['accumulatedFirstMoment', 'm'],
    ['accumulatedSecondMoment', 'v'],
  ] as const) {
    moments.names.forEach((name, index) => {
      slots.push({ field, index, name: `${name}/${suffix}`, shape: moments.shapes[index], offset, length: moments.sizes[index] });
      offset += moments.sizes[index] * 4;
    });
  }
  return slots;
}

/**
 * Copies every moment, as the snapshot layout places it, into one of `buffers` when given (else a
 * new buffer): the flat pair's ranges and each own tensor.
 */
function copyMoments(moments: Moments, buffers?: SnapshotBuffers): { slots: SlotSpec[]; data: Uint8Array } {
  const slots = (moments.slots ??= slotLayout(moments));
  const data = new Uint8Array(buffers ? buffers.take(moments.slotBytes) : new ArrayBuffer(moments.slotBytes));
  for (const slot of slots) {
    const key = slot.field === 'accumulatedFirstMoment' ? 'm' : 'v';
    const k = moments.fusedAt[slot.index];
    if (k >= 0) copyValues(moments.flat![key], data, slot.offset, moments.offsets[k], slot.length);
    else copyValues(moments.own.get(slot.index)![key], data, slot.offset);
  }
  return { slots, data };
}
