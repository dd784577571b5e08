/**
 * Runs on disk: `listRuns(dir)` for the `%runs` magic and for people, and the lookups `train()`
 * uses to find the run a call continues — by identity, among the run's directory and the
 * `<base>@2`, `<base>@3`, ... siblings that fresh restarts and changed configurations create.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJson, RUN_FILE, RUN_FORMAT } from './checkpoint/format';
import { isRunLocked } from './checkpoint/lock';
import type { RunRecord, RunStatus } from './train/state';
import { warn } from './errors';

/** One run, as `listRuns()` reports it: its `run.json` with dates as Dates and the directory. */
export interface RunInfo extends Omit<RunRecord, 'format' | 'version' | 'identity' | 'looseIdentity' | 'status' | 'created' | 'updated'> {
  readonly dir: string;
  /** `crashed`: the run was training and its process is gone (resumable, like `interrupted`). */
  readonly status: RunStatus | 'crashed';
  readonly created: Date;
  readonly updated: Date;
}

/**
 * The runs in checkpoint directory `dir`, newest first.
 *
 * @example
 * listRuns();   // [{ id: 'run-3fa2c1d9b0e4', status: 'completed', epoch: 20, epochs: 20, best: {...} }]
 */
export function listRuns(dir = 'checkpoints'): RunInfo[] {
  const root = path.resolve(dir);
  const infos: RunInfo[] = [];
  for (const name of safeReaddir(root)) {
    const record = readRunRecord(path.join(root, name), 'listRuns()');
    if (!record) continue;
    const runDir = path.join(root, name);
    const status = record.status === 'running' && !isRunLocked(runDir) ? 'crashed' : record.status;
    infos.push({
      id: name,
      ...(record.name ? { name: record.name } : {}),
      dir: runDir,
      status,
      epoch: record.epoch,
      epochs: record.epochs,
      ...(record.best ? { best: record.best } : {}),
      ...(record.stop ? { stop: record.stop } : {}),
      ...(record.parent ? { parent: record.parent } : {}),
      ...(record.checkpoint ? { checkpoint: record.checkpoint } : {}),
      created: new Date(record.created),
      updated: new Date(record.updated),
    });
  }
  return infos.sort((a, b) => b.updated.getTime() - a.updated.getTime());
}

/** The run.json of `runDir`, or undefined when there is none; a damaged one is warned about. */
export function readRunRecord(runDir: string, where: string): RunRecord | undefined {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path.join(runDir, RUN_FILE));
  } catch {
    return undefined;
  }
  try {
    const record = parseJson(bytes) as RunRecord;
    if (record?.format === RUN_FORMAT && typeof record.identity === 'string') return record;
  } catch {
    // Reported below.
  }
  warn(where, `skipping ${path.join(runDir, RUN_FILE)}: it is not a readable cellfit run record.`);
  return undefined;
}

/** Directory names `base` and `base@N` in `root`, with their run records. */
export function runFamily(root: string, base: string): { readonly name: string; readonly record?: RunRecord }[] {
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(@\\d+)?$`);
  return safeReaddir(root)
    .filter((name) => pattern.test(name))
    .map((name) => {
      const record = readRunRecord(path.join(root, name), 'train()');
      return record ? { name, record } : { name };
    });
}

/** The newest run directory of the family whose identity matches. */
export function findRunDir(root: string, base: string, matches: (record: RunRecord) => boolean): string | undefined {
  const found = runFamily(root, base)
    .filter((entry) => entry.record && matches(entry.record))
    .sort((a, b) => Date.parse(b.record!.created) - Date.parse(a.record!.created));
  return found[0]?.name;
}

/** `base` if free, else the first free `base@N` (N ≥ 2). */
export function freeRunDir(root: string, base: string): string {
  const taken = new Set(safeReaddir(root));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}@${n}`)) return `${base}@${n}`;
}

/** Runs in `root` whose loose identity matches and that did not finish (interrupted or crashed). */
export function unfinishedLooseMatches(root: string, looseIdentity: string, identity: string): RunInfo[] {
  return listRuns(root).filter((info) => {
    const record = readRunRecord(info.dir, 'train()');
    return record && record.looseIdentity === looseIdentity && record.identity !== identity && (info.status === 'interrupted' || info.status === 'crashed');
  });
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
