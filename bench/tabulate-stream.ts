/**
 * Child process of the tabulate bench: streams one space and prints
 * `{ points, seconds, maxRssMB }`, so that peak memory is that of the streaming alone.
 *
 * Usage: node tabulate-stream.js POINTS SHAPE LABELS BATCH
 *   SHAPE  '1d' (one numeric axis) or '2d' (numeric × a 4-value string axis, one-hot)
 *   LABELS 'none', 'batch' (vectorised labelBatch) or 'point' (a label function per point)
 */
import { ready, tabulateInputSpace, type Axes, type TabulateOptions } from '../lib';

async function main(): Promise<void> {
  const [pointsArg, shape, labels, batchArg] = process.argv.slice(2);
  const points = Number(pointsArg);
  const batchSize = Number(batchArg);
  const fluids = ['water', 'glycol', 'oil', 'brine'];
  const numeric = shape === '2d' ? points / fluids.length : points;
  const temperature = { min: 0, max: (numeric - 1) / 100, step: 0.01 };
  const axes: Axes = shape === '2d' ? { temperature, fluid: fluids } : { temperature };
  const width = shape === '2d' ? 2 : 1;
  const options: TabulateOptions =
    labels === 'batch'
      ? {
          labelBatch: (xs, count) => {
            const ys = new Float32Array(count);
            for (let i = 0; i < count; i++) ys[i] = Math.exp(-0.02 * xs[i * width]) * (1 + 0.1 * (width === 2 ? xs[i * width + 1] : 0));
            return ys;
          },
        }
      : labels === 'point'
        ? { label: ({ temperature, fluid }) => Math.exp(-0.02 * (temperature as number)) * (fluid === 'oil' ? 1.2 : 1) }
        : {};
  const space = tabulateInputSpace(axes, options);
  if (space.size !== points) throw new Error(`expected ${points} points, got ${space.size}`);
  await ready();
  const started = process.hrtime.bigint();
  let streamed = 0;
  for await (const { count } of space.batches(batchSize)) streamed += count;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ points: streamed, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
