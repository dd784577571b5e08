/**
 * The train scope: what the code around a `train()` call — a sweep's trial, say — adds to every
 * call made inside it, without the call (or train()) knowing who is around. It follows the
 * promises of the code it runs (AsyncLocalStorage), as the notebook session (lib/session.ts)
 * follows a cell, so a trial function calls plain `train()` and still reports to its sweep.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Callback } from '../callbacks';
import type { RunIdentity } from './identity';
import type { TrainOptions } from './options';

/** What a scope adds to the `train()` calls made inside it. */
export interface TrainScope {
  /** Values for the options a call leaves out; asked once per call, with the call's own options. */
  defaults?(call: TrainOptions): Partial<TrainOptions>;
  /** Callbacks run after the call's own; asked once per call, with the options it trains with. */
  callbacks?(options: TrainOptions): readonly Callback[];
  /** Stops training at the next step when aborted, besides the call's own signal (or the cell's). */
  readonly signal?: AbortSignal;
  /**
   * Told what a call trains — its identity and the epochs it asks for — before it touches a run
   * directory. Throwing ends the call there (a sweep checks a trial against its record this way).
   */
  identified?(ids: RunIdentity, epochs: number): void;
}

const storage = new AsyncLocalStorage<TrainScope>();

/**
 * Runs `body` in `scope`: every `train()` call it makes, however deep, takes the scope's defaults,
 * callbacks and signal.
 *
 * @example
 * await runInTrainScope({ defaults: () => ({ plot: false }) }, () => train(model, data, { epochs: 5 }));
 */
export function runInTrainScope<T>(scope: TrainScope, body: () => T): T {
  return storage.run(scope, body);
}

/** The scope the running code is in, if any. */
export function currentTrainScope(): TrainScope | undefined {
  return storage.getStore();
}

/** `options` with the scope's defaults filled in and its callbacks after the call's own. */
export function scopedOptions(options: TrainOptions, scope: TrainScope | undefined): TrainOptions {
  if (!scope || typeof options !== 'object' || options === null) return options;
  const defaults = scope.defaults?.(options) ?? {};
  const completed: Record<string, unknown> = { ...options };
  for (const [key, value] of Object.entries(defaults)) if (completed[key] === undefined) completed[key] = value;
  const extra = scope.callbacks?.(completed as unknown as TrainOptions) ?? [];
  if (extra.length === 0) return completed as unknown as TrainOptions;
  const own = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks as Callback];
  return { ...(completed as unknown as TrainOptions), callbacks: [...own, ...extra] };
}
