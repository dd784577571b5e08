/**
 * `sweep(space, trial, options)`: hyperparameter search where every trial is a resumable run.
 *
 * The sweep proposes parameters (grid, random or TPE), calls the trial with them — in this process,
 * in N worker processes, or on workers that pull from a Redis queue — reads each epoch's monitored
 * value from the trial's `train()` calls, prunes or pauses trials (median, ASHA) at a checkpoint, and
 * keeps a record that makes it resumable and extensible: executing it again skips finished trials,
 * resumes unfinished ones with their parameters, promotes paused ones, and proposes new trials when
 * the budget or the space grew.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkName } from '../checkpoint/format';
import { fail, formatValue } from '../errors';
import { Monitor, type MonitorMode } from '../monitor';
import { checkSeed, getSeed, type Seed } from '../random';
import type { LiveInfo, SweepView } from './display';
import { inProcess, processPool, type Executor, type Slot } from './executors';
import { loadTrialFunction, resolveTrialModule, type TrialModule } from './module';
import { runClaimedTrial, taskFor } from './pipeline';
import { prepareRecord, queueDispatcher, stopSignal, trialChecker, viewFor, type SweepPlan } from './plan';
import { prunerConfig, type PrunerOption } from './pruners';
import { recordFile } from './record';
import { failureError, loadSweepResult, type Sweep } from './result';
import { samplerConfig, type SamplerOption } from './samplers';
import { searchOf } from './scheduler';
import { SearchSpace, type Params, type ParamsOf, type SpaceSpec } from './space';
import type { SweepRecord, TrialCode, TrialRecord } from './state';
import { FileStore } from './store';
import type { TrialFunction } from './trial';
import { checkRecord, chooseVersion } from './versions';
import { checkBoolean, checkInteger, checkKeys, type OptionKeys } from '../util/options';

export type { SweepPlan } from './plan';

/** Options of {@link sweep}. */
export interface SweepOptions {
  /** Names the sweep (its record `DIR/sweeps/NAME.json`). Defaults to `sweep-` and a hash of the trial's code. */
  readonly name?: string;
  /** Directory of the record and, unless the trial says otherwise, of the trials' runs (`DIR/NAME/trial-0001`). Defaults to 'checkpoints'. */
  readonly dir?: string;
  /** 'grid', 'random' or 'tpe' (or { kind: 'tpe', startupTrials, candidates, gamma, priorWeight }). Defaults to 'grid' when every parameter has listed values, else 'tpe'. */
  readonly sampler?: SamplerOption;
  /** Trials to run in all (the budget; raise it and run again to extend). Defaults to every grid combination, else 20. */
  readonly trials?: number;
  /** Seeds the sampler: the same seed proposes the same trials. Defaults to the global seed (see setSeed). */
  readonly seed?: Seed;
  /** 'none', 'median' or 'asha' (or { kind: 'asha', minEpochs, reduction }, { kind: 'median', startupTrials, warmupEpochs, intervalEpochs }). Defaults to 'none'. */
  readonly pruner?: PrunerOption;
  /** The metric trials are ranked by. Defaults to val_loss when the runs report it, else loss (or the number a trial returns). */
  readonly monitor?: string;
  /** Whether the monitored value is minimised or maximised. Defaults to 'auto' (max for accuracy-like names). */
  readonly mode?: MonitorMode;
  /** Trials at once, each in its own worker process (a module trial only). Defaults to 1 for a function trial, the machine's cores for a module trial. */
  readonly workers?: number;
  /** A Redis URL (redis://host:port/db): queue the trials for `npx cellfit worker --queue URL` processes anywhere. Defaults to none. */
  readonly queue?: string;
  /** Show the live table and charts in a notebook. Defaults to true. */
  readonly plot?: boolean;
  /** Print a line per trial in a terminal. Defaults to true. */
  readonly progress?: boolean;
  /** 'stop': the first failed trial stops the sweep and its error is thrown; 'continue': record it and go on. Defaults to 'stop'. */
  readonly failures?: 'stop' | 'continue';
  /** Stops the sweep (its trials at a checkpoint). Defaults to the cell's interrupt, or Ctrl-C in a terminal. */
  readonly signal?: AbortSignal;
}

/** The trial: a function (runs in this process), or a module every worker process loads. */
export type SweepTrialSpec<P extends Params = Params> = TrialFunction<P> | TrialModule | string;

const WHERE = 'sweep()';
const SWEEP_KEYS = { name: true, dir: true, sampler: true, trials: true, seed: true, pruner: true, monitor: true, mode: true, workers: true, queue: true, plot: true, progress: true, failures: true, signal: true } as const satisfies OptionKeys<SweepOptions>;
const DEFAULT_TRIALS = 20;

/**
 * Runs (or resumes, or extends) a hyperparameter sweep; see the module comment and the README.
 *
 * @example
 * const result = await sweep(
 *   { lr: { min: 1e-4, max: 0.1, log: true }, units: [8, 16, 32] },
 *   async ({ lr, units }) => train(makeModel(units, lr), data, { epochs: 30, validation }),
 *   { name: 'lr-units', sampler: 'tpe', trials: 30, pruner: 'asha', seed: 1 },
 * );
 * result.best;   // { number: 17, params: { lr: 0.0031, units: 32 }, status: 'finished', value: 0.0123, run: Run }
 * await result.best!.run!.evaluate(test);   // the best trial's run, rebuilt from its checkpoints
 */
export async function sweep<const S extends SpaceSpec>(space: S, trial: SweepTrialSpec<ParamsOf<S>>, options: SweepOptions = {}): Promise<Sweep<ParamsOf<S>>> {
  const plan = planSweep(space, trial as SweepTrialSpec, options);
  const dispatch = plan.queue ? await queueDispatcher() : runLocal;
  return (await dispatch(plan)) as Sweep<ParamsOf<S>>;
}

/** Checks the arguments and decides name, sampler, budget, workers. */
export function planSweep(spaceSpec: SpaceSpec, trial: SweepTrialSpec, options: SweepOptions): SweepPlan {
  if (typeof options !== 'object' || options === null) fail(WHERE, `options must be an object such as { trials: 20 }. Received: ${formatValue(options)}.`);
  checkKeys(WHERE, options, SWEEP_KEYS);
  const space = new SearchSpace(spaceSpec, WHERE);
  const isFunction = typeof trial === 'function';
  if (!isFunction && typeof trial !== 'string' && (typeof trial !== 'object' || trial === null)) {
    fail(WHERE, `\`trial\` must be a function (params, context) => run, or a module { module: './trial.ts', export: 'trial' }. Received: trial=${formatValue(trial)}.`);
  }
  const module = isFunction ? undefined : resolveTrialModule(trial as TrialModule | string, WHERE);
  const code: TrialCode = module ? { kind: 'module', path: module.path, export: module.export } : { kind: 'function', source: (trial as TrialFunction).toString() };

  const seed = options.seed ?? getSeed();
  checkSeed(seed, WHERE);
  const sampler = samplerConfig(options.sampler ?? (space.gridSize() !== undefined ? 'grid' : 'tpe'), seed, WHERE);
  const pruner = prunerConfig(options.pruner ?? 'none', WHERE);
  if (options.trials !== undefined) checkInteger(WHERE, 'trials', options.trials, 1);
  const budget = options.trials ?? (sampler.kind === 'grid' ? space.gridSize()! : DEFAULT_TRIALS);
  if (sampler.kind === 'grid') searchOf({ space: space.toJSON(), sampler, pruner } as SweepRecord, WHERE);
  if (options.mode !== undefined && !['min', 'max', 'auto'].includes(options.mode)) fail(WHERE, `\`mode\` must be 'min', 'max' or 'auto'. Received: mode=${formatValue(options.mode)}.`);
  const monitor = options.monitor === undefined ? undefined : new Monitor(WHERE, { monitor: options.monitor, mode: options.mode ?? 'auto' });
  const mode = monitor?.mode ?? (options.mode === 'min' || options.mode === 'max' ? options.mode : undefined);
  for (const flag of ['plot', 'progress'] as const) if (options[flag] !== undefined) checkBoolean(WHERE, flag, options[flag]);
  if (options.failures !== undefined && options.failures !== 'stop' && options.failures !== 'continue') fail(WHERE, `\`failures\` must be 'stop' or 'continue'. Received: failures=${formatValue(options.failures)}.`);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) fail(WHERE, `\`signal\` must be an AbortSignal. Received: signal=${formatValue(options.signal)}.`);

  const name = options.name ?? `sweep-${createHash('sha256').update(JSON.stringify(code)).digest('hex').slice(0, 12)}`;
  // A module's path names it; its contents tell an edit (lib/sweep/versions.ts).
  if (module && code.kind === 'module') Object.assign(code, { digest: createHash('sha256').update(fs.readFileSync(module.path)).digest('hex').slice(0, 16) });
  checkName(name, 'name', WHERE);
  const dir = path.resolve(options.dir ?? 'checkpoints');

  let workers = 1;
  if (options.queue !== undefined) {
    if (typeof options.queue !== 'string') fail(WHERE, `\`queue\` must be a Redis URL such as redis://localhost:6379. Received: queue=${formatValue(options.queue)}.`);
    if (!module) fail(WHERE, "a queued sweep runs its trials in `cellfit worker` processes, which cannot receive a function defined here: give the trial as a module, sweep(space, { module: './trial.ts', export: 'trial' }, { queue }).");
    if (options.workers !== undefined) fail(WHERE, `\`workers\` and \`queue\` exclude each other: with a queue, trials run on \`npx cellfit worker --queue URL\` processes. Received: workers=${formatValue(options.workers)}.`);
  } else if (options.workers !== undefined) {
    checkInteger(WHERE, 'workers', options.workers, 1);
    if (options.workers > 1 && !module) {
      fail(
        WHERE,
        `\`workers: ${options.workers}\` runs trials in worker processes, which cannot receive a function defined here (a closure cannot travel to another process). ` +
          "Give the trial as a module every worker loads — sweep(space, { module: './trial.ts', export: 'trial' }, { workers }) — or use workers: 1 to run it in this process.",
      );
    }
    workers = options.workers;
  } else if (module) {
    workers = Math.max(1, Math.min(os.availableParallelism(), budget));
  }
  return {
    name,
    dir,
    space,
    sampler,
    pruner,
    budget,
    ...(monitor ? { monitor: monitor.metric } : {}),
    ...(mode ? { mode } : {}),
    code,
    ...(isFunction ? { fn: trial as TrialFunction } : {}),
    ...(module ? { module } : {}),
    workers,
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
    stopOnFailure: options.failures !== 'continue',
    options,
  };
}

/**
 * A local sweep: its record in a {@link FileStore} (this process holds the sweep's lock), its trials
 * run on the executor's slots (this process, or worker processes) through the trial pipeline.
 */
async function runLocal(plan: SweepPlan): Promise<Sweep> {
  const fn = plan.fn ?? (plan.workers === 1 ? loadTrialFunction(plan.module!, WHERE) : undefined);
  const version = await chooseVersion(plan.dir, plan.name, plan.code, WHERE, (record) => checkRecord(record, trialChecker(plan, fn), (trial) => taskFor(record, trial)));
  const file = recordFile(plan.dir, version.name);
  const stop = stopSignal(plan.options);
  let executor: Executor | undefined;
  try {
    const store = new FileStore(file, prepareRecord(version.existing, { ...plan, name: version.name }, file), WHERE);
    // Trials whose train() now asks for more epochs continue their runs, as a run does.
    store.applyNow({ kind: 'reopen', again: true, grown: version.grown });
    await store.flush();
    executor = fn ? inProcess(fn) : processPool(plan.module!, plan.workers);
    const view = viewFor(plan.options);
    const failure = await runTrials(store, executor.slots, stop.signal, view);
    store.applyNow({ kind: 'end', force: true, failed: failure instanceof Error });
    await store.flush();
    const record = store.record;
    view.end(record);
    const result = await loadSweepResult(record, file);
    if (failure) throw failureError(failure, result);
    return result;
  } finally {
    await executor?.close();
    version.lock.release();
    stop.release();
  }
}

/**
 * Runs trials on `slots` until the sweep is done or stopped: claims the next trial whenever a slot is
 * free (and when a report makes a paused trial promotable) and runs it through the trial pipeline.
 * Returns the trial that failed when failures stop the sweep, or an error that prevented running
 * trials at all.
 */
async function runTrials(store: FileStore, slots: readonly Slot[], stop: AbortSignal, view: SweepView): Promise<TrialRecord | Error | undefined> {
  const record = store.record;
  const halt = new AbortController();
  const onStop = () => {
    store.applyNow({ kind: 'stop' });
    halt.abort();
  };
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const busy = new Set<Slot>();
  const active = new Set<Promise<void>>();
  let failure: TrialRecord | Error | undefined;
  let wake: () => void = () => undefined;
  const live = (): LiveInfo => ({ workers: slots.length });
  try {
    for (;;) {
      for (const slot of slots) {
        if (busy.has(slot) || halt.signal.aborted) continue;
        const holder = { worker: slot.label };
        const claim = store.applyNow({ kind: 'claim', ...holder, at: new Date().toISOString() });
        if (!claim) break;
        busy.add(slot);
        view.update(record, live());
        const changed = () => {
          view.update(record, live());
          wake();
        };
        const done: Promise<void> = runClaimedTrial(store, claim, holder, (task, hooks) => slot.run(task, hooks), { signal: halt.signal, changed })
          .then(({ outcome, error }) => {
            if (error) failure ??= error;
            else if (outcome.kind === 'failed' && record.stopOnFailure) failure ??= record.trials[claim.number - 1];
            if (record.status !== 'running' && !halt.signal.aborted) halt.abort();
            if (error && !halt.signal.aborted) onStop();
          })
          .finally(() => {
            busy.delete(slot);
            active.delete(done);
            view.settled(record, claim.number);
            view.update(record, live());
          });
        active.add(done);
      }
      if (active.size === 0) break;
      await Promise.race([...active, new Promise<void>((resolve) => (wake = resolve))]);
    }
  } finally {
    stop.removeEventListener('abort', onStop);
  }
  return failure;
}
