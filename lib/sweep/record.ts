/**
 * The sweep's record on disk: `DIR/sweeps/NAME.json`, pretty-printed JSON (made to be read), written
 * atomically (temporary file, fsync, rename — lib/checkpoint/fs.ts) and never more often than a few
 * times a second while trials report. `listSweeps()` reads them back for people and `%sweeps`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFs, writeAtomic } from '../checkpoint/fs';
import { CellfitError, warn } from '../errors';
import { isSweepLocked } from './lock';
import { bestTrial, publicStatus, type SweepRecord, type TrialRecord, type SweepStatus } from './state';
import type { Params } from './space';

/** Where sweep `name`'s record lives in `dir`. */
export function recordFile(dir: string, name: string): string {
  return path.join(dir, 'sweeps', `${name}.json`);
}

/** The lock file beside the record. */
export function lockFile(dir: string, name: string): string {
  return path.join(dir, 'sweeps', `${name}.lock`);
}

/**
 * The record in `file`: undefined when there is none, its trials when it was written by the
 * `%%sweep` of cellfit 0.1 (version 1), and an error naming the file when it cannot be read.
 */
export function readRecord(file: string, where: string): SweepRecord | { readonly legacy: TrialRecord[] } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: Partial<SweepRecord> & { trials?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CellfitError(where, `cannot read the sweep record ${file}: ${(error as Error).message}. Move it away to start the sweep over.`);
  }
  if (parsed?.format !== 'cellfit-sweep') throw new CellfitError(where, `${file} is not a cellfit sweep record. Move it away or choose another name.`);
  if (parsed.version === undefined) return { legacy: legacyTrials(parsed.trials) };
  if (parsed.version !== 2) throw new CellfitError(where, `${file} was written by another version of cellfit (record version ${parsed.version}). Use the version that wrote it, or move it away.`);
  return parsed as SweepRecord;
}

/** Trials of a version-1 record (the `%%sweep` of cellfit 0.1): finished ones keep their best value. */
function legacyTrials(trials: unknown): TrialRecord[] {
  const entries = Object.values((trials ?? {}) as Record<string, { params: Params; status: string; runs?: { id: string; status: string; epoch?: number; epochs?: number; best?: { epoch: number; monitor: string; value: number } }[] }>);
  return entries.map((entry, i) => {
    const run = entry.runs?.[entry.runs.length - 1];
    return {
      number: i + 1,
      params: entry.params,
      status: entry.status === 'finished' ? 'finished' : 'interrupted',
      values: [],
      promoted: [],
      attempts: 1,
      seconds: 0,
      ...(run?.best ? { value: run.best.value, bestEpoch: run.best.epoch } : {}),
      ...(run ? { run: { id: run.id, status: run.status, epoch: run.epoch ?? 0, epochs: run.epochs ?? 0, ...(run.best ? { best: run.best } : {}) } } : {}),
    };
  });
}

/**
 * Writes a record atomically, at most every `interval` ms while `schedule()` is called, and
 * everything pending on `flush()`.
 */
export class RecordWriter {
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private failure?: Error;

  constructor(
    readonly file: string,
    private readonly record: () => SweepRecord,
    private readonly interval = 250,
  ) {}

  /** Asks for a write soon. */
  schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, this.interval);
  }

  /** Writes now and waits for every write; throws the first failure. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.write();
    if (this.failure) throw this.failure;
  }

  private write(): Promise<void> {
    const record = this.record();
    record.updated = new Date().toISOString();
    const bytes = new TextEncoder().encode(`${JSON.stringify(record, null, 1)}\n`);
    this.writing = this.writing.then(async () => {
      try {
        await nodeFs.mkdir(path.dirname(this.file));
        await writeAtomic(nodeFs, this.file, bytes);
      } catch (error) {
        this.failure ??= new CellfitError('sweep()', `could not write the sweep record ${this.file}: ${(error as Error).message}.`);
      }
    });
    return this.writing;
  }
}

/** A sweep, as `listSweeps()` reports it. */
export interface SweepInfo {
  readonly name: string;
  readonly file: string;
  /** `crashed`: the record says running but no live process holds the sweep (it resumes when run again). */
  readonly status: SweepStatus | 'crashed';
  readonly sampler: string;
  readonly pruner: string;
  readonly monitor?: string;
  /** Trials to run in all (a stopped sweep may have proposed fewer). */
  readonly budget: number;
  /** Trials by status (finished, pruned, failed, unfinished). */
  readonly trials: { readonly total: number; readonly finished: number; readonly pruned: number; readonly failed: number; readonly unfinished: number };
  readonly best?: { readonly number: number; readonly value: number; readonly params: Params };
  readonly queue?: string;
  readonly updated: Date;
}

/**
 * The sweeps recorded in checkpoint directory `dir`, newest first.
 *
 * @example
 * listSweeps();   // [{ name: 'lr-search', status: 'finished', trials: { total: 20, finished: 7, pruned: 13, ... }, best: {...} }]
 */
export function listSweeps(dir = 'checkpoints'): SweepInfo[] {
  const folder = path.join(path.resolve(dir), 'sweeps');
  let names: string[];
  try {
    names = fs.readdirSync(folder).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  const infos: SweepInfo[] = [];
  for (const file of names) {
    let record: ReturnType<typeof readRecord>;
    try {
      record = readRecord(path.join(folder, file), 'listSweeps()');
    } catch (error) {
      warn('listSweeps()', `skipping ${path.join(folder, file)}: ${(error as Error).message}`);
      continue;
    }
    if (!record || 'legacy' in record) continue;
    infos.push(sweepInfo(record, path.join(folder, file)));
  }
  return infos.sort((a, b) => b.updated.getTime() - a.updated.getTime());
}

/** The summary of one record. */
export function sweepInfo(record: SweepRecord, file: string): SweepInfo {
  const count = (status: string) => record.trials.filter((trial) => publicStatus(trial) === status).length;
  const best = bestTrial(record);
  const lock = file.replace(/\.json$/, '.lock');
  const crashed = !record.queue && record.status === 'running' && !isSweepLocked(lock);
  return {
    name: record.name,
    file,
    status: crashed ? 'crashed' : record.status,
    sampler: record.sampler.kind,
    pruner: record.pruner.kind,
    budget: record.budget,
    ...(record.monitor ? { monitor: record.monitor } : {}),
    trials: { total: record.trials.length, finished: count('finished'), pruned: count('pruned'), failed: count('failed'), unfinished: count('unfinished') },
    ...(best ? { best: { number: best.number, value: best.value!, params: best.params } } : {}),
    ...(record.queue ? { queue: record.queue } : {}),
    updated: new Date(record.updated),
  };
}
