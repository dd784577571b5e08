/**
 * Sweep versions, as runs have them (lib/runs.ts): a sweep executed again continues its record only
 * when its trials would train what the record says — the same trial code, and train() calls that
 * train the same model, compile settings, data and options. Otherwise the sweep says what changed and
 * starts `NAME@2` (then `NAME@3`, ...), keeping the old record and its runs, so that old trials are
 * never returned as results of new code. Going back to the code of an earlier version continues it.
 *
 * Noticing is cheap: the trial's code is compared as text (a module by its file's hash), and each
 * recorded trial is called again only up to the point where its train() calls know what they train
 * (lib/sweep/trial.ts, {@link checkTrial}) — no training, no checkpoint read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { warn } from '../errors';
import { acquireSweepLock, type SweepLock } from './lock';
import { lockFile, readRecord, recordFile } from './record';
import { describeParams } from './space';
import type { SweepRecord, TrialCode } from './state';
import type { TrialCheck, TrialTask } from './trial';

/** A sweep of the family NAME, NAME@2, ... as found on disk. */
export interface SweepVersion {
  readonly name: string;
  readonly record: ReturnType<typeof readRecord>;
}

/** The version an execution continues (or starts), held under its lock. */
export interface ChosenVersion {
  readonly name: string;
  readonly existing: ReturnType<typeof readRecord>;
  readonly lock: SweepLock;
  /** Trials whose runs were asked for more epochs than they trained: continued like runs whose `epochs` grew. */
  readonly grown: readonly number[];
}

/** How to check one recorded trial (its function called again), given its task. */
export type TrialChecker = (task: TrialTask, recorded: NonNullable<NonNullable<SweepRecord['trials'][number]['run']>['calls']>) => Promise<TrialCheck>;

/** The versions of sweep `name` in `dir`, newest (highest number) first. */
export function sweepVersions(dir: string, name: string, where: string): SweepVersion[] {
  let files: string[];
  try {
    files = fs.readdirSync(path.join(dir, 'sweeps'));
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:@(\\d+))?\\.json$`);
  return files
    .map((file) => ({ file, match: pattern.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .sort((a, b) => Number(b.match[1] ?? 1) - Number(a.match[1] ?? 1))
    .map(({ file }) => {
      const version = file.slice(0, -'.json'.length);
      return { name: version, record: readRecord(recordFile(dir, version), where) };
    });
}

/** True when a record's trial code is `code` (a module record of an earlier cellfit, without a hash, counts as the same). */
export function sameCode(recorded: TrialCode, code: TrialCode): boolean {
  if (recorded.kind !== code.kind) return false;
  if (recorded.kind === 'function' && code.kind === 'function') return recorded.source === code.source;
  if (recorded.kind === 'module' && code.kind === 'module') {
    return recorded.path === code.path && recorded.export === code.export && (recorded.digest === undefined || code.digest === undefined || recorded.digest === code.digest);
  }
  return false;
}

/** How the trial's code changed, in words: the first lines that differ. */
export function describeCodeChange(recorded: TrialCode, code: TrialCode): string {
  if (recorded.kind !== code.kind) return `the trial was a ${recorded.kind} and is now a ${code.kind}`;
  if (recorded.kind === 'module' && code.kind === 'module') {
    if (recorded.path !== code.path || recorded.export !== code.export) return `the trial module was ${recorded.path}#${recorded.export} and is now ${code.path}#${code.export}`;
    return `the trial module ${code.path} was edited`;
  }
  const before = (recorded as { source: string }).source.split('\n');
  const now = (code as { source: string }).source.split('\n');
  let start = 0;
  while (start < before.length && start < now.length && before[start] === now[start]) start++;
  let end = 0;
  while (end < before.length - start && end < now.length - start && before[before.length - 1 - end] === now[now.length - 1 - end]) end++;
  const [was, is] = excerpts(before.slice(start, before.length - end).map((line) => line.trim()).join(' '), now.slice(start, now.length - end).map((line) => line.trim()).join(' '));
  return `the trial's code changed (line ${start + 1}: ${was} → ${is})`;
}

/** The part of two texts that differs, with a little context, quoted: `"…batchSize: 64, v…"`. */
function excerpts(a: string, b: string, context = 16, longest = 60): [string, string] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const from = Math.max(0, prefix - context);
  const cut = (text: string) => {
    const to = Math.min(text.length, text.length - suffix + context);
    const middle = text.slice(from, to);
    const shown = middle.length > longest ? `${middle.slice(0, longest)}…` : middle;
    return text === '' ? '(nothing)' : JSON.stringify(`${from > 0 ? '…' : ''}${shown}${to < text.length && middle.length <= longest ? '…' : ''}`);
  };
  return [cut(a), cut(b)];
}

/**
 * Checks every trial of `record` that trained with train() (in trial order; the first difference
 * ends the check): undefined when they would train what they trained, else what changed. Also
 * returns the finished trials whose train() calls now ask for more epochs.
 */
export async function checkRecord(record: SweepRecord, check: TrialChecker, task: (trial: SweepRecord['trials'][number]) => TrialTask): Promise<{ change?: string; grown: number[] }> {
  const grown: number[] = [];
  for (const trial of record.trials) {
    const recorded = trial.run?.calls;
    if (!recorded || recorded.length === 0) continue;
    const result = await check(task(trial), recorded);
    if (!result.same) return { change: `trial ${trial.number} (${describeParams(trial.params)}) would now train something else (${result.change})`, grown };
    const last = result.calls[result.calls.length - 1];
    if (trial.status === 'finished' && trial.run?.status === 'completed' && last.epochs > recorded[recorded.length - 1].epochs) grown.push(trial.number);
  }
  return { grown };
}

/**
 * The version of sweep `name` this execution runs, locked: the newest one whose code is `code` and
 * whose trials check out, else a new one (`NAME@N`, N one more than the highest), announced with
 * what changed.
 */
export async function chooseVersion(dir: string, name: string, code: TrialCode, where: string, checkVersion: (record: SweepRecord) => Promise<{ change?: string; grown: number[] }>): Promise<ChosenVersion> {
  // The record is read again once locked: another process may have moved it on meanwhile.
  return chooseAmong(sweepVersions(dir, name, where), name, code, where, checkVersion, (version) => acquireSweepLock(lockFile(dir, version), version, where), dir, (version) => readRecord(recordFile(dir, version), where));
}

/**
 * {@link chooseVersion} over `versions` wherever they are kept (files, or Redis for a queued sweep,
 * whose workers hold no lock of this process): `lock` takes a version, `keptIn` says where.
 */
export async function chooseAmong(
  versions: readonly SweepVersion[],
  name: string,
  code: TrialCode,
  where: string,
  checkVersion: (record: SweepRecord) => Promise<{ change?: string; grown: number[] }>,
  lock: (version: string) => SweepLock,
  keptIn: string,
  reread: (version: string) => ReturnType<typeof readRecord> = (version) => versions.find((entry) => entry.name === version)?.record,
): Promise<ChosenVersion> {
  let change: string | undefined;
  for (const version of versions) {
    const { record } = version;
    if (!record || 'legacy' in record) return { name: version.name, existing: record, lock: lock(version.name), grown: [] };
    if (!sameCode(record.trial, code)) {
      change ??= `sweep ${JSON.stringify(version.name)}: ${describeCodeChange(record.trial, code)}`;
      continue;
    }
    const held = lock(version.name);
    let checked: { change?: string; grown: number[] };
    try {
      checked = await checkVersion(record);
    } catch (error) {
      held.release();
      throw error;
    }
    if (checked.change === undefined) return { name: version.name, existing: reread(version.name), lock: held, grown: checked.grown };
    held.release();
    change ??= `sweep ${JSON.stringify(version.name)}: ${checked.change}`;
  }
  if (versions.length === 0) return { name, existing: undefined, lock: lock(name), grown: [] };
  const highest = Math.max(...versions.map((version) => Number(/@(\d+)$/.exec(version.name)?.[1] ?? 1)));
  const next = `${name}@${highest + 1}`;
  const kept = versions.map((version) => JSON.stringify(version.name)).join(', ');
  warn(where, `${change}. Starting sweep ${JSON.stringify(next)}, which runs every trial anew; ${versions.length === 1 ? `the record of sweep ${kept} and its runs are` : `the records of sweeps ${kept} and their runs are`} kept in ${keptIn}.`);
  return { name: next, existing: undefined, lock: lock(next), grown: [] };
}
