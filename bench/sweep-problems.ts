/**
 * The problems of the sweep bench, as a module worker processes can load (`{ module:
 * 'dist/bench/sweep-problems.js', export: 'throughputTrial' }`):
 *
 * - `throughputTrial`: a fixed, CPU-bound trial (an 8-64-64-1 MLP on 16384 rows, 40 epochs) for
 *   trials per hour with 1 and 2 workers (about 1 s per trial on a free core, on the fused engine),
 *   and `sparseCheckpointTrial`, the same checkpointing every 10th epoch;
 * - the two tutorial-sized problems ASHA is compared with a grid on: tutorial 6's (y = sin 3x, a
 *   2-hidden-layer tanh network, 30 epochs) and tutorial 7's (waves in two inputs, 27 epochs).
 */
import { setSeed, tf, train, Rng, type Run } from '../lib';
import type { Callback, TrainOptions, TrialContext } from '../lib';

/** A tutorial-sized problem: its grid and its trial. */
export interface Problem {
  readonly label: string;
  readonly space: Record<string, readonly (number | string)[]>;
  readonly epochs: number;
  trial(params: Record<string, number | string>, callbacks: Callback[]): Promise<Run>;
}

const cache = new Map<string, { train: { xs: tf.Tensor2D; ys: tf.Tensor2D }; validation: { xs: tf.Tensor2D; ys: tf.Tensor2D } }>();

function dataset(key: string, inputs: number, rows: [number, number], label: (x: number[]) => number) {
  let data = cache.get(key);
  if (!data) {
    const make = (count: number, seed: string) => {
      const rng = new Rng(seed);
      const xs = Array.from({ length: count }, () => Array.from({ length: inputs }, () => 2 * rng.random() - 1));
      return { xs: tf.tensor2d(xs), ys: tf.tensor2d(xs.map((x) => [label(x) + 0.05 * (rng.random() - 0.5)])) };
    };
    data = { train: make(rows[0], `${key}:train`), validation: make(rows[1], `${key}:validation`) };
    cache.set(key, data);
  }
  return data;
}

function mlp(inputs: number, hidden: readonly number[], activation: string, lr: number): tf.LayersModel {
  setSeed(7);
  const model = tf.sequential({
    layers: [
      ...hidden.map((units, i) => tf.layers.dense({ units, activation: activation as 'tanh', ...(i === 0 ? { inputShape: [inputs] } : {}) })),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(lr), loss: 'meanSquaredError' });
  return model;
}

/** Tutorial 6's problem: y = sin(3x), 200 rows, width × learning rate. */
export const SINE: Problem = {
  label: 'tutorial 6 (sin 3x): 4 widths × 6 rates, 30 epochs',
  space: { units: [4, 8, 16, 32], lr: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3] },
  epochs: 30,
  trial(params, callbacks) {
    const data = dataset('sine', 1, [200, 100], ([x]) => Math.sin(3 * x));
    const units = Number(params.units);
    return train(mlp(1, [units, units], 'tanh', Number(params.lr)), data.train, { epochs: 30, batchSize: 20, validation: data.validation, seed: 1, callbacks });
  },
};

/** Tutorial 7's problem: waves in two inputs, 400 rows, rate × width × activation. */
export const WAVES: Problem = {
  label: 'tutorial 7 (waves): 6 rates × 3 widths × 2 activations, 27 epochs',
  space: { lr: [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1], units: [4, 16, 64], activation: ['tanh', 'relu'] },
  epochs: 27,
  trial(params, callbacks) {
    const data = dataset('waves', 2, [400, 200], ([a, b]) => Math.sin(3 * a) * Math.cos(2 * b));
    const units = Number(params.units);
    return train(mlp(2, [units, units], String(params.activation), Number(params.lr)), data.train, { epochs: 27, batchSize: 32, validation: data.validation, seed: 7, callbacks });
  },
};

/** The throughput trial's size: long enough that a worker process's start-up is a small part of a trial. */
export const THROUGHPUT = { rows: 16384, epochs: 40 } as const;

/** The throughput trial: the same work for every parameter value. */
export async function throughputTrial(params: { k: number }): Promise<Run> {
  return trainThroughput(params.k);
}

/** The throughput trial checkpointing every 10th epoch (in the sweep's directory) instead of every epoch. */
export async function sparseCheckpointTrial(params: { k: number }, context: TrialContext): Promise<Run> {
  return trainThroughput(params.k, { checkpoint: { dir: context.dir, every: { epochs: 10 } } });
}

function trainThroughput(seed: number, options: Pick<TrainOptions, 'checkpoint'> = {}): Promise<Run> {
  const data = dataset('throughput', 8, [THROUGHPUT.rows, 256], (x) => x.reduce((sum, v) => sum + Math.sin(v), 0));
  return train(mlp(8, [64, 64], 'relu', 0.001), data.train, { epochs: THROUGHPUT.epochs, batchSize: 32, validation: data.validation, seed, ...options });
}
