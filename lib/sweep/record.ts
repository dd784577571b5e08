/**
 * The sweep's record on disk: `DIR/sweeps/NAME.json`, a JSON document made to be read (the sweep's
 * fields one per line, then one line per trial), written atomically (temporary file, fsync, rename —
 * lib/checkpoint/fs.ts) when a sweep starts and ends. While trials report, what changed is appended
 * to a journal beside it, `NAME.journal` — a line per changed trial (or per change of the sweep's
 * fields), as Optuna's JournalStorage appends operations — a few times a second, so that a report
 * costs what that trial weighs, not what the whole sweep weighs. The journal is folded into the
 * document when it outgrows it, and when the sweep ends. {@link readRecord} reads the document and
 * replays its journal (one call); records written whole by earlier versions load as they are.
 * `listSweeps()` reads them back for people and `%sweeps`.
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

/** The journal beside the record (changes since the document was written). */
export function journalFile(file: string): string {
  return file.replace(/\.json$/, '') + '.journal';
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
  return replayJournal(parsed as SweepRecord, journalFile(file));
}

/** The journal's first line: the document it continues (a journal left by an older document is ignored). */
interface JournalHeader {
  readonly journal: 1;
  readonly base: string;
}

/** A journal line: sweep fields that changed, or a trial as it now is. */
type JournalEntry = { readonly set: Partial<SweepRecord> } | { readonly trial: TrialRecord };

/** `record` with the changes of its journal applied; a torn last line (a crash mid-append) is left out. */
function replayJournal(record: SweepRecord, file: string): SweepRecord {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return record;
  }
  const lines = text.split('\n');
  let header: JournalHeader | undefined;
  try {
    header = JSON.parse(lines[0]) as JournalHeader;
  } catch {
    return record;
  }
  if (header?.journal !== 1 || header.base !== record.updated) return record;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      break;
    }
    if ('set' in entry) Object.assign(record, entry.set);
    else if ('trial' in entry) record.trials[entry.trial.number - 1] = entry.trial;
  }
  return record;
}

/** The record as a document: its fields one per line, then a line per trial. */
export function formatRecord(record: SweepRecord): { text: string; trials: string[] } {
  const { trials, ...fields } = record;
  const lines = trials.map((trial) => JSON.stringify(trial));
  const head = JSON.stringify({ ...fields, trials: [] }, null, 1);
  const text = `${head.slice(0, head.lastIndexOf('[]'))}[${lines.length ? `\n${lines.join(',\n')}\n` : ''}]\n}\n`;
  return { text, trials: lines };
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
 * Keeps a record on disk: {@link RecordWriter.flush} writes the whole document (at a sweep's start
 * and end); {@link RecordWriter.schedule} appends what changed since to the journal, at most every
 * `interval` ms. Changes are found by comparing each trial with what was last written of it — a
 * pass over the trials' fields, without serialising the ones that did not change.
 */
export class RecordWriter {
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private failure?: Error;
  /** What was last written of the sweep's fields and of each trial, by number. */
  private written?: { fields: Record<string, unknown>; trials: Map<number, unknown>; base: string; documentBytes: number; journalBytes: number };

  constructor(
    readonly file: string,
    private readonly record: () => SweepRecord,
    private readonly interval = 250,
  ) {}

  /** Asks for a write soon (the journal's). */
  schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.queue(() => this.append());
    }, this.interval);
  }

  /** Writes the whole document now (folding the journal into it) and waits for every write; throws the first failure. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue(() => this.writeDocument());
    if (this.failure) throw this.failure;
  }

  private queue(write: () => Promise<void>): Promise<void> {
    this.writing = this.writing.then(async () => {
      try {
        await write();
      } catch (error) {
        this.failure ??= new CellfitError('sweep()', `could not write the sweep record ${this.file}: ${(error as Error).message}.`);
      }
    });
    return this.writing;
  }

  private async writeDocument(): Promise<void> {
    // What is written is taken now: the record may change while the file is written.
    const record = this.record();
    record.updated = new Date().toISOString();
    const { text, trials } = formatRecord(record);
    const bytes = new TextEncoder().encode(text);
    // What this document holds, taken now: the sweep goes on changing the record (new trials
    // included) while the document is written.
    const { trials: trialRecords, ...fields } = record;
    const written = {
      fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown>,
      trials: new Map(trialRecords.map((trial, i) => [trial.number, JSON.parse(trials[i])])),
      base: record.updated,
      documentBytes: bytes.length,
      journalBytes: 0,
    };
    await nodeFs.mkdir(path.dirname(this.file));
    await writeAtomic(nodeFs, this.file, bytes);
    await fs.promises.rm(journalFile(this.file), { force: true });
    this.written = written;
  }

  private async append(): Promise<void> {
    if (!this.written) return this.writeDocument();
    const record = this.record();
    record.updated = new Date().toISOString();
    const lines: string[] = [];
    const { trials, ...fields } = record;
    const set: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) if (!sameJson(value, this.written.fields[key])) set[key] = value;
    if (Object.keys(set).length > 0) {
      const line = JSON.stringify({ set });
      lines.push(line);
      Object.assign(this.written.fields, (JSON.parse(line) as { set: Record<string, unknown> }).set);
    }
    for (const trial of trials) {
      if (sameJson(trial, this.written.trials.get(trial.number))) continue;
      const line = JSON.stringify({ trial });
      lines.push(line);
      this.written.trials.set(trial.number, (JSON.parse(line) as { trial: unknown }).trial);
    }
    if (lines.length === 0) return;
    const journal = journalFile(this.file);
    const text = `${this.written.journalBytes === 0 ? `${JSON.stringify({ journal: 1, base: this.written.base } satisfies JournalHeader)}\n` : ''}${lines.join('\n')}\n`;
    // A journal as large as the document is folded into it: rewriting costs what was appended, no more.
    if (this.written.journalBytes + text.length > Math.max(this.written.documentBytes, 64 * 1024)) return this.writeDocument();
    const handle = await fs.promises.open(journal, 'a');
    try {
      await handle.write(text);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.written.journalBytes += text.length;
  }
}

/** True when `a` and `b` serialise to the same JSON (fields set to undefined count as absent). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b !== 'number') return !Number.isFinite(a) && b === null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === undefined ? b === undefined : false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], other[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let count = 0;
  for (const key in left) {
    if (left[key] === undefined) continue;
    count++;
    if (!sameJson(left[key], right[key])) return false;
  }
  for (const key in right) if (right[key] !== undefined) count--;
  return count === 0;
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
