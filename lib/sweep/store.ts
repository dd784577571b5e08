/**
 * The sweep storage seam. Everything a sweep's record goes through is an operation ({@link SweepOp}:
 * a claim, a run begun, a reported epoch, a settled trial, a stop, a reopen, ...) that
 * {@link applyOp} applies to a record with the scheduler's decisions — one status machine and one
 * reopen routine for every way a sweep runs. A {@link SweepStore} keeps a record and applies
 * operations to it atomically:
 *
 * - {@link FileStore}: a local sweep's record in this process's memory (the process holds the sweep's
 *   lock, lib/sweep/lock.ts), kept on disk as a document and its journal (lib/sweep/record.ts);
 * - the Redis store (lib/sweep/queue/store.ts): a queued sweep's record as a snapshot and an
 *   append-only journal of these operations, which every client replays in the journal's order.
 *
 * Applying an operation is a pure function of the record and the operation (times travel inside the
 * operation), so that every replay of a journal decides the same.
 */
import type { Decision } from './pruners';
import { RecordWriter } from './record';
import { claimForJob, claimNext, claimToServe, searchOf, isDone, reportEpoch, settleTrial, type Claim, type Search, type TrialOutcome } from './scheduler';
import type { Params } from './space';
import { standingsOf } from './standings';
import type { SweepRecord, TrialRecord, TrialRunInfo } from './state';

/** Which worker (and, on a queue, which job) holds a trial. */
export interface Holder {
  readonly worker: string;
  /** Queued sweeps: the job that holds the trial. */
  readonly job?: string;
}

/** Everything that changes a sweep's record. */
export type SweepOp =
  /**
   * Take the next trial (a local slot: `job` absent) or the trial job `job` is for; `serve`: job `job`
   * serves the sweep, one trial after another (lib/sweep/scheduler.ts, `claimToServe`); `proposal`:
   * a new trial's parameters, proposed beforehand by the claimer (`ahead`, a serving claim's: the
   * parameters of the trials after it, proposed on the same copy, added pending for other claims to
   * take); `propose` (a serving claim of a grid or random sweep): a new trial is proposed as the
   * claim is applied.
   */
  | (Holder & { readonly kind: 'claim'; readonly at: string; readonly number?: number; readonly serve?: true; readonly proposal?: { readonly number: number; readonly params: Params; readonly ahead?: readonly Params[] }; readonly propose?: true })
  | (Holder & { readonly kind: 'began'; readonly number: number; readonly run: TrialRunInfo })
  /** `decided`: the pruner's decision, made by the reporter on its copy of the record (a queued sweep's median pruner). */
  | (Holder & { readonly kind: 'report'; readonly number: number; readonly epoch: number; readonly value: number | null; readonly epochs?: number; readonly monitor?: string; readonly decided?: Decision })
  | (Holder & { readonly kind: 'settle'; readonly number: number; readonly outcome: TrialOutcome; readonly at: string })
  /** Stop the sweep: its running trials stop at a checkpoint. */
  | { readonly kind: 'stop' }
  /** The sweep's status, once nothing can change it: `force` ends a stopping sweep whose trials did not answer, and a running sweep nothing runs any more. `failed`: the sweep stopped on an error outside its trials. */
  | { readonly kind: 'end'; readonly force?: boolean; readonly failed?: boolean }
  /** Open the sweep for another execution (`again`) or free trials whose holder is gone: trials running under no job of `live` (all, when absent) resume. */
  | { readonly kind: 'reopen'; readonly again: boolean; readonly live?: readonly string[]; readonly grown?: readonly number[] }
  /** Fields of the sweep an execution sets from its own call (space, sampler, budget, ...). */
  | { readonly kind: 'configure'; readonly set: Partial<SweepRecord> }
  | { readonly kind: 'warn'; readonly message: string };

/** What applying each kind of operation answers. */
export interface OpResults {
  readonly claim: Claim | undefined;
  readonly began: boolean;
  readonly report: Decision | 'interrupt';
  readonly settle: boolean;
  readonly stop: undefined;
  readonly end: undefined;
  readonly reopen: undefined;
  readonly configure: undefined;
  readonly warn: undefined;
}

/** The answer to an operation of kind `K`. */
export type OpResult<O extends SweepOp> = OpResults[O['kind']];

/**
 * Applies `op` to `record` (in place) and answers it; see the module comment. `search` is the
 * record's (a `configure` replaces it: call {@link searchOf} again after one).
 */
export function applyOp<O extends SweepOp>(record: SweepRecord, search: Search, op: O): OpResult<O> {
  return apply(record, search, op) as OpResult<O>;
}

function apply(record: SweepRecord, search: Search, op: SweepOp): OpResults[keyof OpResults] {
  switch (op.kind) {
    case 'claim': {
      const now = new Date(op.at);
      if (op.job === undefined) return claimNext(record, search, op.worker, now);
      if (op.serve) return claimToServe(record, search, op.job, op.worker, now, op.propose ? 'here' : op.proposal);
      // A queued claim never proposes here: its claimer did, for a trial number that may have been taken since.
      const proposal = op.proposal && op.proposal.number === record.trials.length + 1 ? op.proposal.params : null;
      return claimForJob(record, search, { id: op.job, ...(op.number !== undefined ? { number: op.number } : {}) }, op.worker, now, proposal);
    }
    case 'began': {
      const trial = heldTrial(record, op.number, op);
      if (!trial) return false;
      trial.run = op.run;
      standingsOf(record).sync(trial);
      return true;
    }
    case 'report':
      if (!heldTrial(record, op.number, op)) return 'interrupt';
      return reportEpoch(record, search, op.number, op.epoch, op.value ?? NaN, op.epochs, op.monitor, op.decided);
    case 'settle': {
      if (!heldTrial(record, op.number, op)) return false;
      settleTrial(record, search, op.number, op.outcome, new Date(op.at));
      if (op.outcome.kind === 'failed' && record.stopOnFailure && record.status === 'running') record.status = 'stopping';
      settleStatus(record, search);
      return true;
    }
    case 'stop':
      if (record.status === 'running') record.status = 'stopping';
      settleStatus(record, search);
      return undefined;
    case 'end':
      if (op.failed) record.status = 'failed';
      else settleStatus(record, search, op.force);
      return undefined;
    case 'reopen':
      reopen(record, op);
      return undefined;
    case 'configure':
      Object.assign(record, op.set);
      return undefined;
    case 'warn':
      if (!record.warnings.includes(op.message)) record.warnings.push(op.message);
      return undefined;
  }
}

/** The trial `number` while `holder` holds it (a takeover by another worker, or a reopen, ends that). */
function heldTrial(record: SweepRecord, number: number, holder: Holder): TrialRecord | undefined {
  const trial = record.trials[number - 1];
  return trial?.status === 'running' && trial.worker === holder.worker && trial.job === holder.job ? trial : undefined;
}

/**
 * The status machine: a stopping sweep whose trials all stopped (or that gives up on them, `force`)
 * is interrupted — failed when a failed trial stopped it, finished when nothing was left to do —, a running sweep with nothing left to do
 * is finished, and one that nothing runs any more (`force`) is interrupted.
 */
function settleStatus(record: SweepRecord, search: Search, force = false): void {
  const standings = standingsOf(record);
  if (record.status === 'stopping' && (standings.running.size === 0 || force)) {
    record.status = record.stopOnFailure && standings.count('failed') > 0 ? 'failed' : standings.running.size === 0 && isDone(record, search) ? 'finished' : 'interrupted';
  } else if (record.status === 'running' && isDone(record, search)) {
    record.status = 'finished';
  } else if (record.status === 'running' && force) {
    record.status = 'interrupted';
  }
}

/**
 * The one reopen routine. Trials running under a holder that is gone — every running trial when
 * `live` is absent (a local sweep's earlier process), else those whose job is not among the queue's
 * `live` jobs — are interrupted, to resume. Opening the sweep for another execution (`again`) also
 * sets it running, tries its failed trials again, and continues the runs of `grown` trials (their
 * train() now asks for more epochs).
 */
function reopen(record: SweepRecord, { again, live, grown = [] }: { again: boolean; live?: readonly string[]; grown?: readonly number[] }): void {
  const standings = standingsOf(record);
  if (again) record.status = 'running';
  const liveJobs = live ? new Set(live) : undefined;
  const gone = (trial: TrialRecord) => trial.status === 'running' && (!liveJobs || !trial.job || !liveJobs.has(trial.job));
  const candidates = again ? record.trials : [...standings.running];
  for (const trial of candidates) {
    if (gone(trial) || (again && trial.status === 'failed')) {
      trial.status = 'interrupted';
      delete trial.job;
      standings.sync(trial);
    }
  }
  for (const number of grown) {
    const trial = record.trials[number - 1];
    trial.status = 'interrupted';
    standings.sync(trial);
  }
}

/**
 * Where a sweep's record lives, and the one way it changes: {@link SweepStore.apply}, atomic
 * against every other process that applies operations to the same sweep.
 */
export interface SweepStore {
  /** Where the record lives: its file, or the Redis URL. */
  readonly where: string;
  /** The record as this process last knows it (the store's own copy: read it, change it only through apply). */
  readonly record: SweepRecord;
  /** The record's search (space, sampler, pruner). */
  readonly search: Search;
  /** Applies `op` and answers it. */
  apply<O extends SweepOp>(op: O): Promise<OpResult<O>>;
  /** Brings {@link record} up to date with what others applied; returns it. */
  refresh(): Promise<SweepRecord>;
  /** Writes what is pending and lets go of the store. */
  close(): Promise<void>;
}

/**
 * A local sweep's record: in memory, changed by this process alone (it holds the sweep's lock), and
 * kept on disk by a {@link RecordWriter} — the journal after each change, a few times a second, and
 * the whole document by {@link FileStore.flush}.
 */
export class FileStore implements SweepStore {
  search: Search;
  private readonly writer: RecordWriter;

  constructor(
    readonly where: string,
    readonly record: SweepRecord,
    where_ = 'sweep()',
  ) {
    this.search = searchOf(record, where_);
    this.writer = new RecordWriter(where, () => this.record);
  }

  async apply<O extends SweepOp>(op: O): Promise<OpResult<O>> {
    return this.applyNow(op);
  }

  /** {@link apply}, answered at once (a local sweep decides in this process). */
  applyNow<O extends SweepOp>(op: O): OpResult<O> {
    const result = applyOp(this.record, this.search, op);
    if (op.kind === 'configure') this.search = searchOf(this.record);
    this.writer.schedule();
    return result;
  }

  async refresh(): Promise<SweepRecord> {
    return this.record;
  }

  /** Writes the whole document now (and waits for every write). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  async close(): Promise<void> {
    await this.writer.flush();
  }
}
