/**
 * The full state of tfjs' seven built-in optimizers, read and written field by field.
 *
 * tfjs' own `Optimizer.getWeights()/setWeights()` is not enough for an exact resume: Adam's
 * `setWeights` recomputes the bias-correction powers as `pow(beta, iterations + 1)`, which differs
 * from the running product `accBeta *= beta` in the last bits (about 1e-7 after a few hundred
 * steps), and Adamax has neither method. So cellfit saves the hidden variables themselves — Adam's
 * `accBeta1/accBeta2`, Adamax's `iteration/accBeta1` — next to every slot variable (m, v, ...)
 * and the iteration count, and writes them back verbatim.
 */
import { tf } from '../../backend';
import type { OptimizerSnapshot, SlotSpec, SnapshotBuffers } from '../../checkpoint/snapshot';
import { fail } from '../../errors';
import { optimizerClass, SCALAR_FIELDS, SLOT_FIELDS } from '../optimizers';
import { copyValues } from './read';

interface SlotVariable {
  originalName: string;
  variable: tf.Variable;
}

type OptimizerFields = tf.Optimizer & Record<string, unknown> & { iterations_?: number; learningRate: number };

/**
 * Copies the optimizer's complete state (synchronously: one read per variable), into one of
 * `buffers` when given (a checkpoint's, used again once written).
 */
export function captureOptimizer(optimizer: tf.Optimizer, buffers?: SnapshotBuffers): OptimizerSnapshot {
  const fields = optimizer as OptimizerFields;
  const className = optimizerClass(optimizer);
  const slots: SlotSpec[] = [];
  const variables: tf.Variable[] = [];
  let offset = 0;
  for (const field of SLOT_FIELDS[className]) {
    const list = (fields[field] as (SlotVariable | undefined)[] | undefined) ?? [];
    list.forEach((slot, index) => {
      if (!slot) return;
      const { variable } = slot;
      slots.push({ field, index, name: slot.originalName, shape: [...variable.shape], offset, length: variable.size });
      variables.push(variable);
      offset += variable.size * 4;
    });
  }
  const data = new Uint8Array(buffers ? buffers.take(offset) : new ArrayBuffer(offset));
  variables.forEach((variable, i) => copyValues(variable, data, slots[i].offset));
  const scalars: Record<string, number> = {};
  for (const [field] of SCALAR_FIELDS[className] ?? []) scalars[field] = (fields[field] as tf.Variable).dataSync()[0];
  return {
    meta: { className, config: optimizer.getConfig() as Record<string, unknown>, iterations: fields.iterations_ ?? 0, learningRate: fields.learningRate, scalars, slots },
    data,
  };
}

/**
 * Writes a snapshot back into `optimizer` (same class), replacing its slot variables and hidden
 * scalars with the saved values bit for bit. `variables` are the model's trainable variables: their
 * shapes are checked against the slots, and the slots are named after them as tfjs names them
 * (`<variable>/m`, ...).
 */
export function restoreOptimizer(optimizer: tf.Optimizer, snapshot: OptimizerSnapshot, variables: readonly { readonly name: string; readonly shape: readonly number[] }[], where: string): void {
  const fields = optimizer as OptimizerFields;
  const { meta, data } = snapshot;
  const className = optimizerClass(optimizer);
  if (meta.className !== className) {
    fail(where, `the checkpoint holds the state of a ${meta.className} optimizer, but the model is compiled with ${className}. Compile it with the optimizer it was trained with.`);
  }
  for (const slot of meta.slots) {
    const expected = variables[slot.index]?.shape;
    if (!expected || expected.join(',') !== slot.shape.join(',')) {
      fail(where, `optimizer slot ${slot.name} has shape [${slot.shape.join(', ')}] but trainable weight ${slot.index} of the model has shape [${expected?.join(', ') ?? 'none'}]: the checkpoint belongs to another model.`);
    }
    if (slot.offset + slot.length * 4 > data.byteLength) fail(where, `optimizer slot ${slot.name} lies outside optimizer.bin.`);
  }
  clearSlots(fields, className);
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  for (const slot of meta.slots) {
    const values = new Float32Array(aligned.buffer, aligned.byteOffset + slot.offset, slot.length).slice();
    const list = fields[slot.field] as SlotVariable[];
    const suffix = slot.name.slice(slot.name.lastIndexOf('/') + 1);
    list[slot.index] = { originalName: `${variables[slot.index].name}/${suffix}`, variable: makeVariable(values, slot.shape) };
  }
  for (const [field] of SCALAR_FIELDS[className] ?? []) {
    const value = meta.scalars[field];
    if (typeof value !== 'number') fail(where, `the checkpoint lacks the optimizer's hidden value ${field}.`);
    assignScalar(fields[field] as tf.Variable, value);
  }
  fields.iterations_ = meta.iterations;
  setLearningRate(optimizer, meta.learningRate);
}

/** Returns `optimizer` to its state before the first step (fresh slots, counters and powers). */
export function resetOptimizer(optimizer: tf.Optimizer): void {
  const fields = optimizer as OptimizerFields;
  const className = optimizerClass(optimizer);
  clearSlots(fields, className);
  const config = optimizer.getConfig() as Record<string, number>;
  for (const [field, initial] of SCALAR_FIELDS[className] ?? []) assignScalar(fields[field] as tf.Variable, initial(config));
  fields.iterations_ = 0;
}

/** Sets the learning rate the way each class reads it (SGD and Momentum cache −lr as a tensor). */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  const fields = optimizer as OptimizerFields & { setLearningRate?: (rate: number) => void };
  if (fields.learningRate === rate) return;
  if (typeof fields.setLearningRate === 'function') fields.setLearningRate(rate);
  else fields.learningRate = rate;
}

/** The learning rate the optimizer uses now. */
export function getLearningRate(optimizer: tf.Optimizer): number {
  return (optimizer as OptimizerFields).learningRate;
}

function clearSlots(fields: OptimizerFields, className: string): void {
  for (const field of SLOT_FIELDS[className]) {
    const list = (fields[field] as (SlotVariable | undefined)[] | undefined) ?? [];
    for (const slot of list) slot?.variable.dispose();
    fields[field] = [];
  }
}

function makeVariable(values: Float32Array, shape: readonly number[]): tf.Variable {
  const initial = tf.tensor(values, [...shape], 'float32');
  const variable = initial.variable(false);
  initial.dispose();
  return variable;
}

function assignScalar(variable: tf.Variable, value: number): void {
  const scalar = tf.scalar(value, 'float32');
  variable.assign(scalar);
  scalar.dispose();
}
