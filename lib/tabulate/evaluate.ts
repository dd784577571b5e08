/**
 * Evaluation: the error of a model over every point of a space, predicted in float32 rows by the
 * engine the selection picks (lib/engines/select.ts: the fused engine's forward pass for a dense
 * chain, with no tensor per batch; `model.predict` for any other model), and the points where it
 * is worst.
 */
import { ready } from '../backend';
import type { RowPredictor } from '../engines/engine';
import { choosePredictor, engineSettings } from '../engines/select';
import { fail, formatValue } from '../errors';
import { checkInteger } from '../util/options';
import { gatherRows } from './batches';
import type { Grid } from './grid';
import type { Labeller } from './labels';
import type { EvaluateSpaceOptions, Point, Predictor, SpaceEvaluation, WorstPoint } from './types';

const WHERE = 'InputSpace.evaluate()';

/** The error of `model` over the space; see `InputSpace.evaluate`. */
export async function evaluateSpace<P extends Point>(grid: Grid, labeller: Labeller<P>, model: Predictor, options: EvaluateSpaceOptions = {}): Promise<SpaceEvaluation<P>> {
  const { batchSize = 65536, worst = 5 } = options;
  if (!model || typeof model.predict !== 'function') {
    fail(WHERE, `model must have a predict(xs) method, like a tfjs LayersModel. Received: ${formatValue(model)}.`);
  }
  if (!labeller.labelled) fail(WHERE, 'the space has no labels. Pass `label` or `labelBatch` to tabulateInputSpace().');
  checkInteger(WHERE, 'worst', worst, 0);
  checkInteger(WHERE, 'batchSize', batchSize, 1);
  const { engine, threads } = engineSettings(options, WHERE);
  const width = labeller.count;
  await ready();
  const shape = { inputs: grid.featureCount, outputs: width, describe: `the space has ${grid.featureCount} feature and ${width} label column(s)` };
  const predictor = choosePredictor(engine, { model, threads, shape, where: WHERE });
  const errors = new ErrorTally(width, worst);
  try {
    let predictions: Float32Array = new Float32Array(0);
    for (let first = 0; first < grid.size; first += batchSize) {
      const count = Math.min(batchSize, grid.size - first);
      const labels = await labeller.range(first, count);
      if (predictions.length < count * width) predictions = new Float32Array(count * width);
      predictions = predictor.predict(grid.featureMatrix(first, count), count, predictions);
      errors.addDifferences(predictions, labels, first, count);
    }
    const elements = grid.size * width;
    return {
      points: grid.size,
      maxAbsError: errors.maxAbs,
      meanAbsError: errors.sumAbs / elements,
      rmse: Math.sqrt(errors.sumSquares / elements),
      worst: await describeWorst(grid, labeller, predictor, errors.worst),
    };
  } finally {
    predictor.dispose();
  }
}

/** The worst points with their labels and predictions (by the predictor that ranked them). */
async function describeWorst<P extends Point>(grid: Grid, labeller: Labeller<P>, predictor: RowPredictor, worst: { index: number; error: number }[]): Promise<WorstPoint<P>[]> {
  if (worst.length === 0) return [];
  const { features, labels } = await gatherRows(grid, labeller, worst.map(({ index }) => index));
  const predictions = predictor.predict(features, worst.length);
  const width = labeller.count;
  const row = (values: Float32Array, i: number) => Array.from(values.subarray(i * width, (i + 1) * width));
  return worst.map(({ index, error }, i) => ({ index, point: grid.at(index) as P, label: row(labels!, i), prediction: row(predictions, i), absError: error }));
}

/**
 * Sums, maximum and worst points of absolute errors, a batch at a time. A point's error is the
 * largest over its label columns; NaN (a diverged model) ranks as the worst error and sticks. One
 * tight loop per batch: a 10⁸-point evaluation spends its time in the model, not here.
 */
class ErrorTally {
  sumAbs = 0;
  sumSquares = 0;
  maxAbs = 0;
  /** The worst points, the worst first. */
  readonly worst: { index: number; error: number }[] = [];
  /** What a point's ranked error must exceed to enter `worst` (−∞ until it is full). */
  private threshold = -Infinity;

  constructor(
    private readonly width: number,
    private readonly limit: number,
  ) {
    if (limit === 0) this.threshold = Infinity;
  }

  /** |prediction − label| in float32, as tf.abs(tf.sub(...)) computes it; overwrites `predictions`. */
  addDifferences(predictions: Float32Array, labels: Float32Array, start: number, count: number): void {
    const n = count * this.width;
    for (let k = 0; k < n; k++) predictions[k] = Math.abs(predictions[k] - labels[k]);
    this.add(predictions, start, count);
  }

  /** Absolute errors of `count` points from `start` (row-major, `width` per point). */
  add(errors: ArrayLike<number>, start: number, count: number): void {
    const { width } = this;
    let { sumAbs, sumSquares, maxAbs } = this;
    for (let i = 0, k = 0; i < count; i++) {
      let pointError = 0;
      for (let c = 0; c < width; c++, k++) {
        const error = errors[k];
        sumAbs += error;
        sumSquares += error * error;
        if (error > pointError || error !== error) pointError = error;
      }
      if (pointError > maxAbs || pointError !== pointError) maxAbs = pointError;
      if (rankError(pointError) > this.threshold) this.insert(start + i, pointError);
    }
    this.sumAbs = sumAbs;
    this.sumSquares = sumSquares;
    this.maxAbs = maxAbs;
  }

  private insert(index: number, error: number): void {
    const list = this.worst;
    let position = list.length;
    while (position > 0 && rankError(list[position - 1].error) < rankError(error)) position--;
    list.splice(position, 0, { index, error });
    if (list.length > this.limit) list.pop();
    if (list.length === this.limit) this.threshold = rankError(list[list.length - 1].error);
  }
}

function rankError(error: number): number {
  return Number.isNaN(error) ? Infinity : error;
}

