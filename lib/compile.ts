/**
 * `compile()`: tf.js's `model.compile()`, typed. tf.js returns nothing from `compile`, so the
 * metrics a model was compiled with never reach its type; `compile()` returns the model with them
 * attached as a type (nothing changes at run time), and `train()` then types the run's history
 * and `run.evaluate()` by them: `h.val_mae` is a number, `h.val_mea` a type error.
 */
import type { tf } from './backend';
import { CLASSIFICATION_METRICS, type ClassificationMetric, type ClassificationMetricName } from './metrics';

/**
 * The name tf.js reports metric `S` under in logs and history: `'accuracy'` and `'acc'` as
 * `acc`, `'crossentropy'` and `'ce'` as `ce`, any other name as it is; a metric function's name
 * is not known to the type system (`string`).
 */
export type MetricName<S> = S extends 'accuracy' | 'acc' ? 'acc' : S extends 'crossentropy' | 'ce' ? 'ce' : S extends string ? S : S extends ClassificationMetric<infer N> ? N : string;

/** A metric as `model.compile()` takes it: a name or a function of (labels, predictions). */
export type Metric = string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

declare const compiledMetrics: unique symbol;

/** The metric names a model was compiled with, as a type only (see {@link compile}). */
export interface CompiledMetrics<M extends string> {
  readonly [compiledMetrics]?: readonly M[];
}

/** Model `Model` compiled with metrics named `M`. */
export type Compiled<Model extends tf.LayersModel, M extends string> = Model & CompiledMetrics<M>;

/** Arguments of {@link compile}: those of `model.compile()`, with the metrics as one list for the one output cellfit trains. */
export interface CompileArgs<S extends Metric> extends Omit<tf.ModelCompileArgs, 'metrics'> {
  /** The metrics to report per epoch besides the loss, e.g. `['mae']` or `['accuracy', 'auc', 'f1']` (see lib/metrics.ts). Defaults to none. */
  readonly metrics?: S | readonly S[];
}

/**
 * Compiles `model` (`model.compile(args)`) and returns it typed by its metrics, so that
 * `train(model, …)` types the run's history and test metrics by name.
 *
 * @example
 * const model = compile(tf.sequential({ layers: [...] }), { optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae'] });
 * const run = await train(model, { xs, ys }, { epochs: 10, validation: 0.2 });
 * run.history[0].val_mae;          // number
 * (await run.evaluate(test)).mae;   // number
 */
export function compile<Model extends tf.LayersModel, const S extends Metric = never>(model: Model, args: CompileArgs<S>): Compiled<Model, MetricName<S>> {
  const { metrics, ...rest } = args;
  const given: Metric[] | undefined = metrics === undefined ? undefined : Array.isArray(metrics) ? [...(metrics as readonly Metric[])] : [metrics as Metric];
  // 'auc', 'precision', 'recall' and 'f1' are cellfit's (lib/metrics.ts): computed over whole validation and test sets.
  const list = given?.map((metric) => (typeof metric === 'string' && Object.hasOwn(CLASSIFICATION_METRICS, metric) ? CLASSIFICATION_METRICS[metric as ClassificationMetricName] : metric));
  model.compile({ ...rest, ...(list ? { metrics: list } : {}) });
  return model;
}
