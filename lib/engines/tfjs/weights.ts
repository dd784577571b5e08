/**
 * A tf.js model's weights read and written as one snapshot (the layers format's specs + one buffer):
 * what the tfjs engine checkpoints, and how any engine's weights get back into the model.
 */
import { tf } from '../../backend';
import type { SnapshotBuffers, WeightSpec, WeightsSnapshot } from '../../checkpoint/snapshot';
import { fail } from '../../errors';
import { bytesPerValue, copyValues } from './read';

/** What `LayersModel.weights` holds: a layer variable over a tf.Variable. */
interface LayerWeight {
  readonly originalName: string;
  readonly shape: number[];
  readonly dtype: string;
  read(): tf.Variable;
}

/** The model's weights in the order of `model.weights` (trainable and not, e.g. BatchNorm means). */
export function modelWeights(model: tf.LayersModel): LayerWeight[] {
  return model.weights as unknown as LayerWeight[];
}

/** The weights manifest's entries for `weights`. */
export function weightSpecs(weights: readonly LayerWeight[]): WeightSpec[] {
  return weights.map((weight) => ({ name: weight.originalName, shape: [...weight.shape], dtype: weight.dtype as WeightSpec['dtype'] }));
}

/**
 * Copies the values of `weights` into one buffer (synchronously): one of `buffers` when given (a
 * checkpoint's, used again once written). `specs` are {@link weightSpecs}(weights), when the caller
 * keeps them.
 */
export function snapshotWeights(weights: readonly LayerWeight[], buffers?: SnapshotBuffers, specs: readonly WeightSpec[] = weightSpecs(weights)): WeightsSnapshot {
  const variables = weights.map((weight) => weight.read());
  let bytes = 0;
  for (const variable of variables) bytes += variable.size * bytesPerValue(variable.dtype);
  const data = new Uint8Array(buffers ? buffers.take(bytes) : new ArrayBuffer(bytes));
  let at = 0;
  for (const variable of variables) at = copyValues(variable, data, at);
  return { specs, data };
}

/**
 * Writes `snapshot` into `weights` (same order, shapes checked), bit for bit: the values are assigned
 * to the variables directly, bypassing layer constraints, which would otherwise be re-applied.
 */
export function applyWeights(weights: readonly LayerWeight[], snapshot: WeightsSnapshot, where: string, source: string): void {
  const { specs, data } = snapshot;
  if (specs.length !== weights.length) {
    fail(where, `${source} holds ${specs.length} weight tensors but the model has ${weights.length}: it belongs to a different model architecture.`);
  }
  specs.forEach((spec, i) => {
    if (spec.shape.join(',') !== weights[i].shape.join(',')) {
      fail(
        where,
        `${source} has weight ${spec.name} of shape [${spec.shape.join(', ')}] where the model has ${weights[i].originalName} of shape [${weights[i].shape.join(', ')}]: it belongs to a different model architecture.`,
      );
    }
  });
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  let offset = 0;
  specs.forEach((spec, i) => {
    const count = spec.shape.reduce((product, size) => product * size, 1);
    const bytes = count * (spec.dtype === 'bool' ? 1 : 4);
    if (offset + bytes > aligned.byteLength) fail(where, `${source} is shorter than its weight manifest says.`);
    const values = typedView(aligned, offset, count, spec.dtype);
    offset += bytes;
    const tensor = tf.tensor(values, [...spec.shape], spec.dtype);
    weights[i].read().assign(tensor);
    tensor.dispose();
  });
}

function typedView(data: Uint8Array, offset: number, count: number, dtype: WeightSpec['dtype']): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'float32') return new Float32Array(data.buffer, data.byteOffset + offset, count).slice();
  if (dtype === 'int32') return new Int32Array(data.buffer, data.byteOffset + offset, count).slice();
  return data.slice(offset, offset + count);
}

/** The optimizer a compiled model trains with, or undefined. */
export function compiledOptimizer(model: tf.LayersModel): tf.Optimizer | undefined {
  try {
    return (model as unknown as { optimizer?: tf.Optimizer }).optimizer ?? undefined;
  } catch {
    return undefined;
  }
}

/** Names and shapes of the model's trainable variables, in the order the optimizer's slots follow. */
export function trainableVariables(model: tf.LayersModel): { name: string; shape: number[] }[] {
  return model.trainableWeights.map((weight) => ({ name: (weight.read() as tf.Variable).name, shape: [...weight.shape] as number[] }));
}
