/**
 * The scheduler: every decision a sweep makes, as functions that change a {@link SweepRecord} in
 * place — which trial runs next (a promotion first, then a trial to resume, then a new proposal),
 * what a reported epoch means (go on, pause, prune), how a trial that returned is settled, and when
 * the sweep is done. They are applied through the operations of lib/sweep/store.ts: by a local
 * sweep to its in-memory record under the sweep's lock, by every client of a queued sweep as it
 * replays the sweep's journal. The same code decides in both.
 */
import { Monitor } from '../monitor';
import { makePruner, type Decision, type Pruner } from './pruners';
import { makeSampler, type Sampler } from './samplers';
import { SearchSpace, type Params } from './space';
import { standingsOf, type Standings } from './standings';
import { bestReported, newTrial, type SweepRecord, type TrialRecord, type TrialRunInfo } from './state';

/** The record's space, sampler and pruner, built once per record. */
export interface Search {
  readonly space: SearchSpace;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
}

/** Builds the search (space, sampler, pruner) a record describes, once per record. */
export function searchOf(record: SweepRecord, where = 'sweep()'): Search {
  const space = new SearchSpace(record.space as never, where);
  return { space, sampler: makeSampler(record.sampler, space, where), pruner: makePruner(record.pruner) };
}

/** A trial handed to a worker: resume it when it has run before (its run continues from its checkpoint). */
export interface Claim {
  readonly number: number;
  readonly params: Params;
  readonly resume: boolean;
  readonly attempt: number;
}

/** How a trial's call ended. */
export interface TrialOutcome {
  readonly kind: 'completed' | 'paused' | 'pruned' | 'interrupted' | 'failed';
  /** What the trial returned as its value (a number, or its run's best monitored value). */
  readonly value?: number;
  readonly bestEpoch?: number;
  readonly run?: TrialRunInfo;
  readonly error?: string;
  readonly seconds: number;
}

/** True while the budget allows another new trial. */
export function budgetLeft(record: SweepRecord, search: Search): boolean {
  return search.sampler.used(record) < record.budget;
}

/**
 * The next trial to run in a local sweep, marked running on `worker`: a promoted trial (the highest
 * rung first), then an interrupted or pending one, then a new proposal while the budget allows.
 */
export function claimNext(record: SweepRecord, search: Search, worker: string, now = new Date()): Claim | undefined {
  if (record.status !== 'running') return undefined;
  const standings = standingsOf(record);
  const promoted = [...standings.promoting].sort((a, b) => (b.prunedAt ?? 0) - (a.prunedAt ?? 0) || a.number - b.number);
  const waiting = [...standings.waiting].sort((a, b) => a.number - b.number);
  const trial = promoted[0] ?? waiting[0] ?? proposeTrial(record, search);
  return trial ? start(record, trial, worker, now) : undefined;
}

/**
 * Queued sweeps: the trial job `job` is for. `number` names it for resume and promotion jobs; a
 * "next" job (no number) starts a new trial with `proposal` — parameters the claimer proposed for
 * the next trial number, or null when its proposal was made for a number another claim took (the
 * claim then gets nothing) — or, when `proposal` is undefined, proposed here. A job handed back by
 * BullMQ after its worker died gets its trial again; a duplicate job gets nothing.
 */
export function claimForJob(record: SweepRecord, search: Search, job: { readonly id: string; readonly number?: number }, worker: string, now = new Date(), proposal?: Params | null): Claim | undefined {
  if (record.status !== 'running') return undefined;
  const held = heldBy(record, job.id);
  if (held) return start(record, held, worker, now, job.id);
  if (job.number === undefined) {
    if (proposal === null) return undefined;
    const trial = proposal ? (budgetLeft(record, search) ? addTrial(record, proposal) : undefined) : proposeTrial(record, search);
    return trial ? start(record, trial, worker, now, job.id) : undefined;
  }
  const trial = record.trials[job.number - 1];
  if (!trial) return undefined;
  const ready = trial.status === 'interrupted' || trial.status === 'pending' || (trial.status === 'paused' && trial.promote);
  return ready ? start(record, trial, worker, now, job.id) : undefined;
}

/**
 * Queued sweeps: the next trial for job `job`, a worker's job that serves the sweep until nothing is
 * left — its own trial again when BullMQ handed it back after its worker died, else what
 * {@link claimNext} would take: a promoted trial, then an interrupted or pending one, then a new
 * trial with `proposal` (the claimer's parameters for the next trial number; none, or a number
 * another claim took first: the claim gets nothing and the claimer tries again; its `ahead`: the
 * trials after it, added pending while the budget allows) — or, `proposal` `'here'`, a new trial
 * proposed as the claim is applied (samplers whose proposal costs next to nothing: every client
 * applying the claim proposes the same, and no claim loses a race).
 */
export function claimToServe(record: SweepRecord, search: Search, job: string, worker: string, now: Date, proposal: { readonly number: number; readonly params: Params; readonly ahead?: readonly Params[] } | 'here' | undefined): Claim | undefined {
  if (record.status !== 'running') return undefined;
  const held = heldBy(record, job);
  if (held) return start(record, held, worker, now, job);
  const ready = readyTrial(record);
  if (ready) return start(record, ready, worker, now, job);
  if (proposal === 'here') {
    const trial = proposeTrial(record, search);
    return trial ? start(record, trial, worker, now, job) : undefined;
  }
  if (!proposal || proposal.number !== record.trials.length + 1 || !budgetLeft(record, search)) return undefined;
  const claim = start(record, addTrial(record, proposal.params), worker, now, job);
  // Proposed ahead on the claimer's copy: pending trials, which the next claims take instead of proposing.
  for (const params of proposal.ahead ?? []) if (budgetLeft(record, search)) addTrial(record, params);
  return claim;
}

/** The trial {@link claimNext} takes before proposing one: a promoted trial (the highest rung first), then an interrupted or pending one. */
export function readyTrial(record: SweepRecord): TrialRecord | undefined {
  const standings = standingsOf(record);
  let best: TrialRecord | undefined;
  for (const trial of standings.promoting) if (!best || (trial.prunedAt ?? 0) > (best.prunedAt ?? 0) || ((trial.prunedAt ?? 0) === (best.prunedAt ?? 0) && trial.number < best.number)) best = trial;
  if (best) return best;
  for (const trial of standings.waiting) if (!best || trial.number < best.number) best = trial;
  return best;
}

/** The running trial job `job` holds. */
export function heldBy(record: SweepRecord, job: string): TrialRecord | undefined {
  for (const trial of standingsOf(record).running) if (trial.job === job) return trial;
  return undefined;
}

/** The parameters of the next trial, or undefined when the budget (or a grid) has none left. */
export function proposeNext(record: SweepRecord, search: Search): Params | undefined {
  if (!budgetLeft(record, search)) return undefined;
  return search.sampler.propose(record.trials.length + 1, record);
}

function proposeTrial(record: SweepRecord, search: Search): TrialRecord | undefined {
  const params = proposeNext(record, search);
  return params ? addTrial(record, params) : undefined;
}

function addTrial(record: SweepRecord, params: Params): TrialRecord {
  const trial = newTrial(record.trials.length + 1, params);
  record.trials.push(trial);
  return trial;
}

function start(record: SweepRecord, trial: TrialRecord, worker: string, now: Date, job?: string): Claim {
  const resume = trial.attempts > 0;
  if (trial.status === 'paused' && trial.prunedAt !== undefined && !trial.promoted.includes(trial.prunedAt)) trial.promoted.push(trial.prunedAt);
  trial.status = 'running';
  trial.promote = undefined;
  trial.prunedAt = undefined;
  trial.worker = worker;
  trial.attempts++;
  trial.started ??= now.toISOString();
  trial.ended = undefined;
  if (job) trial.job = job;
  else delete trial.job;
  standingsOf(record).sync(trial);
  return { number: trial.number, params: trial.params, resume, attempt: trial.attempts };
}

/**
 * Records the monitored `value` of `epoch` of trial `number` (whose run was asked for `epochs`
 * epochs) and decides whether it goes on — or takes `decided`, the pruner's decision made by the
 * reporter on its own copy of the record. A stopping sweep answers `interrupt`.
 */
export function reportEpoch(record: SweepRecord, search: Search, number: number, epoch: number, value: number, epochs?: number, monitor?: string, decided?: Decision): Decision | 'interrupt' {
  const trial = record.trials[number - 1];
  if (monitor !== undefined && record.monitor === undefined) record.monitor = monitor;
  record.mode ??= defaultMode(record.monitor);
  while (trial.values.length < epoch - 1) trial.values.push(null);
  trial.values[epoch - 1] = Number.isFinite(value) ? value : null;
  if (epochs !== undefined) trial.epochs = epochs;
  const best = bestReported(record, trial.values);
  if (best) {
    trial.value = best.value;
    trial.bestEpoch = best.epoch;
  }
  standingsOf(record).sync(trial);
  if (record.status === 'stopping') return 'interrupt';
  if (!Number.isFinite(value)) return 'continue';
  const decision = decided ?? search.pruner.decide(record, trial, epoch);
  if (decision !== 'continue') trial.prunedAt = epoch;
  standingsOf(record).sync(trial);
  queuePromotions(record, search);
  return decision;
}

/** Marks paused trials that became promotable; returns them (queued sweeps enqueue a job for each). */
export function queuePromotions(record: SweepRecord, search: Search): TrialRecord[] {
  const promotable = search.pruner.promotable(record);
  const leader = promotable.length === 0 ? endGame(record, search) : undefined;
  if (leader) promotable.push(leader);
  const standings = standingsOf(record);
  for (const trial of promotable) {
    trial.promote = true;
    standings.sync(trial);
  }
  return promotable;
}

/**
 * ASHA with a finite budget: a rung with fewer than η trials never promotes, so when nothing else
 * can run and no trial has finished, the best trial of the highest rung is promoted — the sweep
 * always ends with at least one trial trained to its full epochs.
 */
function endGame(record: SweepRecord, search: Search): TrialRecord | undefined {
  const standings = standingsOf(record);
  // Counted first: most reports end here, and only the sweep's last moments need the scan below.
  if (standings.count('paused') === 0 || standings.count('finished') > 0 || isOpen(standings)) return undefined;
  const paused = record.trials.filter((trial) => trial.status === 'paused' && trial.prunedAt !== undefined);
  if (paused.length === 0) return undefined;
  const open = record.trials.some((trial) => ['running', 'pending', 'interrupted'].includes(trial.status) || trial.promote);
  if (open || canPropose(record, search)) return undefined;
  const top = Math.max(...paused.map((trial) => trial.prunedAt!));
  return paused
    .filter((trial) => trial.prunedAt === top)
    .reduce((best, trial) => {
      const [a, b] = [trial.values[top - 1] ?? NaN, best.values[top - 1] ?? NaN];
      return Number.isFinite(a) && (!Number.isFinite(b) || (record.mode === 'max' ? a > b : a < b)) ? trial : best;
    });
}

/** Settles trial `number` after its call returned. */
export function settleTrial(record: SweepRecord, search: Search, number: number, outcome: TrialOutcome, now = new Date()): void {
  const trial = record.trials[number - 1];
  record.mode ??= defaultMode(record.monitor);
  trial.seconds += outcome.seconds;
  trial.ended = now.toISOString();
  delete trial.job;
  if (outcome.run) trial.run = outcome.run;
  if (outcome.value !== undefined && Number.isFinite(outcome.value)) {
    trial.value = outcome.value;
    if (outcome.bestEpoch !== undefined) trial.bestEpoch = outcome.bestEpoch;
    else delete trial.bestEpoch;
  }
  switch (outcome.kind) {
    case 'completed':
      trial.status = 'finished';
      delete trial.prunedAt;
      delete trial.error;
      break;
    case 'paused':
    case 'pruned':
      trial.status = outcome.kind;
      trial.prunedAt ??= trial.values.length;
      break;
    case 'interrupted':
      trial.status = 'interrupted';
      delete trial.prunedAt;
      break;
    case 'failed':
      trial.status = 'failed';
      trial.error = outcome.error ?? 'failed';
      break;
  }
  standingsOf(record).sync(trial);
  queuePromotions(record, search);
}

/** True when no trial runs, waits, or can be proposed: the sweep is done. */
export function isDone(record: SweepRecord, search: Search): boolean {
  return !isOpen(standingsOf(record)) && !canPropose(record, search);
}

/** True while a trial runs, waits, or is queued for promotion. */
function isOpen(standings: Standings): boolean {
  return standings.running.size > 0 || standings.waiting.size > 0 || standings.promoting.size > 0;
}

/** True when a new trial can be proposed: budget left, and (grid) a combination without a trial. */
export function canPropose(record: SweepRecord, search: Search): boolean {
  if (!budgetLeft(record, search)) return false;
  return search.sampler.config.kind !== 'grid' || search.sampler.propose(record.trials.length + 1, record) !== undefined;
}

/** A metric's direction: max for accuracy-like names, else min (a returned number is minimised). */
export function defaultMode(monitor: string | undefined): 'min' | 'max' {
  return monitor === undefined || monitor === 'value' ? 'min' : new Monitor('sweep()', { monitor }).mode;
}
