/**
 * Model weights in the TensorFlow.js layers format (`model.json` + one binary file), so that every
 * checkpoint — and every export — loads with `tf.loadLayersModel`. tfjs' `file://` handler exists
 * only in tfjs-node, so reading and writing go through a small IOHandler over `node:fs`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../backend';
import { fail } from '../errors';
import { MODEL_FILE, WEIGHTS_FILE } from './format';

/** One weight's entry in `model.json`'s weights manifest. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'bool';
}

/** A copy of a model's weights, detached from the device. */
export interface WeightsSnapshot {
  readonly specs: readonly WeightSpec[];
  readonly data: Uint8Array;
}

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

/** Copies typed arrays, back to back, into one new buffer. */
export function concatArrays(arrays: readonly ArrayBufferView[]): Uint8Array {
  const total = arrays.reduce((sum, array) => sum + array.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const array of arrays) {
    data.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  return data;
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

/** `model.json` in the TF.js layers format, pointing at `weights.bin`. */
export function layersModelJson(model: tf.LayersModel, specs: readonly WeightSpec[]): Record<string, unknown> {
  return {
    modelTopology: model.toJSON(null, false),
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: 'cellfit',
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
}

/** The weight specs listed in a layers-format `model.json`. */
export function specsOfModelJson(json: { weightsManifest?: { weights: WeightSpec[] }[] }, where: string, source: string): WeightSpec[] {
  const groups = json?.weightsManifest;
  if (!Array.isArray(groups)) fail(where, `${source} has no weightsManifest.`);
  return groups.flatMap((group) => group.weights);
}

/**
 * A tfjs IOHandler over a directory holding `model.json` + `weights.bin` (what `export()` writes):
 * `await tf.loadLayersModel(fileHandler(dir))`. Reads only JSON and raw floats.
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(await fs.promises.readFile(path.join(dir, MODEL_FILE), 'utf8'));
      const specs: WeightSpec[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        for (const file of group.paths) {
          if (path.basename(file) !== file) fail('fileHandler()', `model.json names weight file ${JSON.stringify(file)} outside ${dir}.`);
          buffers.push(await fs.promises.readFile(path.join(dir, file)));
        }
        specs.push(...group.weights);
      }
      const weightData = concatArrays(buffers).buffer as ArrayBuffer;
      return { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData };
    },
  };
}
