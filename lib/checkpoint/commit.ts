/**
 * Commits checkpoints to disk so that a crash at any instant leaves either the previous state or
 * the new one, never a mix. The commit point of each checkpoint is one rename: its files go into a
 * temporary directory that is renamed into place.
 *
 * A commit takes a group of checkpoints (the snapshots that waited while the previous commit was
 * on disk, oldest first) and makes them durable together, so that short epochs can outrun the disk
 * without dropping any checkpoint. The fsyncs, and why each is needed for a checkpoint to survive a
 * power loss (a process crash needs none of them — the page cache outlives the process; the rename
 * alone is atomic):
 *   1. one parallel round: every file's data (each checkpoint's files and manifest, and the new
 *      latest.json and run.json) and every temporary directory (its entries are its own data, not
 *      the run directory's). A rename made durable before the data it names could leave, after a
 *      power loss, a checkpoint of empty files that retention has already replaced the good ones with;
 *   2. the run directory, once, after all the renames (the checkpoints, oldest first, then
 *      latest.json and run.json): until then a power loss may forget the renames.
 * So a commit waits for two rounds of fsyncs, however many checkpoints it holds (a commit waited for
 * three rounds per checkpoint before, and twelve fsyncs one after another before that). Old
 * checkpoints are retired after the commit is durable, never before, and without an fsync: after a
 * power loss a retired checkpoint may come back, never a damaged one. They are renamed aside at
 * once and deleted after the commit is reported done (see emptyTrash).
 *
 * This module has no tfjs dependency: it runs in the background writer thread.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CHECKPOINT_FORMAT, FORMAT_VERSION, jsonBytes, LATEST_FILE, MANIFEST_FILE, RUN_FILE, sha256, type Manifest, type ManifestEntry } from './format';
import type { CheckpointFs } from './fs';

/** One checkpoint of a commit, as plain data (it crosses to the writer thread). */
export interface CheckpointFiles {
  readonly id: string;
  /** The files; `transfer` marks buffers the caller gives up (moved, not copied, to the writer thread). */
  readonly files: readonly { readonly name: string; readonly data: Uint8Array; readonly transfer?: boolean }[];
}

/** Everything needed to commit a group of checkpoints of one run, as plain data. */
export interface CommitJob {
  readonly runDir: string;
  /** The checkpoints, oldest first (distinct ids). */
  readonly checkpoints: readonly CheckpointFiles[];
  /** Content of latest.json (naming the newest of `checkpoints`). */
  readonly latest: Uint8Array;
  /** Content of run.json. */
  readonly run: Uint8Array;
  /** Checkpoint ids to delete once the commit is durable (retention). */
  readonly retire: readonly string[];
}

/**
 * A failed commit. `landed` lists the checkpoints of the job (oldest first) that were renamed into
 * place before the failure: the newest of them is the newest checkpoint on disk (a re-run resumes
 * from it). When it lists them all, only what came after them failed.
 */
export interface CommitFailure extends Error {
  readonly code?: string;
  readonly landed: readonly string[];
}

/**
 * Writes `job` durably and retires old checkpoints by renaming them aside; returns those renamed
 * directories, for {@link emptyTrash} once the caller has said the commit is done. On failure
 * removes what it wrote and rethrows a {@link CommitFailure}.
 */
export async function commitCheckpoints(fs: CheckpointFs, job: CommitJob): Promise<string[]> {
  const { runDir } = job;
  const stamp = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const latestDraft = path.join(runDir, `${LATEST_FILE}.tmp-${stamp}`);
  const runDraft = path.join(runDir, `${RUN_FILE}.tmp-${stamp}`);
  const pending = job.checkpoints.map(({ id }) => ({ id, temporary: path.join(runDir, `.tmp-${id}-${stamp}`), final: path.join(runDir, id) }));
  const created: string[] = [];
  const replaced: { final: string; aside: string }[] = [];
  const landed: string[] = [];
  try {
    // All data first: nothing is visible until the renames below.
    const synced: string[] = [];
    for (const [i, { id, files }] of job.checkpoints.entries()) {
      const { temporary } = pending[i];
      await fs.mkdir(temporary);
      created.push(temporary);
      const entries: Record<string, ManifestEntry> = {};
      for (const { name, data } of files) {
        entries[name] = { sha256: sha256(data), bytes: data.byteLength };
        await fs.createFile(path.join(temporary, name), data);
        synced.push(path.join(temporary, name));
      }
      const manifest: Manifest = { format: CHECKPOINT_FORMAT, version: FORMAT_VERSION, id, created: new Date().toISOString(), files: entries };
      await fs.createFile(path.join(temporary, MANIFEST_FILE), jsonBytes(manifest));
      synced.push(path.join(temporary, MANIFEST_FILE), temporary);
    }
    await fs.createFile(latestDraft, job.latest);
    await fs.createFile(runDraft, job.run);
    synced.push(latestDraft, runDraft);
    // Fsync round 1 (see the module comment).
    await fs.syncAll(synced);
    // A checkpoint of the same position exists when a resumed run passes it again (e.g. after
    // falling back from a damaged one): move it aside first, rename() cannot replace a directory.
    const existing = new Set(await fs.readdir(runDir));
    for (const { id, temporary, final } of pending) {
      if (existing.has(id)) {
        const aside = path.join(runDir, `.trash-${id}-${randomBytes(4).toString('hex')}`);
        await fs.rename(final, aside);
        replaced.push({ final, aside });
      }
      await fs.rename(temporary, final);
      landed.push(id);
    }
    // latest.json and run.json follow the checkpoints; a crash between these renames leaves them
    // naming an earlier checkpoint, which still exists (nothing is retired before round 2).
    await fs.rename(latestDraft, path.join(runDir, LATEST_FILE));
    await fs.rename(runDraft, path.join(runDir, RUN_FILE));
    // Fsync round 2.
    await fs.syncAll([runDir]);
  } catch (error) {
    await Promise.all([fs.rm(latestDraft), fs.rm(runDraft)].map((removal) => removal.catch(() => undefined)));
    for (const [i, temporary] of created.entries()) if (i >= landed.length) await fs.rm(temporary).catch(() => undefined);
    for (const { final, aside } of replaced) if (!landed.includes(path.basename(final))) await fs.rename(aside, final).catch(() => undefined);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { landed });
  }
  const trash = replaced.map(({ aside }) => aside);
  try {
    for (const old of job.retire) {
      const aside = await retire(fs, runDir, old);
      if (aside) trash.push(aside);
    }
  } catch (error) {
    // The checkpoints are committed; only cleaning up after them failed.
    await emptyTrash(fs, trash);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { landed });
  }
  return trash;
}

/**
 * Retires a checkpoint: renames it aside into a `.trash-` directory, which no listing shows (so a
 * crash mid-delete never leaves a half checkpoint). Returns that directory, or undefined when the
 * checkpoint was not there.
 */
async function retire(fs: CheckpointFs, runDir: string, id: string): Promise<string | undefined> {
  const trash = path.join(runDir, `.trash-${id}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.rename(path.join(runDir, id), trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return trash;
}

/**
 * Deletes retired checkpoints renamed aside. The writer does it after it has reported the commit
 * done (deleting waits on the file system's journal, milliseconds on a busy disk). A failure is
 * harmless and left for later: a `.trash-` directory is invisible to every listing, and the next
 * train() of the run removes it.
 */
export async function emptyTrash(fs: CheckpointFs, trash: readonly string[]): Promise<void> {
  for (const dir of trash) await fs.rm(dir).catch(() => undefined);
}
