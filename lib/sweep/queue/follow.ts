/**
 * The notebook's (or script's) side of a queued sweep: writes the sweep's record to Redis (or
 * updates it, for a sweep executed again), queues the jobs its trials need, then follows the record
 * live — the same table, charts and result as a local sweep — until the workers finish it. The
 * decisions are the workers' (operations on the sweep's journal in Redis, lib/sweep/queue/store.ts),
 * so the sweep goes on if this process goes away; executing the cell again, from this notebook or
 * another, follows it again.
 *
 * Interrupting the cell stops the sweep: its workers stop their trials at a checkpoint, and the next
 * execution resumes them. A local copy of the record is kept in DIR/sweeps/NAME.json for
 * `listSweeps()` and `%sweeps`.
 */
import type { Redis } from 'ioredis';
import { fail } from '../../errors';
import type { SweepView } from '../display';
import { taskFor } from '../pipeline';
import { fromPlan, prepareRecord, stopSignal, trialChecker, viewFor, type SweepPlan } from '../plan';
import { readRecord, recordFile, RecordWriter } from '../record';
import { failureError, loadSweepResult, type Sweep } from '../result';
import { isDone } from '../scheduler';
import { standingsOf } from '../standings';
import type { SweepRecord } from '../state';
import { checkRecord, chooseAmong, type SweepVersion } from '../versions';
import { enqueue, openQueue, pendingJobs, promotionJobs, SERVING_JOBS, type TrialQueue } from './jobs';
import { connectRedis, parseQueueUrl, type QueueTarget } from './redis';
import { onSweepEnd, readRecords, RedisStore } from './store';
import { liveWorkers } from './worker';

const WHERE = 'sweep()';
/**
 * How often the follower reads the record. `pollMs`: milliseconds between reads (a read with nothing
 * new is one short round trip); the sweep's end wakes the follower at once ({@link wakeOnEnd}), so
 * the poll only paces the live view and is the fallback should that message not come. Tests
 * lengthen it to show that the end needs no poll.
 */
export const followTiming = { pollMs: 50 };
/** Milliseconds a promotion may wait for a serving job before this process queues a job for it. */
const PROMOTION_WAIT_MS = 2000;
/** Milliseconds between reads of the live workers while following. */
const WORKERS_MS = 1000;
/** How long a stopping sweep waits for its workers to checkpoint their trials. */
const STOP_WAIT_MS = 60_000;
/** Milliseconds between checks for trials whose job is gone. */
const ORPHAN_CHECK_MS = 10_000;

/** The version of the sweep this execution follows: NAME, or NAME@N when its trials changed. */
async function queuedVersion(plan: SweepPlan, client: Redis, target: QueueTarget): Promise<string> {
  const versions: SweepVersion[] = [];
  for (let n = 1; ; n++) {
    const name = n === 1 ? plan.name : `${plan.name}@${n}`;
    const [read] = await readRecords(client, target.prefix, [name]);
    if (!read) break;
    versions.unshift({ name, record: read.record });
  }
  const chosen = await chooseAmong(versions, plan.name, plan.code, WHERE, (record) => checkRecord(record, trialChecker(plan, undefined), (trial) => taskFor(record, trial)), () => ({ file: target.url, release: () => undefined }), target.url);
  return chosen.name;
}

/** The sweep's store: its record created, or the existing one set to this call's options. */
async function openStore(plan: SweepPlan, client: Redis, target: QueueTarget, file: string): Promise<RedisStore> {
  for (;;) {
    const existing = await RedisStore.open(client, target.prefix, plan.name, target.url);
    if (existing) {
      // Checks the call against the record (its monitor, direction, queue) before changing it.
      prepareRecord(existing.record, plan, target.url, target.url);
      await existing.apply({ kind: 'configure', set: fromPlan(plan) });
      return existing;
    }
    const created = await RedisStore.create(client, target.prefix, prepareRecord(readLegacy(file, plan.name), plan, target.url, target.url), target.url);
    if (created) return created;
  }
}

/** Runs a queued sweep: see the module comment. */
export async function runQueued(plan: SweepPlan): Promise<Sweep> {
  const target = parseQueueUrl(plan.queue, WHERE);
  const client = await connectRedis(target, WHERE);
  let queue: TrialQueue | undefined;
  let waker: Awaited<ReturnType<typeof wakeOnEnd>> | undefined;
  const stop = stopSignal(plan.options);
  try {
    queue = await openQueue(target);
    // An edited trial starts NAME@2, as a local sweep does (lib/sweep/versions.ts).
    plan = { ...plan, name: await queuedVersion(plan, client, target) };
    const file = recordFile(plan.dir, plan.name);
    const store = await openStore(plan, client, target, file);
    // Failed trials run again; a trial whose job is gone (not waiting, active or delayed) resumes.
    await store.apply({ kind: 'reopen', again: true, live: [...(await activeJobIds(queue))] });
    await enqueue(queue, pendingJobs(store.record, store.search, servingJobs((await liveWorkers(client, target.prefix)).length)));
    const writer = new RecordWriter(file, () => store.record);
    const view = viewFor(plan.options);
    waker = await wakeOnEnd(client, target.prefix, plan.name);
    const final = await follow(store, client, target, stop.signal, view, waker.pause, () => writer.schedule(), (live, grown) => recoverOrphans(store, queue!, live, grown), (jobs) => enqueue(queue!, jobs));
    await writer.flush();
    view.end(final);
    const result = await loadSweepResult(final, file);
    const failed = final.status === 'failed' ? final.trials.find((trial) => trial.status === 'failed') : undefined;
    if (failed) throw failureError(failed, result);
    return result;
  } finally {
    stop.release();
    waker?.close();
    await queue?.close();
    client.disconnect();
  }
}

/**
 * A wait between two reads of the record that a message that sweep `name` has nothing left to do
 * ends at once ({@link onSweepEnd}); a message during a read ends the next wait (one read follows
 * however many came). `close` ends the subscription.
 */
async function wakeOnEnd(client: Redis, prefix: string, name: string): Promise<{ readonly pause: (ms: number) => Promise<void>; readonly close: () => void }> {
  let woken = false;
  let wake: (() => void) | undefined;
  const close = await onSweepEnd(client, prefix, name, () => {
    woken = true;
    wake?.();
  });
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        return resolve();
      }
      const timer = setTimeout(() => wake?.(), ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        woken = false;
        resolve();
      };
    });
  return { pause, close };
}

/** Reads the record until the sweep ends; on `stop`, asks the workers to stop and waits for them. `pause`: the wait between two reads. */
async function follow(
  store: RedisStore,
  client: Redis,
  target: QueueTarget,
  stop: AbortSignal,
  view: SweepView,
  pause: (ms: number) => Promise<void>,
  changed: () => void,
  recover: (live: number, grown: boolean) => Promise<void>,
  add: (jobs: ReturnType<typeof promotionJobs>) => Promise<void>,
): Promise<SweepRecord> {
  const seen = new Map<number, string>();
  const promotions = new Set<string>();
  /** When each promotion job was first seen waiting. */
  const waitingSince = new Map<string, number>();
  let stopping: number | undefined;
  let checked = Date.now();
  let live = 0;
  let served = SERVING_JOBS;
  let workers: Awaited<ReturnType<typeof liveWorkers>> = [];
  let workersRead = 0;
  for (;;) {
    // More workers than jobs that serve the sweep (they started after it was queued): more jobs.
    const grown = servingJobs(live) > served;
    if (Date.now() - checked > ORPHAN_CHECK_MS || grown) {
      checked = Date.now();
      served = Math.max(served, servingJobs(live));
      await recover(live, grown);
    }
    if (stop.aborted && stopping === undefined) {
      stopping = Date.now();
      await store.apply({ kind: 'stop' });
    }
    let record = await store.refresh();
    // Nobody may be left to notice the end (every job skipped): settle the status here.
    if (record.status === 'running' && isDone(record, store.search)) await store.apply({ kind: 'end' });
    // Workers that do not answer within the wait leave their trials to the next execution.
    if (stopping !== undefined && record.status === 'stopping' && Date.now() - stopping > STOP_WAIT_MS) await store.apply({ kind: 'end', force: true });
    record = store.record;
    // A promotion no job has taken for a while (a serving job takes one as soon as its worker is
    // free; its worker may have gone away): added here (ids are unique; a duplicate's claim gets nothing).
    const now = Date.now();
    const promote = promotionJobs(record).filter((job) => !promotions.has(job.id) && now - (waitingSince.get(job.id) ?? waitingSince.set(job.id, now).get(job.id)!) >= PROMOTION_WAIT_MS);
    for (const job of promote) promotions.add(job.id);
    if (record.status === 'running') await add(promote);
    changed();
    for (const trial of record.trials) {
      const previous = seen.get(trial.number);
      if (previous !== undefined && previous !== trial.status && !['running', 'pending'].includes(trial.status)) view.settled(record, trial.number);
      seen.set(trial.number, trial.status);
    }
    if (Date.now() - workersRead >= WORKERS_MS) {
      workers = await liveWorkers(client, target.prefix);
      workersRead = Date.now();
    }
    live = workers.length;
    const notes = [...record.warnings];
    if (workers.length === 0 && record.status === 'running') notes.push(`No worker serves ${target.url}: start one with npx cellfit worker --queue ${target.url}`);
    view.update(record, { workers: workers.length, ...(notes.length ? { note: notes.join(' ') } : {}) });
    if (['finished', 'interrupted', 'failed'].includes(record.status)) return record;
    await pause(followTiming.pollMs);
  }
}

/**
 * Trials marked running whose job is gone from the queue (a worker lost its job and the job was
 * finished anyway): interrupted and queued again, so that the sweep never waits on them forever.
 * `grown`: more workers are live than jobs serve the sweep: jobs are added for them.
 */
async function recoverOrphans(store: RedisStore, queue: TrialQueue, workers: number, grown: boolean): Promise<void> {
  const standings = standingsOf(store.record);
  if (store.record.status !== 'running' || standings.running.size === 0) return;
  const live = [...(await activeJobIds(queue))];
  const waiting = standings.waiting.size;
  await store.apply({ kind: 'reopen', again: false, live });
  if (grown || standingsOf(store.record).waiting.size > waiting) await enqueue(queue, pendingJobs(store.record, store.search, servingJobs(workers)));
}

/** How many jobs serve a sweep's new trials: twice the live workers, at least {@link SERVING_JOBS}. */
function servingJobs(workers: number): number {
  return Math.max(SERVING_JOBS, 2 * workers);
}

/** Ids of the jobs still in the queue (waiting, prioritised, active, delayed). */
async function activeJobIds(queue: TrialQueue): Promise<Set<string>> {
  const jobs = await queue.getJobs(['active', 'waiting', 'prioritized', 'delayed']);
  return new Set(jobs.filter((job) => job?.id).map((job) => job.id!));
}

/**
 * A local record of the same name: an old %%sweep record (its trials carry over), or the mirror of
 * this queued sweep. A local sweep of that name is not overwritten by a mirror: that is an error.
 */
function readLegacy(file: string, name: string): ReturnType<typeof readRecord> {
  let local: ReturnType<typeof readRecord>;
  try {
    local = readRecord(file, WHERE);
  } catch {
    return undefined;
  }
  if (local && !('legacy' in local) && !local.queue) fail(WHERE, `sweep ${JSON.stringify(name)} ran locally (${file}); choose another name for a queued sweep.`);
  return local && 'legacy' in local ? local : undefined;
}
