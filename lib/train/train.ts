/**
 * `train()`: resolves which run a call belongs to (by identity), returns a finished run at once,
 * resumes an unfinished one from its newest valid checkpoint, or starts a new one — then hands the
 * run's state (lib/train/state.ts) and an engine (lib/engines/) to the training loop and wraps the
 * outcome in a {@link Run}.
 */
import * as path from 'node:path';
import { ready, tf } from '../backend';
import { callbackList } from '../callbacks';
import type { CompiledMetrics } from '../compile';
import type { ColumnNamesIn, TrainData, TrainPartOf } from '../data';
import { parseCheckpointId } from '../checkpoint/format';
import { TrainingCheckpoints } from '../checkpoint/training';
import type { WeightsSnapshot } from '../checkpoint/snapshot';
import { CheckpointStore, type LoadedCheckpoint } from '../checkpoint/store';
import { EarlyStopper, evaluateStopping, type EarlyStopState } from '../earlystop';
import type { EngineChoice, EngineInfo } from '../engines/engine';
import { chooseEngine, chooseEvaluator, engineSettings, type EngineChoiceResult } from '../engines/select';
import { checkSupportedOptimizer } from '../engines/optimizers';
import { getLearningRate, resetOptimizer, restoreOptimizer, setLearningRate } from '../engines/tfjs/optimizer';
import { applyWeights, compiledOptimizer, modelWeights, snapshotWeights, trainableVariables } from '../engines/tfjs/weights';
import { CellfitError, fail, warn } from '../errors';
import { Monitor } from '../monitor';
import { liveTrainingChart, showFinishedRun, type LiveChart } from '../plots/training';
import { notebookProgress, silentProgress, terminalProgress } from '../progress';
import { findRunDir, freeRunDir, readRunRecord, unfinishedLooseMatches } from '../runs';
import { toSchedule, type LearningRateSchedule } from '../schedules';
import { currentSession } from '../session';
import { InputSpace } from '../tabulate';
import { prepareData, toDataset, type PreparedData } from './data';
import { canonicalTopology, compileSettings, derivedRunId, runIdentity, weightsHash, type RunIdentity } from './identity';
import { stopSignal } from './interrupt';
import { resolveTrainOptions, resolveStore, type TrainSettings, type TrainOptions } from './options';
import { currentTrainScope, scopedOptions, type TrainScope } from './scope';
import { TrainingLoop, type LoopConfig, type LoopResult } from './loop';
import { predictWith, savePreprocessing, scoreWith } from './predict';
import { Run } from './run';
import { freshState, resumedState, savedOutcome, type CheckpointState, type ParentRef, type RunHeader, type RunRecord, type TrainingState } from './state';
import type { EvaluationPrefix, KnownOptions, TrainOptionHints, TrainOptionsFor } from './types';

const WHERE = 'train()';
/** Per optimizer: the rate it was compiled with, and the rate train() left it at. */
const rates = new WeakMap<tf.Optimizer, { compiled: number; left: number }>();
/** Per model: the run it last trained, to recognise "the same cell again" on the trained model. */
const lastRuns = new WeakMap<tf.LayersModel, { finalWeights: string; initialWeights: string }>();

/**
 * Trains `model` on `data` with mini-batch SGD (the model's compiled optimizer), checkpointing the
 * full state so that re-running the call resumes, continues or returns the finished run.
 *
 * @example
 * setSeed(42);
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: 'relu', inputShape: [3] }), tf.layers.dense({ units: 1 })] });
 * model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
 * const run = await train(model, split({ xs, ys }, { train: 0.8, validation: 0.1, test: 0.1 }), {
 *   epochs: 50,
 *   earlyStop: earlyStop({ patience: 5 }),
 * });
 * run.status;                 // 'early-stopped'
 * run.engine;                 // { name: 'fused', threads: 2 }
 * await run.evaluate();       // test metrics
 *
 * The options follow the data's form: tables and rows need `features` and `label` (their column
 * names), `{ xs, ys }` and spaces take neither, a split takes no `validation`. With a model from
 * `compile()`, the run's history and test metrics are typed by the compiled metrics.
 */
export function train<D extends TrainData, const O extends TrainOptionsFor<D> & KnownOptions<O, TrainOptionsFor<D>, TrainOptionHints> & ColumnNamesIn<O, TrainPartOf<D>>, M extends string = string>(
  model: tf.LayersModel & CompiledMetrics<M>,
  data: D,
  options: O,
): Promise<Run<M, EvaluationPrefix<D, O>>>;
export async function train(model: tf.LayersModel, data: unknown, options: TrainOptions): Promise<Run> {
  // Whoever runs this call (a sweep's trial, say) may add defaults, callbacks and a signal (lib/train/scope.ts).
  const scope = currentTrainScope();
  options = scopedOptions(options, scope);
  const settings = resolveTrainOptions(model, options);
  await ready();
  const optimizer = compiledOptimizer(model);
  if (!optimizer) fail(WHERE, "the model is not compiled. Call model.compile({ optimizer: 'adam', loss: 'meanSquaredError' }) first.");
  const root = resolveStore(options.checkpoint);
  if (root) checkSupportedOptimizer(optimizer, WHERE);
  const session = currentSession();
  // In a terminal, Ctrl-C stops training with a checkpoint, then exits as usual.
  const stop = stopSignal({ own: options.signal, scope: scope?.signal, where: WHERE, interrupted: 'saving a checkpoint of the last completed step' });
  try {
    return await trainCall(model, data, options, settings, optimizer, root, session, stop.signal, scope);
  } finally {
    stop.release();
  }
}

async function trainCall(
  model: tf.LayersModel,
  data: unknown,
  options: TrainOptions,
  settings: TrainSettings,
  optimizer: tf.Optimizer,
  root: CheckpointStore | undefined,
  session: ReturnType<typeof currentSession>,
  signal: AbortSignal | undefined,
  scope: TrainScope | undefined,
): Promise<Run> {
  // Each run starts from the rate the optimizer was compiled with, whatever an earlier run left.
  const known = rates.get(optimizer);
  const compiledRate = known && getLearningRate(optimizer) === known.left ? known.compiled : getLearningRate(optimizer);
  setLearningRate(optimizer, compiledRate);

  const parent = options.from !== undefined ? loadParent(model, options.from) : undefined;
  const prepared = await prepareData(model, data, { validation: settings.validation, seed: settings.seed, columns: settings.columns, where: WHERE });
  try {
    const trainNames = [...model.metricsNames];
    const evaluationNames = prepared.evaluation ? trainNames.map((name) => `${prepared.evaluation!.prefix}${name}`) : [];
    const metricNames = [...trainNames, ...evaluationNames];
    const schedule = options.learningRate === undefined ? compiledSchedule() : toSchedule(options.learningRate, WHERE);
    const stopper = options.earlyStop ? (options.earlyStop instanceof EarlyStopper ? options.earlyStop : new EarlyStopper(options.earlyStop)) : undefined;
    stopper?.monitor.check(metricNames, WHERE, 'earlyStop.monitor');
    for (const monitor of schedule.monitors ?? []) monitor.check(metricNames, WHERE, 'learningRate.monitor');
    const monitor = runMonitor(root, stopper, prepared);
    monitor.check(metricNames, WHERE, 'checkpoint.monitor');

    // Identity: what decides what this run learns.
    let initialWeights = weightsHash(model);
    const previous = lastRuns.get(model);
    if (previous && previous.finalWeights === initialWeights) initialWeights = previous.initialWeights;
    const ids = runIdentity({
      topology: canonicalTopology(model),
      initialWeights,
      compile: compileSettings(model),
      data: { train: prepared.train.fingerprint, evaluation: prepared.evaluation ? [prepared.evaluation.prefix, prepared.evaluation.data.fingerprint] : null },
      options: {
        batchSize: settings.batchSize,
        seed: String(settings.seed),
        shuffle: settings.shuffle,
        validation: prepared.validation,
        learningRate: options.learningRate === undefined ? null : schedule.describe(),
        parent: parent ? [parent.id, parent.checkpoint] : null,
        columns: settings.columns,
      },
    });
    // Tell the scope what this call trains (a sweep checking a trial against its record ends it here).
    scope?.identified?.(ids, settings.epochs);
    const engine = chooseEngine(settings.engine, { model, optimizer, data: prepared, threads: settings.threads, where: WHERE });

    const context: RunContext = { model, optimizer, compiledRate, prepared, settings, schedule, stopper, monitor, trainNames, metricNames, ids, parent, initialWeights, session, signal, options, engine };
    if (!root) return await trainWithoutCheckpoints(context);
    const { runDirName, existing } = chooseRunDir(root, settings, ids);
    const store = root.forRun(runDirName);
    const latest = existing ? store.loadLatest<CheckpointState>(WHERE) : undefined;
    if (latest && isFinished(latest, settings.epochs, context)) return finishedRun(context, store, latest);
    const checkpoints = await TrainingCheckpoints.open(store, monitor, WHERE, runLabel(runDirName, settings.name));
    try {
      // The fitted preprocessing travels with the run (exports copy it), so its model predicts from raw rows.
      if (settings.columns.preprocess) await savePreprocessing(store.dir, settings.columns.preprocess, WHERE);
      // Read again under the lock: another process may have moved the run on meanwhile.
      const current = existing ? store.loadLatest<CheckpointState>(WHERE, false) : undefined;
      if (current && isFinished(current, settings.epochs, context)) return finishedRun(context, store, current);
      return await trainRun(context, store, checkpoints, current);
    } finally {
      await checkpoints.close();
    }
  } finally {
    prepared.train.dispose();
    prepared.evaluation?.data.dispose();
  }
}

/** The schedule when none is given: the compiled rate throughout. */
function compiledSchedule(): LearningRateSchedule {
  return { kind: 'compiled', perStep: false, describe: () => ({ kind: 'compiled' }), rate: ({ initial }) => initial, getState: () => undefined, setState: () => undefined, reset: () => undefined };
}

interface RunContext {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  /** The rate the optimizer was compiled with. */
  readonly compiledRate: number;
  readonly prepared: PreparedData;
  readonly settings: TrainSettings;
  readonly schedule: LearningRateSchedule;
  readonly stopper?: EarlyStopper;
  readonly monitor: Monitor;
  readonly trainNames: readonly string[];
  readonly metricNames: readonly string[];
  readonly ids: RunIdentity;
  readonly parent?: ParentRef;
  readonly initialWeights: string;
  readonly session: ReturnType<typeof currentSession>;
  readonly signal?: AbortSignal;
  readonly options: TrainOptions;
  readonly engine: EngineChoiceResult;
}

/** The metric that ranks epochs: the store's, else early stopping's, else val_loss / loss. */
function runMonitor(root: CheckpointStore | undefined, stopper: EarlyStopper | undefined, prepared: PreparedData): Monitor {
  if (root?.monitor) return new Monitor(WHERE, { monitor: root.monitor, mode: root.mode });
  if (stopper) return stopper.monitor;
  return new Monitor(WHERE, { monitor: prepared.evaluation?.prefix === 'val_' ? 'val_loss' : 'loss', mode: root?.mode ?? 'auto' });
}

function runLabel(dirName: string, name: string | undefined): string {
  return name && name !== dirName ? `${JSON.stringify(name)} (${dirName})` : JSON.stringify(dirName);
}

/** Finds the run directory this call continues, or names a new one (warning where it helps). */
function chooseRunDir(root: CheckpointStore, settings: TrainSettings, ids: RunIdentity): { runDirName: string; existing: boolean } {
  const { name } = settings;
  // 'continue' finds runs as 'auto' does; it differs only for an early-stopped run (isFinished).
  const resume = settings.resume === 'continue' ? 'auto' : settings.resume;
  const base = name ?? derivedRunId(ids.identity);
  // A name stands for the run whatever the initial weights; without one, they are part of it.
  const matches = name ? (record: RunRecord) => record.looseIdentity === ids.looseIdentity : (record: RunRecord) => record.identity === ids.identity;
  const found = resume === 'fresh' ? undefined : findRunDir(root.dir, base, matches);
  if (found) return { runDirName: found, existing: true };
  const fresh = freeRunDir(root.dir, base);
  if (!name) {
    const unfinished = unfinishedLooseMatches(root.dir, ids.looseIdentity, ids.identity);
    if (unfinished.length > 0 && resume === 'require') return { runDirName: unfinished[0].id, existing: true };
    if (unfinished.length > 0 && resume === 'auto') {
      const other = unfinished[0];
      warn(
        WHERE,
        `starting a new run ${fresh}, but run ${other.id} in ${root.dir} trained the same architecture, compile settings, data and options and is unfinished (${other.status} at epoch ${other.epoch} of ${other.epochs}). ` +
          "Its initial weights differ from this model's: the model was built without a seed, and tfjs initialisers draw from Math.random. " +
          "To resume it, call setSeed(n) before building the model (the same n every time) or give the run a name (train(model, data, { name: 'my-run', ... })); " +
          `or pass resume: 'require' to continue ${other.id} now.`,
      );
    }
  } else if (resume !== 'fresh' && fresh !== name && readRunRecord(path.join(root.dir, name), WHERE)) {
    warn(WHERE, `run ${JSON.stringify(name)} in ${root.dir} was trained with a different model, data or options; starting a new run in ${fresh} (the old one is kept). Use a new name to tell them apart.`);
  }
  if (resume === 'require') {
    fail(WHERE, `resume: 'require', but ${root.dir} holds no run of this model, data and options to resume${name ? ` named ${JSON.stringify(name)}` : ''}. Train it once with resume: 'auto' (the default).`);
  }
  return { runDirName: fresh, existing: false };
}

function isFinished(latest: LoadedCheckpoint<CheckpointState>, epochs: number, context: Pick<RunContext, 'settings' | 'stopper'>): boolean {
  const { status, position } = latest.state;
  if (status === 'early-stopped' && context.settings.resume === 'continue' && position.epoch < epochs) {
    checkContinuable(latest, context.stopper);
    return false;
  }
  return status === 'early-stopped' || status === 'diverged' || (status === 'completed' && epochs <= position.epoch);
}

/** resume: 'continue' on an early-stopped run: refused when this call's stopping settings would stop it again at once. */
function checkContinuable(latest: LoadedCheckpoint<CheckpointState>, stopper: EarlyStopper | undefined): void {
  const saved = latest.state.earlyStop;
  if (!stopper || !saved || JSON.stringify(saved.options) !== JSON.stringify(stopper.toJSON())) return;
  fail(
    WHERE,
    `resume: 'continue', but run ${latest.state.run.name ?? latest.state.run.id} stopped at epoch ${latest.state.position.epoch} with these early-stopping settings, which would stop it again at once. ` +
      'Pass a larger patience (or earlyStop: false) to train on.',
  );
}

/** A finished run: load the weights it ended with and return it without training. */
function finishedRun(context: RunContext, store: CheckpointStore, latest: LoadedCheckpoint<CheckpointState>): Run {
  const { model, optimizer } = context;
  const { state } = latest;
  const weights = state.holds === 'best' && latest.best ? latest.best : latest.weights;
  applyWeights(modelWeights(model), weights, WHERE, `checkpoint ${latest.info.id}`);
  if (optimizer.getClassName() === latest.optimizer.meta.className) restoreOptimizer(optimizer, latest.optimizer, trainableVariables(model), WHERE);
  const outcome = savedOutcome(state);
  const record = readRunRecord(store.dir, WHERE);
  const header = runHeader(context, path.basename(store.dir), record?.created ?? state.time, { epochs: state.status === 'completed' ? state.position.epoch : state.epochs, engine: record?.engine ?? { name: state.engine ?? 'tfjs' } });
  const run = makeRun(context, header, { ...outcome, history: state.history, elapsed: state.elapsed }, { store, reused: true, parent: state.run.parent });
  // The re-executed cell shows what it showed when the run ended: its summary and final chart.
  if (context.session && context.settings.show.plot) showFinishedRun(run);
  return run;
}

/** Trains in `store`'s run directory, resuming from `latest` when given. */
async function trainRun(context: RunContext, store: CheckpointStore, checkpoints: TrainingCheckpoints, latest: LoadedCheckpoint<CheckpointState> | undefined): Promise<Run> {
  const created = (latest && readRunRecord(store.dir, WHERE)?.created) ?? new Date().toISOString();
  const state = latest ? resumeState(context, store, latest) : startState(context);
  const header = runHeader(context, path.basename(store.dir), created);
  const config = loopConfig(context, header);
  const chart = config.chart && finalChartAfterWrites(config.chart);
  const loop = new TrainingLoop({ ...config, ...(chart ? { chart } : {}), checkpoints, every: store.every }, state);
  if (!latest) await checkpoints.announce(loop.record('running', 0));
  let result: LoopResult;
  try {
    result = await loop.run();
    await checkpoints.writeRun(loop.record(result.status, result.epoch));
  } catch (error) {
    if (error !== checkpoints.failure) throw error;
    throw await recordWriteFailure(checkpoints, loop, error as CellfitError);
  } finally {
    chart?.drawFinal(checkpoints.ids);
  }
  const resumedFrom = latest ? { checkpoint: latest.info.id, epoch: latest.info.epoch, batch: latest.info.batch } : undefined;
  return makeRun(context, header, result, { store, reused: false, parent: context.parent, ...(resumedFrom ? { resumedFrom } : {}) });
}

/**
 * The live chart, with its final drawing held back until the run's checkpoint writes are on disk:
 * the loop draws it as training ends, when the last checkpoint is still being written (and the
 * oldest not yet retired), so its marks would be one write behind what the run keeps.
 */
function finalChartAfterWrites(chart: LiveChart): LiveChart & { drawFinal(ids: readonly string[]): void } {
  let final: Parameters<LiveChart['update']> | undefined;
  return {
    update(history, marks, force) {
      if (force) final = [history, marks, force];
      else chart.update(history, marks, force);
    },
    drawFinal(ids) {
      if (!final) return;
      const [history, marks] = final;
      const checkpoints = ids.map((id) => parseCheckpointId(id)).filter((position) => position !== undefined && position.batch === 0).map((position) => position!.epoch);
      chart.update(history, { ...marks, checkpoints }, true);
      final = undefined;
    },
  };
}

/**
 * After a checkpoint write failed: marks the run `failed` in run.json at its newest checkpoint on
 * disk (where a re-run resumes), and returns the error to throw, saying whether run.json says so.
 */
async function recordWriteFailure(checkpoints: TrainingCheckpoints, loop: TrainingLoop, failure: CellfitError): Promise<CellfitError> {
  const durable = checkpoints.latestId;
  const epoch = durable ? parseCheckpointId(durable)!.epoch : 0;
  const reason = failure.message.slice(`${WHERE}: `.length);
  if (await checkpoints.recordFailure({ ...loop.record('failed', epoch), failure: reason })) return failure;
  return new CellfitError(WHERE, `${reason} (run.json could not be updated either: listRuns() shows the run as crashed, and it resumes the same way.)`);
}

/** Without checkpoints: a fresh run every call, nothing on disk. */
async function trainWithoutCheckpoints(context: RunContext): Promise<Run> {
  const { settings, ids } = context;
  const header = runHeader(context, settings.name ?? derivedRunId(ids.identity), new Date().toISOString());
  const loop = new TrainingLoop({ ...loopConfig(context, header), every: 'epoch' }, startState(context));
  const result = await loop.run();
  return makeRun(context, header, result, { reused: false, parent: context.parent });
}

/** The run's definition (an existing run's `epochs` and engine may come from its checkpoint). */
function runHeader(context: RunContext, id: string, created: string, saved?: { readonly epochs: number; readonly engine: EngineInfo }): RunHeader {
  const { settings, ids, parent, metricNames, engine } = context;
  return {
    id,
    ...(settings.name ? { name: settings.name } : {}),
    identity: ids.identity,
    looseIdentity: ids.looseIdentity,
    ...(parent ? { parent } : {}),
    created,
    epochs: saved?.epochs ?? settings.epochs,
    options: describeOptions(context),
    metricNames,
    engine: saved?.engine ?? engine.info,
  };
}

function loopConfig(context: RunContext, header: RunHeader): Omit<LoopConfig, 'checkpoints' | 'every'> {
  const { model, optimizer, prepared, settings, schedule, stopper, monitor, trainNames, metricNames, session, signal, engine } = context;
  const title = settings.name ?? header.id;
  const progress = !settings.show.progress ? silentProgress : session ? notebookProgress(session) : terminalProgress(process.stderr);
  const chart = session && settings.show.plot ? liveTrainingChart({ title, metricNames }) : undefined;
  return {
    where: WHERE,
    header,
    model,
    engine: (dropout) => engine.create({ model, optimizer, data: prepared.train, batchSize: settings.batchSize, dropout, where: WHERE }),
    data: prepared,
    batchSize: settings.batchSize,
    shuffle: settings.shuffle,
    evaluationBatchSize: settings.evaluationBatchSize,
    schedule,
    ...(stopper ? { stopper } : {}),
    monitor,
    callbacks: callbackList(context.options.callbacks, WHERE),
    progress,
    ...(chart ? { chart } : {}),
    ...(signal ? { signal } : {}),
    trainNames,
    now: () => performance.now(),
  };
}

/** A new run's state: the optimizer reset (moments zeroed, the compiled or given rate). */
function startState(context: RunContext): TrainingState {
  const { optimizer, settings, options, stopper, schedule } = context;
  resetOptimizer(optimizer);
  if (typeof options.learningRate === 'number') setLearningRate(optimizer, options.learningRate);
  return freshState(settings.seed, schedule, stopper, getLearningRate(optimizer));
}

/** A resumed run's state, with the checkpoint's weights and optimizer state put into the model. */
function resumeState(context: RunContext, store: CheckpointStore, latest: LoadedCheckpoint<CheckpointState>): TrainingState {
  const { model, optimizer, stopper, engine } = context;
  const { state } = latest;
  applyWeights(modelWeights(model), latest.weights, WHERE, `checkpoint ${latest.info.id}`);
  restoreOptimizer(optimizer, latest.optimizer, trainableVariables(model), WHERE);
  if (state.learningRate.kind !== context.schedule.kind) {
    fail(WHERE, `checkpoint ${latest.info.id} was trained with a ${state.learningRate.kind} learning rate, but this call uses ${context.schedule.kind}.`);
  }
  const savedEngine = state.engine ?? 'tfjs';
  if (savedEngine !== engine.info.name) {
    warn(
      WHERE,
      `run ${path.basename(store.dir)} was checkpointed by the ${savedEngine} engine and continues on the ${engine.info.name} engine from ${latest.info.id}: ` +
        `the two round differently, so from here it is not bit for bit what the ${savedEngine} engine would have trained. Pass engine: '${savedEngine}' to continue on the same engine.`,
    );
  }
  const { stopState, bestWeights } = stopper ? resumeEarlyStop(model, stopper, store, latest) : { stopState: { wait: 0 }, bestWeights: undefined };
  return resumedState(state, stopState, bestWeights);
}

/**
 * Early-stop state for a resumed run: the saved one when the options are unchanged, else replayed
 * from the history with the new options (the rule is a pure function of the monitored values), with
 * the best epoch's weights found in the checkpoint or among the run's checkpoints.
 */
function resumeEarlyStop(model: tf.LayersModel, stopper: EarlyStopper, store: CheckpointStore, latest: LoadedCheckpoint<CheckpointState>): { stopState: EarlyStopState; bestWeights?: WeightsSnapshot } {
  const { state } = latest;
  const saved = state.earlyStop;
  let stopState: EarlyStopState = stopper.initialState();
  if (saved && JSON.stringify(saved.options) === JSON.stringify(stopper.toJSON())) {
    stopState = saved.state;
  } else {
    for (const entry of state.history) {
      const value = entry[stopper.monitor.metric];
      if (value === undefined) continue;
      stopState = evaluateStopping(stopper, stopState, entry.epoch, value).state;
    }
  }
  if (!stopper.restoreBest || stopState.bestEpoch === undefined) return { stopState };
  const bestEpoch = stopState.bestEpoch;
  // The weights just restored are the best epoch's when the checkpoint closes that epoch.
  if (bestEpoch === state.position.epoch && state.position.batch === 0) return { stopState, bestWeights: snapshotWeights(modelWeights(model)) };
  if (latest.best && saved?.state.bestEpoch === bestEpoch) return { stopState, bestWeights: latest.best };
  const id = `epoch-${String(bestEpoch).padStart(4, '0')}`;
  if (store.ids().includes(id)) {
    try {
      return { stopState, bestWeights: store.read<CheckpointState>(id).weights };
    } catch {
      // Damaged: fall through to the warning.
    }
  }
  warn(WHERE, `earlyStop's best epoch (${bestEpoch}) has no saved weights in ${store.dir}, so restoreBest can only return to a better epoch found from now on.`);
  return { stopState };
}

/** Fine-tuning: loads the parent run's weights into `model` and describes the parent. */
function loadParent(model: tf.LayersModel, from: NonNullable<TrainOptions['from']>): ParentRef {
  const spec = typeof from === 'object' && !(from instanceof Run) ? from : { run: from };
  const dir = spec.run instanceof Run ? spec.run.dir : spec.run;
  if (typeof dir !== 'string') fail(WHERE, '`from` names a run trained without checkpoints; fine-tuning needs its checkpoint directory.');
  const store = new CheckpointStore({ dir });
  // A Run without a checkpoint choice: the weights it ended with (the best epoch's under restoreBest).
  const ended = spec.checkpoint === undefined && spec.run instanceof Run;
  const loaded = store.load<CheckpointState>(spec.checkpoint ?? 'latest', WHERE);
  const holdsBest = ended && loaded.state.holds === 'best' && loaded.best !== undefined;
  applyWeights(modelWeights(model), holdsBest ? loaded.best! : loaded.weights, WHERE, `checkpoint ${loaded.info.id} of ${dir}`);
  const checkpointName = holdsBest ? `${loaded.info.id}:best-epoch-${loaded.state.earlyStop?.state.bestEpoch}` : loaded.info.id;
  return { id: loaded.state.run.id, dir: store.dir, checkpoint: checkpointName, epoch: holdsBest ? loaded.state.earlyStop!.state.bestEpoch! : loaded.info.epoch };
}

function describeOptions(context: RunContext): Record<string, unknown> {
  const { settings, stopper, schedule } = context;
  return {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    seed: settings.seed,
    shuffle: settings.shuffle,
    validation: context.prepared.validation,
    learningRate: schedule.describe(),
    ...(stopper ? { earlyStop: stopper.toJSON() } : {}),
    // What loadRun() needs to rebuild a Run that evaluates: how the model was compiled, which columns it reads.
    compile: compileSettings(context.model) ?? null,
    columns: settings.columns,
    evaluationBatchSize: settings.evaluationBatchSize,
  };
}

/** What a Run holds besides its header and outcome. */
interface RunExtras {
  readonly store?: CheckpointStore;
  readonly reused: boolean;
  readonly parent: ParentRef | undefined;
  readonly resumedFrom?: Run['resumedFrom'];
}

/** The Run of a header and an outcome: the one place a Run is made. */
function makeRun(context: RunContext, header: RunHeader, outcome: Pick<LoopResult, 'status' | 'stop' | 'epoch' | 'best' | 'history' | 'elapsed'>, extras: RunExtras): Run {
  const { model, settings, prepared, trainNames, session, optimizer } = context;
  const test = prepared.test;
  const run = new Run({
    id: header.id,
    ...(header.name ? { name: header.name } : {}),
    ...(extras.store ? { dir: extras.store.dir } : {}),
    status: outcome.status,
    stop: outcome.stop,
    epoch: outcome.epoch,
    epochs: header.epochs,
    history: outcome.history,
    ...(outcome.best ? { best: outcome.best } : {}),
    ...(extras.resumedFrom ? { resumedFrom: extras.resumedFrom } : {}),
    ...(extras.parent ? { parent: extras.parent } : {}),
    reused: extras.reused,
    engine: header.engine,
    model,
    ...(extras.store ? { checkpoints: extras.store } : {}),
    metricNames: header.metricNames,
    elapsed: outcome.elapsed,
    evaluator: (data) => evaluateOn(model, data ?? test, { ...settings, engine: evaluationEngine(header.engine) }, trainNames),
    ...(settings.columns.preprocess ? { preprocessing: settings.columns.preprocess } : {}),
    predictor: (data) => predictWith(model, settings.columns, data, 'Run.predict()'),
    scorer: (data, where) => scoreWith(model, settings.columns, data ?? test, where),
  });
  rates.set(optimizer, { compiled: context.compiledRate, left: getLearningRate(optimizer) });
  lastRuns.set(model, { finalWeights: weightsHash(model), initialWeights: context.initialWeights });
  session?.reportRun?.(run);
  return run;
}

/**
 * What evaluates a run's model: the engine that trained it (tf.js, or the fused engine where this
 * process can run it), so that `run.evaluate()` computes as the run's validation did.
 */
export function evaluationEngine(engine: EngineInfo): EngineChoice {
  return engine.name === 'tfjs' ? 'tfjs' : 'auto';
}

/** How a run's model is evaluated: its data columns, evaluation batch size and engine. */
export interface EvaluationSettings extends Pick<TrainSettings, 'columns' | 'evaluationBatchSize'> {
  readonly engine: EngineChoice;
  /** Threads of the fused engine (default CELLFIT_THREADS, else the machine's cores). */
  readonly threads?: number;
}

/** Loss and metrics of `model` on `data` (what Run.evaluate() computes), reading `settings.columns`, on the engine `settings.engine` picks. */
export async function evaluateOn(model: tf.LayersModel, data: unknown, settings: EvaluationSettings, names: readonly string[]): Promise<Record<string, number>> {
  const where = 'Run.evaluate()';
  if (data === undefined) fail(where, 'there is no test data: pass the data to evaluate, e.g. run.evaluate(test). (Without an argument it evaluates the test part of the split the run trained on.)');
  await ready();
  const optimizer = compiledOptimizer(model);
  if (!optimizer) {
    fail(where, "the run's model is not compiled (its checkpoints were written by an earlier cellfit, which did not record how): compile run.model as it was trained, e.g. run.model.compile({ optimizer: 'adam', loss: 'meanSquaredError' }).");
  }
  const threads = settings.threads ?? engineSettings({}, where).threads;
  if (data instanceof InputSpace) {
    const { maxAbsError, meanAbsError, rmse } = await data.evaluate(model, { engine: settings.engine, threads });
    return { maxAbsError, meanAbsError, rmse };
  }
  const dataset = await toDataset(model, data, settings.columns, where, 'data');
  const evaluator = chooseEvaluator(settings.engine, { model, optimizer, threads, where });
  try {
    const values = await evaluator.evaluate(dataset, settings.evaluationBatchSize);
    const result: Record<string, number> = {};
    names.forEach((name, i) => (result[name] = values[i]));
    return result;
  } finally {
    evaluator.dispose();
    dataset.dispose();
  }
}
