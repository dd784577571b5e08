/** Small models, data and comparisons shared by the training tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf } from '../../../lib/backend';
import { getSeed, Rng, setSeed, unseedMathRandom } from '../../../lib/random';

/** A fresh temporary directory, removed after the test run. */
export function tmpDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cellfit-${label}-`));
  created.push(dir);
  return dir;
}
const created: string[] = [];
// Under mocha only: child processes of the crash tests import this module too.
if (typeof after === 'function') {
  after(() => {
    for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** A noisy linear regression problem as plain arrays (the same in every process). */
export function regressionRows(rows = 100, features = 3, seed = 1): { xs: number[][]; ys: number[][] } {
  const rng = new Rng(`data:${seed}`);
  const weights = Array.from({ length: features }, (_, i) => (i % 2 === 0 ? 1 : -0.5) * (i + 1));
  const xs = Array.from({ length: rows }, () => Array.from({ length: features }, () => rng.random() * 2 - 1));
  const ys = xs.map((x) => [x.reduce((sum, value, i) => sum + value * weights[i], 0.3) + (rng.random() - 0.5) * 0.1]);
  return { xs, ys };
}

/** The same problem as tensors. */
export function regression(rows = 100, features = 3, seed = 1): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const { xs, ys } = regressionRows(rows, features, seed);
  return { xs: tf.tensor2d(xs), ys: tf.tensor2d(ys) };
}

/**
 * Runs `count` training steps of `model` through its own training function (what model.fit runs per
 * batch), on batches 16 rows each of one fixed regression problem, from batch `offset` (at most 8
 * batches in all), with no dropout randomness involved.
 */
export function trainSteps(model: tf.LayersModel, count: number, offset = 0): void {
  const { xs, ys } = regression(16 * 8);
  const core = (model as unknown as { model: { makeTrainFunction(): (data: tf.Tensor[]) => tf.Scalar[] } }).model;
  const step = core.makeTrainFunction();
  for (let i = offset; i < offset + count; i++) {
    const batch = [xs.slice([16 * i, 0], [16, 3]), ys.slice([16 * i, 0], [16, 1])];
    tf.dispose([...step(batch), ...batch]);
  }
  tf.dispose([xs, ys]);
}

/** The seven tfjs optimizers, configured so that every hidden variable is exercised. */
export const OPTIMIZERS: Readonly<Record<string, () => tf.Optimizer>> = {
  sgd: () => tf.train.sgd(0.05),
  momentum: () => tf.train.momentum(0.05, 0.9, true),
  adagrad: () => tf.train.adagrad(0.1),
  adadelta: () => tf.train.adadelta(1),
  adam: () => tf.train.adam(0.01),
  adamax: () => tf.train.adamax(0.01),
  rmsprop: () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true),
};

/**
 * A small MLP, built with seeded initialisers (the same weights every time), optionally with
 * dropout so that the dropout generator's state matters.
 */
export function buildModel({
  optimizer = 'adam',
  dropout = true,
  features = 3,
  units = 8,
  seed = 7,
  metrics = ['mae'],
  l2 = 0,
  hidden = [units],
}: { optimizer?: string | tf.Optimizer; dropout?: boolean; features?: number; units?: number; seed?: number; metrics?: string[]; l2?: number; hidden?: number[] } = {}): tf.LayersModel {
  // Seeded initialisers, without leaving the global seed or Math.random changed for other tests.
  const previous = getSeed();
  setSeed(seed);
  const regularizer = l2 > 0 ? tf.regularizers.l2({ l2 }) : undefined;
  const layers: tf.layers.Layer[] = hidden.map((size, i) =>
    tf.layers.dense({ units: size, activation: 'tanh', ...(i === 0 ? { inputShape: [features] } : {}), ...(regularizer ? { kernelRegularizer: regularizer } : {}) }),
  );
  if (dropout) layers.push(tf.layers.dropout({ rate: 0.25 }));
  layers.push(tf.layers.dense({ units: 1 }));
  const model = tf.sequential({ layers });
  unseedMathRandom();
  setSeed(previous, { mathRandom: false });
  const chosen = typeof optimizer === 'string' && optimizer in OPTIMIZERS ? OPTIMIZERS[optimizer]() : optimizer;
  model.compile({ optimizer: chosen, loss: 'meanSquaredError', metrics });
  return model;
}

/** All weight values of a model, as bytes (for bit-for-bit comparisons). */
export function weightBytes(model: tf.LayersModel): Buffer {
  return Buffer.concat(
    model.weights.map((weight) => {
      const values = weight.read().dataSync() as Float32Array;
      return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    }),
  );
}

/** The per-epoch metrics of a history (without the learning rate), for equality checks. */
export function metricsOf(history: readonly Record<string, number>[]): Record<string, number>[] {
  return history.map(({ lr: _lr, ...rest }) => rest);
}

/** Options that keep test output quiet. */
export const QUIET = { plot: false } as const;
