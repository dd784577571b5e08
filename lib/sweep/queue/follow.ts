/**
 * The notebook's (or script's) side of a queued sweep: writes the sweep's record to Redis (or
 * updates it, for a sweep executed again), queues the jobs its trials need, then follows the record
 * live — the same table, charts and result as a local sweep — until the workers finish it. The
 * decisions are the workers' (in Redis transactions), so the sweep goes on if this process goes
 * away; executing the cell again, from this notebook or another, follows it again.
 *
 * Interrupting the cell stops the sweep: its workers stop their trials at a checkpoint, and the next
 * execution resumes them. A local copy of the record is kept in DIR/sweeps/NAME.json for
 * `listSweeps()` and `%sweeps`.
 */
import type { Redis } from 'ioredis';
import { fail } from '../../errors';
import { loadSweepResult, type Sweep } from '../result';
import { readRecord, recordFile, RecordWriter } from '../record';
import { enginesOf, isDone, running } from '../scheduler';
import type { SweepRecord } from '../state';
import { failureError, prepareRecord, stopSignal, taskFor, trialChecker, viewFor, type SweepPlan } from '../sweep';
import { checkRecord, chooseAmong, type SweepVersion } from '../versions';
import { enqueue, openQueue, pendingJobs, type TrialQueue } from './jobs';
import { connectRedis, parseQueueUrl, RedisRecords } from './redis';
import { liveWorkers } from './worker';

const WHERE = 'sweep()';
/** Milliseconds between reads of the record while following. */
const POLL_MS = 250;
/** How long a stopping sweep waits for its workers to checkpoint their trials. */
const STOP_WAIT_MS = 60_000;
/** Milliseconds between checks for trials whose job is gone. */
const ORPHAN_CHECK_MS = 10_000;

/** The version of the sweep this execution follows: NAME, or NAME@N when its trials changed. */
async function queuedVersion(plan: SweepPlan, records: RedisRecords, url: string): Promise<string> {
  const versions: SweepVersion[] = [];
  for (let n = 1; ; n++) {
    const name = n === 1 ? plan.name : `${plan.name}@${n}`;
    const record = await records.read(name);
    if (!record) break;
    versions.unshift({ name, record });
  }
  const chosen = await chooseAmong(versions, plan.name, plan.code, WHERE, (record) => checkRecord(record, trialChecker(plan, undefined), (trial) => taskFor(record, trial)), () => ({ file: url, release: () => undefined }), url);
  return chosen.name;
}

/** Runs a queued sweep: see the module comment. */
export async function runQueued(plan: SweepPlan): Promise<Sweep> {
  const target = parseQueueUrl(plan.queue, WHERE);
  const client = await connectRedis(target, WHERE);
  let queue: TrialQueue | undefined;
  const stop = stopSignal(plan.options);
  try {
    queue = await openQueue(target);
    const records = new RedisRecords(client, target.prefix);
    // An edited trial starts NAME@2, as a local sweep does (lib/sweep/versions.ts).
    plan = { ...plan, name: await queuedVersion(plan, records, target.url) };
    const file = recordFile(plan.dir, plan.name);
    const active = await activeJobIds(queue);
    const { record } = await records.update(plan.name, (existing) => {
      const record = prepareRecord(existing ?? readLegacy(file, plan.name), plan, target.url, target.url);
      record.status = 'running';
      for (const trial of record.trials) {
        // Failed trials run again; a trial whose job is gone (not waiting, active or delayed) resumes.
        if (trial.status === 'failed' || (trial.status === 'running' && (!trial.job || !active.has(trial.job)))) {
          trial.status = 'interrupted';
          delete trial.job;
        }
      }
      return { record, value: undefined };
    });
    const engines = enginesOf(record!, WHERE);
    await enqueue(queue, pendingJobs(record!, engines));
    const mirror = { current: record! };
    const writer = new RecordWriter(file, () => mirror.current);
    const view = viewFor(plan.options);
    const final = await follow(plan, records, client, target.prefix, target.url, stop.signal, view, (next) => {
      mirror.current = next;
      writer.schedule();
    }, () => recoverOrphans(plan.name, records, queue!));
    mirror.current = final;
    await writer.flush();
    view.end(final);
    const result = await loadSweepResult(final, file);
    const failed = final.status === 'failed' ? final.trials.find((trial) => trial.status === 'failed') : undefined;
    if (failed) throw failureError(failed, result);
    return result;
  } finally {
    stop.release();
    await queue?.close();
    client.disconnect();
  }
}

/** Reads the record until the sweep ends; on `stop`, asks the workers to stop and waits for them. */
async function follow(
  plan: SweepPlan,
  records: RedisRecords,
  client: Redis,
  prefix: string,
  url: string,
  stop: AbortSignal,
  view: ReturnType<typeof viewFor>,
  changed: (record: SweepRecord) => void,
  recover: () => Promise<void>,
): Promise<SweepRecord> {
  const seen = new Map<number, string>();
  let stopping: number | undefined;
  let checked = Date.now();
  for (;;) {
    if (Date.now() - checked > ORPHAN_CHECK_MS) {
      checked = Date.now();
      await recover();
    }
    if (stop.aborted && stopping === undefined) {
      stopping = Date.now();
      await records.update(plan.name, (record) => {
        if (!record || record.status !== 'running') return { value: undefined };
        record.status = running(record).length > 0 ? 'stopping' : 'interrupted';
        return { record, value: undefined };
      });
    }
    let record = (await records.read(plan.name))!;
    const engines = enginesOf(record, WHERE);
    // Nobody may be left to notice the end (every job skipped): settle the status here.
    if (record.status === 'running' && isDone(record, engines)) {
      record = (await records.update(plan.name, (current) => (current && current.status === 'running' && isDone(current, engines) ? { record: { ...current, status: 'finished' }, value: undefined } : { value: undefined }))).record ?? record;
    }
    if (stopping !== undefined && record.status === 'stopping' && (running(record).length === 0 || Date.now() - stopping > STOP_WAIT_MS)) {
      record = (await records.update(plan.name, (current) => (current && current.status === 'stopping' ? { record: { ...current, status: 'interrupted' }, value: undefined } : { value: undefined }))).record ?? record;
    }
    changed(record);
    for (const trial of record.trials) {
      const previous = seen.get(trial.number);
      if (previous !== undefined && previous !== trial.status && !['running', 'pending'].includes(trial.status)) view.settled(record, trial.number);
      seen.set(trial.number, trial.status);
    }
    const workers = await liveWorkers(client, prefix);
    const notes = [...record.warnings];
    if (workers.length === 0 && record.status === 'running') notes.push(`No worker serves ${url}: start one with npx cellfit worker --queue ${url}`);
    view.update(record, { workers: workers.length, ...(notes.length ? { note: notes.join(' ') } : {}) });
    if (['finished', 'interrupted', 'failed'].includes(record.status)) return record;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Trials marked running whose job is gone from the queue (a worker lost its job and the job was
 * finished anyway): interrupted and queued again, so that the sweep never waits on them forever.
 */
async function recoverOrphans(name: string, records: RedisRecords, queue: TrialQueue): Promise<void> {
  const record = await records.read(name);
  if (!record || record.status !== 'running' || !record.trials.some((trial) => trial.status === 'running')) return;
  const active = await activeJobIds(queue);
  const { record: updated } = await records.update(name, (latest) => {
    const orphans = latest?.trials.filter((trial) => trial.status === 'running' && (!trial.job || !active.has(trial.job))) ?? [];
    if (!latest || orphans.length === 0) return { value: undefined };
    for (const trial of orphans) {
      trial.status = 'interrupted';
      delete trial.job;
    }
    return { record: latest, value: undefined };
  });
  if (updated) await enqueue(queue, pendingJobs(updated, enginesOf(updated, WHERE)));
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
