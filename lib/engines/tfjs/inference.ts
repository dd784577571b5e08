/**
 * The tfjs engine outside training: evaluation through the model's own `evaluate` (as the dataset
 * runs it: whole tensors, or chunk by chunk for data too large to hold) and prediction through its
 * own `predict` — for any model, or any object with a `predict(xs)` method.
 */
import { tf } from '../../backend';
import { fail } from '../../errors';
import type { Dataset } from '../data';
import type { EngineInfo, ModelEvaluator, RowPredictor, RowShape, TensorPredictor } from '../engine';

/** Mean loss and metrics of `model` over `data` by tf.js (what the tfjs training engine validates with). */
export function evaluateWithTfjs(model: tf.LayersModel, data: Dataset, batchSize: number): Promise<number[]> {
  return data.evaluate(model, batchSize);
}

/** Evaluates `model` with its current weights on tf.js. */
export function tfjsEvaluator(model: tf.LayersModel, info: EngineInfo): ModelEvaluator {
  return { info, evaluate: (data, batchSize) => evaluateWithTfjs(model, data, batchSize), dispose: () => undefined };
}

/** Predicts with `model.predict` for rows of `shape` (each prediction's shape checked, errors naming `where`). */
export function tfjsRowPredictor(model: TensorPredictor, info: EngineInfo, shape: RowShape, where: string): RowPredictor {
  return {
    info,
    predict(features, rows, out) {
      const xs = tf.tensor2d(features.length === rows * shape.inputs ? features : features.subarray(0, rows * shape.inputs), [rows, shape.inputs]);
      let prediction: tf.Tensor | tf.Tensor[] | undefined;
      try {
        prediction = model.predict(xs);
        if (Array.isArray(prediction)) fail(where, `the model has ${prediction.length} outputs; it must have one, of ${shape.outputs} value(s) per row, as ${shape.describe}.`);
        if (prediction.shape.length !== 2 || prediction.shape[0] !== rows || prediction.shape[1] !== shape.outputs) {
          fail(where, `the model predicts shape [${prediction.shape.join(', ')}] but ${shape.describe}.`);
        }
        const values = prediction.dataSync();
        const target = out && out.length >= values.length ? out : new Float32Array(values.length);
        target.set(values);
        return target;
      } finally {
        tf.dispose([xs, ...(prediction === undefined ? [] : Array.isArray(prediction) ? prediction : [prediction])]);
      }
    },
    dispose: () => undefined,
  };
}
