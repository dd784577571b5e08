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
 * once and deleted after the commit is reported done (see emptyTrash) — or, while training goes on,
 * recycled (see {@link Recycled}).
 *
 * Recycling: deleting a checkpoint costs the file system more than writing one (each unlink frees
 * an inode and its blocks through the journal; on a busy disk, 10–20 ms per checkpoint, measured),
 * and a run that keeps 3 + 1 checkpoints retires as many as it writes. So while a run trains, the
 * writer keeps the directories it retires and the next commit writes its checkpoints into them:
 * renamed to the commit's temporary name, each file overwritten in place — or left as it is when
 * it already holds the same bytes (model.json, best.bin), whose data an earlier round 1 made
 * durable. A retired directory is reused only once its retirement rename is durable (one more
 * directory fsync, at the start of the commit that reuses it): a power loss can then never bring
 * back, under a checkpoint's name, a directory whose files were being overwritten. A stop point's
 * commit (job.recycle false) reuses nothing, so it never waits for that fsync.
 *
 * This module has no tfjs dependency: it runs in the background writer thread.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_FORMAT, FORMAT_VERSION, jsonBytes, LATEST_FILE, MANIFEST_FILE, parseJson, RUN_FILE, sha256, type Manifest, type ManifestEntry } from './format';
import type { CheckpointFs } from './fs';

/**
 * A file's content: bytes, or text written as UTF-8. JSON files travel to the writer thread as
 * text: a string is copied into the message as it is, and encoded there, off the training thread
 * (encoding it first, and moving the new buffer, cost the training thread several times more).
 */
export type FileContent = Uint8Array | string;

/** One checkpoint of a commit, as plain data (it crosses to the writer thread). */
export interface CheckpointFiles {
  readonly id: string;
  /** The files; `transfer` marks buffers the caller gives up (moved, not copied, to the writer thread). */
  readonly files: readonly { readonly name: string; readonly data: FileContent; readonly transfer?: boolean }[];
}

/** Everything needed to commit a group of checkpoints of one run, as plain data. */
export interface CommitJob {
  readonly runDir: string;
  /** The checkpoints, oldest first (distinct ids). */
  readonly checkpoints: readonly CheckpointFiles[];
  /** Content of latest.json (naming the newest of `checkpoints`). */
  readonly latest: FileContent;
  /** Content of run.json. */
  readonly run: FileContent;
  /** Checkpoint ids to delete once the commit is durable (retention). */
  readonly retire: readonly string[];
  /**
   * True while training goes on: the writer may keep the checkpoints this commit retires, for the
   * run's next commit to write into (see {@link Recycled}); false at a stop point, where they and
   * any kept before are deleted.
   */
  readonly recycle?: boolean;
}

/** The whole buffers a job's files hand over (`transfer`): what crosses to the writer thread, and comes back once written. */
export function handedOver(job: CommitJob): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { files } of job.checkpoints) {
    for (const { data, transfer } of files) if (transfer && typeof data !== 'string' && data.byteLength === data.buffer.byteLength) buffers.add(data.buffer as ArrayBuffer);
  }
  return [...buffers];
}

const encoder = new TextEncoder();

/** A file's bytes (text as UTF-8). */
function bytesOf(content: FileContent): Uint8Array {
  return typeof content === 'string' ? encoder.encode(content) : content;
}

/**
 * A retired checkpoint directory, renamed aside (durably) and kept for the run's next commit to
 * write into; `files` is what its manifest says each file holds.
 */
export interface Recycled {
  readonly dir: string;
  readonly files: ReadonlyMap<string, ManifestEntry>;
}

/** What a successful commit leaves to clean up. */
export interface CommitLeftovers {
  /** Checkpoints of the same id that this commit replaced, renamed aside: to delete. */
  readonly replaced: string[];
  /** The checkpoints retention retired, renamed aside: to delete, or to recycle. */
  readonly retired: string[];
}

/** File operations recycling needs besides {@link CheckpointFs}'s (the writer thread's file system has them). */
export interface RecyclingFs extends CheckpointFs {
  /**
   * Writes `data` over the start of an existing file (created if missing) and cuts it to
   * `data.byteLength` when it held more than that (`previousBytes`, when known): no inode or block
   * is freed and allocated again, as deleting and creating it would.
   */
  overwriteFile(file: string, data: Uint8Array, previousBytes?: number): Promise<void>;
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
 * directories, for {@link emptyTrash} (or recycling) once the caller has said the commit is done.
 * Writes into the directories of `reuse` (taken from its front) when `fs` can overwrite files.
 * On failure removes what it wrote and rethrows a {@link CommitFailure}.
 */
export async function commitCheckpoints(fs: CheckpointFs | RecyclingFs, job: CommitJob, reuse: Recycled[] = []): Promise<CommitLeftovers> {
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
      let recycled = 'overwriteFile' in fs ? reuse.shift() : undefined;
      if (recycled) recycled = await takeOver(fs, recycled, temporary);
      if (!recycled) await fs.mkdir(temporary);
      created.push(temporary);
      const entries: Record<string, ManifestEntry> = {};
      for (const { name, data: content } of files) {
        const data = bytesOf(content);
        const entry = { sha256: sha256(data), bytes: data.byteLength };
        entries[name] = entry;
        const file = path.join(temporary, name);
        if (recycled && 'overwriteFile' in fs) {
          const held = recycled.files.get(name);
          // Already these bytes, durable since the commit that wrote them: nothing to write or sync.
          if (held && held.sha256 === entry.sha256 && held.bytes === entry.bytes) continue;
          await fs.overwriteFile(file, data, held?.bytes);
        } else {
          await fs.createFile(file, data);
        }
        synced.push(file);
      }
      if (recycled && 'overwriteFile' in fs) {
        for (const name of recycled.files.keys()) if (!(name in entries)) await fs.rm(path.join(temporary, name));
        await fs.overwriteFile(path.join(temporary, MANIFEST_FILE), manifestBytes(id, entries));
      } else {
        await fs.createFile(path.join(temporary, MANIFEST_FILE), manifestBytes(id, entries));
      }
      synced.push(path.join(temporary, MANIFEST_FILE), temporary);
    }
    await fs.createFile(latestDraft, bytesOf(job.latest));
    await fs.createFile(runDraft, bytesOf(job.run));
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
  const leftovers: CommitLeftovers = { replaced: replaced.map(({ aside }) => aside), retired: [] };
  try {
    for (const old of job.retire) {
      const aside = await retire(fs, runDir, old);
      if (aside) leftovers.retired.push(aside);
    }
  } catch (error) {
    // The checkpoints are committed; only cleaning up after them failed.
    await emptyTrash(fs, [...leftovers.replaced, ...leftovers.retired]);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { landed });
  }
  return leftovers;
}

/** Renames a kept directory to `temporary`; undefined when it is gone (a new directory is then made). */
async function takeOver(fs: CheckpointFs, recycled: Recycled, temporary: string): Promise<Recycled | undefined> {
  try {
    await fs.rename(recycled.dir, temporary);
    return recycled;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** manifest.json for checkpoint `id` holding `files`. */
function manifestBytes(id: string, files: Record<string, ManifestEntry>): Uint8Array {
  const manifest: Manifest = { format: CHECKPOINT_FORMAT, version: FORMAT_VERSION, id, created: new Date().toISOString(), files };
  return jsonBytes(manifest);
}

/**
 * The writer's store of retired checkpoint directories, per run, for the run's next commits to
 * write into (see the module comment). Used by one writer at a time, between its commits.
 */
export class RecyclingBin {
  /** Per run: the directories kept, and whether their retirement renames are known to be durable. */
  private readonly bins = new Map<string, { readonly dirs: Recycled[]; readonly durable: boolean }>();

  /** How many retired directories a run keeps at most (a commit with the default retention writes at most 4; more are deleted). */
  static readonly LIMIT = 8;

  constructor(private readonly fs: RecyclingFs) {}

  /**
   * Commits `job`, writing into the run's kept directories when it may recycle; reports the commit
   * to `done`; then keeps what it retired (recycle) or deletes it and everything kept (a stop point).
   */
  async commit(job: CommitJob, done: (error?: CommitFailure) => void): Promise<void> {
    const bin = this.bins.get(job.runDir);
    this.bins.delete(job.runDir);
    let reuse: Recycled[] = [];
    let doomed: string[] = [];
    if (bin && job.recycle) {
      try {
        // Their retirement renames must be durable before this commit overwrites their files (the
        // directory fsync is made here, not after the commit that retired them, so that a stop
        // point, which does not reuse them, never waits for it).
        if (!bin.durable) await this.fs.syncAll([job.runDir]);
        reuse = bin.dirs;
      } catch {
        doomed = bin.dirs.map(({ dir }) => dir);
      }
    } else if (bin) {
      doomed = bin.dirs.map(({ dir }) => dir);
    }
    let leftovers: CommitLeftovers;
    try {
      leftovers = await commitCheckpoints(this.fs, job, reuse);
    } catch (error) {
      done(error as CommitFailure);
      await emptyTrash(this.fs, [...doomed, ...reuse.map(({ dir }) => dir)]);
      return;
    }
    done();
    // commitCheckpoints took the directories it reused from the front of `reuse`.
    const kept: Recycled[] = job.recycle ? [...reuse] : [];
    const trash = [...leftovers.replaced, ...doomed, ...(job.recycle ? [] : [...reuse.map(({ dir }) => dir), ...leftovers.retired])];
    if (job.recycle) {
      for (const dir of leftovers.retired) {
        const files = manifestEntries(dir);
        if (files) kept.push({ dir, files });
        else trash.push(dir);
      }
      trash.push(...kept.splice(RecyclingBin.LIMIT).map(({ dir }) => dir));
    }
    await emptyTrash(this.fs, trash);
    if (kept.length > 0) this.bins.set(job.runDir, { dirs: kept, durable: leftovers.retired.length === 0 });
  }

  /** Deletes the directories kept for `runDir` (the run stopped training). */
  async release(runDir: string): Promise<void> {
    const bin = this.bins.get(runDir);
    this.bins.delete(runDir);
    await emptyTrash(this.fs, (bin?.dirs ?? []).map(({ dir }) => dir));
  }
}

/** What a checkpoint directory's manifest says its files hold; undefined when it is unreadable (the directory is then deleted, not reused). */
function manifestEntries(dir: string): Map<string, ManifestEntry> | undefined {
  try {
    const manifest = parseJson(nodeFs.readFileSync(path.join(dir, MANIFEST_FILE))) as Manifest;
    const entries = new Map<string, ManifestEntry>();
    for (const [name, entry] of Object.entries(manifest.files ?? {})) {
      if (name !== MANIFEST_FILE && typeof entry?.sha256 === 'string' && typeof entry.bytes === 'number') entries.set(name, { sha256: entry.sha256, bytes: entry.bytes });
    }
    return entries;
  } catch {
    return undefined;
  }
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
  // All at once: one unlink after another waits for the journal each time (6 checkpoints took
  // 150–175 ms on a busy disk, against 5–100 ms in parallel, measured).
  await Promise.all(trash.map((dir) => fs.rm(dir).catch(() => undefined)));
}
