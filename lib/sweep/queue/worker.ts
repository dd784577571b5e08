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
import { runClaimedTrial } from '../pipeline';
import { heldBy } from '../scheduler';
import type { SweepRecord } from '../state';
import { runTrial, type TrialFunction } from '../trial';
import { cellfitVersion } from '../version';
import { bullConnection, enqueue, openQueue, promotionJobs, QUEUE_PROTOCOL, resumeJob, type TrialJobData } from './jobs';
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

/** Runs a worker until `signal` aborts (or a job of an incompatible version arrives); resolves to the exit code. */
export async function runWorker(options: WorkerOptions): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
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
  const me = `${os.hostname()}:${process.pid}`;
  const since = new Date().toISOString();
  let current: { trial: string; controller: AbortController; job: string } | undefined;
  let exitCode = 0;
  const heartbeat = () =>
    client.hset(`${target.prefix}:workers`, me, JSON.stringify({ id: me, host: os.hostname(), pid: process.pid, cellfit: cellfitVersion, protocol: QUEUE_PROTOCOL, since, seen: Date.now(), ...(current ? { trial: current.trial } : {}) } satisfies WorkerInfo));
  await heartbeat();
  const beating = setInterval(() => void heartbeat().catch(() => undefined), 2000);
  const functions = new Map<string, TrialFunction>();
  const stopping = new AbortController();

  const { Worker: BullWorker, DelayedError } = await import('bullmq');
  // Each sweep's store keeps its copy of the record between jobs: a job costs the operations since.
  const stores = new Map<string, RedisStore>();
  const storeOf = async (name: string): Promise<RedisStore | undefined> => {
    let store = stores.get(name);
    if (!store) {
      store = await RedisStore.open(client, target.prefix, name, target.url);
      if (store) stores.set(name, store);
    } else {
      await store.refresh();
    }
    return store;
  };
  // Promotion jobs already added by this worker (their ids are unique; adding one twice is a wasted round trip).
  const promoted = new Set<string>();
  const enqueuePromotions = async (record: SweepRecord) => {
    const jobs = promotionJobs(record).filter((job) => !promoted.has(job.id));
    for (const job of jobs) promoted.add(job.id);
    await enqueue(queue, jobs);
  };

  const process_ = async (job: Job<TrialJobData>, token?: string): Promise<string> => {
    const data = job.data;
    if (data.protocol !== QUEUE_PROTOCOL) {
      const problem = `worker ${me} runs cellfit ${cellfitVersion} (queue protocol ${QUEUE_PROTOCOL}), but sweep ${data.sweep} was queued by cellfit ${data.cellfit} (protocol ${data.protocol}): install cellfit ${data.cellfit} on ${os.hostname()}.`;
      log(`${WHERE}: ${problem}`);
      // Told to whoever follows the sweep, when its record can be read here at all.
      await storeOf(data.sweep)
        .then((store) => store?.apply({ kind: 'warn', message: problem }))
        .catch(() => undefined);
      exitCode = 2;
      stopping.abort();
      // Back to the queue for a worker that can run it.
      await job.moveToDelayed(Date.now() + 2000, token);
      throw new DelayedError();
    }
    const store = await storeOf(data.sweep);
    if (!store) return 'skipped';
    const holder = { worker: me, job: job.id! };
    const previous = data.number !== undefined ? store.record.trials[data.number - 1]?.worker : heldBy(store.record, job.id!)?.worker;
    const claim = await store.apply({ kind: 'claim', ...holder, at: new Date().toISOString(), ...(data.number !== undefined ? { number: data.number } : {}) });
    if (!claim) return 'skipped';
    const record = store.record;
    const trial = record.trials[claim.number - 1];
    if (claim.resume && previous && previous !== me) await takeOver(trial.run?.dir, previous, lockDuration, log);
    log(`sweep ${record.name} · trial ${claim.number} ${claim.resume ? `resumed (attempt ${claim.attempt})` : 'started'}`);
    const fn = trialFunction(record);
    if (typeof fn === 'string') {
      await store.apply({ kind: 'settle', ...holder, number: claim.number, outcome: { kind: 'failed', error: fn, seconds: 0 }, at: new Date().toISOString() });
      await enqueuePromotions(store.record);
      return 'failed';
    }
    const controller = new AbortController();
    current = { trial: `${record.name}#${claim.number}`, controller, job: job.id! };
    void heartbeat().catch(() => undefined);
    if (stopping.signal.aborted) controller.abort();
    let promotions: Promise<void> = Promise.resolve();
    const { outcome, settled } = await runClaimedTrial(store, claim, holder, (task, hooks) => runTrial(fn, task, hooks), {
      signal: controller.signal,
      ...(options.dir ? { dir: path.resolve(options.dir) } : {}),
      changed: () => {
        if (store.search.pruner.config.kind === 'asha') promotions = promotions.then(() => enqueuePromotions(store.record)).catch((error: Error) => log(`${WHERE}: ${error.message}`));
      },
      lost: (error) => log(`${WHERE}: could not record the run of trial ${claim.number}: ${error.message}`),
    }).finally(() => (current = undefined));
    await promotions;
    const jobs = promotionJobs(store.record).filter((job) => !promoted.has(job.id));
    for (const job of jobs) promoted.add(job.id);
    // Stopped by this worker's own shutdown: the trial goes back to the queue.
    if (settled && outcome.kind === 'interrupted' && store.record.status === 'running') jobs.push(resumeJob(store.record, claim.number));
    await enqueue(queue, jobs);
    if (settled) log(trialLine(store.record, store.record.trials[claim.number - 1]));
    return outcome.kind;
  };

  /** The trial function of `record` (loaded once per module version), or why it cannot be loaded. */
  const trialFunction = (record: SweepRecord): TrialFunction | string => {
    // The file's hash is part of the key: an edited module (a new version of its sweep) is loaded again.
    const key = record.trial.kind === 'module' ? `${record.trial.path}#${record.trial.export}#${record.trial.digest ?? ''}` : '#';
    let fn = functions.get(key);
    if (!fn) {
      if (record.trial.kind !== 'module') return `sweep ${record.name} has no trial module to load.`;
      try {
        fn = loadTrialFunction({ path: record.trial.path, export: record.trial.export }, WHERE);
      } catch (error) {
        return `worker ${me} could not load ${record.trial.path}: ${error instanceof Error ? error.message : String(error)}`;
      }
      functions.set(key, fn);
    }
    return fn;
  };

  const worker: Worker<TrialJobData> = new BullWorker<TrialJobData>(QUEUE_NAME, process_, {
    connection: bullConnection(target),
    prefix: target.prefix,
    concurrency: 1,
    lockDuration,
    stalledInterval: Math.min(lockDuration, 30_000),
    maxStalledCount: 100,
  });
  // Lost the job's lock (another worker may take the trial over): stop training it.
  worker.on('lockRenewalFailed', (ids) => {
    if (current && ids.includes(current.job)) current.controller.abort();
  });
  worker.on('error', (error) => log(`${WHERE}: ${error.message}`));
  worker.on('failed', (job, error) => log(`${WHERE}: job ${job?.id} failed: ${error.message}`));
  log(`${WHERE} ${me} (cellfit ${cellfitVersion}) serves ${target.url}; Ctrl-C stops it (its trial stops at a checkpoint and goes back to the queue).`);

  const stop = () => {
    if (stopping.signal.aborted) return;
    stopping.abort();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  current?.controller.abort();
  await worker.close();
  clearInterval(beating);
  await client.hdel(`${target.prefix}:workers`, me).catch(() => undefined);
  await queue.close();
  client.disconnect();
  log(`${WHERE} ${me} stopped.`);
  return exitCode;
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
