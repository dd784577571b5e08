/**
 * A tf.js model's weights read and written as one snapshot (the layers format's specs + one buffer):
 * what the tfjs engine checkpoints, and how any engine's weights get back into the model.
 */
import { tf } from '../../backend';
import { concatArrays, type WeightSpec, type WeightsSnapshot } from '../../checkpoint/snapshot';
import { fail } from '../../errors';

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

/** Copies the values of `weights` into one buffer (synchronously). */
export function snapshotWeights(weights: readonly LayerWeight[]): WeightsSnapshot {
  const arrays = weights.map((weight) => weight.read().dataSync() as Float32Array | Int32Array | Uint8Array);
  const specs = weights.map((weight) => ({ name: weight.originalName, shape: [...weight.shape], dtype: weight.dtype as WeightSpec['dtype'] }));
  return { specs, data: concatArrays(arrays) };
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
