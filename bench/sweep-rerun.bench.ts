/**
 * A sweep executed again, unchanged (a re-executed notebook cell): what noticing edits costs. The
 * sweep checks each recorded trial — the trial function called again up to its train() call, which
 * says what it would train and ends it (lib/sweep/versions.ts) — and rebuilds each trial's Run from
 * its checkpoints. Measured side by side with training the same sweep, and with train() executed
 * again on one finished run (which loads its checkpoint), on a 3000 × 20 table-sized problem.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setSeed, sweep, tf, train } from '../lib';
import type { BenchRow, BenchSection } from './report';

const ROWS = 3000;
const FEATURES = 20;
const TRIALS = 12;
const EPOCHS = 8;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const section: BenchSection = {
  title: `sweep executed again unchanged (${TRIALS} trials, ${ROWS} × ${FEATURES} rows, ${EPOCHS} epochs each)`,
  async run(): Promise<BenchRow[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-bench-rerun-'));
    const xs = tf.randomNormal([ROWS, FEATURES], 0, 1, 'float32', 3) as tf.Tensor2D;
    const ys = tf.tidy(() => tf.sum(tf.sin(xs), 1, true)) as tf.Tensor2D;
    const data = { xs: xs.slice(0, 2400), ys: ys.slice(0, 2400) };
    const validation = { xs: xs.slice(2400), ys: ys.slice(2400) };
    const makeModel = (units: number, lr: number) => {
      setSeed(1);
      const model = tf.sequential({ layers: [tf.layers.dense({ units, activation: 'relu', inputShape: [FEATURES] }), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: tf.train.adam(lr), loss: 'meanSquaredError' });
      return model;
    };
    const trial = (params: { units: number; lr: number }) => train(makeModel(params.units, params.lr), data, { epochs: EPOCHS, batchSize: 64, validation });
    const space = { units: [16, 32, 64, 128], lr: [0.01, 0.003, 0.001] };
    const options = { dir, name: 'bench', plot: false, progress: false } as const;
    try {
      let started = performance.now();
      const first = await sweep(space, trial, options);
      const trained = performance.now() - started;
      const again: number[] = [];
      const rerunOne: number[] = [];
      for (let repeat = 0; repeat < 5; repeat++) {
        started = performance.now();
        const result = await sweep(space, trial, options);
        again.push(performance.now() - started);
        if (result.name !== 'bench' || result.trials.length !== first.trials.length) throw new Error('bench: the sweep did not return its record');
        started = performance.now();
        await train(makeModel(16, 0.01), data, { epochs: EPOCHS, batchSize: 64, validation, checkpoint: path.join(dir, 'single'), name: 'one', plot: false });
        rerunOne.push(performance.now() - started);
      }
      const rerun = median(again);
      return [
        { name: 'first execution (trains every trial)', value: trained / 1000, unit: 's' },
        { name: 'executed again unchanged (median of 5)', value: rerun, unit: 'ms' },
        { name: 'per trial: check + rebuild its Run', value: rerun / TRIALS, unit: 'ms' },
        { name: 'train() of one finished run executed again (median, after its first)', value: median(rerunOne.slice(1)), unit: 'ms' },
        { name: 'executed again / first execution', value: (100 * rerun) / trained, unit: '%', goal: '≤ 5', met: (100 * rerun) / trained <= 5 },
      ];
    } finally {
      tf.dispose([xs, ys, data.xs, data.ys, validation.xs, validation.ys]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export = section;
