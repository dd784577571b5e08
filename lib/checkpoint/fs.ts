/**
 * The file operations checkpoints need, behind one small interface so that tests can pass a fake
 * (a full disk, a read-only directory) and the writer can run in a worker thread with the real one.
 * `writeFile` is durable on its own (data fsynced before the file is closed); a checkpoint commit
 * instead creates all its files with `createFile` and makes them durable together with `syncAll`,
 * one parallel round of fsyncs for many files. Renames are followed by an fsync of the directory,
 * so that "renamed" means "on disk" after a power cut too.
 */
import { randomBytes } from 'node:crypto';
import * as syncFs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/** File operations used by checkpoint writing and reading. */
export interface CheckpointFs {
  /** Creates `dir` and its parents (no error when it exists). */
  mkdir(dir: string): Promise<void>;
  /** Writes `data` to a new file `file`, fsyncs and closes it. */
  writeFile(file: string, data: Uint8Array): Promise<void>;
  /** Writes `data` to a new file `file` and closes it, without fsync (see `syncAll`). */
  createFile(file: string, data: Uint8Array): Promise<void>;
  /**
   * Fsyncs every file and directory in `paths`, all at once: one round of waiting for the disk
   * (the file systems merge concurrent fsyncs into one journal commit). A directory that cannot
   * be fsynced (some file systems, Windows) is skipped, as in `syncDir`.
   */
  syncAll(paths: readonly string[]): Promise<void>;
  /** Fsyncs directory `dir`, making renames and creations in it durable. */
  syncDir(dir: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a directory tree; no error when it is absent. */
  rm(target: string): Promise<void>;
  readFile(file: string): Promise<Uint8Array>;
  /** Names in `dir`; an empty list when `dir` does not exist. */
  readdir(dir: string): Promise<string[]>;
}

/** The real file system. */
export const nodeFs: CheckpointFs = {
  async mkdir(dir) {
    // The parent first: a recursive mkdir reports a read-only mount as ENOENT, a plain one as EROFS.
    try {
      await fsp.mkdir(dir);
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOENT') await fsp.mkdir(dir, { recursive: true });
      else if (code !== 'EEXIST' || !(await fsp.stat(dir)).isDirectory()) throw error;
    }
  },
  async writeFile(file, data) {
    const handle = await fsp.open(file, 'wx');
    try {
      let written = 0;
      while (written < data.byteLength) {
        const { bytesWritten } = await handle.write(data, written, data.byteLength - written);
        written += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async createFile(file, data) {
    const handle = await fsp.open(file, 'wx');
    try {
      let written = 0;
      while (written < data.byteLength) {
        const { bytesWritten } = await handle.write(data, written, data.byteLength - written);
        written += bytesWritten;
      }
    } finally {
      await handle.close();
    }
  },
  async syncAll(paths) {
    await Promise.all(paths.map((target) => syncPath(target)));
  },
  // Some file systems (and Windows) cannot fsync a directory; the rename is still atomic.
  syncDir: (dir) => syncPath(dir),
  rename: (from, to) => fsp.rename(from, to),
  rm: (target) => fsp.rm(target, { recursive: true, force: true }),
  async readFile(file) {
    return fsp.readFile(file);
  },
  async readdir(dir) {
    try {
      return await fsp.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  },
};

/** Errors of fsync on a directory that a file system does not support; the rename is still atomic. */
const UNSYNCABLE_DIR = ['EISDIR', 'EINVAL', 'EPERM', 'EBADF'];

/** Fsyncs a file or a directory through a new descriptor (fsync applies to the file, whichever descriptor). */
async function syncPath(target: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(target, 'r');
    await handle.sync();
  } catch (error) {
    if (!UNSYNCABLE_DIR.includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * The real file system for the writer thread, where blocking calls block nothing else: files are
 * created, written and renamed with synchronous calls (no round trip through libuv's thread pool
 * per call, which cost more CPU than the writes of a small checkpoint), and only the fsyncs, the
 * waits for the disk, go to the pool, all at once.
 */
export const writerFs: CheckpointFs & { overwriteFile(file: string, data: Uint8Array, previousBytes?: number): Promise<boolean> } = {
  ...nodeFs,
  async overwriteFile(file, data, previousBytes) {
    // No O_TRUNC: the file keeps its blocks, and only a longer old content is cut.
    let created = false;
    let fd: number;
    try {
      fd = syncFs.openSync(file, syncFs.constants.O_WRONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      fd = syncFs.openSync(file, syncFs.constants.O_WRONLY | syncFs.constants.O_CREAT);
      created = true;
    }
    try {
      let written = 0;
      while (written < data.byteLength) written += syncFs.writeSync(fd, data, written, data.byteLength - written, written);
      if (previousBytes === undefined || previousBytes > data.byteLength) syncFs.ftruncateSync(fd, data.byteLength);
    } finally {
      syncFs.closeSync(fd);
    }
    return created;
  },
  async mkdir(dir) {
    // As nodeFs.mkdir: a checkpoint's temporary directory's parent (the run directory) exists.
    try {
      syncFs.mkdirSync(dir);
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOENT') syncFs.mkdirSync(dir, { recursive: true });
      else if (code !== 'EEXIST' || !syncFs.statSync(dir).isDirectory()) throw error;
    }
  },
  async createFile(file, data) {
    const fd = syncFs.openSync(file, 'wx');
    try {
      let written = 0;
      while (written < data.byteLength) written += syncFs.writeSync(fd, data, written, data.byteLength - written);
    } finally {
      syncFs.closeSync(fd);
    }
  },
  async syncAll(paths) {
    const descriptors: number[] = [];
    try {
      for (const target of paths) {
        try {
          descriptors.push(syncFs.openSync(target, 'r'));
        } catch (error) {
          if (!UNSYNCABLE_DIR.includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
        }
      }
      await Promise.all(
        descriptors.map(
          (fd) =>
            new Promise<void>((resolve, reject) =>
              syncFs.fsync(fd, (error) => (error && !UNSYNCABLE_DIR.includes(error.code ?? '') ? reject(error) : resolve())),
            ),
        ),
      );
    } finally {
      for (const fd of descriptors) syncFs.closeSync(fd);
    }
  },
  async syncDir(dir) {
    await writerFs.syncAll([dir]);
  },
  async rename(from, to) {
    syncFs.renameSync(from, to);
  },
  // rm stays asynchronous (nodeFs's): deleting retired checkpoints goes faster in parallel (see emptyTrash).
  async readdir(dir) {
    try {
      return syncFs.readdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  },
};

/**
 * Replaces `file` atomically: writes a temporary sibling, fsyncs it, renames it over `file` and
 * fsyncs the directory. Readers see the old content or the new, never a mix.
 */
export async function writeAtomic(fs: CheckpointFs, file: string, data: Uint8Array): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary).catch(() => undefined);
    throw error;
  }
  await fs.syncDir(path.dirname(file));
}

/**
 * Plain-language reason for a file-system error code, for error messages. With `dir` (the directory
 * being created or written), an ENOENT from creating it is explained by its nearest existing
 * ancestor: Node reports a directory that cannot be created on a read-only mount as ENOENT.
 */
export function describeFsError(error: unknown, dir?: string): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ENOENT' && dir !== undefined) {
    const ancestor = nearestExisting(dir);
    if (ancestor !== undefined && ancestor !== path.resolve(dir)) {
      try {
        syncFs.accessSync(ancestor, syncFs.constants.W_OK);
      } catch (refusal) {
        return `${ancestor}, where it would be created, is not writable: ${describeFsError(refusal)}`;
      }
    }
  }
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'EDQUOT':
      return 'the disk quota is exceeded (EDQUOT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory (ENOTDIR)';
    default:
      return code ? `${String(message).replace(/^[A-Z]+: /, '')}` : String(message ?? error);
  }
}

/** The nearest of `dir` and its ancestors that exists. */
function nearestExisting(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    if (syncFs.existsSync(current)) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
