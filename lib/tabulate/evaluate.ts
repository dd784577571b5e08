/**
 * Evaluation: the error of a model over every point of a space — a dense chain by the fused
 * engine's forward pass over float32 rows, other models by their `predict` over streamed batches —
 * and the points where it is worst.
 */
import { ready, tf } from '../backend';
import { rowPredictor } from '../engines/fused/predict';
import { fail, formatValue } from '../errors';
import { gatherTensors, streamBatches } from './batches';
import type { Grid } from './grid';
import type { Labeller } from './labels';
import type { Point, Predictor, SpaceEvaluation, WorstPoint } from './types';

/** The error of `model` over the space; see `InputSpace.evaluate`. */
export async function evaluateSpace<P extends Point>(grid: Grid, labeller: Labeller<P>, model: Predictor, { batchSize = 65536, worst = 5 }: { batchSize?: number; worst?: number } = {}): Promise<SpaceEvaluation<P>> {
  if (!model || typeof model.predict !== 'function') {
    fail('InputSpace.evaluate()', `model must have a predict(xs) method, like a tfjs LayersModel. Received: ${formatValue(model)}.`);
  }
  if (!labeller.labelled) fail('InputSpace.evaluate()', 'the space has no labels. Pass `label` or `labelBatch` to tabulateInputSpace().');
  if (!Number.isInteger(worst) || worst < 0) fail('InputSpace.evaluate()', `worst must be a non-negative integer. Received: worst=${formatValue(worst)}.`);
  const width = labeller.count;
  const errors = new ErrorTally(width, worst);
  // A dense chain runs on the fused engine's forward pass: no tensor per batch.
  const predictor = model instanceof tf.LayersModel ? rowPredictor(model) : undefined;
  if (predictor && (predictor.inputs !== grid.featureCount || predictor.outputs !== width)) {
    predictor.dispose();
    fail('InputSpace.evaluate()', `the model maps ${predictor.inputs} inputs to ${predictor.outputs} outputs but the space has ${grid.featureCount} feature and ${width} label column(s).`);
  }
  try {
    if (predictor) {
      await ready();
      let predictions = new Float32Array(0);
      for (let first = 0; first < grid.size; first += batchSize) {
        const count = Math.min(batchSize, grid.size - first);
        const labels = await labeller.range(first, count);
        if (predictions.length < count * width) predictions = new Float32Array(count * width);
        predictor.predict(grid.featureMatrix(first, count), predictions);
        errors.addDifferences(predictions, labels, first, count);
      }
    } else {
      for await (const { xs, ys, start, count } of streamBatches(grid, labeller, batchSize)) {
        const absErrors = tf.tidy(() => {
          const prediction = model.predict(xs);
          if (Array.isArray(prediction)) fail('InputSpace.evaluate()', `the model has ${prediction.length} outputs; evaluate() compares one output with the labels.`);
          if (prediction.shape.length !== 2 || prediction.shape[1] !== width) {
            fail('InputSpace.evaluate()', `the model predicts shape [${prediction.shape.join(', ')}] but the space has ${width} label column(s). Received: prediction shape [${prediction.shape.join(', ')}].`);
          }
          return tf.abs(tf.sub(prediction, ys!));
        });
        const values = await absErrors.data();
        absErrors.dispose();
        errors.add(values, start, count);
      }
    }
  } finally {
    predictor?.dispose();
  }
  const elements = grid.size * width;
  return {
    points: grid.size,
    maxAbsError: errors.maxAbs,
    meanAbsError: errors.sumAbs / elements,
    rmse: Math.sqrt(errors.sumSquares / elements),
    worst: await describeWorst(grid, labeller, model, errors.worst),
  };
}

async function describeWorst<P extends Point>(grid: Grid, labeller: Labeller<P>, model: Predictor, worst: { index: number; error: number }[]): Promise<WorstPoint<P>[]> {
  if (worst.length === 0) return [];
  const { xs, ys } = await gatherTensors(grid, labeller, worst.map(({ index }) => index));
  const prediction = model.predict(xs) as tf.Tensor;
  const [labels, predictions] = [(await ys!.array()) as number[][], (await prediction.array()) as number[][]];
  tf.dispose([xs, ys!, prediction]);
  return worst.map(({ index, error }, i) => ({ index, point: grid.at(index) as P, label: labels[i], prediction: predictions[i], absError: error }));
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

