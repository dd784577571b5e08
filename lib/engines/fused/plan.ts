/**
 * Reads a compiled tf.js model as the fused engine sees it: a chain of dense layers (with dropout
 * between them) trained with one of tf.js' losses, metrics and built-in optimizers — or, when the
 * model is anything else, the reason it is not (which `engine: 'auto'` records when it falls back
 * to the tfjs engine, and `engine: 'fused'` reports as its error).
 */
import { tf } from '../../backend';
import { SLOT_FIELDS } from '../optimizers';
import { ACTIVATIONS, LOSSES, METRIC_FUNCTIONS, resolveMetric, type ActivationName, type LossName, type MetricFunction, type NetworkSpec, type OptimizerClass, type TrainingSpec } from './spec';

/** The metrics the fused engine computes, as compile() resolves them (tfjs-layers/src/engine/training.ts). */
export type MetricName = MetricFunction;

/** L1 and L2 factors of a regulariser (tf.js' L1L2: `l1·Σ|w| + l2·Σw²`). */
export interface Penalty {
  readonly l1: number;
  readonly l2: number;
}

/** One layer of the chain. */
export type PlannedLayer =
  | { readonly kind: 'dense'; readonly units: number; readonly activation: ActivationName; readonly useBias: boolean; readonly kernelPenalty?: Penalty; readonly biasPenalty?: Penalty }
  | { readonly kind: 'dropout'; readonly rate: number };

/** The model's network as the fused engine runs it: what a forward pass needs. */
export interface PlannedNetwork {
  /** Features per row. */
  readonly inputs: number;
  readonly layers: readonly PlannedLayer[];
}

/** The model as the fused engine trains it: its network and its training settings. */
export interface FusedPlan extends PlannedNetwork {
  readonly loss: LossName;
  /** In `model.metricsNames` order after the loss. */
  readonly metrics: readonly MetricName[];
  readonly optimizer: { readonly className: string; readonly config: Record<string, unknown> };
}

/** The plan for `model`, or why the fused engine cannot train it. */
export type PlanResult = { readonly plan: FusedPlan; readonly reason?: undefined } | { readonly plan?: undefined; readonly reason: string };

interface LayerLike {
  readonly name: string;
  readonly trainable: boolean;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  readonly inboundNodes: { readonly inboundLayers: LayerLike[] }[];
}

/** The network of a plan (prediction needs no loss or optimizer), or why the model is not one the fused engine runs. */
export type LayersResult = (PlannedNetwork & { readonly reason?: undefined }) | { readonly inputs?: undefined; readonly layers?: undefined; readonly reason: string };

/** Reads `model`'s layers as a chain of dense and dropout layers, or says why they are not one. */
export function planLayers(model: tf.LayersModel): LayersResult {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return { reason: `it has ${model.inputs.length} inputs and ${model.outputs.length} outputs (the fused engine trains one of each)` };
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 2 || typeof inputShape[1] !== 'number') return { reason: `its input has shape [${inputShape.map((size) => size ?? 'null').join(', ')}] (the fused engine takes rows of numbers, [null, n])` };
  const chain = layerChain(model);
  if (typeof chain === 'string') return { reason: chain };
  const layers: PlannedLayer[] = [];
  for (const layer of chain) {
    const planned = planLayer(layer);
    if (typeof planned === 'string') return { reason: planned };
    layers.push(planned);
  }
  const dense = layers.filter((layer) => layer.kind === 'dense');
  if (dense.length === 0) return { reason: 'it has no dense layer' };
  if (layers[layers.length - 1].kind !== 'dense') return { reason: 'it ends with a dropout layer (the fused engine needs a dense output layer)' };
  return { inputs: inputShape[1], layers };
}

/** Reads `model` (compiled with `optimizer`) as a fused plan; see the module comment. */
export function planFor(model: tf.LayersModel, optimizer: tf.Optimizer): PlanResult {
  const { inputs, layers, reason } = planLayers(model);
  if (reason !== undefined) return { reason };
  const loss = lossOf(model);
  if (typeof loss !== 'string' || !(LOSSES as readonly string[]).includes(loss)) return { reason: loss === undefined ? 'its loss is a custom function' : `its loss ${JSON.stringify(loss)} is not one the fused engine computes (${LOSSES.join(', ')})` };
  const metrics = metricsOf(model, loss as LossName);
  if (typeof metrics === 'string') return { reason: metrics };
  const className = optimizer.getClassName();
  if (!(className in SLOT_FIELDS) || !isBuiltIn(optimizer)) return { reason: `its optimizer ${className} is not one of tf.js' seven built-in optimizers` };
  return { plan: { inputs, layers, loss: loss as LossName, metrics, optimizer: { className, config: optimizer.getConfig() as Record<string, unknown> } } };
}

/** The network spec of a planned network: its layers as the fused network takes them. */
export function networkSpecOf(network: PlannedNetwork): NetworkSpec {
  return {
    inputs: network.inputs,
    layers: network.layers.map((layer) =>
      layer.kind === 'dropout'
        ? { type: 'dropout', rate: layer.rate }
        : {
            type: 'dense',
            units: layer.units,
            activation: layer.activation,
            useBias: layer.useBias,
            ...(layer.kernelPenalty ? { kernelRegularizer: layer.kernelPenalty } : {}),
            ...(layer.biasPenalty ? { biasRegularizer: layer.biasPenalty } : {}),
          },
    ),
  };
}

/** The training spec of a plan: its loss, metrics and optimizer as the fused network takes them. */
export function trainingSpecOf(plan: FusedPlan): TrainingSpec {
  return { loss: plan.loss, metrics: plan.metrics, optimizer: { className: plan.optimizer.className as OptimizerClass, config: plan.optimizer.config } };
}

/** The model's layers as a chain, input first (without the input layer), or why they are not one. */
function layerChain(model: tf.LayersModel): LayerLike[] | string {
  const layers = (model.layers as unknown as LayerLike[]).filter((layer) => layer.getClassName() !== 'InputLayer');
  // A Sequential model is a chain by construction; a functional one must be wired as one.
  const wrapped = (model as unknown as { model?: { layers: LayerLike[] } }).model;
  if (!wrapped) {
    for (let i = 0; i < layers.length; i++) {
      const nodes = layers[i].inboundNodes;
      if (nodes.length !== 1) return `layer ${layers[i].name} is applied ${nodes.length} times (the fused engine trains a chain of layers)`;
      const inbound = nodes[0].inboundLayers;
      const expected = i === 0 ? 'InputLayer' : layers[i - 1].name;
      const actual = inbound.map((layer) => (layer.getClassName() === 'InputLayer' ? 'InputLayer' : layer.name));
      if (inbound.length !== 1 || actual[0] !== expected) return `layer ${layers[i].name} is not fed by the layer before it alone (the fused engine trains a chain of layers)`;
    }
  }
  return layers;
}

function planLayer(layer: LayerLike): PlannedLayer | string {
  const className = layer.getClassName();
  if (!layer.trainable) return `layer ${layer.name} is frozen (trainable: false)`;
  const config = layer.getConfig();
  if (config.dtype !== undefined && config.dtype !== 'float32') return `layer ${layer.name} computes in ${String(config.dtype)}`;
  if (className === 'Dropout') {
    if (config.noiseShape != null) return `dropout layer ${layer.name} has a noiseShape`;
    if (config.seed != null) return `dropout layer ${layer.name} has a fixed seed`;
    return { kind: 'dropout', rate: config.rate as number };
  }
  if (className !== 'Dense') return `it has a ${className} layer (${layer.name}); the fused engine trains dense and dropout layers`;
  const activation = config.activation as string;
  if (!(ACTIVATIONS as readonly string[]).includes(activation)) return `dense layer ${layer.name} uses the ${activation} activation`;
  if (config.activityRegularizer != null) return `dense layer ${layer.name} has an activity regulariser`;
  if (config.kernelConstraint != null || config.biasConstraint != null) return `dense layer ${layer.name} has a weight constraint`;
  const kernelPenalty = penaltyOf(config.kernelRegularizer);
  const biasPenalty = penaltyOf(config.biasRegularizer);
  if (typeof kernelPenalty === 'string') return `dense layer ${layer.name}'s kernel regulariser ${kernelPenalty}`;
  if (typeof biasPenalty === 'string') return `dense layer ${layer.name}'s bias regulariser ${biasPenalty}`;
  return {
    kind: 'dense',
    units: config.units as number,
    activation: activation as ActivationName,
    useBias: config.useBias !== false,
    ...(kernelPenalty ? { kernelPenalty } : {}),
    ...(biasPenalty ? { biasPenalty } : {}),
  };
}

/** L1/L2 factors of a serialised regulariser, undefined for none, or what is wrong with it. */
function penaltyOf(serialised: unknown): Penalty | undefined | string {
  if (serialised == null) return undefined;
  const { className, config } = serialised as { className?: string; config?: { l1?: number; l2?: number } };
  if (className !== 'L1L2') return `is a ${className ?? 'custom'} regulariser (the fused engine applies L1/L2)`;
  return { l1: config?.l1 ?? 0, l2: config?.l2 ?? 0 };
}

/** The canonical name of the compiled loss, or undefined for a function the engine does not know. */
function lossOf(model: tf.LayersModel): string | undefined {
  const loss = (model as unknown as { loss: unknown }).loss;
  const single = Array.isArray(loss) && loss.length === 1 ? loss[0] : loss;
  if (typeof single === 'string') return single;
  if (single === tf.losses.huberLoss) return 'huber';
  const named = Object.entries(LOSS_FUNCTIONS).find(([, fn]) => fn === single);
  return named?.[0];
}

/** tf.js' loss functions that tf.metrics exports, by the names compile() accepts. */
const LOSS_FUNCTIONS: Record<string, unknown> = {
  meanSquaredError: tf.metrics.meanSquaredError,
  meanAbsoluteError: tf.metrics.meanAbsoluteError,
  meanAbsolutePercentageError: tf.metrics.meanAbsolutePercentageError,
  binaryCrossentropy: tf.metrics.binaryCrossentropy,
  categoricalCrossentropy: tf.metrics.categoricalCrossentropy,
};

/** tf.js' metric functions that tf.metrics exports, by the engine's names. */
const EXPORTED_METRICS: readonly (readonly [MetricName, unknown])[] = [
  ['binaryAccuracy', tf.metrics.binaryAccuracy],
  ['categoricalAccuracy', tf.metrics.categoricalAccuracy],
  ['sparseCategoricalAccuracy', tf.metrics.sparseCategoricalAccuracy],
  ['meanSquaredError', tf.metrics.meanSquaredError],
  ['meanAbsoluteError', tf.metrics.meanAbsoluteError],
  ['meanAbsolutePercentageError', tf.metrics.meanAbsolutePercentageError],
  ['binaryCrossentropy', tf.metrics.binaryCrossentropy],
  ['categoricalCrossentropy', tf.metrics.categoricalCrossentropy],
];

/**
 * The compiled metrics as the engine names them, resolved as compile() resolves them ('accuracy'
 * and 'crossentropy' by the output width and the loss: the spec's resolveMetric), functions by
 * identity with tf.metrics' exports.
 */
function metricsOf(model: tf.LayersModel, loss: LossName): MetricName[] | string {
  const given = (model as unknown as { metrics?: unknown }).metrics;
  const list: unknown[] = given == null ? [] : Array.isArray(given) ? given : [given];
  const outputWidth = model.outputs[0].shape[model.outputs[0].shape.length - 1] ?? 1;
  const names: MetricName[] = [];
  for (const metric of list) {
    let name: MetricName | undefined;
    if (typeof metric === 'string') {
      try {
        name = resolveMetric(metric, loss, outputWidth).fn;
      } catch {
        name = undefined;
      }
    } else {
      name = EXPORTED_METRICS.find(([, fn]) => fn === metric)?.[0];
    }
    if (!name) return `its metric ${typeof metric === 'string' ? JSON.stringify(metric) : 'function'} is not one the fused engine computes (${METRIC_FUNCTIONS.join(', ')})`;
    names.push(name);
  }
  return names;
}

/** True for an instance of one of tf.js' optimizer classes itself, not a subclass that may change its update. */
function isBuiltIn(optimizer: tf.Optimizer): boolean {
  const classes = [tf.SGDOptimizer, tf.MomentumOptimizer, tf.AdagradOptimizer, tf.AdadeltaOptimizer, tf.AdamOptimizer, tf.AdamaxOptimizer, tf.RMSPropOptimizer];
  return classes.some((cls) => Object.getPrototypeOf(optimizer) === cls.prototype);
}
