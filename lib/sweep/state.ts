/**
 * The sweep's record: what it is (space, sampler, pruner, monitor, trial code) and every trial —
 * parameters, status, the monitored value of each epoch, where it was paused or pruned, its run,
 * timings and the worker that ran it. One JSON document, the same whether it lives in a file beside
 * the checkpoints (local sweeps) or in Redis (queued sweeps, as a snapshot and a journal of the
 * operations since), so that one scheduler decides for both.
 */
import type { ParamValue, Params } from './space';

/** Bump when workers of another version could misread the record or the queue's jobs. */
export const SWEEP_PROTOCOL = 1;

/**
 * Where a trial stands. `paused`: stopped at an ASHA rung with a checkpoint, promotable later (a
 * finished sweep reports it as pruned); `interrupted`: stopped by an interrupt or a lost worker,
 * resumed when the sweep runs again.
 */
export type TrialStatus = 'pending' | 'running' | 'paused' | 'finished' | 'pruned' | 'failed' | 'interrupted';

/** The run a trial trained, as the record keeps it. */
export interface TrialRunInfo {
  readonly id: string;
  /** The run's checkpoint directory; undefined when it trained without checkpoints. */
  readonly dir?: string;
  readonly status: string;
  readonly epoch: number;
  readonly epochs: number;
  readonly best?: { readonly epoch: number; readonly monitor: string; readonly value: number };
  /** The checkpoint the trial's last call resumed from (a promotion, or a takeover after a lost worker). */
  readonly resumedFrom?: string;
  /** What each train() call of the trial's last attempt trained, in order: how a changed trial is noticed. */
  readonly calls?: readonly TrainFingerprint[];
}

/**
 * What one train() call of a trial trains, as the sweep compares it when executed again: the run's
 * identity without its initial weights (what a named run is matched on) and its parts, hashed —
 * the options readable, so that a change can be named.
 */
export interface TrainFingerprint {
  readonly identity: string;
  readonly model: string;
  readonly compile: string;
  readonly data: string;
  /** The options that decide what is learned (batchSize, seed, shuffle, validation, ...). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Epochs the call asked for (not part of the identity: more epochs continue the run). */
  readonly epochs: number;
}

/** One trial. Epochs are the epochs of the trial's run (1-based). */
export interface TrialRecord {
  /** 1-based, in the order trials were proposed. */
  readonly number: number;
  readonly params: Params;
  status: TrialStatus;
  /** The monitored value per epoch (index epoch − 1); null where none was reported. */
  values: (number | null)[];
  /** Epochs the trial's run was asked for (ASHA's largest rung is below it). */
  epochs?: number;
  /** The trial's value: the best monitored value, or the number the trial returned. */
  value?: number;
  /** The epoch of `value` when it is a monitored value. */
  bestEpoch?: number;
  /** Epoch at which the trial was paused (ASHA) or pruned (median). */
  prunedAt?: number;
  /** ASHA: rung epochs the trial was promoted past. */
  promoted: number[];
  /** ASHA: queued to resume past the rung it is paused at. */
  promote?: boolean;
  run?: TrialRunInfo;
  /** The worker running it, or that ran it last: `main`, `local-2`, `host:pid`. */
  worker?: string;
  /** Queued sweeps: the job that holds the trial while it runs. */
  job?: string;
  /** Times the trial was started or resumed. */
  attempts: number;
  started?: string;
  ended?: string;
  /** Seconds spent in the trial, over all attempts. */
  seconds: number;
  error?: string;
}

/** The sampler's part of the record. */
export interface SamplerConfig {
  readonly kind: 'grid' | 'random' | 'tpe';
  readonly seed: number | string;
  /** TPE's options (startup trials, candidates, ...). */
  readonly options?: Readonly<Record<string, number>>;
}

/** The pruner's part of the record. */
export interface PrunerConfig {
  readonly kind: 'none' | 'median' | 'asha';
  readonly options?: Readonly<Record<string, number>>;
}

/** What runs a trial: a function of the process that started the sweep, or an exported function of a module. */
export type TrialCode =
  | { readonly kind: 'function'; readonly source: string }
  /** `digest`: sha256 of the module file, to notice an edit (absent in records of earlier versions). */
  | { readonly kind: 'module'; readonly path: string; readonly export: string; readonly digest?: string };

/** Where the sweep stands. `stopping`: a queued sweep asked its workers to stop at a checkpoint. */
export type SweepStatus = 'running' | 'finished' | 'interrupted' | 'stopping' | 'failed';

/** The whole record. */
export interface SweepRecord {
  readonly format: 'cellfit-sweep';
  readonly version: 2;
  readonly protocol: number;
  readonly name: string;
  /** The directory the record and, by default, the trials' runs live in. */
  dir: string;
  /** The cellfit version that last started the sweep. */
  cellfit: string;
  status: SweepStatus;
  space: Record<string, unknown>;
  sampler: SamplerConfig;
  pruner: PrunerConfig;
  /** Trials to run in all (grid: combinations of the space to cover). */
  budget: number;
  /** The metric the sweep ranks trials by, and its direction; fixed by the first trial that reports. */
  monitor?: string;
  mode?: 'min' | 'max';
  trial: TrialCode;
  /** Queued sweeps: the Redis URL, without its password. */
  queue?: string;
  /** Stop at the first failed trial (false: record it and go on). */
  stopOnFailure: boolean;
  /** Problems the sweep ran into outside any trial (a worker of another version, ...). */
  warnings: string[];
  created: string;
  updated: string;
  trials: TrialRecord[];
}

/** A new trial record. */
export function newTrial(number: number, params: Params): TrialRecord {
  return { number, params, status: 'pending', values: [], promoted: [], attempts: 0, seconds: 0 };
}

/** The statuses the public `Sweep` reports. */
export type PublicStatus = 'finished' | 'pruned' | 'failed' | 'unfinished';

/** A trial's status as `Sweep.trials` reports it: paused trials are pruned (at their rung) unless promoted. */
export function publicStatus(trial: TrialRecord): PublicStatus {
  switch (trial.status) {
    case 'finished':
    case 'pruned':
    case 'failed':
      return trial.status;
    case 'paused':
      return trial.promote ? 'unfinished' : 'pruned';
    default:
      return 'unfinished';
  }
}

/** True when `a` is a better value than `b` for the record's direction. */
export function better(record: Pick<SweepRecord, 'mode'>, a: number, b: number): boolean {
  return record.mode === 'max' ? a > b : a < b;
}

/** The best value among a trial's reported epochs, with its epoch. */
export function bestReported(record: Pick<SweepRecord, 'mode'>, values: readonly (number | null)[]): { value: number; epoch: number } | undefined {
  let best: { value: number; epoch: number } | undefined;
  values.forEach((value, i) => {
    if (value === null || !Number.isFinite(value)) return;
    if (!best || better(record, value, best.value)) best = { value, epoch: i + 1 };
  });
  return best;
}

/** The trial with the best value (finished trials first; pruned ones only when none finished). */
export function bestTrial(record: SweepRecord): TrialRecord | undefined {
  const scored = (trials: TrialRecord[]) => trials.filter((trial) => trial.value !== undefined && Number.isFinite(trial.value));
  const finished = scored(record.trials.filter((trial) => trial.status === 'finished'));
  const pool = finished.length > 0 ? finished : scored(record.trials);
  return pool.reduce<TrialRecord | undefined>((best, trial) => (!best || better(record, trial.value!, best.value!) ? trial : best), undefined);
}

export type { ParamValue, Params };
