/**
 * Running one trial in this process: calls the trial function inside a {@link TrialScope} (so that
 * its `train()` calls report to the sweep), turns the sweep's answers into a stop at a checkpoint,
 * and sums up how the call ended. Local workers, queue workers and in-process sweeps all run trials
 * through {@link runTrial}; they differ only in where `report` sends the epochs.
 */
import { formatValue } from '../errors';
import { Monitor } from '../monitor';
import type { Decision } from './pruners';
import type { Params } from './space';
import { runInTrial, type TrialScope } from './hook';
import type { TrialOutcome } from './scheduler';
import type { TrainFingerprint, TrialRunInfo } from './state';

/** What a trial function receives besides its parameters. */
export interface TrialContext {
  /** The trial's number in its sweep (1-based). */
  readonly number: number;
  /** The sweep's name. */
  readonly sweep: string;
  /** 1 the first time the trial runs; more when it is resumed (promoted, or after an interrupt). */
  readonly attempt: number;
  /** Aborted when the sweep stops the trial; train() inside the trial stops by itself. */
  readonly signal: AbortSignal;
  /** The directory train() checkpoints the trial's runs in unless told otherwise. */
  readonly dir: string;
  /**
   * For trials that do not train with train(): reports the monitored value of `epoch`; resolves to
   * false when the sweep wants the trial to stop (then return).
   */
  report(epoch: number, value: number): Promise<boolean>;
}

/** A trial: trains with `params` (usually with train()) and returns its run, a number to minimise, or nothing. */
export type TrialFunction<P extends Params = Params> = (params: P, context: TrialContext) => unknown;

/** The trial to run, as a worker receives it. */
export interface TrialTask {
  readonly sweep: string;
  readonly number: number;
  readonly params: Params;
  readonly attempt: number;
  /** Where the trial's runs go by default. */
  readonly dir: string;
  /** The sweep's monitor once fixed; else the trial picks val_loss or loss from its first epoch. */
  readonly monitor?: string;
  readonly mode?: 'min' | 'max';
}

/** Where a running trial sends its epochs. */
export interface TrialHooks {
  /** Reports the monitored value of an epoch; resolves to what the trial does next. */
  report(epoch: number, value: number, monitor: string, epochs: number | undefined): Promise<Decision | 'interrupt'>;
  /** Aborted when the whole sweep stops (an interrupt): the trial stops at a checkpoint. */
  readonly signal: AbortSignal;
  /** A train() call of the trial began (or resumed) its run. */
  began?(run: TrialRunInfo): void;
}

/** Runs `fn` as trial `task`; never throws (a failure is an outcome). */
export async function runTrial(fn: TrialFunction, task: TrialTask, hooks: TrialHooks, now: () => number = () => performance.now()): Promise<TrialOutcome> {
  const started = now();
  const controller = new AbortController();
  let stoppedBy: Decision | 'interrupt' | undefined;
  const stop = (reason: Decision | 'interrupt') => {
    stoppedBy ??= reason;
    controller.abort();
  };
  const onSweepStop = () => stop('interrupt');
  if (hooks.signal.aborted) onSweepStop();
  else hooks.signal.addEventListener('abort', onSweepStop, { once: true });

  let monitor = task.monitor;
  let epochs: number | undefined;
  let run: { id: string; dir?: string } | undefined;
  let runs = 0;
  const calls: TrainFingerprint[] = [];
  let reported = 0;
  const report = async (epoch: number, value: number, name: string) => {
    reported++;
    const decision = await hooks.report(epoch, value, name, epochs);
    if (decision !== 'continue') stop(decision);
    return decision === 'continue';
  };
  const scope: TrialScope = {
    signal: controller.signal,
    dir: task.dir,
    nextRunName: () => trialRunName(task.number, ++runs),
    begin(runId, runDir, requested) {
      run = { id: runId, ...(runDir ? { dir: runDir } : {}) };
      epochs = requested;
      hooks.began?.({ ...run, status: 'running', epoch: 0, epochs: requested, calls: [...calls] });
    },
    called(fingerprint) {
      calls.push(fingerprint);
    },
    async epoch(epoch, logs) {
      monitor ??= 'val_loss' in logs ? 'val_loss' : 'loss';
      if (!(monitor in logs)) {
        throw new Error(`sweep(): the sweep monitors ${formatValue(monitor)}, which trial ${task.number}'s run does not report. Its metrics: ${Object.keys(logs).join(', ')}. Pass monitor: '…' to sweep(), or train with validation data for val_loss.`);
      }
      await report(epoch, logs[monitor], monitor);
    },
  };
  const context: TrialContext = {
    number: task.number,
    sweep: task.sweep,
    attempt: task.attempt,
    signal: controller.signal,
    dir: task.dir,
    report: (epoch, value) => report(epoch, value, monitor ?? 'value'),
  };

  let returned: unknown;
  let error: unknown;
  try {
    returned = await runInTrial(scope, () => fn(task.params, context));
  } catch (thrown) {
    error = thrown;
  } finally {
    hooks.signal.removeEventListener('abort', onSweepStop);
  }
  const seconds = (now() - started) / 1000;
  const returnedRun = runOf(returned) ?? (run ? { ...run, status: 'unknown', epoch: 0, epochs: epochs ?? 0 } : undefined);
  const runInfo = returnedRun && calls.length > 0 ? { ...returnedRun, calls } : returnedRun;
  const base = { seconds, ...(runInfo ? { run: runInfo } : {}) };
  if (stoppedBy === 'pause') return { kind: 'paused', ...base };
  if (stoppedBy === 'prune') return { kind: 'pruned', ...base };
  if (stoppedBy === 'interrupt' || hooks.signal.aborted) return { kind: 'interrupted', ...base };
  if (error !== undefined) {
    // Stopped by the cell's own interrupt: the run is checkpointed, the trial resumable.
    if (isInterrupt(error)) return { kind: 'interrupted', ...base };
    return { kind: 'failed', error: describeError(error), ...base };
  }
  if (runInfo?.status === 'interrupted' && typeof returned === 'object') return { kind: 'interrupted', ...base };
  const value = valueOf(returned, monitor, task.mode);
  if (value instanceof Error) return { kind: 'failed', error: value.message, ...base };
  if (value === undefined && reported === 0) {
    return { kind: 'failed', error: `trial ${task.number} returned ${formatValue(returned)} and trained no run with train(): return a number (to minimise) or the run, or train with train() inside the trial.`, ...base };
  }
  return { kind: 'completed', ...(value ? value : {}), ...base };
}

/** The run info of a returned Run (anything with an id, a status and a history). */
function runOf(value: unknown): TrialRunInfo | undefined {
  const run = value as { id?: unknown; dir?: unknown; status?: unknown; epoch?: unknown; epochs?: unknown; best?: TrialRunInfo['best']; history?: unknown; resumedFrom?: { checkpoint?: unknown } } | null;
  if (typeof run !== 'object' || run === null || typeof run.id !== 'string' || typeof run.status !== 'string' || !Array.isArray(run.history)) return undefined;
  return {
    id: run.id,
    ...(typeof run.dir === 'string' ? { dir: run.dir } : {}),
    status: run.status,
    epoch: Number(run.epoch),
    epochs: Number(run.epochs),
    ...(run.best ? { best: { epoch: run.best.epoch, monitor: run.best.monitor, value: run.best.value } } : {}),
    ...(typeof run.resumedFrom?.checkpoint === 'string' ? { resumedFrom: run.resumedFrom.checkpoint } : {}),
  };
}

/** The value a trial returned: a number, or the best monitored value in a returned run's history. */
function valueOf(returned: unknown, monitor: string | undefined, mode: 'min' | 'max' | undefined): { value: number; bestEpoch?: number } | Error | undefined {
  if (typeof returned === 'number') return Number.isFinite(returned) ? { value: returned } : new Error(`the trial returned ${returned}; a trial's value must be a finite number.`);
  const history = (returned as { history?: unknown } | null)?.history;
  if (!Array.isArray(history) || history.length === 0) return undefined;
  const name = monitor ?? ('val_loss' in history[0] ? 'val_loss' : 'loss');
  const direction = mode ?? new Monitor('sweep()', { monitor: name }).mode;
  let best: { value: number; bestEpoch: number } | undefined;
  for (const entry of history as Record<string, number>[]) {
    const value = entry[name];
    if (value === undefined) return new Error(`sweep(): the sweep monitors ${formatValue(name)}, which the returned run does not report. Its metrics: ${Object.keys(entry).filter((key) => key !== 'epoch').join(', ')}.`);
    if (!Number.isFinite(value)) continue;
    if (!best || (direction === 'max' ? value > best.value : value < best.value)) best = { value, bestEpoch: entry.epoch };
  }
  return best;
}

function isInterrupt(error: unknown): boolean {
  const { name, interrupted } = (error ?? {}) as { name?: unknown; interrupted?: unknown };
  return interrupted === true || name === 'AbortError' || name === 'KeyboardInterrupt';
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** The name train() gives the `call`-th run of trial `number` (1-based): `trial-0007`, `trial-0007.2`. */
function trialRunName(number: number, call: number): string {
  return `trial-${String(number).padStart(4, '0')}${call > 1 ? `.${call}` : ''}`;
}

/** What checking a trial against its record found. */
export type TrialCheck =
  | { readonly same: true; readonly calls: readonly TrainFingerprint[] }
  | { readonly same: false; readonly change: string };

const NEVER = new AbortController().signal;

/**
 * Checks trial `task` against the train() calls its record holds (`recorded`), without training:
 * calls the trial function again, and each train() call reports what it would train before touching
 * its run (lib/sweep/hook.ts). The check ends at the first call that differs, or after the last
 * recorded one matched (the trial function is cut short there). Calls before the last return their
 * finished runs from disk, as an executed-again train() does. Throws what the trial throws for
 * another reason (its error would stop the sweep anyway).
 */
export async function checkTrial(fn: TrialFunction, task: TrialTask, recorded: readonly TrainFingerprint[]): Promise<TrialCheck> {
  let verdict: TrialCheck | undefined;
  const seen: TrainFingerprint[] = [];
  const stop = new Error('sweep(): the trial was checked');
  let runs = 0;
  const scope: TrialScope = {
    signal: NEVER,
    dir: task.dir,
    nextRunName: () => trialRunName(task.number, ++runs),
    begin: () => undefined,
    epoch: async () => undefined,
    called(fingerprint) {
      const before = recorded[seen.length];
      seen.push(fingerprint);
      const change = before ? describeChange(before, fingerprint) : `it now calls train() ${seen.length} times; the record has ${recorded.length}`;
      if (change !== undefined) verdict = { same: false, change };
      else if (seen.length === recorded.length) verdict = { same: true, calls: seen };
      if (verdict) throw stop;
    },
  };
  const context: TrialContext = { number: task.number, sweep: task.sweep, attempt: task.attempt, signal: NEVER, dir: task.dir, report: async () => false };
  try {
    await runInTrial(scope, () => fn(task.params, context));
  } catch (error) {
    // The trial may wrap what train() threw (a %%sweep cell does): the verdict is what counts.
    if (verdict) return verdict;
    throw error;
  }
  return verdict ?? { same: false, change: `it now calls train() ${seen.length} time${seen.length === 1 ? '' : 's'}; the record has ${recorded.length}` };
}

/** What differs between two train() calls, in words; undefined when they train the same. */
export function describeChange(before: TrainFingerprint, now: TrainFingerprint): string | undefined {
  if (before.identity === now.identity) return undefined;
  const parts: string[] = [];
  if (before.model !== now.model) parts.push("the model's architecture");
  if (before.compile !== now.compile) parts.push('the compile settings (optimizer, loss or metrics)');
  if (before.data !== now.data) parts.push('the data');
  const keys = [...new Set([...Object.keys(before.options), ...Object.keys(now.options)])];
  for (const key of keys) {
    const [a, b] = [JSON.stringify(before.options[key] ?? null), JSON.stringify(now.options[key] ?? null)];
    if (a !== b) parts.push(`${key} ${shorten(a)} → ${shorten(b)}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'what it trains';
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
