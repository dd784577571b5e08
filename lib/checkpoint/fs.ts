/**
 * The file operations checkpoints need, behind one small interface so that tests can pass a fake
 * (a full disk, a read-only directory) and the writer can run in a worker thread with the real one.
 * Every write is durable: data is fsynced before the file is closed, and renames are followed by
 * an fsync of the directory, so that "renamed" means "on disk" after a power cut too.
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
    await fsp.mkdir(dir, { recursive: true });
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
  async syncDir(dir) {
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(dir, 'r');
      await handle.sync();
    } catch (error) {
      // Some file systems (and Windows) cannot fsync a directory; the rename is still atomic.
      if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    } finally {
      await handle?.close();
    }
  },
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
