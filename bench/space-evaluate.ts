/**
 * Child process of the tabulate bench: `space.evaluate(model)` over a whole labelled space with a
 * dense tf.js model (the fused forward pass), printing `{ points, seconds, maxRssMB }`.
 *
 * Usage: node space-evaluate.js POINTS ACTIVATION
 *   a space of POINTS points (a numeric axis × 4 velocities), labelled by a vectorised labelBatch,
 *   and an untrained 2-32-32-1 MLP with ACTIVATION ('relu', 'tanh', ...) in its hidden layers.
 */
import { ready, setSeed, tabulateInputSpace, tf } from '../lib';

async function main(): Promise<void> {
  const [pointsArg, activation] = process.argv.slice(2);
  const points = Number(pointsArg);
  const velocities = [0.5, 1, 1.5, 2];
  const space = tabulateInputSpace(
    { temperature: { min: 0, max: (points / velocities.length - 1) / 100, step: 0.01 }, velocity: velocities },
    {
      labelBatch: (xs, count) => {
        const ys = new Float32Array(count);
        for (let i = 0; i < count; i++) ys[i] = Math.exp(-0.02 * xs[2 * i]) * xs[2 * i + 1];
        return ys;
      },
      normalize: true,
    },
  );
  if (space.size !== points) throw new Error(`expected ${points} points, got ${space.size}`);
  await ready();
  setSeed(1);
  const dense = (units: number, extra: object = {}) => tf.layers.dense({ units, activation: activation as 'relu', ...extra });
  const model = tf.sequential({ layers: [dense(32, { inputShape: [2] }), dense(32), tf.layers.dense({ units: 1 })] });
  const started = process.hrtime.bigint();
  const { points: evaluated } = await space.evaluate(model);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ points: evaluated, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
