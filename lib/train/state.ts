/**
 * Training state, defined once. A run is its definition (`RunHeader`: id, identity, what it was
 * asked to do) plus its progress (`TrainingState`: position, generators, losses of the epoch so far,
 * history, learning-rate and early-stopping state). Everything else is derived from these two here:
 * the state of a fresh run and of a resumed one, each checkpoint's `state.json`, the run's
 * `run.json`, and the fields of the `Run` that `train()` returns — so that a field added to the
 * progress reaches checkpoints, resumes and runs alike.
 */
import { RUN_FORMAT, type StateHeader } from '../checkpoint/format';
import type { OptimizerMeta, WeightsSnapshot } from '../checkpoint/snapshot';
import type { EarlyStopper, EarlyStopState, StopDecision } from '../earlystop';
import type { EngineInfo } from '../engines/engine';
import { Rng, type RngState, type Seed } from '../random';
import type { LearningRateSchedule } from '../schedules';

/**
 * Where a run stands. `running` on disk with no live lock holder means it crashed; `failed` means a
 * checkpoint could not be written (run.json's `failure` says why): it resumes like an interrupted run.
 */
export type RunStatus = 'running' | 'completed' | 'early-stopped' | 'interrupted' | 'diverged' | 'failed';

/**
 * One epoch of history: its 1-based `epoch`, its metrics (`loss`, `val_loss`, ...) and the
 * learning rate used (`lr`). `K` names the metrics when they are known (see `compile()`).
 */
export type HistoryEntry<K extends string = string> = { readonly epoch: number } & { readonly [M in K | 'lr']: number };

/** The best epoch by the run's monitor. */
export interface BestEpoch {
  readonly epoch: number;
  readonly monitor: string;
  readonly value: number;
}

/** The run a fine-tuning run started from. */
export interface ParentRef {
  readonly id: string;
  readonly dir: string;
  readonly checkpoint: string;
  readonly epoch: number;
}

/** Completed epochs, completed batches of the next epoch, completed optimisation steps. */
export interface Position {
  readonly epoch: number;
  readonly batch: number;
  readonly step: number;
}

/** The learning rate's part of the state. */
export interface LearningRateState {
  /** The schedule's kind (`compiled`, `stepDecay`, ...): a resume must use the same. */
  readonly kind: string;
  /** The schedule's own JSON state (null when stateless). */
  readonly state: unknown;
  /** The rate of the last step. */
  readonly current: number;
  /** The rate the run started with. */
  readonly initial: number;
}

/** Everything that evolves while a run trains and that a resume needs to continue bit for bit. */
export interface TrainingState {
  readonly position: Position;
  readonly rng: {
    /** Data-order generator, as at the start of the current epoch (its order is drawn again on resume). */
    readonly order: RngState;
    /** Generator that dropout masks are drawn from. */
    readonly dropout: RngState;
  };
  /** Per-batch outputs (loss, metrics) of the current epoch so far, as float32 values. */
  readonly partial: readonly (readonly number[])[];
  readonly history: readonly HistoryEntry[];
  readonly learningRate: LearningRateState;
  readonly earlyStop: EarlyStopState;
  /** Early stopping's best weights, when they are not the current ones. */
  readonly bestWeights?: WeightsSnapshot;
  /** Seconds spent training so far. */
  readonly elapsed: number;
}

/** What defines a run, fixed while it trains. */
export interface RunHeader {
  readonly id: string;
  readonly name?: string;
  /** Hash of everything that defines the run (model, initial weights, compile settings, data, options). */
  readonly identity: string;
  /** The same without the initial weights (to spot an unseeded re-run of an unfinished run). */
  readonly looseIdentity: string;
  readonly parent?: ParentRef;
  readonly created: string;
  /** Epochs requested by the training call. */
  readonly epochs: number;
  /** The options of the training call, for reference. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Names of the metrics training reports, in order (loss first). */
  readonly metricNames: readonly string[];
  readonly engine: EngineInfo;
}

/** How a run's training ended (or stands): what run.json and the Run report besides the header. */
export interface Outcome {
  readonly status: RunStatus;
  readonly stop?: StopDecision;
  readonly epoch: number;
  readonly best?: BestEpoch;
}

/** `state.json`: a checkpoint's training state, with what the store reads of it first. */
export interface CheckpointState extends StateHeader, Omit<TrainingState, 'earlyStop' | 'bestWeights'> {
  readonly format: 'cellfit-state';
  readonly version: 1;
  readonly run: { readonly id: string; readonly name?: string; readonly identity: string; readonly parent?: ParentRef };
  readonly epochs: number;
  readonly status: RunStatus;
  readonly stop?: StopDecision;
  /** Which weights the run's model ends with when finished: these, or early stopping's best. */
  readonly holds: 'latest' | 'best';
  /** Metrics of the epoch this checkpoint closes ({} for a mid-epoch checkpoint). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly best?: BestEpoch;
  readonly optimizer: OptimizerMeta;
  readonly earlyStop?: { readonly options: Record<string, unknown>; readonly state: EarlyStopState; readonly bestWeights: boolean };
  readonly options: Readonly<Record<string, unknown>>;
  readonly metricNames: readonly string[];
  /** The engine that wrote it (absent in checkpoints written before there were two). */
  readonly engine?: EngineInfo['name'];
  readonly time: string;
}

/** `run.json`: the run's summary. */
export interface RunRecord {
  readonly format: typeof RUN_FORMAT;
  readonly version: 1;
  readonly id: string;
  readonly name?: string;
  readonly identity: string;
  readonly looseIdentity: string;
  readonly status: RunStatus;
  readonly epoch: number;
  readonly epochs: number;
  readonly best?: BestEpoch;
  readonly stop?: StopDecision;
  readonly parent?: ParentRef;
  /** The engine of the latest training call. */
  readonly engine?: EngineInfo;
  /** Newest committed checkpoint. */
  readonly checkpoint?: string;
  /** Why training stopped, when its status is `failed`. */
  readonly failure?: string;
  readonly created: string;
  readonly updated: string;
}

/**
 * The state of a run before its first step: both generators forked from the seed (data order, then
 * dropout), no history, the schedule and early stopping at their start.
 */
export function freshState(seed: Seed, schedule: LearningRateSchedule, stopper: EarlyStopper | undefined, initialRate: number): TrainingState {
  schedule.reset();
  const root = new Rng(`cellfit.train:${String(seed)}`);
  const order = root.fork();
  const dropout = root.fork();
  return {
    position: { epoch: 0, batch: 0, step: 0 },
    rng: { order: order.getState(), dropout: dropout.getState() },
    partial: [],
    history: [],
    learningRate: { kind: schedule.kind, state: schedule.getState() ?? null, current: initialRate, initial: initialRate },
    earlyStop: stopper?.initialState() ?? { wait: 0 },
    elapsed: 0,
  };
}

/**
 * The state a checkpoint resumes, given early stopping's state (which depends on the stopper of the
 * resuming call) and its best weights.
 */
export function resumedState(saved: CheckpointState, earlyStop: EarlyStopState, bestWeights: WeightsSnapshot | undefined): TrainingState {
  return {
    position: saved.position,
    rng: saved.rng,
    partial: saved.partial,
    history: saved.history,
    learningRate: saved.learningRate,
    earlyStop,
    ...(bestWeights ? { bestWeights } : {}),
    elapsed: saved.elapsed,
  };
}

/** The extras a checkpoint records besides the header and the progress. */
export interface CheckpointExtras {
  readonly outcome: Outcome;
  readonly holds: 'latest' | 'best';
  readonly metrics: Readonly<Record<string, number>>;
  readonly optimizer: OptimizerMeta;
  readonly stopper?: EarlyStopper;
  /** True when best.bin is written beside the weights. */
  readonly savesBest: boolean;
  /** When the checkpoint was taken (`Date.now()`): its `time`. */
  readonly time: number;
}

/**
 * A checkpoint's `state.json`. Its arrays are `state`'s own, not copies: pass arrays that no longer
 * change (it is serialised later, while training goes on).
 */
export function checkpointState(header: RunHeader, state: TrainingState, extras: CheckpointExtras): CheckpointState {
  const { outcome, stopper } = extras;
  return {
    format: 'cellfit-state',
    version: 1,
    run: { id: header.id, ...(header.name ? { name: header.name } : {}), identity: header.identity, ...(header.parent ? { parent: header.parent } : {}) },
    position: state.position,
    epochs: header.epochs,
    status: outcome.status,
    ...(outcome.stop ? { stop: outcome.stop } : {}),
    holds: extras.holds,
    metrics: extras.metrics,
    ...(outcome.best ? { best: outcome.best } : {}),
    rng: state.rng,
    partial: state.partial,
    optimizer: extras.optimizer,
    learningRate: state.learningRate,
    ...(stopper ? { earlyStop: { options: stopper.toJSON(), state: state.earlyStop, bestWeights: extras.savesBest } } : {}),
    history: state.history,
    options: header.options,
    metricNames: header.metricNames,
    engine: header.engine.name,
    elapsed: state.elapsed,
    time: new Date(extras.time).toISOString(),
  };
}

/** The run's `run.json` for an outcome, `updated` at `time` (`Date.now()`). */
export function runRecord(header: RunHeader, outcome: Outcome, time = Date.now()): RunRecord {
  return {
    format: RUN_FORMAT,
    version: 1,
    id: header.id,
    ...(header.name ? { name: header.name } : {}),
    identity: header.identity,
    looseIdentity: header.looseIdentity,
    status: outcome.status,
    epoch: outcome.epoch,
    epochs: header.epochs,
    ...(outcome.best ? { best: outcome.best } : {}),
    ...(outcome.stop ? { stop: outcome.stop } : {}),
    ...(header.parent ? { parent: header.parent } : {}),
    engine: header.engine,
    created: header.created,
    updated: new Date(time).toISOString(),
  };
}

/** The outcome a finished run's latest checkpoint records. */
export function savedOutcome(saved: CheckpointState): Outcome & { readonly status: Exclude<RunStatus, 'running'>; readonly stop: StopDecision } {
  const epoch = saved.position.epoch;
  return {
    status: saved.status === 'running' ? 'completed' : saved.status,
    stop: saved.stop ?? { reason: 'completed', message: `trained ${epoch} epochs.`, epoch },
    epoch,
    ...(saved.best ? { best: saved.best } : {}),
  };
}
