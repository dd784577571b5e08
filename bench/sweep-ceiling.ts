/**
 * `node dist/bench/sweep-ceiling.js [--checkpoints]`: trains the sweep bench's throughput workload
 * (4 × the MLP of `throughputTrial`, no sweep) and prints the seconds it took. The sweep bench runs
 * one, then two side by side: what two processes can gain on this machine at best — without
 * checkpoints, and with a checkpoint every epoch as the trials write them (the writer thread of a
 * lone process uses the idle second core; two processes share both cores with theirs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ready, setSeed, tf, train, Rng } from '../lib';
import { THROUGHPUT } from './sweep-problems';

async function main(): Promise<void> {
  await ready();
  const checkpoints = process.argv.includes('--checkpoints');
  const rng = new Rng('throughput:train');
  const rows = Array.from({ length: THROUGHPUT.rows }, () => Array.from({ length: 8 }, () => 2 * rng.random() - 1));
  const labelled = (xs: number[][]) => ({ xs: tf.tensor2d(xs), ys: tf.tensor2d(xs.map((x) => [x.reduce((sum, v) => sum + Math.sin(v), 0)])) });
  const data = labelled(rows);
  const validation = labelled(rows.slice(0, 256));
  const model = () => {
    setSeed(7);
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 64, activation: 'relu', inputShape: [8] }), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 1 })] });
    m.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
    return m;
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-bench-ceiling-'));
  try {
    await train(model(), data, { epochs: 2, checkpoint: false, plot: false, progress: false });
    const start = performance.now();
    for (let k = 1; k <= 4; k++) {
      await train(model(), data, { epochs: THROUGHPUT.epochs, seed: k, validation, checkpoint: checkpoints ? { dir } : false, name: `ceiling-${k}`, plot: false, progress: false });
    }
    process.stdout.write(`${(performance.now() - start) / 1000}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
