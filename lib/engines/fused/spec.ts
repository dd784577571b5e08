/**
 * The fused engine's network spec: a plain JSON description of a chain of dense and dropout layers,
 * its compiled loss and metrics and its optimizer, shaped like what a tf.js Sequential of such
 * layers serialises to (`layer.getConfig()`, `optimizer.getClassName()/getConfig()`), and its
 * validation. Names and formulas are tf.js' (tfjs-layers activations.ts, losses.ts, metrics.ts,
 * training.ts compile; tfjs-core optimizers/).
 */
import * as os from 'node:os';
import { fail, formatValue } from '../../errors';
import { checkInteger, checkNumber } from '../../util/options';

/** The activations of tf.js' dense layers (tfjs-layers/src/activations.ts), by kernel id. */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
  'softmax',
  'logSoftmax',
] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/**
 * Losses by kernel id: tfjs-layers' `lossesMap` names, plus `huber` for `tf.losses.huberLoss`
 * passed to `compile` as a function (its default delta 1, reduced over every element).
 */
export const LOSSES = [
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'huber',
  'logcosh',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'hinge',
  'squaredHinge',
  'poisson',
  'kullbackLeiblerDivergence',
  'categoricalHinge',
] as const;
export type LossName = (typeof LOSSES)[number];

/** Metric functions by kernel id: the losses' values (ids 0–13), then the accuracies. */
export const METRIC_FUNCTIONS = [...LOSSES, 'binaryAccuracy', 'categoricalAccuracy', 'sparseCategoricalAccuracy'] as const;
export type MetricFunction = (typeof METRIC_FUNCTIONS)[number];

/** Short names tf.js accepts for losses and metrics (tfjs-layers losses.ts / metrics.ts aliases). */
const ALIASES: Readonly<Record<string, LossName>> = {
  mse: 'meanSquaredError',
  MSE: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  MAE: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  MAPE: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError',
  MSLE: 'meanSquaredLogarithmicError',
  huberLoss: 'huber',
  kld: 'kullbackLeiblerDivergence',
  KLD: 'kullbackLeiblerDivergence',
};

/** tf.js' optimizer classes, by kernel id. */
export const OPTIMIZERS = ['SGD', 'Momentum', 'Adagrad', 'Adadelta', 'Adam', 'Adamax', 'RMSProp'] as const;
export type OptimizerClass = (typeof OPTIMIZERS)[number];

/** tf.js' backend epsilon (cpu and wasm), the optimizers' epsilon when their config has none. */
export const BACKEND_EPSILON = 1e-7;

/** Each optimizer's config as tf.train.* fills it (tfjs-core optimizer_constructors.ts). */
const OPTIMIZER_DEFAULTS: Readonly<Record<OptimizerClass, Readonly<Record<string, number | boolean>>>> = {
  SGD: { learningRate: 0.01 },
  Momentum: { learningRate: 0.01, momentum: 0.9, useNesterov: false },
  Adagrad: { learningRate: 0.01, initialAccumulatorValue: 0.1 },
  Adadelta: { learningRate: 0.001, rho: 0.95, epsilon: BACKEND_EPSILON },
  Adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: BACKEND_EPSILON },
  Adamax: { learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: BACKEND_EPSILON, decay: 0 },
  RMSProp: { learningRate: 0.001, decay: 0.9, momentum: 0, epsilon: BACKEND_EPSILON, centered: false },
};

/** L1/L2 penalty factors (tf.regularizers.l1l2); tf.js' serialised `{ className: 'L1L2', config }` also works. */
export interface RegularizerSpec {
  readonly l1?: number;
  readonly l2?: number;
}

/** A dense layer: `y = activation(x · kernel + bias)`, kernel `[inputs, units]` row-major as tf.js stores it. */
export interface DenseSpec {
  readonly type: 'dense';
  readonly units: number;
  /** Defaults to 'linear'. */
  readonly activation?: ActivationName;
  /** Defaults to true. */
  readonly useBias?: boolean;
  /** Defaults to none. */
  readonly kernelRegularizer?: RegularizerSpec | null;
  /** Defaults to none. */
  readonly biasRegularizer?: RegularizerSpec | null;
  /** The layer's name, used to name its weights (`<name>/kernel`). Defaults to `dense_<i>`. */
  readonly name?: string;
}

/** A dropout layer: in training `x · mask / (1 − rate)` with the caller's 0/1 masks; identity otherwise. */
export interface DropoutSpec {
  readonly type: 'dropout';
  /** In [0, 1): tf.js' `rate`, the fraction dropped. */
  readonly rate: number;
}

export type LayerSpec = DenseSpec | DropoutSpec;

/** An optimizer as tf.js serialises it: `{ className: optimizer.getClassName(), config: optimizer.getConfig() }`. */
export interface OptimizerSpec {
  readonly className: OptimizerClass;
  readonly config?: Readonly<Record<string, unknown>>;
}

/**
 * A network: its input width and its chain of layers (units, activations, regularisers, dropout)
 * — all a forward pass needs.
 *
 * @example
 * const network: NetworkSpec = {
 *   inputs: 2,
 *   layers: [
 *     { type: 'dense', units: 64, activation: 'relu' },
 *     { type: 'dropout', rate: 0.1 },
 *     { type: 'dense', units: 1 },
 *   ],
 * };
 */
export interface NetworkSpec {
  /** Width of an input row. */
  readonly inputs: number;
  /** The chain, input to output; at least one dense layer. */
  readonly layers: readonly LayerSpec[];
}

/**
 * How a network is trained: its compiled loss and metrics and its optimizer (what `model.compile`
 * takes).
 *
 * @example
 * const training: TrainingSpec = { loss: 'meanSquaredError', metrics: ['mae'], optimizer: { className: 'Adam', config: { learningRate: 1e-3 } } };
 */
export interface TrainingSpec {
  /** A loss name as `model.compile` takes it (see {@link LOSSES}; aliases such as 'mse' work). */
  readonly loss: string;
  /** Metrics as `model.compile` takes them ('accuracy', 'mae', ...). Defaults to none. */
  readonly metrics?: readonly string[];
  readonly optimizer: OptimizerSpec;
}

/**
 * A network the fused engine can train: the network and its training settings.
 *
 * @example
 * const spec: FusedSpec = { ...network, ...training, threads: 2 };
 */
export interface FusedSpec extends NetworkSpec, TrainingSpec {
  /** Worker threads sharing the work of large batches (results do not depend on it). Defaults to the machine's cores. */
  readonly threads?: number;
}

/**
 * The training settings of a network built only to predict. The engine's memory plan has room for
 * a loss, metrics and optimizer slots whatever the network runs; these take the least of it: a
 * loss whose targets are the outputs, no metrics, SGD (which keeps no slots).
 */
export const PREDICTION_ONLY: TrainingSpec = { loss: 'meanSquaredError', metrics: [], optimizer: { className: 'SGD', config: {} } };

/** A dense layer after validation, with its place in the parameter vector. */
export interface DenseLayer {
  readonly index: number;
  readonly name: string;
  readonly inputs: number;
  readonly units: number;
  readonly activation: ActivationName;
  readonly act: number;
  readonly useBias: boolean;
  readonly kernel: { readonly l1: number; readonly l2: number };
  readonly bias: { readonly l1: number; readonly l2: number };
  /** Float offsets of the kernel and bias in the flat parameter vector (tf.js trainableWeights order). */
  readonly kernelOffset: number;
  readonly biasOffset: number;
  /** Dropout rates applied to this layer's input, in order. */
  readonly dropoutsBefore: readonly number[];
}

/** A validated spec, everything resolved to kernel ids. */
export interface NetworkPlan {
  readonly inputs: number;
  readonly dense: readonly DenseLayer[];
  /** Dropout rates after the last dense layer (applied to the predictions in training). */
  readonly dropoutsAfter: readonly number[];
  /** Every dropout layer in model order: where it sits (dense index it feeds, or dense.length) and its width. */
  readonly dropouts: readonly { readonly position: number; readonly width: number; readonly rate: number }[];
  readonly outputs: number;
  readonly loss: LossName;
  readonly lossId: number;
  /** Columns of a target row: 1 for sparseCategoricalCrossentropy, `outputs` otherwise. */
  readonly targets: number;
  readonly metrics: readonly { readonly name: string; readonly fn: MetricFunction; readonly id: number }[];
  readonly optimizer: { readonly className: OptimizerClass; readonly id: number; readonly config: Readonly<Record<string, number | boolean>> };
  readonly paramCount: number;
  readonly threads: number;
}

const WHERE = 'FusedNetwork()';

/** Validates `spec` and resolves it; throws naming the field and the value received. */
export function planNetwork(spec: FusedSpec): NetworkPlan {
  if (spec === null || typeof spec !== 'object') fail(WHERE, `the spec must be an object. Received: ${formatValue(spec)}.`);
  const inputs = spec.inputs;
  checkInteger(WHERE, 'inputs', inputs, 1);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) fail(WHERE, `layers must be a non-empty array. Received: layers=${formatValue(spec.layers)}.`);
  const dense: DenseLayer[] = [];
  const dropouts: { position: number; width: number; rate: number }[] = [];
  let pending: number[] = [];
  let width = inputs;
  let offset = 0;
  spec.layers.forEach((layer, i) => {
    const type = layer?.type;
    if (type === 'dropout') {
      const rate = (layer as DropoutSpec).rate;
      checkNumber(WHERE, 'rate', rate, { min: 0, max: 1, open: 'max' }, { subject: `\`layers[${i}].rate\`` });
      // tf.js' Dropout is the identity for rate 0 (tfjs-layers core.ts: 0 < rate < 1)
      if (rate > 0) {
        pending.push(rate);
        dropouts.push({ position: dense.length, width, rate });
      }
      return;
    }
    if (type !== 'dense') fail(WHERE, `layers[${i}].type must be 'dense' or 'dropout'. Received: type=${formatValue(type)}.`);
    const d = layer as DenseSpec;
    checkInteger(WHERE, 'units', d.units, 1, undefined, { subject: `\`layers[${i}].units\`` });
    const activation = d.activation ?? 'linear';
    const act = ACTIVATIONS.indexOf(activation as ActivationName);
    if (act < 0) fail(WHERE, `layers[${i}].activation is not one the fused engine runs. Received: activation=${formatValue(activation)}. Expected one of ${ACTIVATIONS.join(', ')}.`);
    const useBias = d.useBias ?? true;
    if (typeof useBias !== 'boolean') fail(WHERE, `layers[${i}].useBias must be a boolean. Received: useBias=${formatValue(useBias)}.`);
    const kernelOffset = offset;
    offset += width * d.units;
    const biasOffset = useBias ? offset : -1;
    if (useBias) offset += d.units;
    dense.push({
      index: dense.length,
      name: d.name ?? `dense_${dense.length + 1}`,
      inputs: width,
      units: d.units,
      activation: activation as ActivationName,
      act,
      useBias,
      kernel: regularizer(d.kernelRegularizer, `layers[${i}].kernelRegularizer`),
      bias: regularizer(d.biasRegularizer, `layers[${i}].biasRegularizer`),
      kernelOffset,
      biasOffset,
      dropoutsBefore: pending,
    });
    pending = [];
    width = d.units;
  });
  if (dense.length === 0) fail(WHERE, `layers must hold at least one dense layer. Received: layers=${formatValue(spec.layers.map((layer) => layer?.type))}.`);
  const outputs = width;
  const lossName = typeof spec.loss === 'string' ? (ALIASES[spec.loss] ?? spec.loss) : spec.loss;
  const lossId = LOSSES.indexOf(lossName as LossName);
  if (lossId < 0) fail(WHERE, `loss is not one the fused engine computes. Received: loss=${formatValue(spec.loss)}. Expected one of ${LOSSES.join(', ')}.`);
  const loss = lossName as LossName;
  if (spec.metrics !== undefined && !Array.isArray(spec.metrics)) fail(WHERE, `metrics must be an array. Received: metrics=${formatValue(spec.metrics)}.`);
  const metrics = (spec.metrics ?? []).map((name, i) => resolveMetric(name, loss, outputs, `metrics[${i}]`));
  const threads = spec.threads ?? defaultThreads();
  checkInteger(WHERE, 'threads', threads, 1, undefined, { why: "default: the machine's cores" });
  return {
    inputs,
    dense,
    dropoutsAfter: pending,
    dropouts,
    outputs,
    loss,
    lossId,
    targets: loss === 'sparseCategoricalCrossentropy' ? 1 : outputs,
    metrics,
    optimizer: resolveOptimizer(spec.optimizer),
    paramCount: offset,
    threads,
  };
}

/** The machine's cores (what `threads` defaults to). */
export function defaultThreads(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/**
 * A compile metric resolved as tf.js' `LayersModel.compile` does (tfjs-layers training.ts):
 * 'accuracy'/'acc' and 'crossentropy'/'ce' depend on the loss and the output width, and report
 * as 'acc' / 'ce'; other names report as given.
 */
export function resolveMetric(name: string, loss: LossName, outputs: number, field = 'metric'): { name: string; fn: MetricFunction; id: number } {
  let fn: string | undefined;
  let reported = name;
  if (name === 'accuracy' || name === 'acc' || name === 'crossentropy' || name === 'ce') {
    const accuracy = name === 'accuracy' || name === 'acc';
    reported = accuracy ? 'acc' : 'ce';
    if (outputs === 1 || loss === 'binaryCrossentropy') fn = accuracy ? 'binaryAccuracy' : 'binaryCrossentropy';
    else if (loss === 'sparseCategoricalCrossentropy') fn = accuracy ? 'sparseCategoricalAccuracy' : 'sparseCategoricalCrossentropy';
    else fn = accuracy ? 'categoricalAccuracy' : 'categoricalCrossentropy';
  } else if (typeof name === 'string') {
    fn = ALIASES[name] ?? name;
  }
  const id = METRIC_FUNCTIONS.indexOf(fn as MetricFunction);
  if (id < 0) fail(WHERE, `${field} is not a metric the fused engine computes. Received: ${field}=${formatValue(name)}. Expected 'accuracy', 'crossentropy', an alias such as 'mae', or one of ${METRIC_FUNCTIONS.join(', ')}.`);
  return { name: reported, fn: fn as MetricFunction, id };
}

function resolveOptimizer(optimizer: OptimizerSpec): NetworkPlan['optimizer'] {
  const className = optimizer?.className;
  const id = OPTIMIZERS.indexOf(className as OptimizerClass);
  if (id < 0) fail(WHERE, `optimizer.className is not a tf.js optimizer the fused engine runs. Received: className=${formatValue(className)}. Expected one of ${OPTIMIZERS.join(', ')}.`);
  const defaults = OPTIMIZER_DEFAULTS[className];
  const given = optimizer.config ?? {};
  if (typeof given !== 'object' || given === null) fail(WHERE, `optimizer.config must be an object. Received: config=${formatValue(given)}.`);
  const config: Record<string, number | boolean> = {};
  for (const [key, fallback] of Object.entries(defaults)) {
    const value = given[key] ?? fallback;
    if (typeof value !== typeof fallback || (typeof value === 'number' && !Number.isFinite(value))) {
      fail(WHERE, `optimizer.config.${key} must be a ${typeof fallback === 'boolean' ? 'boolean' : 'finite number'}. Received: ${key}=${formatValue(value)}.`);
    }
    config[key] = value as number | boolean;
  }
  return { className, id, config };
}

function regularizer(value: unknown, field: string): { l1: number; l2: number } {
  if (value === undefined || value === null) return { l1: 0, l2: 0 };
  const source = (value as { className?: string; config?: RegularizerSpec }).className === 'L1L2' ? (value as { config: RegularizerSpec }).config : (value as RegularizerSpec);
  const l1 = source?.l1 ?? 0;
  const l2 = source?.l2 ?? 0;
  if (typeof l1 !== 'number' || !Number.isFinite(l1) || typeof l2 !== 'number' || !Number.isFinite(l2)) {
    fail(WHERE, `${field} must be { l1, l2 } with finite numbers. Received: ${field}=${formatValue(value)}.`);
  }
  return { l1, l2 };
}
