/**
 * `node dist/bench/sweep-ceiling.js`: trains the sweep bench's throughput workload (4 × the MLP of
 * `throughputTrial`, no checkpoints, no sweep) and prints the seconds it took. The sweep bench runs
 * one, then two side by side: what two TensorFlow.js processes can gain on this machine at best.
 */
import { ready, setSeed, tf, train, Rng } from '../lib';
import { THROUGHPUT } from './sweep-problems';

async function main(): Promise<void> {
  await ready();
  const rng = new Rng('throughput:train');
  const rows = Array.from({ length: THROUGHPUT.rows }, () => Array.from({ length: 8 }, () => 2 * rng.random() - 1));
  const data = { xs: tf.tensor2d(rows), ys: tf.tensor2d(rows.map((x) => [x.reduce((sum, v) => sum + Math.sin(v), 0)])) };
  const model = () => {
    setSeed(7);
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 64, activation: 'relu', inputShape: [8] }), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 1 })] });
    m.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
    return m;
  };
  await train(model(), data, { epochs: 2, checkpoint: false, plot: false });
  const start = performance.now();
  for (let k = 1; k <= 4; k++) await train(model(), data, { epochs: THROUGHPUT.epochs, seed: k, checkpoint: false, plot: false });
  process.stdout.write(`${(performance.now() - start) / 1000}\n`);
}

void main();
