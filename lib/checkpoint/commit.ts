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
 *      run.json) and every new temporary directory (its entries are its own data, not the run
 *      directory's; a reused one whose files are overwritten in place keeps entries made durable
 *      when it was new). A rename made durable before the data it names could leave, after a power
 *      loss, a checkpoint of empty files that retention has already replaced the good ones with;
 *   2. the run directory, once, after all the renames (the checkpoints, oldest first, then
 *      run.json): until then a power loss may forget the renames.
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
 * it already holds the same bytes (model.json, best.bin: the same content identity, see
 * ManifestEntry.content), whose data an earlier round 1 made durable. A retired directory is
 * reused only once its retirement rename is durable (one more directory fsync, made right after
 * the commit that retired it, while the writer would otherwise wait for the next one): a power
 * loss can then never bring back, under a checkpoint's name, a directory whose files were being
 * overwritten. A stop point's commit (job.recycle false) reuses them too, and what it leaves
 * becomes spares for the next runs (see {@link RecyclingBin}): creating a file costs the file
 * system far more than overwriting one (0.4 ms against 15 µs for a 53 kB file, on the reference
 * machine's /tmp).
 *
 * This module has no tfjs dependency: it runs in the background writer thread.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_FORMAT, checksum, FORMAT_VERSION, jsonBytes, MANIFEST_FILE, parseJson, RUN_FILE, type Manifest, type ManifestEntry } from './format';
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
  /**
   * The files; `transfer` marks buffers the caller gives up (moved, not copied, to the writer
   * thread); `content` is an identity of the bytes, unique to them (see ManifestEntry.content), for
   * files that recur from checkpoint to checkpoint (model.json, best.bin).
   */
  readonly files: readonly { readonly name: string; readonly data: FileContent; readonly transfer?: boolean; readonly content?: string }[];
}

/** Everything needed to commit a group of checkpoints of one run, as plain data. */
export interface CommitJob {
  readonly runDir: string;
  /** The checkpoints, oldest first (distinct ids). */
  readonly checkpoints: readonly CheckpointFiles[];
  /** Content of run.json (its `checkpoint` names the newest of `checkpoints`). */
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
  /** The size of its manifest.json (a new one of the same size, as most are, is written without a truncate). */
  readonly manifestBytes?: number;
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
   * is freed and allocated again, as deleting and creating it would. Resolves true when the file
   * was missing and created (its directory changed).
   */
  overwriteFile(file: string, data: Uint8Array, previousBytes?: number): Promise<boolean>;
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
      const from = recycled && path.dirname(recycled.dir);
      if (recycled) recycled = await takeOver(fs, recycled, temporary);
      if (!recycled) await fs.mkdir(temporary);
      // A spare of another run left that run's directory: that rename is made durable with the data.
      else if (from !== runDir && !synced.includes(from!)) synced.push(from!);
      created.push(temporary);
      // A reused directory whose files are all overwritten in place holds the same entries: they are
      // durable since the commit that created them, and only its new name (the run directory's
      // entry, round 2) needs an fsync. A new directory, or one where a file was added or removed, is
      // synced with the data.
      let entriesChanged = !recycled;
      const entries: Record<string, ManifestEntry> = {};
      for (const { name, data: text, content } of files) {
        const data = bytesOf(text);
        const file = path.join(temporary, name);
        if (recycled && 'overwriteFile' in fs) {
          const held = recycled.files.get(name);
          // Already these bytes (the same content identity: a checksum match would not prove it),
          // durable since the commit that wrote them: nothing to hash, write or sync (unless the file
          // is gone: a spare's stopped run may be cleaned up by its next train()).
          if (content !== undefined && held?.content === content && held.crc32 !== undefined && held.bytes === data.byteLength && sizeOf(file) === data.byteLength) {
            entries[name] = held;
            continue;
          }
          entries[name] = entryOf(data, content);
          if (await fs.overwriteFile(file, data, held?.bytes)) entriesChanged = true;
        } else {
          entries[name] = entryOf(data, content);
          await fs.createFile(file, data);
        }
        synced.push(file);
      }
      if (recycled && 'overwriteFile' in fs) {
        for (const name of recycled.files.keys()) {
          if (name in entries) continue;
          await fs.rm(path.join(temporary, name));
          entriesChanged = true;
        }
        if (await fs.overwriteFile(path.join(temporary, MANIFEST_FILE), manifestBytes(id, entries), recycled.manifestBytes)) entriesChanged = true;
      } else {
        await fs.createFile(path.join(temporary, MANIFEST_FILE), manifestBytes(id, entries));
      }
      synced.push(path.join(temporary, MANIFEST_FILE));
      if (entriesChanged) synced.push(temporary);
    }
    await fs.createFile(runDraft, bytesOf(job.run));
    synced.push(runDraft);
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
    // run.json follows the checkpoints; a crash between these renames leaves it naming an earlier
    // checkpoint, which still exists (nothing is retired before round 2).
    await fs.rename(runDraft, path.join(runDir, RUN_FILE));
    // Fsync round 2.
    await fs.syncAll([runDir]);
  } catch (error) {
    await fs.rm(runDraft).catch(() => undefined);
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

/** The device `dir` is on (-1 when it cannot be read: no spare is then taken for it, nor kept). */
function deviceOf(dir: string): number {
  try {
    return nodeFs.statSync(dir).dev;
  } catch {
    return -1;
  }
}

/** The size of `file`, or -1 when it is absent. */
function sizeOf(file: string): number {
  try {
    return nodeFs.statSync(file).size;
  } catch {
    return -1;
  }
}

/** Renames a kept directory to `temporary`; undefined when it is gone (a new directory is then made). */
async function takeOver(fs: CheckpointFs, recycled: Recycled, temporary: string): Promise<Recycled | undefined> {
  try {
    await fs.rename(recycled.dir, temporary);
    return recycled;
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') return undefined;
    // A spare on another mount (the same device, bound elsewhere): of no use here.
    if (code === 'EXDEV') {
      await fs.rm(recycled.dir).catch(() => undefined);
      return undefined;
    }
    throw error;
  }
}

/** A file's manifest entry: size, CRC-32 and content identity (when it has one). */
function entryOf(data: Uint8Array, content: string | undefined): ManifestEntry {
  return { crc32: checksum(data), bytes: data.byteLength, ...(content === undefined ? {} : { content }) };
}

/** manifest.json for checkpoint `id` holding `files`. */
function manifestBytes(id: string, files: Record<string, ManifestEntry>): Uint8Array {
  const manifest: Manifest = { format: CHECKPOINT_FORMAT, version: FORMAT_VERSION, id, created: new Date().toISOString(), files };
  return jsonBytes(manifest);
}

/** A retired directory of a run that stopped training, kept for the next runs. */
interface Spare extends Recycled {
  /** The device it is on: it can move only to runs on the same one (with one rename). */
  readonly device: number;
  readonly bytes: number;
}

/**
 * The writer's store of retired checkpoint directories, per run, for the run's next commits to
 * write into (see the module comment). Used by one writer at a time, between its commits.
 *
 * When a run stops training, what it would delete (its kept directories, those its stop point
 * retired) becomes spares instead, for the first commits of the next runs on the same device: a
 * notebook's cells and a sweep's trials each start a new run, whose first checkpoints would
 * otherwise be new directories of new files. PostgreSQL recycles its WAL segment files the same way.
 * Spares are few and small ({@link RecyclingBin.SPARES}, {@link RecyclingBin.SPARE_BYTES}), hidden
 * (`.trash-` directories, which no listing shows and the run's next train() removes), and deleted
 * when no run took them for {@link RecyclingBin.SPARE_MS}, or when the process exits (writer.ts).
 */
export class RecyclingBin {
  /** Per run: the directories kept, and whether their retirement renames are known to be durable. */
  private readonly bins = new Map<string, { readonly dirs: Recycled[]; readonly durable: boolean }>();
  /** Spares, newest first; their retirement renames are durable. */
  private spares: Spare[] = [];
  private spareTimer?: NodeJS.Timeout;

  /** How many retired directories a run keeps at most (a commit with the default retention writes at most 4; more are deleted). */
  static readonly LIMIT = 8;
  /** How many spares are kept at most, and how many bytes of files they may hold together. */
  static readonly SPARES = 8;
  static readonly SPARE_BYTES = 16 * 1024 * 1024;
  /** Spares no run took for this long are deleted. */
  static readonly SPARE_MS = 10_000;

  /** `spareMs`: how long spares wait for a run to take them (tests shorten it). */
  constructor(
    private readonly fs: RecyclingFs,
    private readonly spareMs = RecyclingBin.SPARE_MS,
  ) {}

  /** The spare directories now kept (to delete when the process exits). */
  get spareDirs(): string[] {
    return this.spares.map(({ dir }) => dir);
  }

  /**
   * Commits `job`, writing into the run's kept directories (or spares, for a run that has none)
   * when it may; reports the commit to `done`; then keeps what it retired for the run's next commit
   * (recycle) or, at a stop point, as spares for the next runs (what they cannot hold is deleted).
   */
  async commit(job: CommitJob, done: (error?: CommitFailure) => void): Promise<void> {
    const bin = this.bins.get(job.runDir);
    this.bins.delete(job.runDir);
    let reuse: Recycled[] = [];
    let doomed: string[] = [];
    if (bin && (bin.durable || job.recycle)) {
      try {
        // Their retirement renames must be durable before this commit overwrites their files. The
        // commit that retired them made them so in the writer's idle time (below); this fsync is
        // left only for when that failed. A stop point never waits for it: it reuses nothing then.
        if (!bin.durable) await this.fs.syncAll([job.runDir]);
        reuse = bin.dirs;
      } catch {
        doomed = bin.dirs.map(({ dir }) => dir);
      }
    } else if (bin) {
      doomed = bin.dirs.map(({ dir }) => dir);
    }
    reuse.push(...this.takeSpares(job.runDir, job.checkpoints.length - reuse.length));
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
    const kept: Recycled[] = [...reuse];
    const trash = [...leftovers.replaced, ...doomed];
    for (const dir of leftovers.retired) {
      const manifest = manifestEntries(dir);
      if (manifest) kept.push({ dir, ...manifest });
      else trash.push(dir);
    }
    if (job.recycle) trash.push(...kept.splice(RecyclingBin.LIMIT).map(({ dir }) => dir));
    await emptyTrash(this.fs, trash);
    if (kept.length === 0) return;
    // Make the retirement renames durable now, while the writer is idle until the next commit, so
    // that the next commit (a stop point included), or the next run, may write into them at once.
    let durable = leftovers.retired.length === 0;
    if (!durable) durable = await this.fs.syncAll([job.runDir]).then(() => true, () => false);
    if (job.recycle) this.bins.set(job.runDir, { dirs: kept, durable });
    else if (durable) await this.keepSpares(job.runDir, kept);
    else await emptyTrash(this.fs, kept.map(({ dir }) => dir));
  }

  /** The run stopped training: its kept directories become spares (or are deleted, when not known durable). */
  async release(runDir: string): Promise<void> {
    const bin = this.bins.get(runDir);
    this.bins.delete(runDir);
    if (bin?.durable) await this.keepSpares(runDir, bin.dirs);
    else await emptyTrash(this.fs, (bin?.dirs ?? []).map(({ dir }) => dir));
  }

  /** Keeps `dirs`, retired by the run in `runDir`, as spares, newest first, within the limits; deletes the rest. */
  private async keepSpares(runDir: string, dirs: readonly Recycled[]): Promise<void> {
    const device = deviceOf(runDir);
    if (device < 0) return emptyTrash(this.fs, dirs.map(({ dir }) => dir));
    const added: Spare[] = dirs.map((recycled) => ({ ...recycled, device, bytes: [...recycled.files.values()].reduce((sum, { bytes }) => sum + bytes, 0) }));
    const spares = [...added, ...this.spares];
    let bytes = 0;
    const within: Spare[] = [];
    for (const spare of spares) {
      if (within.length === RecyclingBin.SPARES || bytes + spare.bytes > RecyclingBin.SPARE_BYTES) continue;
      within.push(spare);
      bytes += spare.bytes;
    }
    this.spares = within;
    this.armSpareTimer();
    await emptyTrash(this.fs, spares.filter((spare) => !within.includes(spare)).map(({ dir }) => dir));
  }

  /** Takes up to `count` spares on the same device as `runDir`. */
  private takeSpares(runDir: string, count: number): Recycled[] {
    if (count <= 0 || this.spares.length === 0) return [];
    const device = deviceOf(runDir);
    const taken = this.spares.filter((spare) => spare.device === device).slice(0, count);
    if (taken.length === 0) return [];
    this.spares = this.spares.filter((spare) => !taken.includes(spare));
    this.armSpareTimer();
    return taken.map(({ dir, files, manifestBytes }) => ({ dir, files, manifestBytes }));
  }

  /** Deletes the spares when no run takes one for SPARE_MS (the timer never keeps the process alive). */
  private armSpareTimer(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    if (this.spares.length === 0) return;
    this.spareTimer = setTimeout(() => {
      const expired = this.spares;
      this.spares = [];
      void emptyTrash(this.fs, expired.map(({ dir }) => dir));
    }, this.spareMs);
    this.spareTimer.unref();
  }
}

/** What a checkpoint directory's manifest says its files hold, and its size; undefined when it is unreadable (the directory is then deleted, not reused). */
function manifestEntries(dir: string): { files: Map<string, ManifestEntry>; manifestBytes: number } | undefined {
  try {
    const bytes = nodeFs.readFileSync(path.join(dir, MANIFEST_FILE));
    const manifest = parseJson(bytes) as Manifest;
    const files = new Map<string, ManifestEntry>();
    for (const [name, entry] of Object.entries(manifest.files ?? {})) {
      if (name === MANIFEST_FILE || typeof entry?.bytes !== 'number') continue;
      // Only what a reuse compares: a version 1 entry (sha256, no content identity) is always rewritten.
      const { bytes: size, crc32, content } = entry;
      files.set(name, { bytes: size, ...(typeof crc32 === 'string' ? { crc32 } : {}), ...(typeof content === 'string' ? { content } : {}) });
    }
    return { files, manifestBytes: bytes.byteLength };
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
