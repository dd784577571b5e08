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
import { applyWeights, modelWeights } from '../engines/tfjs/weights';
import { fail, formatValue } from '../errors';
import { readRunRecord } from '../runs';
import type { ColumnChoice } from './data';
import { Run } from './run';
import { savedOutcome, type CheckpointState } from './state';
import { evaluateOn } from './train';

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
    try {
      model.loadTrainingConfig(options.compile as never);
    } catch {
      // A loss or metric only the training process knew (a custom function): evaluate() asks to compile the model.
    }
  }
  const outcome = savedOutcome(state);
  const settings = { columns: options.columns ?? {}, evaluationBatchSize: options.evaluationBatchSize ?? Math.max(Number(options.batchSize ?? 32), 256) };
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
    engine: record?.engine ?? { name: state.engine ?? 'tfjs' },
    model,
    checkpoints: store,
    metricNames,
    elapsed: state.elapsed,
    evaluator: (data) => evaluateOn(model, data, settings, model.metricsNames),
  });
}
