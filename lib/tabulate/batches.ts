/**
 * Batching: a space streamed in index order as tensors in flat memory, and the points at any
 * indices gathered as float32 rows or tensors (shuffled mini-batches).
 */
import { ready, tf } from '../backend';
import { fail, formatValue } from '../errors';
import { checkInteger } from '../util/options';
import type { Grid } from './grid';
import type { Labeller } from './labels';
import type { BatchOptions, Point, SpaceBatch } from './types';

/** The space in batches of `batchSize` points; see `InputSpace.batches`. */
export async function* streamBatches<P extends Point>(grid: Grid, labeller: Labeller<P>, batchSize: number, { labels = true, start = 0, end = grid.size }: BatchOptions = {}): AsyncGenerator<SpaceBatch> {
  checkInteger('InputSpace.batches()', 'batchSize', batchSize, 1);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > grid.size || start > end) {
    fail('InputSpace.batches()', `start and end must be integers with 0 ≤ start ≤ end ≤ ${grid.size}. Received: start=${formatValue(start)}, end=${formatValue(end)}.`);
  }
  await ready();
  const withLabels = labels && labeller.labelled;
  let current: SpaceBatch | undefined;
  try {
    for (let first = start; first < end; first += batchSize) {
      const count = Math.min(batchSize, end - first);
      const ysValues = withLabels ? await labeller.range(first, count) : undefined;
      disposeBatch(current);
      const xs = tf.tensor2d(grid.featureMatrix(first, count), [count, grid.featureCount]);
      const ys = ysValues ? tf.tensor2d(ysValues, [count, labeller.count]) : undefined;
      current = { xs, ...(ys ? { ys } : {}), start: first, count };
      yield current;
    }
  } finally {
    disposeBatch(current);
  }
}

/** Features and labels of the points at `indices` as row-major float32 arrays; see `InputSpace.gatherRows`. */
export async function gatherRows<P extends Point>(grid: Grid, labeller: Labeller<P>, indices: ArrayLike<number>): Promise<{ features: Float32Array; labels?: Float32Array }> {
  for (let i = 0; i < indices.length; i++) grid.checkIndex(indices[i], 'gather()');
  const width = grid.featureCount;
  const axes = grid.axisList.length;
  const features = new Float32Array(indices.length * width);
  const raw = labeller.batched ? new Float32Array(indices.length * axes) : undefined;
  for (let i = 0; i < indices.length; i++) {
    grid.writePoint(indices[i], features, i * width, 'features');
    if (raw) grid.writePoint(indices[i], raw, i * axes, 'raw');
  }
  if (!labeller.labelled) return { features };
  const labels = raw ? await labeller.ofRawRows(raw, indices.length) : await labeller.ofPoints(Array.from(indices, (i) => grid.at(i) as P));
  return { features, labels };
}

/** {@link gatherRows} as tensors the caller owns; see `InputSpace.gather`. */
export async function gatherTensors<P extends Point>(grid: Grid, labeller: Labeller<P>, indices: ArrayLike<number>): Promise<{ xs: tf.Tensor2D; ys?: tf.Tensor2D }> {
  const { features, labels } = await gatherRows(grid, labeller, indices);
  await ready();
  const xs = tf.tensor2d(features, [indices.length, grid.featureCount]);
  return labels ? { xs, ys: tf.tensor2d(labels, [indices.length, labeller.count]) } : { xs };
}

function disposeBatch(batch: SpaceBatch | undefined): void {
  if (!batch) return;
  batch.xs.dispose();
  batch.ys?.dispose();
}
