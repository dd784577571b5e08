/**
 * One process runs a local sweep at a time: `sweeps/NAME.lock` beside the record, created with
 * O_EXCL and holding the owner's pid, host and start time — the run lock's format (and its check
 * for a holder that died, lib/checkpoint/lock.ts) — so that a second kernel on the same sweep is
 * refused with the holder named, and a lock left by a dead process is taken over.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLockFile, isAlive, readLockHolder, type LockHolder } from '../checkpoint/lock';
import { fail } from '../errors';

/** A held sweep lock. */
export interface SweepLock {
  readonly file: string;
  release(): void;
}

const held = new Set<string>();

/** Takes the lock file `file` of sweep `name`, or throws naming its holder. */
export function acquireSweepLock(file: string, name: string, where: string): SweepLock {
  if (held.has(file)) fail(where, `sweep ${JSON.stringify(name)} is already running in this process (a sweep() call that has not finished). Wait for it, or interrupt it first.`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), ...(processStart() ? { started: processStart() } : {}) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      createLockFile(file, JSON.stringify(me));
      held.add(file);
      return {
        file,
        release() {
          if (!held.delete(file)) return;
          try {
            fs.unlinkSync(file);
          } catch {
            // Already gone.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLockHolder(file);
    // Our own pid without our own lock: a leftover of this pid's previous life.
    if (holder && holder.pid !== process.pid && isAlive(holder, file)) {
      fail(where, `sweep ${JSON.stringify(name)} is being run by another process: pid ${holder.pid} on ${holder.host}, since ${holder.since}. Wait for it to finish or stop it; if that process is gone, delete ${file}.`);
    }
    try {
      fs.unlinkSync(file);
    } catch {
      // Someone else removed it first.
    }
  }
  return fail(where, `could not take the lock ${file}: other processes keep taking it.`);
}

/** True when the sweep whose lock file is `file` is running in a live process. */
export function isSweepLocked(file: string): boolean {
  if (held.has(file)) return true;
  const holder = readLockHolder(file);
  return holder !== undefined && holder.pid !== process.pid && isAlive(holder, file);
}

function processStart(): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

process.on('exit', () => {
  for (const file of held) {
    try {
      fs.unlinkSync(file);
    } catch {
      // Nothing to release.
    }
  }
});
