/**
 * Encoding: points anywhere on or between the grid's values turned into the model input, as the
 * space feeds it (numbers scaled when `normalize`, string axes one-hot or as index).
 */
import { tf } from '../backend';
import { fail, formatValue } from '../errors';
import { RangeAxis } from './axis';
import type { Grid } from './grid';
import type { Point } from './types';

/** The model input of `points`; see `InputSpace.encode`. */
export function encodePoints(grid: Grid, points: readonly Point[], normalize: boolean): tf.Tensor2D {
  const width = grid.featureCount;
  const out = new Float32Array(points.length * width);
  points.forEach((point, i) => {
    let offset = i * width;
    for (const axis of grid.axisList) {
      const value: unknown = point?.[axis.name];
      if (value === undefined) fail('InputSpace.encode()', `point ${i} lacks axis \`${axis.name}\`. Received: ${formatValue(point)}.`);
      if (axis instanceof RangeAxis) {
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          fail('InputSpace.encode()', `axis \`${axis.name}\` of point ${i} must be a finite number. Received: ${axis.name}=${formatValue(value)}.`);
        }
        out[offset] = normalize ? (axis.length > 1 ? (2 * (value - axis.min)) / (axis.value(axis.length - 1) - axis.min) - 1 : 0) : value;
      } else {
        const k = axis.indexOf(value);
        if (k < 0) fail('InputSpace.encode()', `axis \`${axis.name}\` of point ${i} is not one of its values. Received: ${axis.name}=${formatValue(value)}.`);
        axis.write(k, out, offset, 'features');
      }
      offset += axis.width('features');
    }
  });
  return tf.tensor2d(out, [points.length, width]);
}
