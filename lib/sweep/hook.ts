/**
 * How `train()` takes part in a sweep without a line of code in the trial: the running trial sits
 * in an AsyncLocalStorage (it follows the trial's promises, as the kernel's cell scope does), and
 * `train()` asks {@link withSweepTrial} to complete its options with
 *
 * - a callback that reports every epoch's logs to the sweep (which may answer "stop here");
 * - the trial's stop signal, combined with the call's own signal or the cell's: a run the sweep
 *   stops is checkpointed as interrupted, so calling the trial again (a promotion) resumes it;
 * - defaults that suit trials: checkpoints in the sweep's directory, a run name per trial
 *   (`trial-0007`, so that parameters outside the run identity — epochs, patience — never share a
 *   run), and no chart of its own (the sweep draws the trials).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import type { Callback, Logs, TrainingContext } from '../callbacks';
import { currentSession } from '../session';
import { canonicalJson, hashJson, type RunIdentity } from '../train/identity';
import type { TrainOptions } from '../train/train';
import type { TrainFingerprint } from './state';

/** What `train()` needs of the trial it runs in. */
export interface TrialScope {
  /** Aborted when the sweep stops the trial (pause, prune, interrupt). */
  readonly signal: AbortSignal;
  /** The checkpoint directory train() uses when the trial gives none. */
  readonly dir: string;
  /** The run name for the next train() call of this trial attempt. */
  nextRunName(): string;
  /** A train() call began (or resumed) run `runId` in `runDir`, asked for `epochs` epochs. */
  begin(runId: string, runDir: string | undefined, epochs: number): void;
  /** An epoch ended; resolves once the sweep has taken it into account. */
  epoch(epoch: number, logs: Logs): Promise<void>;
  /**
   * A train() call knows what it trains, before it touches a run directory. When the sweep checks a
   * trial against its record (nothing is trained then), this throws to end the trial there.
   */
  called?(fingerprint: TrainFingerprint): void;
}

const storage = new AsyncLocalStorage<TrialScope>();

/** Runs `body` as (part of) a trial. */
export function runInTrial<T>(scope: TrialScope, body: () => T): T {
  return storage.run(scope, body);
}

/** The trial the running code belongs to, if any. */
export function currentTrial(): TrialScope | undefined {
  return storage.getStore();
}

/** train()'s second sweep hook: tells the running trial what this call trains (see {@link TrialScope.called}). */
export function noteTrainCall(ids: RunIdentity, epochs: number): void {
  const trial = currentTrial();
  if (!trial?.called) return;
  const short = (value: unknown) => hashJson(value).slice(0, 16);
  const { topology, compile, data, options } = ids.parts;
  trial.called({ identity: ids.looseIdentity.slice(0, 16), model: short(topology), compile: short(compile), data: short(data), options: JSON.parse(canonicalJson(options)) as Record<string, unknown>, epochs });
}

/** train()'s sweep hook: `options` completed for the running trial (unchanged outside a sweep). */
export function withSweepTrial<T extends TrainOptions>(options: T): T {
  const trial = currentTrial();
  if (!trial || typeof options !== 'object' || options === null) return options;
  const own = options.signal ?? currentSession()?.signal;
  const checkpoint = options.checkpoint === undefined ? trial.dir : options.checkpoint;
  const root = checkpointRoot(checkpoint);
  const report: Callback = {
    onTrainBegin: (context: TrainingContext) => trial.begin(context.runId, root === undefined ? undefined : path.join(root, context.runId), context.epochs),
    onEpochEnd: (epoch: number, logs: Logs) => trial.epoch(epoch, logs),
  };
  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks as Callback];
  return {
    ...options,
    name: options.name ?? trial.nextRunName(),
    checkpoint,
    plot: options.plot ?? false,
    signal: own ? AbortSignal.any([own, trial.signal]) : trial.signal,
    callbacks: [...callbacks, report],
  };
}

/** The directory that holds the runs, for each form of train()'s `checkpoint` option. */
function checkpointRoot(option: TrainOptions['checkpoint']): string | undefined {
  if (option === false || option === undefined) return undefined;
  if (option === true) return path.resolve('checkpoints');
  if (typeof option === 'string') return path.resolve(option);
  const dir = (option as { dir?: unknown }).dir;
  return typeof dir === 'string' ? path.resolve(dir) : undefined;
}
