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
import { CellfitError, fail, formatValue } from '../errors';
import { Monitor, type MonitorMode } from '../monitor';
import { checkSeed, getSeed, type Seed } from '../random';
import { currentSession } from '../session';
import { stopSignal as workStopSignal } from '../train/interrupt';
import { notebookView, silentView, terminalView, type LiveInfo, type SweepView } from './display';
import { inProcess, processPool, type Executor, type Slot } from './executors';
import { loadTrialFunction, resolveTrialModule, type ResolvedModule, type TrialModule } from './module';
import { prunerConfig, type PrunerOption } from './pruners';
import { readRecord, recordFile, RecordWriter } from './record';
import { loadSweepResult, type Sweep } from './result';
import { samplerConfig, type SamplerOption } from './samplers';
import { claimNext, enginesOf, isDone, reopen, reportEpoch, settleTrial, type Engines } from './scheduler';
import { SearchSpace, describeParams, type Params, type ParamsOf, type SpaceSpec } from './space';
import { SWEEP_PROTOCOL, type PrunerConfig, type SamplerConfig, type SweepRecord, type TrialCode, type TrialRecord } from './state';
import { checkTrial, type TrialFunction, type TrialHooks, type TrialTask } from './trial';
import { checkRecord, chooseVersion, type TrialChecker } from './versions';
import { cellfitVersion } from './version';
import { checkBoolean, checkInteger, checkKeys, type OptionKeys } from '../util/options';

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
  if (plan.queue) {
    const { runQueued } = await import('./queue/follow');
    return (await runQueued(plan)) as Sweep<ParamsOf<S>>;
  }
  return (await runLocal(plan)) as Sweep<ParamsOf<S>>;
}

/** Everything decided from the arguments before a trial runs. */
export interface SweepPlan {
  readonly name: string;
  readonly dir: string;
  readonly space: SearchSpace;
  readonly sampler: SamplerConfig;
  readonly pruner: PrunerConfig;
  readonly budget: number;
  readonly monitor?: string;
  readonly mode?: 'min' | 'max';
  readonly code: TrialCode;
  readonly fn?: TrialFunction;
  readonly module?: ResolvedModule;
  readonly workers: number;
  readonly queue?: string;
  readonly stopOnFailure: boolean;
  readonly options: SweepOptions;
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
  if (sampler.kind === 'grid') enginesOf({ space: space.toJSON(), sampler, pruner } as SweepRecord, WHERE);
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
 * The record this execution runs: a new one, or the existing one updated to today's options (space,
 * sampler, pruner, budget) with its trials kept. The monitor cannot change under a sweep's trials.
 */
export function prepareRecord(existing: ReturnType<typeof readRecord>, plan: SweepPlan, file: string, queue?: string): SweepRecord {
  const now = new Date().toISOString();
  if (existing && !('legacy' in existing)) {
    if (existing.protocol !== SWEEP_PROTOCOL) fail(WHERE, `sweep ${JSON.stringify(plan.name)} was recorded by cellfit ${existing.cellfit} (sweep protocol ${existing.protocol}); this is cellfit ${cellfitVersion} (protocol ${SWEEP_PROTOCOL}). Use that version, or another name.`);
    if (plan.monitor && existing.monitor && plan.monitor !== existing.monitor) {
      fail(WHERE, `sweep ${JSON.stringify(plan.name)} ranks its trials by ${existing.monitor}; this call asks for monitor ${JSON.stringify(plan.monitor)}. Use another name for a sweep on ${plan.monitor}.`);
    }
    if (plan.mode && existing.mode && plan.mode !== existing.mode) fail(WHERE, `sweep ${JSON.stringify(plan.name)} ${existing.mode === 'min' ? 'minimises' : 'maximises'} ${existing.monitor ?? 'its value'}; this call asks for mode ${JSON.stringify(plan.mode)}.`);
    if (Boolean(existing.queue) !== Boolean(queue)) {
      fail(WHERE, existing.queue ? `sweep ${JSON.stringify(plan.name)} runs on the queue ${existing.queue}: pass queue: '${existing.queue}' to follow it, or choose another name.` : `sweep ${JSON.stringify(plan.name)} ran locally (${file}); choose another name for a queued sweep.`);
    }
    return { ...existing, ...fromPlan(plan), updated: now };
  }
  return {
    format: 'cellfit-sweep',
    version: 2,
    protocol: SWEEP_PROTOCOL,
    name: plan.name,
    status: 'running',
    ...fromPlan(plan),
    ...(queue ? { queue } : {}),
    warnings: [],
    created: now,
    updated: now,
    trials: existing && 'legacy' in existing ? existing.legacy : [],
  };
}

/** What each execution of a sweep records from its own call (the trials and history stay). */
function fromPlan(plan: SweepPlan) {
  return {
    dir: plan.dir,
    cellfit: cellfitVersion,
    space: plan.space.toJSON(),
    sampler: plan.sampler,
    pruner: plan.pruner,
    budget: plan.budget,
    ...(plan.monitor ? { monitor: plan.monitor } : {}),
    ...(plan.mode ? { mode: plan.mode } : {}),
    trial: plan.code,
    stopOnFailure: plan.stopOnFailure,
  } satisfies Partial<SweepRecord>;
}

/** The task a worker gets for a claimed trial. */
export function taskFor(record: SweepRecord, trial: TrialRecord): TrialTask {
  return {
    sweep: record.name,
    number: trial.number,
    params: trial.params,
    attempt: trial.attempts,
    dir: path.join(record.dir, record.name),
    ...(record.monitor ? { monitor: record.monitor } : {}),
    ...(record.mode ? { mode: record.mode } : {}),
  };
}

/** The view for this process: live in a notebook, lines in a terminal, or nothing. */
export function viewFor(options: SweepOptions): SweepView {
  const session = currentSession();
  if (session) return options.plot === false ? silentView : notebookView(session);
  return options.progress === false ? silentView : terminalView();
}

/**
 * The signal that stops a sweep: the option's, else the cell's interrupt, else Ctrl-C in a terminal
 * (stopping the trials at a checkpoint, then exiting as usual).
 */
export function stopSignal(options: SweepOptions): { signal: AbortSignal; release(): void } {
  return workStopSignal({ own: options.signal, where: WHERE, interrupted: 'stopping the running trials at a checkpoint' });
}

async function runLocal(plan: SweepPlan): Promise<Sweep> {
  const fn = plan.fn ?? (plan.workers === 1 ? loadTrialFunction(plan.module!, WHERE) : undefined);
  const version = await chooseVersion(plan.dir, plan.name, plan.code, WHERE, (record) => checkRecord(record, trialChecker(plan, fn), (trial) => taskFor(record, trial)));
  const file = recordFile(plan.dir, version.name);
  const stop = stopSignal(plan.options);
  let executor: Executor | undefined;
  try {
    const record = prepareRecord(version.existing, { ...plan, name: version.name }, file);
    reopen(record);
    // Trials whose train() now asks for more epochs continue their runs, as a run does.
    for (const number of version.grown) record.trials[number - 1].status = 'interrupted';
    const engines = enginesOf(record, WHERE);
    const writer = new RecordWriter(file, () => record);
    await writer.flush();
    executor = fn ? inProcess(fn) : processPool(plan.module!, plan.workers);
    const view = viewFor(plan.options);
    const failure = await runTrials(record, engines, executor.slots, { stop: stop.signal, view, save: () => writer.schedule() });
    record.status = failure ? 'failed' : isDone(record, engines) ? 'finished' : 'interrupted';
    await writer.flush();
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
 * How this process checks a recorded trial: its function called in a checking scope. A module trial
 * that runs in worker processes is loaded here for the check; when it cannot be (it needs what only
 * the workers have), its trials are not checked — its file's hash still tells an edit.
 */
export function trialChecker(plan: SweepPlan, fn: TrialFunction | undefined): TrialChecker {
  let loaded: TrialFunction | undefined | null = fn;
  return async (task, recorded) => {
    if (loaded === undefined) {
      try {
        loaded = loadTrialFunction(plan.module!, WHERE);
      } catch {
        loaded = null;
      }
    }
    return loaded ? checkTrial(loaded, task, recorded) : { same: true, calls: recorded };
  };
}

/** How the trials loop reports (the record's writer and view). */
interface LoopSinks {
  readonly stop: AbortSignal;
  readonly view: SweepView;
  readonly save: () => void;
}

/**
 * Runs trials on `slots` until the sweep is done or stopped: claims the next trial whenever a slot is
 * free (and when a report makes a paused trial promotable), answers every reported epoch with the
 * pruner's decision. Returns the trial that failed when failures stop the sweep, or an error that
 * prevented running trials at all.
 */
async function runTrials(record: SweepRecord, engines: Engines, slots: readonly Slot[], { stop, view, save }: LoopSinks): Promise<TrialRecord | Error | undefined> {
  const halt = new AbortController();
  const onStop = () => halt.abort();
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
        const claim = claimNext(record, engines, slot.label);
        if (!claim) break;
        busy.add(slot);
        save();
        view.update(record, live());
        const trial = record.trials[claim.number - 1];
        const task = taskFor(record, trial);
        const hooks: TrialHooks = {
          signal: halt.signal,
          began: (run) => {
            trial.run = run;
            save();
          },
          report: async (epoch: number, value: number, monitor: string, epochs: number | undefined) => {
            const decision = reportEpoch(record, engines, claim.number, epoch, value, epochs, monitor);
            save();
            view.update(record, live());
            wake();
            return decision;
          },
        };
        const done: Promise<void> = slot
          .run(task, hooks)
          .then(
            (outcome) => {
              settleTrial(record, engines, claim.number, outcome);
              if (outcome.kind === 'failed' && record.stopOnFailure && !failure) {
                failure = trial;
                halt.abort();
              }
            },
            (error: unknown) => {
              settleTrial(record, engines, claim.number, { kind: 'interrupted', seconds: 0 });
              failure ??= error instanceof Error ? error : new Error(String(error));
              halt.abort();
            },
          )
          .finally(() => {
            busy.delete(slot);
            active.delete(done);
            save();
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

/** The error a failed trial stops the sweep with: its own message, the trial named, what to do. */
export function failureError(failure: TrialRecord | Error, result: Sweep): CellfitError {
  const error =
    failure instanceof Error
      ? new CellfitError(WHERE, failure.message.replace(/^sweep\(\): /, ''))
      : new CellfitError(
          WHERE,
          `trial ${failure.number} (${describeParams(failure.params)}) failed, so the sweep stopped (failures: 'continue' records failures and goes on). ` +
            `Fix the trial and run the sweep again: finished trials are kept, the failed one runs again.\n\n${failure.error ?? ''}`,
        );
  Object.defineProperty(error, 'sweep', { value: result, enumerable: false });
  return error;
}
