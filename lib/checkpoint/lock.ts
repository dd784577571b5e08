/**
 * One process trains a run at a time. The lock is a file created with O_EXCL holding the owner's
 * pid, host and process start time; a second process fails fast naming the holder, and a lock left
 * by a process that has died (or whose pid now belongs to another program) is detected as stale
 * and taken over.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fail } from '../errors';
import { LOCK_FILE } from './format';

/** What a lock file records about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the lock was taken (ISO time). */
  readonly since: string;
  /** The holder's process start time from /proc (Linux), to tell a reused pid from the holder. */
  readonly started?: string;
}

/** A held lock; release it when training ends. */
export interface RunLock {
  readonly path: string;
  release(): void;
}

const held = new Map<string, RunLock>();

/**
 * Takes the lock of run directory `runDir`, or throws naming the process that holds it. `where`
 * names the caller in the error.
 */
export function acquireRunLock(runDir: string, where: string, runLabel: string): RunLock {
  const file = path.join(runDir, LOCK_FILE);
  if (held.has(file)) {
    fail(where, `run ${runLabel} is already being trained in this process (by a train() call that has not finished). Wait for it, or interrupt it first.`);
  }
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), started: processStart(process.pid) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      createLockFile(file, JSON.stringify(me));
      const lock: RunLock = {
        path: file,
        release() {
          if (!held.has(file)) return;
          held.delete(file);
          try {
            fs.unlinkSync(file);
          } catch {
            // Already gone (the directory was removed): nothing to release.
          }
        },
      };
      held.set(file, lock);
      return lock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLockHolder(file);
    if (holder && isAlive(holder, file)) {
      fail(
        where,
        `run ${runLabel} is being trained by another process: pid ${holder.pid} on ${holder.host}, since ${holder.since}. ` +
          `Wait for it to finish or stop it; if that process is gone, delete ${file}.`,
      );
    }
    // Stale: its holder died without releasing it. Remove and retry (another process may win).
    try {
      fs.unlinkSync(file);
    } catch {
      // Someone else removed it first.
    }
  }
  return fail(where, `could not take the lock ${file}: other processes keep taking it.`);
}

/**
 * Creates `file` holding `content`, failing with EEXIST when it exists. The content is written to a
 * private file first and hard-linked into place, so no reader ever sees the lock empty (and takes
 * it for a stale one); where the file system has no hard links, O_EXCL creation then a write.
 * Nothing is fsynced: a lock matters only while its holder lives, other processes read it from the
 * page cache, and after a power loss every holder is gone (a lock found then is stale by its pid).
 */
export function createLockFile(file: string, content: string): void {
  const draft = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  const write = (target: string, flags: string) => {
    const fd = fs.openSync(target, flags);
    try {
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
  };
  write(draft, 'wx');
  try {
    fs.linkSync(draft, file);
  } catch (error) {
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    write(file, 'wx');
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

/** The holder recorded in a lock file, or undefined when there is none (or it is unreadable). */
export function readLockHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    return typeof holder?.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** True while the process that wrote `holder` (into lock file `file`) is still running. */
export function isAlive(holder: LockHolder, file: string): boolean {
  if (holder.host !== os.hostname()) return true; // Cannot check another machine: assume it lives.
  if (holder.pid === process.pid) return held.has(file);
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // The pid exists; make sure it is still the same process and not a reused pid.
  const started = processStart(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

/** True when `runDir` is locked by a live process. */
export function isRunLocked(runDir: string): boolean {
  const file = path.join(runDir, LOCK_FILE);
  const holder = readLockHolder(file);
  return holder !== undefined && isAlive(holder, file);
}

/** Process start time in clock ticks since boot (field 22 of /proc/PID/stat), where available. */
function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

// Locks are files: remove ours when the process exits normally.
process.on('exit', () => {
  for (const lock of [...held.values()]) lock.release();
});
