/**
 * Learning-rate schedules for `train({ learningRate })`. A schedule is a small object that gives
 * the learning rate for the next step from the training position, may react to each epoch's metrics
 * (reduce-on-plateau), and has a JSON state that goes into every checkpoint so a resumed run uses
 * exactly the rates the uninterrupted run would have.
 */
import { fail, formatValue } from './errors';
import { Monitor, type MonitorMode } from './monitor';
import { checkInteger, checkNumber } from './util/options';

/** Where training is when a rate is asked for. */
export interface SchedulePosition {
  /** Epochs completed so far (0 during the first epoch). */
  readonly epoch: number;
  /** Optimisation steps completed so far. */
  readonly step: number;
  /** The learning rate the run started with. */
  readonly initial: number;
}

/** A learning-rate schedule. */
export interface LearningRateSchedule {
  /** A short name, e.g. `stepDecay`. */
  readonly kind: string;
  /** True when the rate can change every step (else it is set at each epoch start). */
  readonly perStep: boolean;
  /** The settings that change what is learned: part of the run's identity. */
  describe(): Record<string, unknown>;
  /** The rate for the next step (or epoch). */
  rate(position: SchedulePosition): number;
  /** Sees each epoch's metrics (1-based epoch). */
  onEpochEnd?(epoch: number, logs: Readonly<Record<string, number>>, current: number): void;
  /** Metrics the schedule reads, checked before training starts. */
  readonly monitors?: readonly Monitor[];
  /** JSON state for checkpoints (undefined when stateless). */
  getState(): unknown;
  setState(state: unknown): void;
  /** Back to the state before the first epoch. */
  reset(): void;
}

/** What `train({ learningRate })` accepts. */
export type LearningRateOption = number | LearningRateSchedule | ((epoch: number, step: number) => number);

/**
 * `initial × factor^⌊epoch / every⌋`: the rate drops by `factor` every `every` epochs.
 *
 * @example
 * train(model, data, { epochs: 30, learningRate: stepDecay({ factor: 0.5, every: 10 }) });
 */
export function stepDecay({ factor = 0.5, every = 10, initial }: { factor?: number; every?: number; initial?: number } = {}): LearningRateSchedule {
  const where = 'stepDecay()';
  checkNumber(where, 'factor', factor, { min: 0, open: 'min' });
  checkInteger(where, 'every', every, 1);
  if (initial !== undefined) checkNumber(where, 'initial', initial, { min: 0, open: 'min' });
  return stateless('stepDecay', { factor, every, initial }, ({ epoch, initial: start }) => (initial ?? start) * factor ** Math.floor(epoch / every));
}

/**
 * `initial × rate^epoch`: a smooth decay by `rate` per epoch.
 *
 * @example
 * train(model, data, { epochs: 50, learningRate: exponentialDecay({ rate: 0.95 }) });
 */
export function exponentialDecay({ rate, initial }: { rate: number; initial?: number }): LearningRateSchedule {
  const where = 'exponentialDecay()';
  checkNumber(where, 'rate', rate, { min: 0, open: 'min' });
  if (initial !== undefined) checkNumber(where, 'initial', initial, { min: 0, open: 'min' });
  return stateless('exponentialDecay', { rate, initial }, ({ epoch, initial: start }) => (initial ?? start) * rate ** epoch);
}

/**
 * Cosine annealing from `initial` down to `initial × alpha` over `epochs` epochs (then flat).
 *
 * @example
 * train(model, data, { epochs: 40, learningRate: cosineDecay({ epochs: 40 }) });
 */
export function cosineDecay({ epochs, alpha = 0, initial }: { epochs: number; alpha?: number; initial?: number }): LearningRateSchedule {
  const where = 'cosineDecay()';
  checkInteger(where, 'epochs', epochs, 1);
  checkNumber(where, 'alpha', alpha, { min: 0, max: 1 });
  if (initial !== undefined) checkNumber(where, 'initial', initial, { min: 0, open: 'min' });
  return stateless('cosineDecay', { epochs, alpha, initial }, ({ epoch, initial: start }) => {
    const progress = Math.min(epoch, epochs) / epochs;
    return (initial ?? start) * (alpha + (1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  });
}

/** Options of {@link reduceOnPlateau}. */
export interface ReduceOnPlateauOptions {
  /** The metric to watch. Defaults to 'val_loss'. */
  readonly monitor?: string;
  /** Multiplies the rate on a plateau (0 < factor < 1). Defaults to 0.1. */
  readonly factor?: number;
  /** Epochs without improvement before the rate is reduced (as in Keras). Defaults to 10. */
  readonly patience?: number;
  /** `min`, `max` or `auto`. Defaults to 'auto'. */
  readonly mode?: MonitorMode;
  /** The smallest change that counts as an improvement. Defaults to 0.0001. */
  readonly minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Defaults to 0. */
  readonly cooldown?: number;
  /** The rate never goes below this. Defaults to 0. */
  readonly minLr?: number;
}

interface PlateauState {
  best?: number;
  wait: number;
  cooldown: number;
  rate?: number;
}

/**
 * Divides the learning rate by 1/`factor` when the monitored metric has not improved for
 * `patience` epochs (Keras' `ReduceLROnPlateau`).
 *
 * @example
 * train(model, data, { epochs: 100, learningRate: reduceOnPlateau({ factor: 0.5, patience: 5 }) });
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions = {}): LearningRateSchedule {
  const where = 'reduceOnPlateau()';
  const { monitor: metric = 'val_loss', factor = 0.1, patience = 10, mode = 'auto', minDelta = 1e-4, cooldown = 0, minLr = 0 } = options;
  const monitor = new Monitor(where, { monitor: metric, mode, minDelta });
  checkNumber(where, 'factor', factor, { min: 0, max: 1, open: 'both' });
  checkInteger(where, 'patience', patience, 0);
  checkInteger(where, 'cooldown', cooldown, 0);
  checkNumber(where, 'minLr', minLr, { min: 0 });
  let state: PlateauState = { wait: 0, cooldown: 0 };
  return {
    kind: 'reduceOnPlateau',
    perStep: false,
    monitors: [monitor],
    describe: () => ({ kind: 'reduceOnPlateau', ...monitor.toJSON(), factor, patience, cooldown, minLr }),
    rate: ({ initial }) => state.rate ?? initial,
    onEpochEnd(_epoch, logs, current) {
      const value = monitor.value(logs, where);
      const next: PlateauState = { ...state, rate: state.rate ?? current };
      const inCooldown = next.cooldown > 0;
      if (inCooldown) {
        next.cooldown -= 1;
        next.wait = 0;
      }
      if (monitor.isImprovement(value, next.best)) {
        next.best = value;
        next.wait = 0;
      } else if (!inCooldown) {
        next.wait += 1;
        if (next.wait >= patience && next.rate! > minLr) {
          next.rate = Math.max(next.rate! * factor, minLr);
          next.cooldown = cooldown;
          next.wait = 0;
        }
      }
      state = next;
    },
    getState: () => ({ ...state }),
    setState(saved) {
      state = { ...(saved as PlateauState) };
    },
    reset() {
      state = { wait: 0, cooldown: 0 };
    },
  };
}

/**
 * Turns the `learningRate` option into a schedule: a number is a constant rate, a function
 * `(epoch, step) => rate` is called before every step (`epoch` = epochs completed, `step` = steps
 * completed), a schedule is used as it is.
 */
export function toSchedule(option: LearningRateOption, where: string): LearningRateSchedule {
  if (typeof option === 'number') {
    checkNumber(where, 'learningRate', option, { min: 0, open: 'min' });
    return stateless('constant', { rate: option }, () => option);
  }
  if (typeof option === 'function') {
    // The function's source stands for it in the run identity: edit it and the run is new.
    return stateless('function', { source: option.toString() }, ({ epoch, step }) => option(epoch, step), true);
  }
  if (typeof option === 'object' && option !== null && typeof option.rate === 'function' && typeof option.describe === 'function') return option;
  return fail(
    where,
    `\`learningRate\` must be a number, a function (epoch, step) => rate, or a schedule such as stepDecay({ factor: 0.5, every: 10 }). Received: learningRate=${formatValue(option)}.`,
  );
}

function stateless(kind: string, settings: Record<string, unknown>, rate: (position: SchedulePosition) => number, perStep = false): LearningRateSchedule {
  return {
    kind,
    perStep,
    describe: () => ({ kind, ...settings }),
    rate,
    getState: () => undefined,
    setState: () => undefined,
    reset: () => undefined,
  };
}
