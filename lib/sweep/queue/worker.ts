/**
 * `npx cellfit worker --queue redis://host:port`: a process that pulls trial jobs of queued sweeps
 * from BullMQ and trains them, one at a time, with the checkpoint directory on storage every worker
 * shares, through the trial pipeline every sweep uses (lib/sweep/pipeline.ts). Every decision (which
 * trial a job gets, each epoch's prune/pause/continue, the settling) is an operation on the sweep's
 * journal in Redis (lib/sweep/queue/store.ts), so the sweep needs no coordinator: the notebook that
 * queued it may go away.
 *
 * A worker killed mid-trial loses nothing: its job's lock expires, BullMQ's stalled-job check hands
 * the job to another worker, whose claim gives it the same trial, resumed from its last checkpoint.
 * A worker stopped with Ctrl-C or SIGTERM stops its trial at a checkpoint and queues it to resume.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ready } from '../../backend';
import { isRunLocked, readLockHolder } from '../../checkpoint/lock';
import { LOCK_FILE } from '../../checkpoint/format';
import { trialLine } from '../display';
import { loadTrialFunction, provideCellfitPackages } from '../module';
import { runClaimedTrial, type PipelineOptions } from '../pipeline';
import { canPropose, heldBy, type Claim } from '../scheduler';
import type { SweepRecord } from '../state';
import { runTrial, type TrialFunction } from '../trial';
import { cellfitVersion } from '../version';
import { bullConnection, enqueue, openQueue, pendingJobs, promotionJobs, QUEUE_PROTOCOL, resumeJob, type TrialJobData } from './jobs';
import { connectRedis, parseQueueUrl, QUEUE_NAME } from './redis';
import { RedisStore } from './store';

const WHERE = 'cellfit worker';
/** Seconds after which a worker that stopped updating its heartbeat no longer counts as live. */
const LIVE_SECONDS = 10;

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /** The Redis URL the sweeps were queued on. */
  readonly queue: string;
  /** Where the sweeps' directory is on this machine, when the shared storage is mounted elsewhere than on the machine that queued them. Defaults to the path in the sweep's record. */
  readonly dir?: string;
  /** Milliseconds a worker that stops answering keeps its trial before another worker takes it over. Defaults to 30000. */
  readonly lockDuration?: number;
  /** Where the worker's lines go. Defaults to stderr. */
  readonly log?: (line: string) => void;
  /** Stops the worker gracefully: its trial stops at a checkpoint and goes back to the queue. */
  readonly signal?: AbortSignal;
}

/** A live worker, as its heartbeat records it. */
export interface WorkerInfo {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly cellfit: string;
  readonly protocol: number;
  readonly since: string;
  readonly seen: number;
  readonly trial?: string;
}

/** The workers whose heartbeat is recent. */
export async function liveWorkers(client: Redis, prefix: string): Promise<WorkerInfo[]> {
  const entries = await client.hgetall(`${prefix}:workers`);
  const now = Date.now();
  return Object.values(entries)
    .map((text) => JSON.parse(text) as WorkerInfo)
    .filter((worker) => now - worker.seen < LIVE_SECONDS * 1000);
}

/** Milliseconds a worker's lines to stderr may wait to be written together. */
const LOG_FLUSH_MS = 100;

/**
 * Lines to stderr, written together at most {@link LOG_FLUSH_MS} after the first of them: a worker
 * writes two lines a trial, and a write a line cost it as much CPU as a quick trial's scheduling.
 */
function stderrLines(): { readonly log: (line: string) => void; readonly flush: () => void } {
  let lines: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (lines.length > 0) process.stderr.write(lines.join(''));
    lines = [];
  };
  const log = (line: string) => {
    lines.push(`${line}\n`);
    timer ??= setTimeout(flush, LOG_FLUSH_MS);
  };
  return { log, flush };
}

/**
 * Runs a worker until `signal` aborts (or a job of an incompatible version arrives); resolves to the exit code.
 *
 * @example
 * const code = await runWorker({ queue: 'redis://localhost:6379', signal: controller.signal });
 */
export async function runWorker(options: WorkerOptions): Promise<number> {
  const lines = options.log ? undefined : stderrLines();
  try {
    return await serve(options, options.log ?? lines!.log);
  } finally {
    lines?.flush();
  }
}

async function serve(options: WorkerOptions, log: (line: string) => void): Promise<number> {
  const target = parseQueueUrl(options.queue, WHERE, '--queue');
  // Load TensorFlow.js and the training loop before taking a job: loading blocks the event loop,
  // and a job whose lock is not renewed in time is handed to another worker.
  await ready();
  require('../../train');
  // Trial modules anywhere (a notebook folder, shared storage) resolve cellfit from this installation.
  provideCellfitPackages((message) => log(message.trimEnd()));
  const lockDuration = options.lockDuration ?? 30_000;
  const client = await connectRedis(target, WHERE);
  const queue = await openQueue(target);
  const bullmq = await import('bullmq');
  const jobs = new TrialJobs({ client, queue, prefix: target.prefix, url: target.url, log, lockDuration, DelayedError: bullmq.DelayedError, ...(options.dir ? { dir: path.resolve(options.dir) } : {}) });
  await jobs.heartbeat();
  const beating = setInterval(() => void jobs.heartbeat().catch(() => undefined), 2000);

  const worker: Worker<TrialJobData> = new bullmq.Worker<TrialJobData>(QUEUE_NAME, (job, token) => jobs.process(job, token), {
    connection: bullConnection(target),
    prefix: target.prefix,
    concurrency: 1,
    lockDuration,
    stalledInterval: Math.min(lockDuration, 30_000),
    maxStalledCount: 100,
  });
  worker.on('lockRenewalFailed', (ids) => jobs.lockLost(ids));
  worker.on('error', (error) => log(`${WHERE}: ${error.message}`));
  worker.on('failed', (job, error) => log(`${WHERE}: job ${job?.id} failed: ${error.message}`));
  log(`${WHERE} ${jobs.me} (cellfit ${cellfitVersion}) serves ${target.url}; Ctrl-C stops it (its trial stops at a checkpoint and goes back to the queue).`);

  const stop = () => jobs.stopping.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  if (!jobs.stopping.signal.aborted) await new Promise<void>((resolve) => jobs.stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  jobs.stopTrial();
  await worker.close();
  clearInterval(beating);
  await client.hdel(`${target.prefix}:workers`, jobs.me).catch(() => undefined);
  await queue.close();
  client.disconnect();
  log(`${WHERE} ${jobs.me} stopped.`);
  return jobs.exitCode;
}

/** What {@link TrialJobs} works with: the connections and the worker's settings. */
interface TrialJobsSetup {
  readonly client: Redis;
  readonly queue: Awaited<ReturnType<typeof openQueue>>;
  readonly prefix: string;
  readonly url: string;
  readonly log: (line: string) => void;
  readonly lockDuration: number;
  /** Where the sweeps' directory is on this machine, when it differs from the record's. */
  readonly dir?: string;
  readonly DelayedError: new () => Error;
}

/**
 * A worker's handling of trial jobs, one at a time: claim the job's trial in its sweep's store, run
 * it through the trial pipeline, queue the promotions and resumptions it leads to; and what the
 * worker's heartbeat says of it.
 */
class TrialJobs {
  readonly me = `${os.hostname()}:${process.pid}`;
  /** Aborted to stop the worker (its signal, or a job queued by an incompatible version). */
  readonly stopping = new AbortController();
  exitCode = 0;
  private readonly since = new Date().toISOString();
  private current?: { readonly trial: string; readonly controller: AbortController; readonly job: string };
  /** Trial functions loaded, by module, export and file hash (an edited module is loaded again). */
  private readonly functions = new Map<string, TrialFunction>();
  /** Each sweep's store keeps its copy of the record between jobs: a job costs the operations since. */
  private readonly stores = new Map<string, RedisStore>();
  /** Jobs whose lock this worker lost (another worker may be given them): a serving job stops claiming. */
  private readonly lost = new Set<string>();
  /** When the heartbeat was last written. */
  private beat = 0;
  /** Promotion jobs already added by this worker (their ids are unique; adding one twice is a wasted round trip). */
  private readonly promoted = new Set<string>();

  constructor(private readonly setup: TrialJobsSetup) {}

  /** Records this worker as live (with the trial it trains) in the queue's worker table. */
  heartbeat(): Promise<number> {
    this.beat = Date.now();
    const info: WorkerInfo = { id: this.me, host: os.hostname(), pid: process.pid, cellfit: cellfitVersion, protocol: QUEUE_PROTOCOL, since: this.since, seen: Date.now(), ...(this.current ? { trial: this.current.trial } : {}) };
    return this.setup.client.hset(`${this.setup.prefix}:workers`, this.me, JSON.stringify(info));
  }

  /** The job's lock was lost (another worker may take the trial over): stop training it. */
  lockLost(ids: readonly string[]): void {
    for (const id of ids) this.lost.add(id);
    if (this.current && ids.includes(this.current.job)) this.current.controller.abort();
  }

  /** Stops the trial being trained, if any, at its next checkpoint. */
  stopTrial(): void {
    this.current?.controller.abort();
  }

  /**
   * Runs one job: a resume or promotion job's trial, or — a "next" job — trials one after another,
   * each claimed, trained and settled, until the sweep has none left for it (or this worker stops,
   * or loses the job's lock); resolves to how its last trial ended.
   */
  async process(job: Job<TrialJobData>, token?: string): Promise<string> {
    const data = job.data;
    if (data.protocol !== QUEUE_PROTOCOL) return this.refuse(job, token);
    const store = await this.storeOf(data.sweep);
    if (!store) return 'skipped';
    const holder = { worker: this.me, job: job.id! };
    if (data.number !== undefined) {
      const previous = store.record.trials[data.number - 1]?.worker;
      const claim = await store.apply({ kind: 'claim', ...holder, at: new Date().toISOString(), number: data.number });
      return claim ? this.runClaim(store, holder, claim, previous, true) : 'skipped';
    }
    // A job serves the sweep: one job's overhead (taken, locked, completed) for many trials.
    this.lost.delete(job.id!);
    const serving = () => !this.stopping.signal.aborted && !this.lost.has(job.id!);
    const claimOp = (at: string) => ({ kind: 'claim', ...holder, at, serve: true }) as const;
    /** A claim of its own, while this job still serves the sweep. */
    const claimAlone = async () => (serving() ? store.apply(claimOp(new Date().toISOString())) : undefined);
    let last = 'skipped';
    let previous = heldBy(store.record, job.id!)?.worker;
    let claim = await claimAlone();
    while (claim) {
      // The trial's settle carries the next claim: one round trip between two trials, not two.
      let next: Promise<Claim | undefined> | undefined;
      const settle = (op: Parameters<RedisStore['settleAndClaim']>[0]) => {
        if (!serving()) return store.apply(op);
        const both = store.settleAndClaim(op, claimOp(op.at));
        next = both.claim;
        return both.settled;
      };
      last = await this.runClaim(store, holder, claim, previous, false, settle);
      // The settled trial's job is no longer held: a trial claimed now was nobody's under this job.
      previous = next ? undefined : heldBy(store.record, job.id!)?.worker;
      claim = await (next ?? claimAlone());
    }
    const jobs = this.newPromotions(store.record);
    // This worker stops while the sweep has trials left: another worker serves them.
    if (this.stopping.signal.aborted && store.record.status === 'running' && canPropose(store.record, store.search)) jobs.push(...pendingJobs(store.record, store.search, 1).filter((next) => next.data.kind === 'next'));
    await enqueue(this.setup.queue, jobs);
    return last;
  }

  /**
   * Trains claimed trial `claim` through the trial pipeline and settles it; `single`: the job was for
   * this trial alone (see {@link queuesPromotions}).
   */
  private async runClaim(store: RedisStore, holder: { worker: string; job: string }, claim: Claim, previous: string | undefined, single: boolean, settle?: PipelineOptions['settle']): Promise<string> {
    const record = store.record;
    const trial = record.trials[claim.number - 1];
    if (claim.resume && previous && previous !== this.me) await takeOver(trial.run?.dir, previous, this.setup.lockDuration, this.setup.log);
    this.setup.log(`sweep ${record.name} · trial ${claim.number} ${claim.resume ? `resumed (attempt ${claim.attempt})` : 'started'}`);
    const fn = this.trialFunction(record);
    if (typeof fn === 'string') {
      const op = { kind: 'settle', ...holder, number: claim.number, outcome: { kind: 'failed', error: fn, seconds: 0 }, at: new Date().toISOString() } as const;
      await (settle ? settle(op) : store.apply(op));
      await enqueue(this.setup.queue, this.newPromotions(store.record));
      return 'failed';
    }
    const controller = new AbortController();
    this.current = { trial: `${record.name}#${claim.number}`, controller, job: holder.job };
    // The worker table shows the trial: at once for a trial that may take a while, at the next beat when trials come fast.
    if (Date.now() - this.beat > 1000) void this.heartbeat().catch(() => undefined);
    // A claim made with the previous trial's settle may come after this worker began to stop or lost the job's lock.
    if (this.stopping.signal.aborted || (!single && this.lost.has(holder.job))) controller.abort();
    let promotions: Promise<void> = Promise.resolve();
    const { outcome, settled } = await runClaimedTrial(store, claim, holder, (task, hooks) => runTrial(fn, task, hooks), {
      signal: controller.signal,
      ...(this.setup.dir ? { dir: this.setup.dir } : {}),
      changed: () => {
        if (store.search.pruner.config.kind !== 'asha' || !this.queuesPromotions(store, single)) return;
        promotions = promotions.then(() => enqueue(this.setup.queue, this.newPromotions(store.record))).catch((error: Error) => this.setup.log(`${WHERE}: ${error.message}`));
      },
      lost: (error) => this.setup.log(`${WHERE}: could not record the run of trial ${claim.number}: ${error.message}`),
      ...(settle ? { settle } : {}),
    }).finally(() => (this.current = undefined));
    await promotions;
    const jobs = this.queuesPromotions(store, single) ? this.newPromotions(store.record) : [];
    // Stopped by this worker's own shutdown: the trial goes back to the queue.
    if (settled && outcome.kind === 'interrupted' && store.record.status === 'running') jobs.push(resumeJob(store.record, claim.number));
    await enqueue(this.setup.queue, jobs);
    if (settled) this.setup.log(trialLine(store.record, store.record.trials[claim.number - 1]));
    return outcome.kind;
  }

  /**
   * A job queued by another version of cellfit: said to whoever follows the sweep (when its record
   * can be read here at all), put back for a worker that can run it, and this worker stops (exit 2).
   */
  private async refuse(job: Job<TrialJobData>, token: string | undefined): Promise<never> {
    const data = job.data;
    const problem = `worker ${this.me} runs cellfit ${cellfitVersion} (queue protocol ${QUEUE_PROTOCOL}), but sweep ${data.sweep} was queued by cellfit ${data.cellfit} (protocol ${data.protocol}): install cellfit ${data.cellfit} on ${os.hostname()}.`;
    this.setup.log(`${WHERE}: ${problem}`);
    await this.storeOf(data.sweep)
      .then((store) => store?.apply({ kind: 'warn', message: problem }))
      .catch(() => undefined);
    this.exitCode = 2;
    this.stopping.abort();
    await job.moveToDelayed(Date.now() + 2000, token);
    throw new this.setup.DelayedError();
  }

  /** The sweep's store, brought up to date; undefined when the sweep has no record (deleted). */
  private async storeOf(name: string): Promise<RedisStore | undefined> {
    let store = this.stores.get(name);
    if (!store) {
      store = await RedisStore.open(this.setup.client, this.setup.prefix, name, this.setup.url);
      if (store) this.stores.set(name, store);
    } else {
      await store.refresh();
    }
    return store;
  }

  /**
   * Whether this worker queues the promotions its trial leads to as jobs: after a job for one trial,
   * and once the sweep has no new trials left (serving jobs then end, and other workers wait for
   * jobs); while it has, every serving job claims promotions itself.
   */
  private queuesPromotions(store: RedisStore, single: boolean): boolean {
    return single || !canPropose(store.record, store.search);
  }

  /** The promotion jobs `record` calls for that this worker has not added yet (now marked added). */
  private newPromotions(record: SweepRecord) {
    const jobs = promotionJobs(record).filter((job) => !this.promoted.has(job.id));
    for (const job of jobs) this.promoted.add(job.id);
    return jobs;
  }

  /** The trial function of `record` (loaded once per module version), or why it cannot be loaded. */
  private trialFunction(record: SweepRecord): TrialFunction | string {
    // The file's hash is part of the key: an edited module (a new version of its sweep) is loaded again.
    const key = record.trial.kind === 'module' ? `${record.trial.path}#${record.trial.export}#${record.trial.digest ?? ''}` : '#';
    let fn = this.functions.get(key);
    if (!fn) {
      if (record.trial.kind !== 'module') return `sweep ${record.name} has no trial module to load.`;
      try {
        fn = loadTrialFunction({ path: record.trial.path, export: record.trial.export }, WHERE);
      } catch (error) {
        return `worker ${this.me} could not load ${record.trial.path}: ${error instanceof Error ? error.message : String(error)}`;
      }
      this.functions.set(key, fn);
    }
    return fn;
  }
}

/**
 * Before resuming a trial taken over from worker `previous` (BullMQ gave up on it: its job lock
 * expired). A previous worker that is alive but was too slow to renew its lock stops the trial at
 * its next epoch (its report finds the trial no longer its own) and frees the run: wait for that.
 * A previous worker on another machine cannot be checked for life: its run lock is removed once it
 * had time to notice.
 */
async function takeOver(runDir: string | undefined, previous: string, lockDuration: number, log: (line: string) => void): Promise<void> {
  if (!runDir) return;
  const file = path.join(runDir, LOCK_FILE);
  const deadline = Date.now() + lockDuration + 30_000;
  for (;;) {
    const holder = readLockHolder(file);
    if (!holder || `${holder.host}:${holder.pid}` !== previous) return;
    if (holder.host === os.hostname() ? !isRunLocked(runDir) : Date.now() > deadline - 30_000) break;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    fs.unlinkSync(file);
    log(`${WHERE}: took over the run in ${runDir} from ${previous}, whose job lock expired.`);
  } catch {
    // Gone already.
  }
}
