/**
 * Pruners decide, at the end of each epoch of a trial, whether it keeps training. Decisions are pure
 * functions of the record (the values every trial reported so far), made as the sweep's operations
 * are applied in order (lib/sweep/store.ts) — under a local sweep's lock, or in the journal's order
 * of a queued one — so that concurrent workers never decide from different pictures.
 *
 * - `median` (Optuna's MedianPruner): once `startupTrials` trials have finished, after
 *   `warmupEpochs`, a trial whose best value so far is worse than the median of the finished trials'
 *   values at the same epoch is pruned — stopped for good (its checkpoints are kept).
 * - `asha` (asynchronous successive halving; Li et al., "A System for Massively Parallel
 *   Hyperparameter Tuning", MLSys 2020): rungs at `minEpochs`·η^k epochs, below the epochs the trial's
 *   run was asked for. At a rung a trial goes on while it is in the top ⌊n/η⌋ of the n trials that
 *   reached the rung; otherwise it is *paused* with a checkpoint. A paused trial is promoted — resumed
 *   from that checkpoint, not restarted — as soon as enough later trials reach its rung to put it in
 *   the top ⌊n/η⌋; when the sweep ends, trials still paused are pruned at their rung.
 */
import { fail, formatValue } from '../errors';
import { checkInteger } from '../util/options';
import { ashaOptions, ashaRungs, ASHA_DEFAULTS, type AshaOptions } from './asha';
import { standingsOf } from './standings';
import { bestReported, better, type PrunerConfig, type SweepRecord, type TrialRecord } from './state';

export { ashaRungs, type AshaOptions } from './asha';

/** What a trial does after an epoch: go on, pause at an ASHA rung (promotable later), or stop for good. */
export type Decision = 'continue' | 'pause' | 'prune';

/** Decides; see the module comment. */
export interface Pruner {
  readonly config: PrunerConfig;
  /** Whether `trial`, having just reported `epoch`, keeps training. */
  decide(record: SweepRecord, trial: TrialRecord, epoch: number): Decision;
  /** Paused trials that have become promotable, the most advanced and best first. */
  promotable(record: SweepRecord): TrialRecord[];
  /** False when {@link decide} answers `continue` at `epoch` of `trial` whatever the record holds (the queue then need not wait for the answer). */
  decidesAt(trial: TrialRecord, epoch: number): boolean;
}

/** The pruner option: a name or `{ kind, ...options }`. */
export type PrunerOption =
  | 'none'
  | 'median'
  | 'asha'
  | { readonly kind: 'none' }
  | ({ readonly kind: 'median' } & Partial<MedianOptions>)
  | ({ readonly kind: 'asha' } & Partial<AshaOptions>);

/** Options of the median pruner. */
export interface MedianOptions {
  /** Finished trials needed before any pruning. Defaults to 5. */
  readonly startupTrials: number;
  /** Epochs of each trial never pruned. Defaults to 0. */
  readonly warmupEpochs: number;
  /** Check every this many epochs after the warm-up. Defaults to 1. */
  readonly intervalEpochs: number;
}

/** Options of ASHA. */
const DEFAULTS = {
  none: {},
  median: { startupTrials: 5, warmupEpochs: 0, intervalEpochs: 1 } satisfies MedianOptions,
  asha: ASHA_DEFAULTS,
} as const;

/** Checks the `pruner` option. */
export function prunerConfig(option: PrunerOption, where: string): PrunerConfig {
  const spec = typeof option === 'string' ? { kind: option } : option;
  const kind = (spec as { kind?: unknown } | null)?.kind;
  if (typeof spec !== 'object' || spec === null || (kind !== 'none' && kind !== 'median' && kind !== 'asha')) {
    fail(where, `\`pruner\` must be 'none', 'median' or 'asha' (or { kind: 'asha', minEpochs, reduction }). Received: pruner=${formatValue(option)}.`);
  }
  const defaults: Record<string, number> = DEFAULTS[kind];
  const options: Record<string, number> = { ...defaults };
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'kind') continue;
    if (!(key in defaults)) fail(where, `pruner '${kind}' has no option \`${key}\`.${Object.keys(defaults).length ? ` Options: ${Object.keys(defaults).join(', ')}.` : ''}`);
    const minimum = key === 'warmupEpochs' ? 0 : key === 'reduction' ? 2 : 1;
    checkInteger(where, key, value, minimum, undefined, { subject: `pruner '${kind}': \`${key}\`` });
    options[key] = value;
  }
  return kind === 'none' ? { kind } : { kind, options };
}

/** The pruner a record describes. */
export function makePruner(config: PrunerConfig): Pruner {
  switch (config.kind) {
    case 'none':
      return { config, decide: () => 'continue', promotable: () => [], decidesAt: () => false };
    case 'median':
      return medianPruner(config, { ...DEFAULTS.median, ...config.options } as MedianOptions);
    case 'asha':
      return ashaPruner(config, ashaOptions(config));
  }
}

function medianPruner(config: PrunerConfig, { startupTrials, warmupEpochs, intervalEpochs }: MedianOptions): Pruner {
  return {
    config,
    decide(record, trial, epoch) {
      if (epoch <= warmupEpochs || (epoch - warmupEpochs - 1) % intervalEpochs !== 0) return 'continue';
      // The finished trials' values at this epoch, kept sorted by the standings (a finished trial deciding is read the slow way).
      let atEpoch: readonly number[];
      if (trial.status === 'finished' && record.trials[trial.number - 1] === trial) {
        const finished = record.trials.filter((other) => other.status === 'finished' && other.number !== trial.number);
        if (finished.length < startupTrials) return 'continue';
        atEpoch = finished.map((other) => other.values[epoch - 1]).filter((value): value is number => value !== null && value !== undefined && Number.isFinite(value))
          .sort((a, b) => a - b);
      } else {
        const standings = standingsOf(record);
        if (standings.count('finished') < startupTrials) return 'continue';
        atEpoch = standings.finishedAt(epoch);
      }
      if (atEpoch.length === 0) return 'continue';
      const best = bestReported(record, trial.values.slice(0, epoch));
      if (!best) return 'prune';
      return better(record, sortedMedian(atEpoch), best.value) ? 'prune' : 'continue';
    },
    promotable: () => [],
    decidesAt: (_trial, epoch) => epoch > warmupEpochs && (epoch - warmupEpochs - 1) % intervalEpochs === 0,
  };
}

function sortedMedian(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function ashaPruner(config: PrunerConfig, options: AshaOptions): Pruner {
  const isRung = (trial: TrialRecord, epoch: number) => ashaRungs(options, trial.epochs, epoch).includes(epoch);
  /** Whether `trial` is in the top ⌊n/η⌋ of the trials that reached rung `epoch` (its rank there from the standings' sorted rung). */
  const inTop = (record: SweepRecord, trial: TrialRecord, epoch: number) => {
    const value = trial.values[epoch - 1];
    if (value === null || value === undefined || !Number.isFinite(value)) return inTopByScan(record, trial, epoch);
    const standings = standingsOf(record);
    standings.sync(trial);
    return standings.ahead(epoch, trial) < Math.floor(standings.reached(epoch) / options.reduction);
  };
  /** The same question asked of every trial, for a trial paused without a finite value at its rung. */
  const inTopByScan = (record: SweepRecord, trial: TrialRecord, epoch: number) => {
    const reached = record.trials.filter((other) => Number.isFinite(other.values[epoch - 1] ?? NaN));
    const quota = Math.floor(reached.length / options.reduction);
    const value = trial.values[epoch - 1]!;
    const ahead = reached.filter((other) => other !== trial && (better(record, other.values[epoch - 1]!, value) || (other.values[epoch - 1] === value && other.number < trial.number)));
    return ahead.length < quota;
  };
  return {
    config,
    decidesAt: isRung,
    decide(record, trial, epoch) {
      if (!isRung(trial, epoch)) return 'continue';
      // A rung the trial was promoted past is not judged again when an attempt without a checkpoint
      // reports it anew: judged again, a trial the end game promoted paused there again and was
      // promoted again, forever, and a promoted trial others had overtaken meanwhile ran once more.
      if (trial.promoted.includes(epoch)) return 'continue';
      if (!Number.isFinite(trial.values[epoch - 1] ?? NaN)) return 'pause';
      if (!inTop(record, trial, epoch)) return 'pause';
      trial.promoted.push(epoch);
      return 'continue';
    },
    promotable(record) {
      const standings = standingsOf(record);
      const irregular = [...standings.irregular].filter((trial) => inTopByScan(record, trial, trial.prunedAt!));
      // In the order of the trials' numbers before sorting, as a scan of the record would list them.
      return [...standings.promotableTrials(), ...irregular]
        .sort((a, b) => a.number - b.number)
        .sort((a, b) => b.prunedAt! - a.prunedAt! || (better(record, a.values[a.prunedAt! - 1]!, b.values[b.prunedAt! - 1]!) ? -1 : 1));
    },
  };
}
