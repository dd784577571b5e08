/**
 * The fused WebAssembly-SIMD MLP engine: a dense network's whole training step (forward, loss,
 * backward, regularisers, optimizer update, metrics) in one wasm memory. See ./network.ts for the
 * API, ./spec.ts for what it runs, ./passes.ts for how a step is split across threads.
 */
export { FusedNetwork, THREAD_MIN_MACS, type EvaluateOptions, type OptimizerState, type PassRows, type NetworkTrainOptions, type WeightInfo } from './network';
export {
  ACTIVATIONS,
  BACKEND_EPSILON,
  LOSSES,
  METRIC_FUNCTIONS,
  OPTIMIZERS,
  defaultThreads,
  planNetwork,
  resolveMetric,
  type ActivationName,
  type DenseSpec,
  type DropoutSpec,
  type FusedSpec,
  type LayerSpec,
  type LossName,
  type MetricFunction,
  type NetworkPlan,
  type NetworkSpec,
  type OptimizerClass,
  type OptimizerSpec,
  type RegularizerSpec,
  type TrainingSpec,
} from './spec';
