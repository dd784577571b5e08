/**
 * `loadRun(dir)`: a {@link Run} rebuilt from a run directory — its model from the newest checkpoint
 * (the layers format holds the topology; the weights are those the run ended with, early stopping's
 * best under `restoreBest`), compiled as it was trained, with its history, best epoch and
 * checkpoints — so that a run trained elsewhere (a sweep's worker process, another machine, an
 * earlier session) can be evaluated, exported and fine-tuned like one train() returned.
 */
import * as path from 'node:path';
import { ready, tf } from '../backend';
import { checkpoint } from '../checkpoint/store';
import { compile, type Metric } from '../compile';
import { applyWeights, modelWeights } from '../engines/tfjs/weights';
import { fail, formatValue } from '../errors';
import { CLASSIFICATION_METRICS } from '../metrics';
import { Preprocessing, type PreprocessingJson } from '../preprocess';
import { readRunRecord } from '../runs';
import type { ColumnChoice } from './data';
import { predictWith, readPreprocessing, scoreWith } from './predict';
import { Run } from './run';
import { savedOutcome, type CheckpointState } from './state';
import { evaluateOn, evaluationEngine } from './train';

const WHERE = 'loadRun()';

/**
 * The run in `dir` (a directory with `run.json` and checkpoints), rebuilt without training.
 *
 * @example
 * const run = await loadRun('checkpoints/flights');
 * await run.evaluate(test);                       // { loss: 0.031 }
 * await run.checkpoints.export('best', 'models/flights');
 */
export async function loadRun(dir: string): Promise<Run> {
  if (typeof dir !== 'string' || dir === '') fail(WHERE, `\`dir\` must be a run directory such as 'checkpoints/my-run'. Received: dir=${formatValue(dir)}.`);
  const runDir = path.resolve(dir);
  const record = readRunRecord(runDir, WHERE);
  const store = checkpoint(runDir);
  const latest = store.loadLatest<CheckpointState>(WHERE);
  if (!latest) fail(WHERE, `${runDir} holds no valid checkpoint${record ? '' : ' (and no run.json)'}: it is not a run directory, or its run never saved one.`);
  await ready();
  const { state } = latest;
  const topology = (latest.modelJson as { modelTopology?: unknown }).modelTopology;
  const model = await tf.models.modelFromJSON({ modelTopology: topology } as never);
  const weights = state.holds === 'best' && latest.best ? latest.best : latest.weights;
  applyWeights(modelWeights(model), weights, WHERE, `checkpoint ${latest.info.id} of ${runDir}`);
  const options = state.options as { compile?: unknown; columns?: ColumnChoice; evaluationBatchSize?: number; batchSize?: number };
  if (typeof options.compile === 'object' && options.compile !== null && 'optimizer_config' in options.compile) {
    compileAsTrained(model, options.compile as TrainingConfig);
  }
  const outcome = savedOutcome(state);
  const columns = reviveColumns(runDir, options.columns);
  const engine = record?.engine ?? { name: state.engine ?? 'tfjs' };
  const settings = { columns, evaluationBatchSize: options.evaluationBatchSize ?? Math.max(Number(options.batchSize ?? 32), 256), engine: evaluationEngine(engine) };
  const metricNames = state.metricNames;
  return new Run({
    id: path.basename(runDir),
    ...(record?.name ?? state.run.name ? { name: record?.name ?? state.run.name } : {}),
    dir: runDir,
    status: outcome.status,
    stop: outcome.stop,
    epoch: outcome.epoch,
    epochs: record?.epochs ?? state.epochs,
    history: state.history,
    ...(outcome.best ? { best: outcome.best } : {}),
    ...(state.run.parent ? { parent: state.run.parent } : {}),
    reused: true,
    engine,
    model,
    checkpoints: store,
    metricNames,
    elapsed: state.elapsed,
    evaluator: (data) => evaluateOn(model, data, settings, model.metricsNames),
    ...(columns.preprocess ? { preprocessing: columns.preprocess } : {}),
    predictor: (data) => predictWith(model, columns, data, 'Run.predict()'),
    scorer: (data, where) => scoreWith(model, columns, data, where),
  });
}

/**
 * The columns a run reads, with its preprocessing revived: the checkpoint holds it as JSON, and the
 * run directory's preprocessing.json (what exports copy) stands in for checkpoints that predate it.
 */
function reviveColumns(runDir: string, saved: ColumnChoice | undefined): ColumnChoice {
  const columns = saved ?? {};
  const stored = columns.preprocess as unknown as PreprocessingJson | undefined;
  const preprocess = stored ? Preprocessing.fromJSON(stored) : readPreprocessing(runDir);
  if (!preprocess) return columns;
  return { ...columns, features: columns.features ?? preprocess.features, preprocess };
}

/** What `model.getTrainingConfig()` recorded: the loss, metrics and optimizer the run was compiled with. */
interface TrainingConfig {
  readonly loss: unknown;
  readonly metrics?: unknown;
  readonly optimizer_config: unknown;
}

/**
 * Compiles `model` as the run's model was compiled. tf.js restores its own losses and metrics;
 * cellfit's classification metrics ('auc', 'f1', …) are unknown to it, so they are compiled through
 * cellfit's compile(). A loss or metric only the training process knew (a custom function) leaves
 * the model uncompiled, and evaluate() asks to compile it.
 */
function compileAsTrained(model: tf.LayersModel, config: TrainingConfig): void {
  const metrics = Array.isArray(config.metrics) ? (config.metrics as unknown[]) : undefined;
  const ours = metrics?.some((name) => typeof name === 'string' && Object.hasOwn(CLASSIFICATION_METRICS, name));
  try {
    model.loadTrainingConfig({ ...config, ...(ours ? { metrics: [] } : {}) } as never);
    if (ours) compile(model, { optimizer: model.optimizer, loss: model.loss, metrics: metrics as Metric[] });
  } catch {
    // Not restorable here: evaluate() says how to compile the model.
  }
}
