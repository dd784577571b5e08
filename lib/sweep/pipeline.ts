/**
 * The one trial pipeline every sweep runs its trials through — a local sweep's worker slots and the
 * queue's `cellfit worker` processes alike: a claimed trial runs, its run's start and each epoch's
 * report go to the sweep's store (which answers the pruner's decision), and its outcome is settled
 * there, which also moves the sweep's status (lib/sweep/store.ts).
 */
import * as path from 'node:path';
import type { Claim, TrialOutcome } from './scheduler';
import type { SweepRecord, TrialRecord } from './state';
import type { Holder, SweepOp, SweepStore } from './store';
import type { TrialHooks, TrialTask } from './trial';

/** Runs a trial's task (in this process, a worker process, ...). */
export type TrialRunner = (task: TrialTask, hooks: TrialHooks) => Promise<TrialOutcome>;

/** The task a worker gets for a claimed trial; `dir` overrides the record's directory (shared storage mounted elsewhere). */
export function taskFor(record: SweepRecord, trial: TrialRecord, dir = record.dir): TrialTask {
  return {
    sweep: record.name,
    number: trial.number,
    params: trial.params,
    attempt: trial.attempts,
    dir: path.join(dir, record.name),
    ...(record.monitor ? { monitor: record.monitor } : {}),
    ...(record.mode ? { mode: record.mode } : {}),
  };
}

/** Options of {@link runClaimedTrial}. */
export interface PipelineOptions {
  /** Stops the trial at a checkpoint (the sweep stops, or the worker shuts down). */
  readonly signal: AbortSignal;
  /** The sweep's directory on this machine, when it differs from the record's. */
  readonly dir?: string;
  /** Called after each change this trial made to the record (its start, a report). */
  readonly changed?: () => void;
  /** Called when a change failed to reach the store (the trial goes on; its settle will tell). */
  readonly lost?: (error: Error) => void;
  /** Applies the settle instead of `store.apply` (a queue worker sends its next claim with it); answers whether it settled. */
  readonly settle?: (op: Extract<SweepOp, { kind: 'settle' }>) => Promise<boolean>;
}

/** How a trial's pass through the pipeline ended. */
export interface PipelineResult {
  readonly outcome: TrialOutcome;
  /** False when the trial was no longer this holder's when it returned (taken over, or the sweep reopened). */
  readonly settled: boolean;
  /** The runner's own failure (a worker process that died): the trial is settled as interrupted. */
  readonly error?: Error;
}

/**
 * Runs trial `claim` (held by `holder`) with `run`, reporting to `store`, and settles it; see the
 * module comment.
 *
 * @example
 * const claim = await store.apply({ kind: 'claim', worker: 'main', at: new Date().toISOString() });
 * if (claim) await runClaimedTrial(store, claim, { worker: 'main' }, (task, hooks) => runTrial(fn, task, hooks), { signal });
 */
export async function runClaimedTrial(store: SweepStore, claim: Claim, holder: Holder, run: TrialRunner, options: PipelineOptions): Promise<PipelineResult> {
  const { number } = claim;
  const trial = store.record.trials[number - 1];
  const task = taskFor(store.record, trial, options.dir);
  const hooks: TrialHooks = {
    signal: options.signal,
    began: (info) => {
      store.apply({ kind: 'began', ...holder, number, run: info }).then(
        () => options.changed?.(),
        (error: Error) => options.lost?.(error),
      );
    },
    report: async (epoch, value, monitor, epochs) => {
      const decision = await store.apply({ kind: 'report', ...holder, number, epoch, value: Number.isFinite(value) ? value : null, ...(epochs !== undefined ? { epochs } : {}), monitor });
      options.changed?.();
      return decision;
    },
  };
  let outcome: TrialOutcome;
  let error: Error | undefined;
  try {
    outcome = await run(task, hooks);
  } catch (thrown) {
    error = thrown instanceof Error ? thrown : new Error(String(thrown));
    outcome = { kind: 'interrupted', seconds: 0 };
  }
  const settle = { kind: 'settle', ...holder, number, outcome, at: new Date().toISOString() } as const;
  const settled = await (options.settle ? options.settle(settle) : store.apply(settle));
  return { outcome, settled, ...(error ? { error } : {}) };
}
