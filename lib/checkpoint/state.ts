/**
 * The JSON records cellfit keeps on disk: `state.json` in every checkpoint (the whole training loop
 * state, so that resuming continues bit for bit) and `run.json` per run (what `listRuns()` shows).
 */
import type { EarlyStopState, StopDecision } from '../earlystop';
import type { RngState } from '../random';
import type { OptimizerMeta } from './optimizer';

/** Where a run stands. `running` on disk with no live lock holder means it crashed. */
export type RunStatus = 'running' | 'completed' | 'early-stopped' | 'interrupted' | 'diverged';

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

/** `state.json`: everything besides tensors that a checkpoint holds. */
export interface CheckpointState {
  readonly format: 'cellfit-state';
  readonly version: 1;
  readonly run: { readonly id: string; readonly name?: string; readonly identity: string; readonly parent?: ParentRef };
  /** Completed epochs, completed batches of the next epoch, completed optimisation steps. */
  readonly position: { readonly epoch: number; readonly batch: number; readonly step: number };
  /** Epochs requested by the call that wrote this checkpoint. */
  readonly epochs: number;
  readonly status: RunStatus;
  readonly stop?: StopDecision;
  /** Which weights the run's model ends with when finished: these, or early stopping's best. */
  readonly holds: 'latest' | 'best';
  /** Metrics of the epoch this checkpoint closes ({} for a mid-epoch checkpoint). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly best?: BestEpoch;
  readonly rng: {
    /** Data-order generator: its state at the start of the current epoch when mid-epoch. */
    readonly order: RngState;
    /** Generator that stands in for Math.random during training steps (dropout masks). */
    readonly dropout: RngState;
  };
  /** Per-batch outputs (loss, metrics) of the current epoch so far, as float32 values. */
  readonly partial: readonly (readonly number[])[];
  readonly optimizer: OptimizerMeta;
  readonly learningRate: { readonly kind: string; readonly state: unknown; readonly current: number; readonly initial: number };
  readonly earlyStop?: { readonly options: Record<string, unknown>; readonly state: EarlyStopState; readonly bestWeights: boolean };
  readonly history: readonly HistoryEntry[];
  /** The options of the training call, for reference. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Names of the metrics training reports, in order (loss first). */
  readonly metricNames: readonly string[];
  /** Seconds spent training so far. */
  readonly elapsed: number;
  readonly time: string;
}

/** `run.json`: the run's summary. */
export interface RunRecord {
  readonly format: 'cellfit-run';
  readonly version: 1;
  readonly id: string;
  readonly name?: string;
  /** Hash of everything that defines the run (model, initial weights, compile settings, data, options). */
  readonly identity: string;
  /** The same without the initial weights (to spot an unseeded re-run of an unfinished run). */
  readonly looseIdentity: string;
  readonly status: RunStatus;
  readonly epoch: number;
  readonly epochs: number;
  readonly best?: BestEpoch;
  readonly stop?: StopDecision;
  readonly parent?: ParentRef;
  /** Newest committed checkpoint. */
  readonly checkpoint?: string;
  readonly created: string;
  readonly updated: string;
}
