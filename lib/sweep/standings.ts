/**
 * What the scheduler asks of a record on every report — which trials wait or are queued for
 * promotion, how many trials are in each state, where a value ranks among the trials that reached an
 * ASHA rung, the median of the finished trials' values at an epoch — kept up to date trial by trial
 * instead of read off every trial each time, so that a decision costs about the same at 10,000
 * trials as at 100.
 *
 * As Ray Tune's AsyncHyperBandScheduler keeps per-rung recordings, each rung keeps the trials that
 * reached it sorted best first, so a trial's rank there is a binary search; and the paused trials
 * inside a rung's top ⌊n/η⌋ (the ones to promote) are tracked as the top moves, which it does by at
 * most a position or two per arrival. The standings of a record are built from its trials the first
 * time they are asked for (one pass), then the scheduler tells them of every trial it changes
 * ({@link Standings.sync}); trials appended to the record are taken in on the next question.
 */
import { ashaOptions, ashaRungs, type AshaOptions } from './asha';
import { better, type SweepRecord, type TrialRecord, type TrialStatus } from './state';

/** A trial's value at an epoch, as a rung sorts it. */
interface Entry {
  readonly value: number;
  readonly trial: TrialRecord;
}

/** What the standings last saw of a trial. */
interface Seen {
  readonly status: TrialStatus;
  readonly promote: boolean;
  /** Its finite values at the rungs it reached, by rung epoch. */
  readonly rungs: ReadonlyMap<number, number>;
  /** Finished trials: their values, for the median pruner. */
  readonly finished?: readonly (number | null)[];
  /** Whether TPE learns from it (finished, pruned or paused, with a value), and the key it is ranked by. */
  readonly observed?: ObservedKey;
}

/** What TPE ranks an observation by: finished first, by value; then stopped ones by epochs reached, then value; ties by number. */
interface ObservedKey {
  readonly finished: boolean;
  readonly reached: number;
  readonly value: number;
  readonly number: number;
}

const all = new WeakMap<SweepRecord, Standings>();

function observedKey(trial: TrialRecord): ObservedKey | undefined {
  const stopped = trial.status === 'pruned' || trial.status === 'paused';
  if ((trial.status !== 'finished' && !stopped) || trial.value === undefined || !Number.isFinite(trial.value)) return undefined;
  return { finished: trial.status === 'finished', reached: trial.values.length, value: trial.value, number: trial.number };
}

function sameKey(a: ObservedKey, b: ObservedKey): boolean {
  return a.finished === b.finished && a.reached === b.reached && a.value === b.value && a.number === b.number;
}

/** The standings of `record`, built on first use and rebuilt if its trials, pruner or direction were replaced. */
export function standingsOf(record: SweepRecord): Standings {
  let standings = all.get(record);
  if (!standings || !standings.fits(record)) {
    standings = new Standings(record);
    all.set(record, standings);
  }
  standings.takeNewTrials();
  return standings;
}

/** See the module comment. */
export class Standings {
  private readonly seen = new Map<number, Seen>();
  private readonly statusCounts = new Map<TrialStatus, number>();
  /** Paused trials queued for promotion. */
  readonly promoting = new Set<TrialRecord>();
  /** Interrupted and pending trials. */
  readonly waiting = new Set<TrialRecord>();
  /** Running trials. */
  readonly running = new Set<TrialRecord>();
  /** ASHA: per rung epoch, the trials with a finite value there, best first (ties: lower number first). */
  private readonly rungs = new Map<number, Entry[]>();
  /** ASHA: per rung epoch, paused trials (not yet queued) inside that rung's top ⌊n/η⌋. */
  private readonly promotable = new Map<number, Set<TrialRecord>>();
  /** ASHA: paused trials whose pause epoch is not a rung with a finite value of theirs (the pruner ranks them the slow way). */
  readonly irregular = new Set<TrialRecord>();
  /** TPE's observations, best first (see {@link ObservedKey}). */
  private readonly observedRanked: { key: ObservedKey; trial: TrialRecord }[] = [];
  /** Median pruner: per epoch, the finished trials' finite values, ascending. */
  private readonly finishedValues = new Map<number, number[]>();
  private readonly pruner: SweepRecord['pruner'];
  private readonly mode: SweepRecord['mode'];
  private readonly trials: TrialRecord[];
  private readonly asha?: AshaOptions;
  private known = 0;

  constructor(private readonly record: SweepRecord) {
    // A record made up for a sampler alone (tests, tools) may have no pruner.
    this.pruner = record.pruner ?? { kind: 'none' };
    this.mode = record.mode;
    this.trials = record.trials;
    if (this.pruner.kind === 'asha') this.asha = ashaOptions(this.pruner);
  }

  /** True while the record still has the trials, pruner and direction these standings were built for. */
  fits(record: SweepRecord): boolean {
    return record.trials === this.trials && (record.pruner ?? this.pruner) === this.pruner && record.mode === this.mode && this.known <= record.trials.length;
  }

  /** Takes in trials appended to the record since the last question. */
  takeNewTrials(): void {
    while (this.known < this.trials.length) this.sync(this.trials[this.known++]);
  }

  /** Trials in `status`. */
  count(status: TrialStatus): number {
    return this.statusCounts.get(status) ?? 0;
  }

  /** Re-reads `trial` (after the scheduler changed it): its status, promotion flag and rung values. */
  sync(trial: TrialRecord): void {
    const before = this.seen.get(trial.number);
    if (before) {
      this.statusCounts.set(before.status, this.count(before.status) - 1);
      this.setsOf(before.status, before.promote)?.delete(trial);
    }
    this.statusCounts.set(trial.status, this.count(trial.status) + 1);
    this.setsOf(trial.status, Boolean(trial.promote))?.add(trial);

    const rungs = new Map<number, number>();
    if (this.asha) {
      for (const rung of ashaRungs(this.asha, undefined, trial.values.length)) {
        const value = trial.values[rung - 1];
        if (value !== null && value !== undefined && Number.isFinite(value)) rungs.set(rung, value);
      }
      for (const [rung, value] of before?.rungs ?? []) if (rungs.get(rung) !== value) this.leaveRung(rung, trial, value);
      for (const [rung, value] of rungs) if (before?.rungs.get(rung) !== value) this.enterRung(rung, trial, value);
      for (const rung of rungs.keys()) this.recheck(rung, trial);
      const regular = trial.status !== 'paused' || trial.promote || trial.prunedAt === undefined || rungs.has(trial.prunedAt);
      if (regular) this.irregular.delete(trial);
      else this.irregular.add(trial);
    }

    let finished: (number | null)[] | undefined;
    if (this.pruner.kind === 'median') {
      if (before?.finished) this.changeFinished(before.finished, -1);
      if (trial.status === 'finished') {
        finished = [...trial.values];
        this.changeFinished(finished, +1);
      }
    }
    const observed = observedKey(trial);
    if (before?.observed && !(observed && sameKey(observed, before.observed))) {
      const at = this.observedPosition(before.observed);
      if (this.observedRanked[at]?.trial === trial) this.observedRanked.splice(at, 1);
    }
    if (observed && !(before?.observed && sameKey(observed, before.observed))) this.observedRanked.splice(this.observedPosition(observed), 0, { key: observed, trial });
    this.seen.set(trial.number, { status: trial.status, promote: Boolean(trial.promote), rungs, ...(finished ? { finished } : {}), ...(observed ? { observed } : {}) });
  }

  /** True when TPE learns from `trial`. */
  isObserved(trial: TrialRecord): boolean {
    return this.seen.get(trial.number)?.observed !== undefined && this.trials[trial.number - 1] === trial;
  }

  /** The number of TPE's observations. */
  get observationCount(): number {
    return this.observedRanked.length;
  }

  /** The `index`-th best observation. */
  observation(index: number): TrialRecord {
    return this.observedRanked[index].trial;
  }

  /** Index of the first observation not ranked before `key`. */
  private observedPosition(key: ObservedKey): number {
    let low = 0;
    let high = this.observedRanked.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.rankedBefore(this.observedRanked[middle].key, key)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private rankedBefore(a: ObservedKey, b: ObservedKey): boolean {
    if (a.finished !== b.finished) return a.finished;
    if (!a.finished && a.reached !== b.reached) return a.reached > b.reached;
    if (better(this.record, a.value, b.value)) return true;
    if (better(this.record, b.value, a.value)) return false;
    return a.number < b.number;
  }

  private setsOf(status: TrialStatus, promote: boolean): Set<TrialRecord> | undefined {
    if (status === 'running') return this.running;
    if (status === 'interrupted' || status === 'pending') return this.waiting;
    if (status === 'paused' && promote) return this.promoting;
    return undefined;
  }

  /** ASHA: how many trials reached rung `epoch` with a finite value. */
  reached(epoch: number): number {
    return this.rungs.get(epoch)?.length ?? 0;
  }

  /** ASHA: the trials ahead of `trial` at rung `epoch` (better, or as good with a lower number); it must have a finite value there. */
  ahead(epoch: number, trial: TrialRecord): number {
    return this.position(this.rungs.get(epoch) ?? [], trial.values[epoch - 1]!, trial.number);
  }

  /** ASHA: paused trials, not yet queued, inside the top of their rung. */
  promotableTrials(): TrialRecord[] {
    return [...this.promotable.values()].flatMap((set) => [...set]);
  }

  /** Median pruner: the finished trials' finite values at `epoch`, ascending. */
  finishedAt(epoch: number): readonly number[] {
    return this.finishedValues.get(epoch) ?? [];
  }

  /** Index of the first entry not ahead of (value, number). */
  private position(entries: readonly Entry[], value: number, number: number): number {
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entry = entries[middle];
      const isAhead = better(this.record, entry.value, value) || (entry.value === value && entry.trial.number < number);
      if (isAhead) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private quota(length: number): number {
    return Math.floor(length / this.asha!.reduction);
  }

  private enterRung(rung: number, trial: TrialRecord, value: number): void {
    let entries = this.rungs.get(rung);
    if (!entries) this.rungs.set(rung, (entries = []));
    const before = this.quota(entries.length);
    entries.splice(this.position(entries, value, trial.number), 0, { value, trial });
    this.recheckBoundary(rung, entries, before);
  }

  private leaveRung(rung: number, trial: TrialRecord, value: number): void {
    const entries = this.rungs.get(rung)!;
    const before = this.quota(entries.length);
    const at = this.position(entries, value, trial.number);
    if (entries[at]?.trial === trial) entries.splice(at, 1);
    this.promotable.get(rung)?.delete(trial);
    this.recheckBoundary(rung, entries, before);
  }

  /** After an arrival or departure at a rung, only the trials around the top's edge can have crossed it. */
  private recheckBoundary(rung: number, entries: readonly Entry[], quotaBefore: number): void {
    const after = this.quota(entries.length);
    const from = Math.max(0, Math.min(quotaBefore, after) - 1);
    const to = Math.min(entries.length - 1, Math.max(quotaBefore, after) + 1);
    for (let i = from; i <= to; i++) this.recheckAt(rung, entries[i].trial, i < after);
  }

  /** Re-decides whether `trial` (which has a finite value at `rung`) is a paused trial to promote there. */
  private recheck(rung: number, trial: TrialRecord): void {
    const entries = this.rungs.get(rung)!;
    this.recheckAt(rung, trial, this.position(entries, trial.values[rung - 1]!, trial.number) < this.quota(entries.length));
  }

  private recheckAt(rung: number, trial: TrialRecord, inTop: boolean): void {
    const waiting = inTop && trial.status === 'paused' && !trial.promote && trial.prunedAt === rung;
    let set = this.promotable.get(rung);
    if (waiting) {
      if (!set) this.promotable.set(rung, (set = new Set()));
      set.add(trial);
    } else set?.delete(trial);
  }

  private changeFinished(values: readonly (number | null)[], sign: 1 | -1): void {
    values.forEach((value, i) => {
      if (value === null || value === undefined || !Number.isFinite(value)) return;
      let sorted = this.finishedValues.get(i + 1);
      if (!sorted) this.finishedValues.set(i + 1, (sorted = []));
      let low = 0;
      let high = sorted.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (sorted[middle] < value) low = middle + 1;
        else high = middle;
      }
      if (sign > 0) sorted.splice(low, 0, value);
      else if (sorted[low] === value) sorted.splice(low, 1);
    });
  }
}
