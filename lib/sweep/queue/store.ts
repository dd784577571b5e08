/**
 * A queued sweep's record in Redis, as Optuna's JournalStorage keeps a study: a snapshot and an
 * append-only journal of the operations applied since (lib/sweep/store.ts). Every client — the
 * workers and the notebook following the sweep — keeps its own copy of the record and applies the
 * journal's operations to it in the journal's order, so all decide the same: an operation costs
 * what it changes, not what the record weighs, and no client ever rewrites the record.
 *
 * Applying an operation is one round trip: a script appends it and answers the operations other
 * clients appended since this client's last one, which it applies, its own last — whose answer (a
 * claim, a pruning decision) is then the answer every other client's copy agrees on. A grid or
 * random trial's parameters are proposed as its claim is applied (by every client alike: they cost
 * next to nothing); a TPE trial's by the claimer on its copy, under the sweep's proposer lock, and
 * they travel in its claim. A worker's settle carries its next claim. Reports the pruner cannot act
 * on (no pruner, or an epoch that is not an ASHA rung), and the median pruner's, which it decides
 * on the reporter's copy and which carry that decision, are answered at once from the copy and wait
 * to be sent with the next operation (at most {@link REPORT_DELAY_MS}), as one journal entry —
 * unless the trial's run checkpoints: an attempt resumed from a checkpoint does not report the
 * epochs before it again, so those are sent at once.

 * Keys: `PREFIX:sweep:NAME` (the snapshot, a record as JSON), `PREFIX:sweep-journal:NAME` (the
 * journal, a list), `PREFIX:sweep-offset:NAME` (how many operations the snapshot holds). A journal
 * longer than the record's trials is folded into a new snapshot by the client whose operation made
 * it so. Reading a record is one MULTI (snapshot, offset, journal).
 *
 * The client whose operation leaves the sweep with nothing left to do (it ended, or only waits for
 * its follower to say so) publishes that on `PREFIX:sweep-ended:NAME` ({@link onSweepEnd}): the
 * notebook following the sweep learns of its end at once instead of at its next read.
 */
import type { Redis } from 'ioredis';
import { CellfitError } from '../../errors';
import { canPropose, heldBy, isDone, proposeNext, readyTrial, searchOf, type Search } from '../scheduler';
import { applyOp, type OpResult, type SweepOp, type SweepStore } from '../store';
import type { Decision } from '../pruners';
import type { SweepRecord, TrialRecord } from '../state';
import type { Params } from '../space';

/**
 * A journal entry: an operation, or several applied in order (a trial's reports the pruner could not
 * act on, sent together), and when it was applied (the record's `updated`).
 */
type Entry = { readonly at: string } & ({ readonly op: SweepOp } | { readonly ops: readonly SweepOp[] });

/**
 * Appends ARGV[4..] to the journal unless the client's copy is behind the snapshot (or ahead of the
 * journal: a record made anew under the same name); answers the entries from ARGV[1] on that were
 * there before (the client's own, just appended, it applies from what it sent). ARGV[2] `acquire`
 * takes the sweep's proposer lock (KEYS[3]) for ARGV[3] unless another client holds it, `release`
 * lets go of it after the append; the answer's fourth item says whether this client holds it.
 */
const APPEND = `
local offset = tonumber(redis.call('GET', KEYS[2]) or '0')
local from = tonumber(ARGV[1])
local length = redis.call('LLEN', KEYS[1])
if from < offset or from > offset + length then return {offset, -1, {}, 0} end
local held = 0
if ARGV[2] == 'acquire' and redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', 5000) then held = 1 end
local before = {}
if from - offset < length then before = redis.call('LRANGE', KEYS[1], from - offset, -1) end
for i = 4, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
if ARGV[2] == 'release' and redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
return {offset, from, before, held}
`;

/** Replaces the snapshot with ARGV[2], the record after ARGV[1] operations, and drops the journal's entries it holds. */
const FOLD = `
local offset = tonumber(redis.call('GET', KEYS[3]) or '0')
local at = tonumber(ARGV[1])
if at <= offset then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[2], at - offset, -1)
redis.call('SET', KEYS[3], at)
return 1
`;

/** Writes a new sweep's snapshot unless one exists. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], 0)
return 1
`;

/** The scripts, sent once per connection and called by their hash after (EVALSHA). */
interface Scripts {
  cellfitJournalAppend(journal: string, offset: string, proposer: string, from: number, lock: Lock | '', token: string, ...entries: string[]): Promise<[number, number, string[], number]>;
  cellfitJournalFold(snapshot: string, journal: string, offset: string, at: number, record: string): Promise<number>;
}

function scripts(client: Redis): Scripts {
  const defined = client as Redis & Partial<Scripts>;
  if (!defined.cellfitJournalAppend) {
    client.defineCommand('cellfitJournalAppend', { numberOfKeys: 3, lua: APPEND });
    client.defineCommand('cellfitJournalFold', { numberOfKeys: 3, lua: FOLD });
  }
  return defined as unknown as Scripts;
}

/** The keys of sweep `name` (`proposer`: the lock a TPE claimer holds while it proposes). */
export function sweepKeys(prefix: string, name: string): { readonly snapshot: string; readonly journal: string; readonly offset: string; readonly proposer: string } {
  return { snapshot: `${prefix}:sweep:${name}`, journal: `${prefix}:sweep-journal:${name}`, offset: `${prefix}:sweep-offset:${name}`, proposer: `${prefix}:sweep-proposer:${name}` };
}

/** The channel on which the end of sweep `name` is published (a channel, not a key: it holds nothing). */
export function endChannel(prefix: string, name: string): string {
  return `${prefix}:sweep-ended:${name}`;
}

/** The operations after which a sweep may have nothing left to do (the others never end one). */
const MAY_END: ReadonlySet<SweepOp['kind']> = new Set(['settle', 'stop', 'end', 'configure', 'reopen']);

/**
 * Whether sweep `record` has nothing left to do: it ended, or it runs with nothing open and nothing
 * to propose (its follower applies `end`: lib/sweep/queue/follow.ts).
 */
function hasNothingLeft(record: SweepRecord, search: Search): boolean {
  return record.status === 'running' ? isDone(record, search) : record.status !== 'stopping';
}

/**
 * Calls `ended` whenever an operation leaves sweep `name` with nothing left to do (published by the
 * client that applied it, {@link RedisStore}), with the journal's length after it (entries, the
 * snapshot's included), on a connection of its own (a subscribed connection takes no other
 * commands). Resolves once subscribed, to the function that unsubscribes and disconnects. A
 * subscription that fails calls nothing: the follower's reads go on without it.
 *
 * @example
 * const unsubscribe = await onSweepEnd(client, 'cellfit', 'lr-search', () => wake());
 */
export async function onSweepEnd(client: Redis, prefix: string, name: string, ended: (position: number) => void): Promise<() => void> {
  const channel = endChannel(prefix, name);
  const subscriber = client.duplicate();
  // Errors (a dropped connection) are the main client's to report; without the subscription the follower reads as before.
  subscriber.on('error', () => undefined);
  subscriber.on('message', (from: string, position: string) => {
    if (from === channel) ended(Number(position));
  });
  try {
    await subscriber.subscribe(channel);
  } catch {
    subscriber.disconnect();
    return () => undefined;
  }
  return () => subscriber.disconnect();
}

/** What an exchange does with the sweep's proposer lock. */
type Lock = 'acquire' | 'release';

/** Journal entries past which a snapshot is written: about one per trial (reading a record replays at most that many). */
const foldAfter = (record: SweepRecord) => Math.max(1000, record.trials.length);

/**
 * Reads the records of `names` in one round trip: each snapshot with its journal applied, and how
 * many operations that is (undefined where there is no record).
 */
export async function readRecords(client: Redis, prefix: string, names: readonly string[]): Promise<({ record: SweepRecord; search: Search; position: number } | undefined)[]> {
  if (names.length === 0) return [];
  const multi = client.multi();
  for (const name of names) {
    const keys = sweepKeys(prefix, name);
    multi.get(keys.snapshot).get(keys.offset).lrange(keys.journal, 0, -1);
  }
  const replies = (await multi.exec()) ?? [];
  return names.map((_name, i) => {
    const [snapshot, offset, journal] = [0, 1, 2].map((k) => {
      const [error, value] = replies[3 * i + k];
      if (error) throw error;
      return value;
    }) as [string | null, string | null, string[]];
    if (snapshot === null) return undefined;
    const record = JSON.parse(snapshot) as SweepRecord;
    let search = searchOf(record);
    for (const text of journal) search = replay(record, search, JSON.parse(text) as Entry).search;
    return { record, search, position: Number(offset ?? 0) + journal.length };
  });
}

/** Applies a journal entry to a copy of the record; answers its (last) operation's result. */
function replay(record: SweepRecord, search: Search, entry: Entry): { search: Search; result: unknown } {
  let result: unknown;
  for (const op of 'ops' in entry ? entry.ops : [entry.op]) {
    result = applyOp(record, search, op);
    if (op.kind === 'configure') search = searchOf(record);
  }
  record.updated = entry.at;
  return { search, result };
}

/** Longest wait, in ms, before asking again for the proposer lock another TPE claimer holds (it holds it while it proposes). */
const PROPOSER_WAIT_MS = 16;

/** Most TPE trials the holder of the proposer lock proposes ahead for other jobs' next claims ({@link RedisStore.proposeAhead}). */
const PROPOSE_AHEAD = 4;

/** Milliseconds a report nobody waits for (no pruner decision) may wait to be sent with others: the live view's and a stop's delay. */
export const REPORT_DELAY_MS = 200;

/** An operation waiting to be sent (none: a read), and whoever waits for its answer; `later`: a report answered already, sent with the next batch. */
interface Pending {
  readonly op?: SweepOp;
  readonly later?: boolean;
  /** The exchange that sends this item takes or lets go of the proposer lock (acquire: answered with whether it holds it). */
  readonly lock?: Lock;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** A queued sweep's record; see the module comment. */
export class RedisStore implements SweepStore {
  private pending: Pending[] = [];
  private sending?: Promise<void>;
  private draining = false;
  /**
   * Trials whose run checkpoints (their `began` named a directory): their reports are sent at once,
   * since an attempt resumed from a checkpoint does not report the epochs before it again.
   */
  private readonly checkpointed = new Set<number>();
  /** Names this client as the holder of the sweep's proposer lock. */
  private readonly token = `${process.pid}.${Math.random().toString(36).slice(2)}`;
  /** The median pruner: the values this client reported for the trials it holds, as it reported them (its copy learns them a round trip later). */
  private readonly ownValues = new Map<number, (number | null)[]>();
  /** Milliseconds this client's TPE proposals took, a moving average. */
  private proposing = 1;
  /** Sends the reports that wait ({@link REPORT_DELAY_MS}). */
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    readonly where: string,
    public record: SweepRecord,
    public search: Search,
    /** Operations applied to the copy: the snapshot's and the journal's. */
    private position: number,
  ) {}

  /** The store of sweep `name`, or undefined when Redis holds no such sweep. */
  static async open(client: Redis, prefix: string, name: string, where: string): Promise<RedisStore | undefined> {
    const [read] = await readRecords(client, prefix, [name]);
    return read && new RedisStore(client, prefix, where, read.record, read.search, read.position);
  }

  /** Writes a new sweep's record; undefined when another client created it first. */
  static async create(client: Redis, prefix: string, record: SweepRecord, where: string): Promise<RedisStore | undefined> {
    const keys = sweepKeys(prefix, record.name);
    const created = await client.eval(CREATE, 3, keys.snapshot, keys.journal, keys.offset, JSON.stringify(record));
    return created === 1 ? new RedisStore(client, prefix, where, record, searchOf(record), 0) : undefined;
  }

  async apply<O extends SweepOp>(op: O): Promise<OpResult<O>> {
    if (op.kind === 'claim' && op.serve) return this.claimToServe(op) as Promise<OpResult<O>>;
    if (op.kind === 'claim' && op.job !== undefined && op.number === undefined) return this.claimNew(op) as Promise<OpResult<O>>;
    if (op.kind === 'began' && op.run.dir !== undefined) this.checkpointed.add(op.number);
    if (op.kind === 'settle') this.ownValues.delete(op.number);
    const decidesHere = op.kind === 'report' && this.search.pruner.config.kind === 'median';
    if (op.kind === 'report' && (decidesHere || !this.mayDecide(op))) {
      // The pruner cannot act here, or (the median pruner) decides on this copy: the answer is the
      // copy's (a stop, or a trial taken over, shows on the next round trip).
      const trial = this.record.trials[op.number - 1];
      const held = trial?.status === 'running' && trial.worker === op.worker && trial.job === op.job && this.record.status === 'running';
      let answer: Decision | 'interrupt' = held ? 'continue' : 'interrupt';
      let sent: SweepOp = op;
      if (held && decidesHere) {
        answer = this.decideOnCopy(op, trial);
        sent = { ...op, decided: answer };
      }
      if (this.checkpointed.has(op.number)) {
        void this.send(sent).catch(() => undefined);
      } else {
        // Sent with the next operation, or within REPORT_DELAY_MS: a trial's reports cost one entry, not one round trip each.
        this.pending.push({ op: sent, later: true, resolve: () => undefined, reject: () => undefined });
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          void this.send().catch(() => undefined);
        }, REPORT_DELAY_MS);
      }
      return answer as OpResult<O>;
    }
    return this.send(op) as Promise<OpResult<O>>;
  }

  /**
   * The median pruner's decision on a report of a trial this client holds, made on this copy and
   * carried in the report (every client replays it as made): the finished trials' median as this
   * copy knows it — a round trip older at most, the picture a round trip for the decision would
   * also have been out of date by the time the answer came back — and the trial's own values as
   * this client reported them (some may still wait to be sent).
   */
  private decideOnCopy(op: Extract<SweepOp, { kind: 'report' }>, trial: TrialRecord): Decision {
    let values = this.ownValues.get(op.number);
    if (!values) this.ownValues.set(op.number, (values = [...trial.values]));
    while (values.length < op.epoch - 1) values.push(null);
    values[op.epoch - 1] = op.value;
    if (op.value === null) return 'continue';
    return this.search.pruner.decide(this.record, { ...trial, values, ...(op.epochs !== undefined ? { epochs: op.epochs } : {}) }, op.epoch);
  }

  /** Whether the pruner may answer anything but `continue` to `op` (none never does; ASHA only at a rung; the median pruner after its warm-up). */
  private mayDecide(op: Extract<SweepOp, { kind: 'report' }>): boolean {
    const trial = this.record.trials[op.number - 1];
    if (!trial || op.value === null) return true;
    return this.search.pruner.decidesAt({ ...trial, epochs: op.epochs ?? trial.epochs }, op.epoch);
  }

  /** A "next" job's claim: a new trial proposed on this copy, proposed again when another claim took its number first. */
  private async claimNew(op: Extract<SweepOp, { kind: 'claim' }>): Promise<OpResult<typeof op>> {
    for (let attempt = 0; ; attempt++) {
      const held = this.record.status === 'running' && heldBy(this.record, op.job!) !== undefined;
      const params = held || this.record.status !== 'running' ? undefined : proposeNext(this.record, this.search);
      const number = this.record.trials.length + 1;
      const claim = (await this.send({ ...op, ...(params ? { proposal: { number, params } } : {}) })) as OpResult<typeof op>;
      if (claim || !params) return claim;
      // Lost the race when another claim created trial `number` first: propose again.
      if (this.record.status !== 'running' || this.record.trials.length < number || attempt > 100) return undefined;
    }
  }

  /**
   * A serving job's claim. Grid and random proposals cost next to nothing: the claim proposes as it
   * is applied, by every client alike — one round trip, and no claim loses a race for a trial number.
   * TPE proposes on this copy, only when the copy has no trial ready (promoted, interrupted or
   * pending), and tries again while a claim that got nothing leaves something to claim (a ready
   * trial another claim took first). `locked`: this client holds the proposer lock already (asked
   * for with the settle before, {@link settleAndClaim}).
   */
  private async claimToServe(op: Extract<SweepOp, { kind: 'claim' }>, locked = false): Promise<OpResult<typeof op>> {
    if (this.search.sampler.config.kind !== 'tpe') return this.send({ ...op, propose: true }) as Promise<OpResult<typeof op>>;
    // Refused the lock, a client waits about as long as a proposal takes (the holder's is under way)
    // before it asks again: each ask is a round trip, on machines where the workers share cores.
    let wait = Math.max(1, Math.min(this.proposing, PROPOSER_WAIT_MS));
    // After a refusal the holder may have proposed this claim's trial ahead: a claim without a
    // proposal looks first (one round trip, and the lock stays free for a claimer that needs it).
    let look = false;
    for (let attempt = 0; ; attempt++) {
      const open = this.record.status === 'running' && heldBy(this.record, op.job!) === undefined && readyTrial(this.record) === undefined && !look;
      look = false;
      if (open && !locked) {
        // A TPE proposal costs milliseconds: the number is claimed first — only the holder of the
        // sweep's proposer lock proposes, on a copy the exchange that took the lock brought up to
        // date — so that no proposal is lost to another claim and made again.
        locked = (await this.send(undefined, 'acquire')) === true;
        if (!locked) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          wait = Math.min(2 * wait, PROPOSER_WAIT_MS);
          look = true;
        }
        continue;
      }
      const began = performance.now();
      const params = open ? proposeNext(this.record, this.search) : undefined;
      const number = this.record.trials.length + 1;
      const ahead = params ? this.proposeAhead(op.worker) : [];
      if (params) this.proposing = 0.8 * this.proposing + 0.2 * (performance.now() - began);
      const claim = (await this.send({ ...op, ...(params ? { proposal: { number, params, ...(ahead.length > 0 ? { ahead } : {}) } } : {}) }, locked ? 'release' : undefined)) as OpResult<typeof op>;
      locked = false;
      if (claim || this.record.status !== 'running' || attempt > 1000) return claim;
      if (readyTrial(this.record) === undefined && !canPropose(this.record, this.search)) return undefined;
    }
  }

  /**
   * The parameters of the trials after the next one, proposed by the holder of the proposer lock on
   * the same copy — one for each other worker that ran one of the newest trials (at most
   * {@link PROPOSE_AHEAD}): their next claims — while the budget allows. A TPE proposal learns only
   * from trials that have a value, so trial N+1's is what it would be on the copy with trial N
   * added: the other claims take these pending trials without waiting for the lock, a round trip
   * and a proposal each.
   */
  private proposeAhead(worker: string): Params[] {
    const others = new Set<string>();
    const trials = this.record.trials;
    for (let i = trials.length - 1; i >= Math.max(0, trials.length - 4 * PROPOSE_AHEAD) && others.size < PROPOSE_AHEAD; i--) {
      const by = trials[i].worker;
      if (by !== undefined && by !== worker) others.add(by);
    }
    const next = trials.length + 1;
    const left = this.record.budget - this.search.sampler.used(this.record) - 1;
    const ahead: Params[] = [];
    for (let k = 1; k <= Math.min(others.size, left); k++) {
      const params = this.search.sampler.propose(next + k, this.record);
      if (!params) break;
      ahead.push(params);
    }
    return ahead;
  }

  /**
   * A serving job's trial settled and its next trial claimed with it: in the same round trip (grid,
   * random; TPE when this copy has a trial ready, proposed ahead or promoted), or — TPE — the settle
   * sent with the request for the proposer lock, the claim after. The settle's answer and the claim's.
   *
   * @example
   * const { settled, claim } = store.settleAndClaim(settleOp, { kind: 'claim', worker, job, at, serve: true });
   */
  settleAndClaim(settle: Extract<SweepOp, { kind: 'settle' }>, claim: Extract<SweepOp, { kind: 'claim' }>): { settled: Promise<boolean>; claim: Promise<OpResult<typeof claim>> } {
    if (this.search.sampler.config.kind !== 'tpe') {
      const [settled, claimed] = this.sendAll([{ op: settle }, { op: { ...claim, propose: true } }]);
      return { settled: settled as Promise<boolean>, claim: claimed as Promise<OpResult<typeof claim>> };
    }
    if (readyTrial(this.record) !== undefined) {
      const [settled, claimed] = this.sendAll([{ op: settle }, { op: claim }]);
      // Another claim took the ready trial first: claim as without one.
      const next = claimed.then((got) => (got as OpResult<typeof claim>) ?? this.claimToServe(claim));
      return { settled: settled as Promise<boolean>, claim: next };
    }
    const [settled, held] = this.sendAll([{ op: settle }, { lock: 'acquire' }]);
    // The claim waits for the settle's exchange; a failed exchange fails the claim too, not unheard.
    return { settled: settled as Promise<boolean>, claim: held.then((locked) => this.claimToServe(claim, locked === true)) };
  }

  async refresh(): Promise<SweepRecord> {
    await this.send();
    return this.record;
  }

  async close(): Promise<void> {
    if (this.pending.length > 0) await this.send().catch(() => undefined);
    await this.sending;
  }

  /** Sends `op` (none: only reads what others appended) with whatever else waits, and answers it. */
  private send(op?: SweepOp, lock?: Lock): Promise<unknown> {
    return this.sendAll([{ ...(op ? { op } : {}), ...(lock ? { lock } : {}) }])[0];
  }

  /** Sends `items` in order, in as few round trips as their lock actions allow (one lock action per exchange); answers each. */
  private sendAll(items: readonly { readonly op?: SweepOp; readonly lock?: Lock }[]): Promise<unknown>[] {
    const answers = items.map((item) => new Promise((resolve, reject) => this.pending.push({ ...item, resolve, reject })));
    if (!this.draining) {
      this.draining = true;
      this.sending = this.drain();
    }
    return answers;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        // An item that takes or lets go of the proposer lock ends its batch (one lock action per exchange).
        const cut = this.pending.findIndex((item) => item.lock !== undefined);
        const batch = cut < 0 ? this.pending : this.pending.slice(0, cut + 1);
        this.pending = cut < 0 ? [] : this.pending.slice(cut + 1);
        const lock = cut < 0 ? undefined : batch[batch.length - 1];
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        try {
          // Reports sent later travel together as one entry; every other operation is an entry of its own.
          const at = new Date().toISOString();
          const entries: Entry[] = [];
          const answers: (Pending | undefined)[] = [];
          let later: SweepOp[] | undefined;
          for (const item of batch) {
            if (!item.op) continue;
            if (!item.later) {
              later = undefined;
              entries.push({ at, op: item.op });
              answers.push(item);
              continue;
            }
            if (!later) {
              entries.push({ at, ops: (later = []) });
              answers.push(undefined);
            }
            later.push(item.op);
          }
          const { results, held } = await this.exchange(entries.map((entry) => JSON.stringify(entry)), lock?.lock);
          for (const item of batch) if (!item.op) item.resolve(item.lock === 'acquire' ? held : undefined);
          answers.forEach((item, i) => item?.resolve(results[i]));
        } catch (error) {
          for (const item of batch) item.reject(error as Error);
        }
      }
    } finally {
      // Cleared in the turn the last batch was answered, before its callers go on: an operation they send starts a new drain.
      this.draining = false;
    }
  }

  /** One round trip: appends `texts`, applies every entry since the copy's position, answers the own entries' results. */
  private async exchange(texts: readonly string[], lock?: Lock): Promise<{ results: unknown[]; held: boolean }> {
    const keys = sweepKeys(this.prefix, this.record.name);
    for (let attempt = 0; ; attempt++) {
      const [offset, from, entries, held] = await scripts(this.client).cellfitJournalAppend(keys.journal, keys.offset, keys.proposer, this.position, lock ?? '', this.token, ...texts);
      if (from < 0) {
        // Behind the snapshot (folded while this client was away), or a record made anew: read the record again, then append.
        const [read] = await readRecords(this.client, this.prefix, [this.record.name]);
        if (!read) throw new CellfitError(this.where, `the record of sweep ${this.record.name} is gone from ${this.where}.`);
        ({ record: this.record, search: this.search, position: this.position } = read);
        if (attempt > 10) throw new CellfitError(this.where, `could not append to the journal of sweep ${this.record.name}: it keeps being folded.`);
        continue;
      }
      // Others' entries since this copy's position, then this client's own, in the journal's order.
      for (let i = this.position - from; i < entries.length; i++) this.search = replay(this.record, this.search, JSON.parse(entries[i]) as Entry).search;
      const own = texts.map((text) => JSON.parse(text) as Entry);
      // This copy is the journal up to here: the sweep ran out of things to do at one of this client's entries iff it had some left before them and none after.
      const mayEnd = own.some((entry) => ('ops' in entry ? entry.ops : [entry.op]).some((op) => MAY_END.has(op.kind))) && !hasNothingLeft(this.record, this.search);
      const results: unknown[] = [];
      for (const entry of own) {
        const { search, result } = replay(this.record, this.search, entry);
        this.search = search;
        results.push(result);
      }
      const before = this.position - offset;
      this.position = from + entries.length + texts.length;
      const length = this.position - offset;
      // Once per sweep end, by the one client that saw it happen; a follower that misses it reads the end on its next poll.
      if (mayEnd && hasNothingLeft(this.record, this.search)) await this.client.publish(endChannel(this.prefix, this.record.name), String(this.position)).catch(() => undefined);
      if (texts.length > 0 && before < foldAfter(this.record) && length >= foldAfter(this.record)) {
        await scripts(this.client).cellfitJournalFold(keys.snapshot, keys.journal, keys.offset, this.position, JSON.stringify(this.record));
      }
      return { results, held: held === 1 };
    }
  }
}
