/**
 * How the training loop drives the model's compiled optimizer.
 *
 * For most optimizers the loop lets tfjs apply the gradients as it always does. For Adam — the
 * default choice, and the one whose per-variable update is longest (about fifteen small ops per
 * weight tensor) — a fused update does the same arithmetic on all weights at once: the gradients are
 * concatenated into one vector, the moments are kept as two flat vectors, and the result is split
 * back into the weights. Every element goes through exactly the ops tfjs' AdamOptimizer applies, in
 * the same order, with the same float32 constants, so the weights are bit-for-bit those tfjs would
 * produce (a test holds this), at about half the op count per step.
 *
 * While the fused update is attached, the moments live in the flat vectors; `detach()` writes them
 * back into the optimizer's own slot variables, so after training `model.optimizer` holds the state
 * tfjs expects (and `model.fit` could continue from it).
 */
import { tf } from '../backend';
import { captureOptimizer, type OptimizerSnapshot, type SlotSpec } from '../checkpoint/optimizer';
import { concatArrays } from '../checkpoint/weights';

/** The loop's handle on the optimizer. */
export interface OptimizerDriver {
  readonly optimizer: tf.Optimizer;
  /** Starts routing gradient updates through the driver. */
  attach(): void;
  /** Moves any state held by the driver back into the optimizer and stops routing. */
  detach(): void;
  /** The optimizer's complete state (the same format whichever driver took it). */
  capture(): OptimizerSnapshot;
}

/** The driver for `optimizer`: fused for Adam unless `fused` is false, tfjs' own update otherwise. */
export function optimizerDriver(optimizer: tf.Optimizer, fused = true): OptimizerDriver {
  if (fused && optimizer.getClassName() === 'Adam' && Object.getPrototypeOf(optimizer) === tf.AdamOptimizer.prototype) return new FusedAdam(optimizer);
  return {
    optimizer,
    attach: () => undefined,
    detach: () => undefined,
    capture: () => captureOptimizer(optimizer),
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

/** Adam with one flat update for all weights; see the module comment. */
class FusedAdam implements OptimizerDriver {
  private m?: tf.Tensor1D;
  private v?: tf.Tensor1D;
  private names?: string[];
  private shapes?: number[][];
  private sizes?: number[];
  private constants?: { beta1: tf.Scalar; oneMinusBeta1: tf.Scalar; beta2: tf.Scalar; oneMinusBeta2: tf.Scalar; epsilon: tf.Scalar; one: tf.Scalar };
  private rate?: { value: number; tensor: tf.Scalar };
  private attached = false;

  private readonly adam: AdamFields;

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
    // Own property shadows the prototype's method until detach().
    opt.applyGradients = (gradients) => this.apply(gradients);
    this.attached = true;
  }

  detach(): void {
    if (!this.attached) return;
    const opt = this.adam;
    delete (opt as Partial<AdamFields>).applyGradients;
    if (this.m && this.v && this.names) this.writeBack();
    tf.dispose([this.m!, this.v!, ...Object.values(this.constants ?? {}), ...(this.rate ? [this.rate.tensor] : [])].filter(Boolean));
    this.m = this.v = undefined;
    this.names = this.shapes = this.sizes = undefined;
    this.constants = this.rate = undefined;
    this.attached = false;
  }

  capture(): OptimizerSnapshot {
    if (!this.m || !this.names) return captureOptimizer(this.optimizer);
    const opt = this.adam;
    const slots: SlotSpec[] = [];
    let offset = 0;
    for (const [field, suffix] of [
      ['accumulatedFirstMoment', 'm'],
      ['accumulatedSecondMoment', 'v'],
    ] as const) {
      this.names.forEach((name, index) => {
        const length = this.sizes![index];
        slots.push({ field, index, name: `${name}/${suffix}`, shape: this.shapes![index], offset, length });
        offset += length * 4;
      });
    }
    const data = concatArrays([this.m.dataSync(), this.v!.dataSync()]);
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
    if (!this.names) this.start(list);
    const usable = list.length === this.names!.length && list.every((gradient, i) => gradient.name === this.names![i] && gradient.tensor != null);
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
    const [m, v] = tf.tidy(() => {
      const gradient = tf.concat(list.map((item) => tf.reshape(item.tensor!, [-1])));
      const oneMinusAccBeta1 = tf.sub(c.one, opt.accBeta1);
      const oneMinusAccBeta2 = tf.sub(c.one, opt.accBeta2);
      const m = tf.add(tf.mul(this.m!, c.beta1), tf.mul(gradient, c.oneMinusBeta1));
      const v = tf.add(tf.mul(this.v!, c.beta2), tf.mul(tf.square(gradient), c.oneMinusBeta2));
      const correctedM = tf.div(m, oneMinusAccBeta1);
      const correctedV = tf.div(v, oneMinusAccBeta2);
      const update = tf.mul(tf.div(correctedM, tf.add(tf.sqrt(correctedV), c.epsilon)), rate);
      const parts = tf.split(update, this.sizes!);
      list.forEach((item, i) => {
        const variable = tf.engine().registeredVariables[item.name];
        variable.assign(tf.add(tf.reshape(parts[i], this.shapes![i]), variable));
      });
      opt.accBeta1.assign(tf.mul(opt.accBeta1, c.beta1));
      opt.accBeta2.assign(tf.mul(opt.accBeta2, c.beta2));
      return [m, v];
    });
    this.m!.dispose();
    this.v!.dispose();
    this.m = m as tf.Tensor1D;
    this.v = v as tf.Tensor1D;
    opt.incrementIterations();
  }

  /** Takes the variable list from the first step and the moments from the optimizer's slots. */
  private start(list: readonly NamedGradient[]): void {
    const opt = this.adam;
    const variables = list.map((item) => tf.engine().registeredVariables[item.name]);
    this.names = list.map((item) => item.name);
    this.shapes = variables.map((variable) => [...variable.shape]);
    this.sizes = variables.map((variable) => variable.size);
    const total = this.sizes.reduce((sum, size) => sum + size, 0);
    const fromSlots = (slots: Slot[]) =>
      slots.length === list.length && slots.every((slot, i) => slot && slot.variable.size === this.sizes![i])
        ? tf.tidy(() => tf.concat(slots.map((slot) => tf.reshape(slot.variable, [-1]))) as tf.Tensor1D)
        : tf.zeros([total]) as tf.Tensor1D;
    this.m = fromSlots(opt.accumulatedFirstMoment);
    this.v = fromSlots(opt.accumulatedSecondMoment);
  }

  /** Splits the flat moments back into the optimizer's per-variable slots. */
  private writeBack(): void {
    const opt = this.adam;
    const names = this.names!;
    for (const [field, flat, suffix] of [
      ['accumulatedFirstMoment', this.m!, 'm'],
      ['accumulatedSecondMoment', this.v!, 'v'],
    ] as const) {
      for (const slot of opt[field]) slot?.variable.dispose();
      const parts = tf.split(flat, this.sizes!);
      opt[field] = parts.map((part, i) => {
        const shaped = tf.reshape(part, this.shapes![i]);
        const variable = shaped.variable(false);
        tf.dispose([part, shaped]);
        return { originalName: `${names[i]}/${suffix}`, variable };
      });
    }
  }
}
