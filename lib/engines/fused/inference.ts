/**
 * The fused engine outside training: evaluation (loss and metrics over a dataset) and prediction
 * (a dense chain run over rows of float32 features inside WebAssembly, with no tensor per batch —
 * what evaluating a model over a whole tabulated input space, 10⁸ points, needs). Dropout is the
 * identity outside training. The training engine's validation (./adapter.ts) evaluates through
 * {@link evaluateDataset} too, so validation and `run.evaluate()` compute alike.
 */
import type { tf } from '../../backend';
import { fail } from '../../errors';
import type { Dataset, Rows } from '../data';
import type { EngineInfo, ModelEvaluator, RowPredictor, RowShape } from '../engine';
import { FusedNetwork } from './network';
import { networkSpecOf, trainingSpecOf, type FusedPlan, type PlannedNetwork } from './plan';

/**
 * Mean loss and metrics of `net` over `data`: its rows at once when the dataset holds them (kept in
 * `cache` per dataset, for a validation set read every epoch), else chunk by chunk, each chunk's
 * means weighted by its rows (as the tfjs engine does).
 */
export async function evaluateDataset(net: FusedNetwork, data: Dataset, batchSize: number, cache?: WeakMap<Dataset, Rows>): Promise<number[]> {
  if (data.rows) {
    let rows = cache?.get(data);
    if (!rows) {
      rows = data.rows();
      cache?.set(data, rows);
    }
    return net.evaluate({ xs: rows.xs, ys: rows.ys, batchSize });
  }
  const chunk = Math.max(batchSize, 4096);
  const totals: number[] = [];
  for (let first = 0; first < data.size; first += chunk) {
    const count = Math.min(chunk, data.size - first);
    const { xs, ys } = await data.gatherRows(Int32Array.from({ length: count }, (_, i) => first + i));
    net.evaluate({ xs, ys, batchSize }).forEach((value, i) => (totals[i] = (totals[i] ?? 0) + value * count));
  }
  return totals.map((total) => total / data.size);
}

/** Copies `model`'s trainable weights into `net` (disposing it when they do not fit). */
function loadWeights(net: FusedNetwork, model: tf.LayersModel): FusedNetwork {
  try {
    net.setWeights(model.trainableWeights.map((weight) => weight.read().dataSync() as Float32Array));
    return net;
  } catch (error) {
    net.dispose();
    throw error;
  }
}

/** Evaluates `model` (planned as `plan`) with its current weights on the fused engine. */
export function fusedEvaluator(model: tf.LayersModel, plan: FusedPlan, threads: number | undefined): ModelEvaluator {
  const net = loadWeights(new FusedNetwork({ ...networkSpecOf(plan), ...trainingSpecOf(plan), threads }), model);
  return {
    info: { name: 'fused', threads: net.threads },
    evaluate: (data, batchSize) => evaluateDataset(net, data, batchSize),
    dispose: () => net.dispose(),
  };
}

/**
 * Predicts with `model`'s current weights (its layers planned as `network`) on the fused engine,
 * for rows of `shape` (checked against the network here, errors naming `where`).
 *
 * @example
 * const predictor = fusedRowPredictor(model, planLayers(model), undefined, { inputs: 2, outputs: 1, describe: 'the data has 2 features' }, 'evaluate()');
 * const outputs = predictor.predict(features, rows);   // rows × 1
 * predictor.dispose();
 */
export function fusedRowPredictor(model: tf.LayersModel, network: PlannedNetwork, threads: number | undefined, shape: RowShape, where: string): RowPredictor {
  const net = loadWeights(FusedNetwork.forPrediction(networkSpecOf(network), { threads }), model);
  if (network.inputs !== shape.inputs || net.plan.outputs !== shape.outputs) {
    net.dispose();
    fail(where, `the model maps ${network.inputs} inputs to ${net.plan.outputs} outputs but ${shape.describe}.`);
  }
  const info: EngineInfo = { name: 'fused', threads: net.threads };
  return {
    info,
    predict: (features, rows, out) => {
      const xs = features.length === rows * shape.inputs ? features : features.subarray(0, rows * shape.inputs);
      return net.predict(xs, out && out.length >= rows * shape.outputs ? out : undefined);
    },
    dispose: () => net.dispose(),
  };
}
