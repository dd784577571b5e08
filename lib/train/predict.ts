/**
 * `run.predict()`: the run's model applied to data in the forms `train()` takes — a tensor, nested
 * arrays, `{ xs }`, or raw rows and tables through the run's `features` and preprocessing — and
 * the file that keeps a run's preprocessing beside its checkpoints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready, tf } from '../backend';
import { MODEL_FILE } from '../checkpoint/format';
import { nodeFs, writeAtomic } from '../checkpoint/fs';
import { fileHandler } from '../checkpoint/layers';
import type { Tabular } from '../data';
import { fail } from '../errors';
import { PREPROCESSING_FILE, Preprocessing } from '../preprocess';
import { scoredRows, type ScoredRows } from '../metrics';
import { featureTensor, toDataset, type ColumnChoice } from './data';

/** What `run.predict()` takes: features as a tensor or nested arrays, `{ xs }`, or rows / a table with the run's feature columns. */
export type PredictInput = tf.Tensor | readonly (readonly number[])[] | readonly number[] | { readonly xs: unknown } | Tabular;

/** Predictions of `model` for `data` (a tensor the caller disposes). */
export function predictWith(model: tf.LayersModel, columns: ColumnChoice, data: unknown, where: string): tf.Tensor {
  const xs = featureTensor(data, columns, where);
  try {
    return tf.tidy(() => model.predict(xs, { batchSize: 1024 }) as tf.Tensor);
  } finally {
    if (xs !== data) xs.dispose();
  }
}

/** True classes and the model's scores for labelled `data` (any form `train()` takes). */
export async function scoreWith(model: tf.LayersModel, columns: ColumnChoice, data: unknown, where: string): Promise<ScoredRows> {
  if (data === undefined) fail(where, 'there is no test data: pass the labelled data to score, e.g. the test part of the split.');
  const dataset = await toDataset(model, data, columns, where, 'data');
  try {
    if (!dataset.rows) fail(where, 'a classifier is scored on { xs, ys }, rows or a table, not on a tabulated space.');
    const { xs, ys } = dataset.rows();
    const predictions = tf.tidy(() => model.predict(tf.tensor2d(xs, [dataset.size, dataset.widths.features]).reshape([dataset.size, ...(model.inputs[0].shape.slice(1) as number[])]), { batchSize: 1024 }) as tf.Tensor);
    const scores = predictions.dataSync() as Float32Array;
    predictions.dispose();
    return scoredRows(ys, dataset.widths.labels, scores, scores.length / dataset.size, where);
  } finally {
    dataset.dispose();
  }
}

/** Writes the run's fitted preprocessing into its directory (atomically, as checkpoints are written). */
export async function savePreprocessing(runDir: string, preprocess: Preprocessing, where: string): Promise<void> {
  try {
    await writeAtomic(nodeFs, path.join(runDir, PREPROCESSING_FILE), new TextEncoder().encode(`${JSON.stringify(preprocess.toJSON(), null, 1)}\n`));
  } catch (error) {
    fail(where, `could not write the run's preprocessing to ${path.join(runDir, PREPROCESSING_FILE)}: ${(error as Error).message}.`);
  }
}

/** The preprocessing kept in `dir` (a run directory or an export), if there is one. */
export function readPreprocessing(dir: string): Preprocessing | undefined {
  const file = path.join(dir, PREPROCESSING_FILE);
  return fs.existsSync(file) ? Preprocessing.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))) : undefined;
}

/** A model exported by `run.checkpoints.export()`, with the preprocessing it was trained with. */
export interface ExportedModel {
  readonly model: tf.LayersModel;
  /** The preprocessing the run was trained with, when it had one. */
  readonly preprocessing?: Preprocessing;
  /** Predictions for raw rows or an arquero table (through the preprocessing), or for features as a tensor or nested arrays. */
  predict(data: PredictInput): tf.Tensor;
}

/**
 * Loads an export (`model.json`, `weights.bin` and, for a run trained with `preprocess()`,
 * `preprocessing.json`) so that it predicts from raw rows as the run did — in a notebook, a
 * script or a server, without the run's checkpoints.
 *
 * @example
 * await run.checkpoints.export('best', 'models/loans');
 * const exported = await loadModel('models/loans');
 * exported.predict([{ income: 52000, age: null, purpose: 'car' }]).arraySync();
 */
export async function loadModel(dir: string): Promise<ExportedModel> {
  const where = 'loadModel()';
  if (typeof dir !== 'string' || dir === '') fail(where, `\`dir\` must be the directory an export was written to. Received: dir=${JSON.stringify(dir)}.`);
  if (!fs.existsSync(path.join(dir, MODEL_FILE))) fail(where, `${path.resolve(dir)} holds no ${MODEL_FILE}. Export a run first: await run.checkpoints.export('best', dir).`);
  await ready();
  const model = await tf.loadLayersModel(fileHandler(dir));
  const preprocessing = readPreprocessing(dir);
  const columns = preprocessing ? { features: preprocessing.features, preprocess: preprocessing } : {};
  return { model, ...(preprocessing ? { preprocessing } : {}), predict: (data) => predictWith(model, columns, data, 'ExportedModel.predict()') };
}
