/**
 * `npx cellfit worker --queue redis://host:port`: a process that pulls trial jobs of queued sweeps
 * from BullMQ and trains them, one at a time, with the checkpoint directory on storage every worker
 * shares. Every decision (which trial a job gets, each epoch's prune/pause/continue, the settling)
 * is a Redis transaction on the sweep's record, so the sweep needs no coordinator: the notebook that
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
import { claimForJob, enginesOf, isDone, reportEpoch, running, settleTrial, type Claim, type TrialOutcome } from '../scheduler';
import { SWEEP_PROTOCOL, type SweepRecord } from '../state';
import { taskFor } from '../sweep';
import { runTrial, type TrialFunction } from '../trial';
import { cellfitVersion } from '../version';
import { bullConnection, enqueue, openQueue, promotionJobs, resumeJob, type TrialJobData } from './jobs';
import { connectRedis, parseQueueUrl, QUEUE_NAME, RedisRecords } from './redis';

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
  const records = new RedisRecords(client, target.prefix);
  const queue = await openQueue(target);
  const me = `${os.hostname()}:${process.pid}`;
  const since = new Date().toISOString();
  let current: { trial: string; controller: AbortController; job: string } | undefined;
  let exitCode = 0;
  const heartbeat = () =>
    client.hset(`${target.prefix}:workers`, me, JSON.stringify({ id: me, host: os.hostname(), pid: process.pid, cellfit: cellfitVersion, protocol: SWEEP_PROTOCOL, since, seen: Date.now(), ...(current ? { trial: current.trial } : {}) } satisfies WorkerInfo));
  await heartbeat();
  const beating = setInterval(() => void heartbeat().catch(() => undefined), 2000);
  const functions = new Map<string, TrialFunction>();
  const stopping = new AbortController();

  const { Worker: BullWorker, DelayedError } = await import('bullmq');
  const process_ = async (job: Job<TrialJobData>, token?: string): Promise<string> => {
    const data = job.data;
    if (data.protocol !== SWEEP_PROTOCOL) {
      const problem = `worker ${me} runs cellfit ${cellfitVersion} (sweep protocol ${SWEEP_PROTOCOL}), but sweep ${data.sweep} was queued by cellfit ${data.cellfit} (protocol ${data.protocol}): install cellfit ${data.cellfit} on ${os.hostname()}.`;
      log(`${WHERE}: ${problem}`);
      await records.update(data.sweep, (record) => (record && !record.warnings.includes(problem) ? { record: { ...record, warnings: [...record.warnings, problem] }, value: undefined } : { value: undefined })).catch(() => undefined);
      exitCode = 2;
      stopping.abort();
      // Back to the queue for a worker that can run it.
      await job.moveToDelayed(Date.now() + 2000, token);
      throw new DelayedError();
    }
    let previous: string | undefined;
    const claimed = await records.update(data.sweep, (record) => {
      if (!record) return { value: undefined };
      previous = data.number !== undefined ? record.trials[data.number - 1]?.worker : record.trials.find((trial) => trial.job === job.id)?.worker;
      const claim = claimForJob(record, enginesOf(record, WHERE), { id: job.id!, ...(data.number !== undefined ? { number: data.number } : {}) }, me);
      return claim ? { record, value: claim } : { value: undefined };
    });
    const claim = claimed.value;
    if (!claim || !claimed.record) return 'skipped';
    const record = options.dir ? { ...claimed.record, dir: path.resolve(options.dir) } : claimed.record;
    const trial = record.trials[claim.number - 1];
    if (claim.resume && previous && previous !== me) await takeOver(trial.run?.dir, previous, lockDuration, log);
    log(`sweep ${record.name} · trial ${claim.number} ${claim.resume ? `resumed (attempt ${claim.attempt})` : 'started'}`);
    const outcome = await runClaim(job, record, claim);
    const settled = await records.update(data.sweep, (latest) => {
      if (!latest || !ours(latest, claim.number, job.id!, me)) return { value: false };
      const engines = enginesOf(latest, WHERE);
      settleTrial(latest, engines, claim.number, outcome);
      if (outcome.kind === 'failed' && latest.stopOnFailure && latest.status === 'running') latest.status = 'stopping';
      if (latest.status === 'stopping' && running(latest).length === 0) latest.status = latest.stopOnFailure && latest.trials.some((t) => t.status === 'failed') ? 'failed' : 'interrupted';
      else if (latest.status === 'running' && isDone(latest, engines)) latest.status = 'finished';
      return { record: latest, value: true };
    });
    if (settled.record) {
      const jobs = promotionJobs(settled.record);
      // Stopped by this worker's own shutdown: the trial goes back to the queue.
      if (settled.value && outcome.kind === 'interrupted' && settled.record.status === 'running') jobs.push(resumeJob(settled.record, claim.number));
      await enqueue(queue, jobs);
      if (settled.value) log(trialLine(settled.record, settled.record.trials[claim.number - 1]));
    }
    return outcome.kind;
  };

  /** Runs the claimed trial; each epoch is a transaction on the record. */
  const runClaim = async (job: Job<TrialJobData>, record: SweepRecord, claim: Claim): Promise<TrialOutcome> => {
    const controller = new AbortController();
    current = { trial: `${record.name}#${claim.number}`, controller, job: job.id! };
    void heartbeat().catch(() => undefined);
    if (stopping.signal.aborted) controller.abort();
    try {
      // The file's hash is part of the key: an edited module (a new version of its sweep) is loaded again.
      const key = record.trial.kind === 'module' ? `${record.trial.path}#${record.trial.export}#${record.trial.digest ?? ''}` : '#';
      let fn = functions.get(key);
      if (!fn) {
        if (record.trial.kind !== 'module') return { kind: 'failed', error: `sweep ${record.name} has no trial module to load.`, seconds: 0 };
        try {
          fn = loadTrialFunction({ path: record.trial.path, export: record.trial.export }, WHERE);
        } catch (error) {
          return { kind: 'failed', error: `worker ${me} could not load ${record.trial.path}: ${error instanceof Error ? error.message : String(error)}`, seconds: 0 };
        }
        functions.set(key, fn);
      }
      return await runTrial(fn, taskFor(record, record.trials[claim.number - 1]), {
        signal: controller.signal,
        began: (run) =>
          void records
            .update(record.name, (latest) => {
              if (!latest || !ours(latest, claim.number, job.id!, me)) return { value: undefined };
              latest.trials[claim.number - 1].run = run;
              return { record: latest, value: undefined };
            })
            .catch((error: Error) => log(`${WHERE}: could not record the run of trial ${claim.number}: ${error.message}`)),
        report: async (epoch, value, monitor, epochs) => {
          const { value: decision, record: latest } = await records.update(record.name, (latest) => {
            if (!latest || !ours(latest, claim.number, job.id!, me)) return { value: 'interrupt' as const };
            return { record: latest, value: reportEpoch(latest, enginesOf(latest, WHERE), claim.number, epoch, value, epochs, monitor) };
          });
          if (latest) await enqueue(queue, promotionJobs(latest));
          return decision;
        },
      });
    } finally {
      current = undefined;
    }
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

/** True while trial `number` is held by job `job` on worker `me`: a stalled-job takeover ends that. */
function ours(record: SweepRecord, number: number, job: string, me: string): boolean {
  const trial = record.trials[number - 1];
  return trial?.status === 'running' && trial.job === job && trial.worker === me;
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
