/**
 * Commits one checkpoint to disk so that a crash at any instant leaves either the previous state or
 * the new one, never a mix. The commit point is one rename: the files go into a temporary
 * directory and are renamed into place together.
 *
 * fsyncs, and why each is needed for the checkpoint to survive a power loss (a process crash needs
 * none of them — the page cache outlives the process; the rename alone is atomic):
 *   1. every file's data (checkpoint files, manifest, and the new latest.json and run.json), in
 *      parallel — one round: a rename made durable before the data it names can leave empty files;
 *   2. the temporary directory — its entries are its own data, not the parent's;
 *   3. the run directory, once, after the three renames (checkpoint, latest.json, run.json).
 * So a commit waits for three rounds of fsyncs (it waited for twelve one after another before).
 * Old checkpoints are retired after the commit is durable, never before.
 *
 * This module has no tfjs dependency: it runs in the background writer thread.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CHECKPOINT_FORMAT, FORMAT_VERSION, jsonBytes, LATEST_FILE, MANIFEST_FILE, RUN_FILE, sha256, type Manifest, type ManifestEntry } from './format';
import type { CheckpointFs } from './fs';

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

/**
 * A failed commit. `landed` is true when the checkpoint directory was renamed into place before the
 * failure: it is then the newest checkpoint on disk (a re-run resumes from it).
 */
export interface CommitFailure extends Error {
  readonly code?: string;
  readonly landed: boolean;
}

/** Writes `job` durably; on failure removes what it wrote and rethrows a {@link CommitFailure}. */
export async function commitCheckpoint(fs: CheckpointFs, job: CommitJob): Promise<void> {
  const { runDir, id } = job;
  const stamp = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = path.join(runDir, `.tmp-${id}-${stamp}`);
  const final = path.join(runDir, id);
  const latestDraft = path.join(runDir, `${LATEST_FILE}.tmp-${stamp}`);
  const runDraft = path.join(runDir, `${RUN_FILE}.tmp-${stamp}`);
  let replaced: string | undefined;
  let landed = false;
  try {
    await fs.mkdir(temporary);
    const files: Record<string, ManifestEntry> = {};
    for (const { name, data } of job.files) files[name] = { sha256: sha256(data), bytes: data.byteLength };
    const manifest: Manifest = { format: CHECKPOINT_FORMAT, version: FORMAT_VERSION, id, created: new Date().toISOString(), files };
    // All data first, fsynced in one parallel round: nothing is visible until the rename below.
    await Promise.all([
      ...job.files.map(({ name, data }) => fs.writeFile(path.join(temporary, name), data)),
      fs.writeFile(path.join(temporary, MANIFEST_FILE), jsonBytes(manifest)),
      fs.writeFile(latestDraft, job.latest),
      fs.writeFile(runDraft, job.run),
    ]);
    await fs.syncDir(temporary);
    // A checkpoint of the same position exists when a resumed run passes it again (e.g. after
    // falling back from a damaged one): move it aside first, rename() cannot replace a directory.
    if ((await fs.readdir(runDir)).includes(id)) {
      replaced = path.join(runDir, `.trash-${id}-${randomBytes(4).toString('hex')}`);
      await fs.rename(final, replaced);
    }
    await fs.rename(temporary, final);
    landed = true;
    // latest.json and run.json follow the checkpoint; a crash between these renames leaves them
    // naming the previous checkpoint, which still exists (nothing is retired before step 3).
    await fs.rename(latestDraft, path.join(runDir, LATEST_FILE));
    await fs.rename(runDraft, path.join(runDir, RUN_FILE));
    await fs.syncDir(runDir);
  } catch (error) {
    await Promise.all([fs.rm(latestDraft), fs.rm(runDraft)].map((removal) => removal.catch(() => undefined)));
    if (!landed) {
      await fs.rm(temporary).catch(() => undefined);
      if (replaced) await fs.rename(replaced, final).catch(() => undefined);
    }
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { landed });
  }
  try {
    if (replaced) await fs.rm(replaced);
    for (const old of job.retire) await retire(fs, runDir, old);
  } catch (error) {
    // The checkpoint is committed; only cleaning up after it failed.
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { landed: true });
  }
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
