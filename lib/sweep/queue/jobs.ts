/**
 * The trial jobs of queued sweeps. A job names a sweep and, for resumes and promotions, a trial; a
 * "next" job serves the sweep: its worker claims trials one after another — a promoted or waiting
 * trial first, else a new proposal, made at the claim (TPE then learns from every trial finished by
 * then) — until none is left, so that a trial costs no job of its own. Job ids are deterministic, so enqueuing twice is harmless (BullMQ keeps one job
 * per id), and the scheduler's claim refuses a job whose trial is finished or held by another job —
 * no trial runs twice at once, and none is lost: a job whose worker dies is handed to another worker
 * by BullMQ's stalled-job check, and its claim gives it the same trial, resumed from its checkpoint.
 */
import type { ConnectionOptions, Queue } from 'bullmq';
import { budgetLeft, type Search } from '../scheduler';
import { standingsOf } from '../standings';
import type { SweepRecord, TrialRecord } from '../state';
import { cellfitVersion } from '../version';
import { QUEUE_NAME, redisOptions, type QueueTarget } from './redis';

/**
 * Bump when workers of another version could misread the queue's jobs or the records' journal
 * (2: the record in Redis became a snapshot and a journal of operations, lib/sweep/queue/store.ts;
 * 3: a journal entry may hold several operations, and a "next" job serves many trials;
 * 4: a serving claim of a grid or random sweep proposes as it is applied, `propose`; a report may
 * carry the pruner's decision, `decided`; 5: a TPE serving claim may carry proposals `ahead`).
 */
export const QUEUE_PROTOCOL = 5;

/** "Next" jobs queued for a sweep with new trials left when no worker is live yet (else twice the live workers). */
export const SERVING_JOBS = 8;

/** What a job carries. */
export interface TrialJobData {
  readonly protocol: number;
  readonly cellfit: string;
  readonly sweep: string;
  /** The trial to resume or promote; none for a job that serves the sweep ("next"). */
  readonly number?: number;
  readonly kind: 'next' | 'resume' | 'promote';
}

/** A job to add. */
export interface TrialJob {
  readonly id: string;
  readonly data: TrialJobData;
  /** BullMQ priority: promotions and resumes (1) before new trials (2), as ASHA's get_job. */
  readonly priority: number;
}

/** The trials queue. */
export type TrialQueue = Queue;

/** BullMQ's connection options for a target. */
export function bullConnection(target: QueueTarget): ConnectionOptions {
  return redisOptions(target) as ConnectionOptions;
}

/** Opens the trials queue. */
export async function openQueue(target: QueueTarget): Promise<TrialQueue> {
  const { Queue } = await import('bullmq');
  return new Queue(QUEUE_NAME, { connection: bullConnection(target), prefix: target.prefix, defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000 } });
}

const job = (record: SweepRecord, id: string, kind: TrialJobData['kind'], number?: number): TrialJob => ({
  id: `${record.name}.${id}`,
  data: { protocol: QUEUE_PROTOCOL, cellfit: cellfitVersion, sweep: record.name, kind, ...(number !== undefined ? { number } : {}) },
  priority: kind === 'next' ? 2 : 1,
});

/**
 * Jobs for the trials that wait for a worker: promotions, resumes, and — while the budget has new
 * trials left — up to `serving` jobs that serve the sweep (a worker runs one job at a time).
 */
export function pendingJobs(record: SweepRecord, search: Search, serving = SERVING_JOBS): TrialJob[] {
  const jobs: TrialJob[] = [];
  for (const trial of record.trials) {
    if (trial.status === 'paused' && trial.promote) jobs.push(promotionJob(record, trial));
    else if ((trial.status === 'interrupted' || trial.status === 'pending') && !trial.job) jobs.push(job(record, `t${trial.number}.r${trial.attempts}`, 'resume', trial.number));
  }
  if (budgetLeft(record, search)) {
    const left = record.budget - search.sampler.used(record);
    for (let k = 1; k <= Math.min(left, serving); k++) jobs.push(job(record, `n${record.trials.length + k}`, 'next'));
  }
  return jobs;
}

/** Promotion jobs only (what a worker adds after a report or a settle): one per trial queued for promotion, in the order of their numbers. */
export function promotionJobs(record: SweepRecord): TrialJob[] {
  return [...standingsOf(record).promoting].sort((a, b) => a.number - b.number).map((trial) => promotionJob(record, trial));
}

/** The job of a promotion: one per rung and attempt (a trial that does not resume its run may be paused at the same rung again). */
function promotionJob(record: SweepRecord, trial: TrialRecord): TrialJob {
  return job(record, `t${trial.number}.p${trial.prunedAt}.a${trial.attempts}`, 'promote', trial.number);
}

/** A job that resumes trial `number` (a worker that shuts down hands its trial back). */
export function resumeJob(record: SweepRecord, number: number): TrialJob {
  return job(record, `t${number}.r${record.trials[number - 1].attempts}`, 'resume', number);
}

/** Adds jobs (ids already present are kept as they are). */
export async function enqueue(queue: TrialQueue, jobs: readonly TrialJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await queue.addBulk(jobs.map(({ id, data, priority }) => ({ name: 'trial', data, opts: { jobId: id, priority } })));
}
