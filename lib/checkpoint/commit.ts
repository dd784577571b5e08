/**
 * Commits one checkpoint to disk so that a crash at any instant leaves either the previous state or
 * the new one, never a mix: files go into a temporary directory, are fsynced, the manifest (with a
 * sha256 per file) is written last, the directory is renamed into place, and only then are the
 * "latest" pointer and run.json replaced (each atomically) and old checkpoints retired.
 *
 * This module has no tfjs dependency: it runs in the background writer thread.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CHECKPOINT_FORMAT, FORMAT_VERSION, jsonBytes, LATEST_FILE, MANIFEST_FILE, RUN_FILE, sha256, type Manifest, type ManifestEntry } from './format';
import { writeAtomic, type CheckpointFs } from './fs';

/** Everything needed to write one checkpoint, as plain data (it crosses to the writer thread). */
export interface CommitJob {
  readonly runDir: string;
  readonly id: string;
  /** The files; `transfer` marks buffers the caller gives up (moved, not copied, to the writer thread). */
  readonly files: readonly { readonly name: string; readonly data: Uint8Array; readonly transfer?: boolean }[];
  /** Content of latest.json. */
  readonly latest: Uint8Array;
  /** Content of run.json. */
  readonly run: Uint8Array;
  /** Checkpoint ids to delete once this one is committed (retention). */
  readonly retire: readonly string[];
}

/** Writes `job` durably; on failure removes what it wrote and rethrows, leaving older files intact. */
export async function commitCheckpoint(fs: CheckpointFs, job: CommitJob): Promise<void> {
  const { runDir, id } = job;
  const temporary = path.join(runDir, `.tmp-${id}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const final = path.join(runDir, id);
  let replaced: string | undefined;
  try {
    await fs.mkdir(temporary);
    const files: Record<string, ManifestEntry> = {};
    for (const { name, data } of job.files) {
      await fs.writeFile(path.join(temporary, name), data);
      files[name] = { sha256: sha256(data), bytes: data.byteLength };
    }
    const manifest: Manifest = { format: CHECKPOINT_FORMAT, version: FORMAT_VERSION, id, created: new Date().toISOString(), files };
    await fs.writeFile(path.join(temporary, MANIFEST_FILE), jsonBytes(manifest));
    await fs.syncDir(temporary);
    // A checkpoint of the same position exists when a resumed run passes it again (e.g. after
    // falling back from a damaged one): move it aside first, rename() cannot replace a directory.
    if ((await fs.readdir(runDir)).includes(id)) {
      replaced = path.join(runDir, `.trash-${id}-${randomBytes(4).toString('hex')}`);
      await fs.rename(final, replaced);
    }
    await fs.rename(temporary, final);
    await fs.syncDir(runDir);
  } catch (error) {
    await fs.rm(temporary).catch(() => undefined);
    if (replaced) await fs.rename(replaced, final).catch(() => undefined);
    throw error;
  }
  if (replaced) await fs.rm(replaced);
  await writeAtomic(fs, path.join(runDir, LATEST_FILE), job.latest);
  await writeAtomic(fs, path.join(runDir, RUN_FILE), job.run);
  for (const old of job.retire) await retire(fs, runDir, old);
}

/** Deletes a checkpoint: renamed aside first, so a crash mid-delete never leaves a half checkpoint. */
export async function retire(fs: CheckpointFs, runDir: string, id: string): Promise<void> {
  const trash = path.join(runDir, `.trash-${id}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.rename(path.join(runDir, id), trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await fs.rm(trash);
}
