/**
 * The TensorFlow.js layers format (`model.json` + one binary file) that every checkpoint — and
 * every export — is written in, so that `tf.loadLayersModel` loads it. tfjs' `file://` handler
 * exists only in tfjs-node, so reading goes through a small IOHandler over `node:fs`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../backend';
import { fail } from '../errors';
import { MODEL_FILE, WEIGHTS_FILE } from './format';
import { nodeFs, writeAtomic } from './fs';
import { concatArrays, type WeightSpec } from './snapshot';

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

/**
 * Writes `model` — its topology and the weights it holds now — to `dir` in the layers format
 * (`model.json` + `weights.bin`), each file atomically: what `Run.export()` writes, loadable with
 * `tf.loadLayersModel(fileHandler(dir))` or `loadModel(dir)`. tf.js' own `model.save('file://…')`
 * needs tfjs-node, so the artifacts go through a save handler over `node:fs`.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.concatenateArrayBuffers(([] as ArrayBuffer[]).concat(artifacts.weightData as ArrayBuffer | ArrayBuffer[])));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      await nodeFs.mkdir(dir);
      await writeAtomic(nodeFs, path.join(dir, WEIGHTS_FILE), weightData);
      await writeAtomic(nodeFs, path.join(dir, MODEL_FILE), new TextEncoder().encode(JSON.stringify(json)));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }),
  );
}
