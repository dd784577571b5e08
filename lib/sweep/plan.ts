/**
 * What a sweep's execution is decided by before its trials run, shared by a local sweep
 * (lib/sweep/sweep.ts) and a queued one (lib/sweep/queue/follow.ts): the plan made from sweep()'s
 * arguments, the record it opens (new, or the existing one updated to this call's options), how a
 * recorded trial is checked for edits, where progress is shown, and the signal that stops it.
 */
import { fail } from '../errors';
import { currentSession } from '../session';
import { stopSignal as workStopSignal } from '../train/interrupt';
import { notebookView, silentView, terminalView, type SweepView } from './display';
import { loadTrialFunction, type ResolvedModule } from './module';
import type { readRecord } from './record';
import type { Sweep } from './result';
import type { SearchSpace } from './space';
import { SWEEP_PROTOCOL, type PrunerConfig, type SamplerConfig, type SweepRecord, type TrialCode } from './state';
import { checkTrial, type TrialFunction } from './trial';
import type { TrialChecker } from './versions';
import { cellfitVersion } from './version';

const WHERE = 'sweep()';

/** The options of sweep() that choose the view and the stop signal. */
export interface RunOptions {
  readonly plot?: boolean;
  readonly progress?: boolean;
  readonly signal?: AbortSignal;
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
  /** The options the view and the stop signal are chosen by. */
  readonly options: RunOptions;
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
export function fromPlan(plan: SweepPlan) {
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

/** The view for this process: live in a notebook, lines in a terminal, or nothing. */
export function viewFor(options: RunOptions): SweepView {
  const session = currentSession();
  if (session) return options.plot === false ? silentView : notebookView(session);
  return options.progress === false ? silentView : terminalView();
}

/**
 * The signal that stops a sweep: the option's, else the cell's interrupt, else Ctrl-C in a terminal
 * (stopping the trials at a checkpoint, then exiting as usual).
 */
export function stopSignal(options: RunOptions): { signal: AbortSignal; release(): void } {
  return workStopSignal({ own: options.signal, where: WHERE, interrupted: 'stopping the running trials at a checkpoint' });
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

/** Runs a planned sweep's trials somewhere (a local sweep runs them on its own slots). */
export type Dispatcher = (plan: SweepPlan) => Promise<Sweep>;

let queued: (() => Promise<Dispatcher>) | undefined;

/**
 * Installs the dispatcher of queued sweeps (lib/sweep/index.ts installs lib/sweep/queue's, loaded
 * when a sweep is queued), so that sweep() itself knows no queue.
 */
export function setQueueDispatcher(load: () => Promise<Dispatcher>): void {
  queued = load;
}

/** The dispatcher of queued sweeps. */
export function queueDispatcher(): Promise<Dispatcher> {
  if (!queued) fail(WHERE, 'queued sweeps are not available: import sweep from cellfit (or lib/sweep), which installs them.');
  return queued();
}
