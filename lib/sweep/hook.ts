/**
 * The sweep's side of the train scope (lib/train/scope.ts): how `train()` takes part in a sweep
 * without a line of code in the trial. A running trial enters a train scope that gives every
 * `train()` call in it
 *
 * - a callback that reports every epoch's logs to the sweep (which may answer "stop here");
 * - the trial's stop signal, combined with the call's own signal or the cell's: a run the sweep
 *   stops is checkpointed as interrupted, so calling the trial again (a promotion) resumes it;
 * - defaults that suit trials: checkpoints in the sweep's directory, a run name per trial
 *   (`trial-0007`, so that parameters outside the run identity — epochs, patience — never share a
 *   run), and no chart of its own (the sweep draws the trials);
 * - a note of what each call trains, before it trains (see {@link TrialScope.called}).
 */
import * as path from 'node:path';
import type { Logs } from '../callbacks';
import { canonicalJson, hashJson, type RunIdentity } from '../train/identity';
import type { TrainOptions } from '../train/options';
import { runInTrainScope, type TrainScope } from '../train/scope';
import type { TrainFingerprint } from './state';

/** What the sweep needs to hear from the `train()` calls of the trial it runs. */
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

/** Runs `body` as (part of) a trial: its train() calls report to `trial`. */
export function runInTrial<T>(trial: TrialScope, body: () => T): T {
  return runInTrainScope(trainScopeOf(trial), body);
}

/** The train scope a trial runs its train() calls in. */
function trainScopeOf(trial: TrialScope): TrainScope {
  return {
    signal: trial.signal,
    defaults: (call) => ({ checkpoint: trial.dir, plot: false, ...(call.name === undefined ? { name: trial.nextRunName() } : {}) }),
    callbacks: (options) => {
      const root = checkpointRoot(options.checkpoint);
      return [
        {
          onTrainBegin: (context) => trial.begin(context.runId, root === undefined ? undefined : path.join(root, context.runId), context.epochs),
          onEpochEnd: (epoch, logs) => trial.epoch(epoch, logs),
        },
      ];
    },
    ...(trial.called ? { identified: (ids: RunIdentity, epochs: number) => trial.called!(fingerprintOf(ids, epochs)) } : {}),
  };
}

/** What the sweep records of a train() call: short hashes of what decides the run, and its options. */
function fingerprintOf(ids: RunIdentity, epochs: number): TrainFingerprint {
  const short = (value: unknown) => hashJson(value).slice(0, 16);
  const { topology, compile, data, options } = ids.parts;
  return { identity: ids.looseIdentity.slice(0, 16), model: short(topology), compile: short(compile), data: short(data), options: JSON.parse(canonicalJson(options)) as Record<string, unknown>, epochs };
}

/** The directory that holds the runs, for each form of train()'s `checkpoint` option. */
function checkpointRoot(option: TrainOptions['checkpoint']): string | undefined {
  if (option === false || option === undefined) return undefined;
  if (option === true) return path.resolve('checkpoints');
  if (typeof option === 'string') return path.resolve(option);
  const dir = (option as { dir?: unknown }).dir;
  return typeof dir === 'string' ? path.resolve(dir) : undefined;
}
