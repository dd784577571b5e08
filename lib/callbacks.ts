/**
 * The callback protocol of `train()`: plain objects with optional, possibly async, hooks — the
 * shape of tfjs' `CustomCallbackArgs` and Keras' `Callback`, normalised into a list that forwards
 * each event to every callback in order.
 *
 * Epoch numbers are 1-based (the epoch being or just trained), batch numbers 0-based within the
 * epoch. Batch hooks make the loop read the loss every batch (a device sync), so define them only
 * when you need them.
 */
import { fail, formatValue } from './errors';

/** What every hook receives about the training in progress. */
export interface TrainingContext {
  /** The run's id. */
  readonly runId: string;
  /** Epochs requested. */
  readonly epochs: number;
  /** Completed epochs. */
  readonly epoch: number;
  /** Completed batches of the current epoch. */
  readonly batch: number;
  /** Completed optimisation steps since the run began. */
  readonly step: number;
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  /** The model being trained. */
  readonly model: unknown;
  /** Ends training after the current batch, as `reason: 'requested'` with this message. */
  stop(message?: string): void;
}

/** Metric values, e.g. `{ loss: 0.12, val_loss: 0.15 }`. */
export type Logs = Readonly<Record<string, number>>;

/** A training callback: implement any of the hooks. */
export interface Callback {
  onTrainBegin?(context: TrainingContext): unknown;
  onTrainEnd?(context: TrainingContext): unknown;
  onEpochBegin?(epoch: number, context: TrainingContext): unknown;
  onEpochEnd?(epoch: number, logs: Logs, context: TrainingContext): unknown;
  onBatchBegin?(batch: number, context: TrainingContext): unknown;
  onBatchEnd?(batch: number, logs: Logs, context: TrainingContext): unknown;
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/** Forwards each event to every callback, in order, awaiting async hooks. */
export class CallbackList {
  readonly callbacks: readonly Callback[];
  /** True when some callback has a batch hook (the loop then reads the loss every batch). */
  readonly hasBatchHooks: boolean;

  constructor(callbacks: readonly Callback[]) {
    this.callbacks = callbacks;
    this.hasBatchHooks = callbacks.some((callback) => callback.onBatchBegin || callback.onBatchEnd);
  }

  async trainBegin(context: TrainingContext): Promise<void> {
    for (const callback of this.callbacks) await callback.onTrainBegin?.(context);
  }

  async trainEnd(context: TrainingContext): Promise<void> {
    for (const callback of this.callbacks) await callback.onTrainEnd?.(context);
  }

  async epochBegin(epoch: number, context: TrainingContext): Promise<void> {
    for (const callback of this.callbacks) await callback.onEpochBegin?.(epoch, context);
  }

  async epochEnd(epoch: number, logs: Logs, context: TrainingContext): Promise<void> {
    for (const callback of this.callbacks) await callback.onEpochEnd?.(epoch, logs, context);
  }

  async batchBegin(batch: number, context: TrainingContext): Promise<void> {
    for (const callback of this.callbacks) await callback.onBatchBegin?.(batch, context);
  }

  async batchEnd(batch: number, logs: Logs, context: TrainingContext): Promise<void> {
    for (const callback of this.callbacks) await callback.onBatchEnd?.(batch, logs, context);
  }
}

/**
 * Checks `input` (a callback or a list of them) and wraps it in a {@link CallbackList}. A key that
 * looks like a hook but is not one (`onEpochStart`) is an error, so a typo cannot silently never run.
 */
export function callbackList(input: Callback | readonly Callback[] | undefined, where: string): CallbackList {
  if (input === undefined) return new CallbackList([]);
  const list = Array.isArray(input) ? input : [input];
  list.forEach((callback, i) => {
    const label = Array.isArray(input) ? `callbacks[${i}]` : 'callbacks';
    if (typeof callback !== 'object' || callback === null) {
      fail(where, `\`${label}\` must be an object with hooks such as onEpochEnd(epoch, logs). Received: ${label}=${formatValue(callback)}.`);
    }
    for (const key of allKeys(callback)) {
      if (!/^on[A-Z]/.test(key)) continue;
      if (!(HOOKS as readonly string[]).includes(key)) {
        fail(where, `\`${label}\` has hook \`${key}\`, which train() never calls. Hooks: ${HOOKS.join(', ')}.`);
      }
      if (typeof (callback as Record<string, unknown>)[key] !== 'function') {
        fail(where, `\`${label}.${key}\` must be a function. Received: ${key}=${formatValue((callback as Record<string, unknown>)[key])}.`);
      }
    }
  });
  return new CallbackList(list);
}

/** Own and inherited (class method) keys, so class-based callbacks are checked too. */
function allKeys(object: object): string[] {
  const keys = new Set<string>();
  for (let current: object | null = object; current && current !== Object.prototype; current = Object.getPrototypeOf(current)) {
    for (const key of Object.getOwnPropertyNames(current)) if (key !== 'constructor') keys.add(key);
  }
  return [...keys];
}
