/**
 * Early stopping as data: {@link evaluateStopping} is a pure function of the stopper's state and
 * the epoch's monitored value that returns the new state and, when training should end, a
 * {@link StopDecision} — a reason from a fixed set plus a human message — which the training loop
 * reports and stores in the run and its checkpoints (the shape of Lightning's
 * `_evaluate_stopping_criteria`).
 */
import { fail, formatValue } from './errors';
import { checkBoolean, checkInteger, checkKeys, checkNumber, type OptionKeys } from './util/options';
import { formatMetric, Monitor, type MonitorMode } from './monitor';

/** Why a run stopped. */
export type StopReason =
  /** Every requested epoch was trained. */
  | 'completed'
  /** The monitored metric did not improve for more than `patience` epochs. */
  | 'patience-exhausted'
  /** The monitored metric never beat `baseline` within the patience. */
  | 'baseline-not-reached'
  /** The loss or the monitored metric became NaN or infinite. */
  | 'diverged'
  /** The cell was interrupted or the `signal` aborted. */
  | 'interrupted'
  /** A callback called `context.stop()`. */
  | 'requested';

/** The decision to stop: a reason for programs and a message for people. */
export interface StopDecision {
  readonly reason: StopReason;
  readonly message: string;
  /** The last epoch trained (1-based). */
  readonly epoch: number;
}

/** Options of {@link earlyStop}. */
export interface EarlyStopOptions {
  /** The metric to watch. Defaults to 'val_loss'. */
  readonly monitor?: string;
  /**
   * Epochs without improvement to tolerate: training stops at the (patience + 1)-th consecutive
   * epoch that does not improve on the best. `0` is the classic rule — stop at the first epoch whose
   * validation error is not below the best so far. Defaults to 0.
   */
  readonly patience?: number;
  /** The smallest change that counts as an improvement. Defaults to 0. */
  readonly minDelta?: number;
  /** `min`, `max` or `auto` (max for accuracy-like metrics). Defaults to 'auto'. */
  readonly mode?: MonitorMode;
  /**
   * End the run holding the weights of the best epoch — also when every epoch ran without an early
   * stop (checkpoint selection). Defaults to true.
   */
  readonly restoreBest?: boolean;
  /** Ignore the first `startFromEpoch` epochs (warm-up) when looking for the best. Defaults to 0. */
  readonly startFromEpoch?: number;
  /**
   * A value the metric must beat: epochs that do not beat it count against the patience even when
   * they improve on the best, and stopping for that reason reports `baseline-not-reached`.
   * Defaults to none.
   */
  readonly baseline?: number;
}

/** What an {@link EarlyStopper} remembers between epochs; it goes into every checkpoint. */
export interface EarlyStopState {
  /** Best monitored value so far. */
  readonly best?: number;
  /** The epoch (1-based) that reached `best`. */
  readonly bestEpoch?: number;
  /** Consecutive epochs without (baseline-beating) improvement. */
  readonly wait: number;
}

/** The result of {@link evaluateStopping} for one epoch. */
export interface StoppingStep {
  readonly state: EarlyStopState;
  /** The epoch set a new best. */
  readonly improved: boolean;
  /** Present when training should end now. */
  readonly stop?: StopDecision;
}

const EARLY_STOP_KEYS = { monitor: true, patience: true, minDelta: true, mode: true, restoreBest: true, startFromEpoch: true, baseline: true } as const satisfies OptionKeys<EarlyStopOptions>;
const WHERE = 'earlyStop()';

/**
 * Stops training when the monitored metric stops improving and, by default, ends the run holding
 * the best epoch's weights.
 *
 * @example
 * const run = await train(model, split(data, { train: 0.8, validation: 0.1, test: 0.1 }), {
 *   epochs: 100,
 *   earlyStop: earlyStop({ patience: 3 }),   // stop after 4 epochs without a better val_loss
 * });
 * run.stop;   // { reason: 'patience-exhausted', message: 'val_loss did not improve for 4 epochs ...' }
 */
export function earlyStop(options: EarlyStopOptions = {}): EarlyStopper {
  return new EarlyStopper(options);
}

/** Watches one metric epoch by epoch; see {@link earlyStop}. */
export class EarlyStopper {
  readonly monitor: Monitor;
  readonly patience: number;
  readonly restoreBest: boolean;
  readonly startFromEpoch: number;
  readonly baseline?: number;

  constructor(options: EarlyStopOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      fail(WHERE, `options must be an object such as { patience: 3 }. Received: ${formatValue(options)}.`);
    }
    checkKeys(WHERE, options, EARLY_STOP_KEYS);
    const { monitor = 'val_loss', patience = 0, minDelta = 0, mode = 'auto', restoreBest = true, startFromEpoch = 0, baseline } = options;
    this.monitor = new Monitor(WHERE, { monitor, mode, minDelta });
    checkInteger(WHERE, 'patience', patience, 0);
    checkInteger(WHERE, 'startFromEpoch', startFromEpoch, 0);
    checkBoolean(WHERE, 'restoreBest', restoreBest);
    if (baseline !== undefined) checkNumber(WHERE, 'baseline', baseline);
    this.patience = patience;
    this.restoreBest = restoreBest;
    this.startFromEpoch = startFromEpoch;
    if (baseline !== undefined) this.baseline = baseline;
  }

  /** The state before the first epoch. */
  initialState(): EarlyStopState {
    return { wait: 0 };
  }

  /** Decides about `epoch` (1-based) from its logs; see {@link evaluateStopping}. */
  step(state: EarlyStopState, epoch: number, logs: Readonly<Record<string, number>>): StoppingStep {
    return evaluateStopping(this, state, epoch, this.monitor.value(logs, WHERE));
  }

  /** The options, as stored in checkpoints and shown in run summaries. */
  toJSON(): Record<string, unknown> {
    return { ...this.monitor.toJSON(), patience: this.patience, restoreBest: this.restoreBest, startFromEpoch: this.startFromEpoch, baseline: this.baseline };
  }
}

/**
 * The stopping rule, as a pure function: given the stopper's settings, its state after the
 * previous epoch and the monitored `value` of `epoch`, returns the next state and whether (and why)
 * to stop. Epochs up to `startFromEpoch` are ignored; a non-finite value always stops as `diverged`.
 */
export function evaluateStopping(
  stopper: Pick<EarlyStopper, 'monitor' | 'patience' | 'startFromEpoch' | 'baseline'>,
  state: EarlyStopState,
  epoch: number,
  value: number,
): StoppingStep {
  const { monitor, patience, baseline } = stopper;
  const metric = monitor.metric;
  if (!Number.isFinite(value)) {
    return { state, improved: false, stop: { reason: 'diverged', message: `${metric} is ${value} at epoch ${epoch}.`, epoch } };
  }
  if (epoch <= stopper.startFromEpoch) return { state, improved: false };
  const improved = monitor.isImprovement(value, state.best);
  const best = improved ? value : state.best!;
  const bestEpoch = improved ? epoch : state.bestEpoch!;
  const beatsBaseline = baseline === undefined || monitor.isImprovement(value, baseline);
  const wait = improved && beatsBaseline ? 0 : state.wait + 1;
  const next: EarlyStopState = { best, bestEpoch, wait };
  if (wait <= patience) return { state: next, improved };
  const epochs = `${wait} epoch${wait === 1 ? '' : 's'}`;
  const baselineMissed = baseline !== undefined && !monitor.isImprovement(best, baseline);
  const stop: StopDecision = baselineMissed
    ? {
        reason: 'baseline-not-reached',
        message: `${metric} did not reach the baseline ${formatMetric(baseline)} in ${epochs} (patience ${patience}): best ${formatMetric(best)} at epoch ${bestEpoch}.`,
        epoch,
      }
    : {
        reason: 'patience-exhausted',
        message: `${metric} did not improve for ${epochs} (patience ${patience}): best ${formatMetric(best)} at epoch ${bestEpoch}, ${formatMetric(value)} at epoch ${epoch}.`,
        epoch,
      };
  return { state: next, improved, stop };
}
