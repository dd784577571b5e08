/**
 * The fused forward pass for prediction: a tf.js model's dense chain run over rows of float32
 * features inside WebAssembly, with no tensor per batch — what evaluating a model over a whole
 * tabulated input space (10⁸ points) needs. Dropout is the identity outside training.
 */
import type { tf } from '../../backend';
import { FusedNetwork } from './network';
import { networkSpecOf, planLayers } from './plan';

/** Predicts rows of features (row-major, `inputs` per row) into rows of outputs. */
export interface RowPredictor {
  readonly inputs: number;
  readonly outputs: number;
  predict(features: Float32Array, out?: Float32Array): Float32Array;
  dispose(): void;
}

/**
 * A fused predictor holding `model`'s current weights, or undefined when the model is not a
 * chain the fused engine runs (callers then use `model.predict`).
 *
 * @example
 * const predictor = rowPredictor(model);
 * const outputs = predictor?.predict(features);   // rows × outputs
 * predictor?.dispose();
 */
export function rowPredictor(model: tf.LayersModel, threads?: number): RowPredictor | undefined {
  const network = planLayers(model);
  if (network.reason !== undefined) return undefined;
  const net = FusedNetwork.forPrediction(networkSpecOf(network), { threads });
  try {
    net.setWeights(model.trainableWeights.map((weight) => weight.read().dataSync() as Float32Array));
  } catch (error) {
    net.dispose();
    throw error;
  }
  return {
    inputs: network.inputs,
    outputs: net.plan.outputs,
    predict: (features, out) => net.predict(features, out),
    dispose: () => net.dispose(),
  };
}
