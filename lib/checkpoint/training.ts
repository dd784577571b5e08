/**
 * The write side of a run's checkpoints while it trains: holds the run's lock, hands snapshots to
 * the writer, applies retention (`keep` newest + `keepBest` best), and turns file-system failures
 * into one clear error.
 *
 * Back-pressure and group commit: every snapshot handed to save() that retention keeps is written,
 * in order (older state is never written after newer). While one commit is on disk, and for at most
 * {@link COMMIT_INTERVAL_MS} after the previous one started (or the run did), the snapshots taken
 * meanwhile wait in memory; then they are committed together, in one round of fsyncs (see
 * commit.ts), so short epochs can outrun the disk and share the CPU cost of a commit. A waiting
 * snapshot that retention drops (a newer one took its place among the `keep` newest) is let go at
 * once: it would never be written, so memory holds at most `keep + keepBest` waiting ones, and a
 * commit writes only those. Training waits only when {@link MAX_UNWRITTEN} snapshots were taken and
 * not committed (or {@link MAX_UNWRITTEN_BYTES} of them are held), i.e. when the disk is truly
 * behind. So which checkpoints exist, and which retention keeps, depends only on the run, never on
 * the disk's speed; and a crash loses at most the snapshots not committed besides the training
 * since the newest.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { CellfitError } from '../errors';
import type { Monitor } from '../monitor';
import { describeFsError, writeAtomic } from './fs';
import { BEST_FILE, contentId, jsonBytes, jsonText, LATEST_FILE, MODEL_FILE, OPTIMIZER_FILE, RUN_FILE, sha256, STATE_FILE, StateJson, WEIGHTS_FILE, type StateHeader } from './format';
import { acquireRunLock, type RunLock } from './lock';
import { holdSharedBuffers, releaseSharedBuffers, SnapshotBuffers, type OptimizerSnapshot, type WeightsSnapshot } from './snapshot';
import { writeFailure, type CheckpointStore } from './store';
import type { CommitJob } from './commit';
import { createWriter, WorkerWriter, type CheckpointWriter, type CommitFailure } from './writer';

/** A checkpoint ready to be written: everything copied off the device. */
export interface CheckpointPayload {
  readonly id: string;
  readonly modelJson: Record<string, unknown>;
  readonly weights: WeightsSnapshot;
  readonly optimizer: OptimizerSnapshot;
  readonly best?: WeightsSnapshot;
  /** state.json (the training loop's state). */
  readonly state: StateHeader;
  /** run.json (the run's summary). */
  readonly run: object;
  /**
   * state.json's position and metrics, when `state` (and `run`) are built only as the checkpoint
   * is written, as the training loop's are: save() reads these instead, and so builds neither.
   */
  readonly point?: Pick<StateHeader, 'position' | 'metrics'>;
  /** False when the weight and optimizer buffers are still used elsewhere (they are then copied). Defaults to true. */
  readonly fresh?: boolean;
}

/**
 * How many snapshots may be taken and not yet committed (being committed or waiting, including
 * those that retention replaced before they were written) before save() waits: the most
 * checkpoints a crash can lose. Commits are spaced by time ({@link COMMIT_INTERVAL_MS}), so this
 * bound only matters when the disk falls behind or epochs are shorter than a millisecond: a crash
 * loses the training of the last second and of the commit on disk, and never more than this many
 * checkpoints. A count of 64 made short epochs commit several times a second (every 62 epochs),
 * each commit writing the keep + keepBest checkpoints of its group on the cores training uses:
 * at 5.6 ms epochs, 6 commits a second against 1.
 */
export const MAX_UNWRITTEN = 1024;

/**
 * How many bytes of weights and optimizer state the unwritten snapshots may hold before save()
 * waits; two snapshots (one being committed, one waiting) are always allowed, whatever their size.
 */
export const MAX_UNWRITTEN_BYTES = 64 * 1024 * 1024;

/**
 * The shortest time between the starts of two commits while training runs: snapshots taken sooner
 * wait (at most {@link GROUP_AT_ONCE} of them) and go to the disk together. Each commit costs CPU
 * time that training shares (hashing and writing every file, file creations and fsyncs, mostly in
 * the kernel: ~1 ms of CPU per 0.8 MB checkpoint, measured); grouping the checkpoints of epochs
 * shorter than this divides it, since a group writes only the checkpoints its newest one's
 * retention keeps (with the default keep 3 + best 1, at most 4 a second instead of every epoch's:
 * at 100 ms, a run of 50 ms epochs of a 67k-parameter model wrote nearly all of them). Epochs
 * longer than this are committed one by one, as they come. A run's first commit comes this long
 * after it starts. A stop point (flush, the end of train()) commits at once. A crash loses at most
 * {@link MAX_UNWRITTEN} snapshots whatever it is.
 */
export const COMMIT_INTERVAL_MS = 1000;

/** The interval between commits of the runs that start from now on (see setCommitInterval). */
let commitIntervalMs = COMMIT_INTERVAL_MS;

/**
 * How long the latest commit of any run in this process took (ms): a run's estimate until its own
 * first commit ends (see commitBeforeStop). A short run, such as a sweep's trial, commits first at
 * its stop point; without an estimate, all its checkpoints would wait for that commit, which the
 * run's end waits for (in one of two runs of the sweep bench, two workers then reached only 1.49×
 * one worker, against 1.88–1.91× in three runs with it).
 */
let latestCommitMs = Infinity;

/**
 * Sets the interval between commits (ms, default {@link COMMIT_INTERVAL_MS}) of the runs this
 * process starts training from now on; returns the previous one. Not part of the public API: the
 * crash tests' training processes live a fraction of a second, and shorten it so that their kills
 * land before, between and inside commits, as they would in a long run.
 */
export function setCommitInterval(ms: number): number {
  if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`setCommitInterval(): ms must be a number of milliseconds, 0 or more. Received: ${ms}.`);
  const previous = commitIntervalMs;
  commitIntervalMs = ms;
  return previous;
}

/** Waiting snapshots that start a commit at once, before {@link COMMIT_INTERVAL_MS} has passed. */
export const GROUP_AT_ONCE = MAX_UNWRITTEN - 2;

interface Committed {
  readonly id: string;
  readonly epoch: number;
  readonly batch: number;
  readonly value?: number;
}

/**
 * A snapshot handed to save(), with the retention decided when it was saved. Its state and run
 * record are serialised only if it is written: most snapshots of short epochs never are (the
 * group's newest ones replace them). They may wait unserialised because they do not change: the
 * loop captures its progress as it stands for each checkpoint, building state.json and run.json
 * from it only if they are read — see TakenCheckpoint in lib/train/loop.ts.
 */
interface Snapshot {
  readonly payload: CheckpointPayload;
  readonly entry: Committed;
  /** The checkpoints retention keeps once this one is committed. */
  readonly kept: readonly Committed[];
  /** Bytes it holds in memory until written (weights, optimizer, best). */
  readonly bytes: number;
}

/** Writes one run's checkpoints during training; see the module comment. */
export class TrainingCheckpoints {
  readonly runDir: string;
  /** Set when a write failed; the loop stops at the next batch and throws it. */
  failure?: CellfitError;
  /**
   * Buffers for the weight and optimizer snapshots of this run's checkpoints: those of snapshots
   * written (the writer hands them back) or let go come back here.
   */
  readonly buffers: SnapshotBuffers;
  /** Whether `buffers` are the process's, shared with the runs before and after this one (see holdSharedBuffers), until close(). */
  private holdsSharedBuffers: boolean;
  /** Serialises state.json, each history entry once. */
  private readonly stateJson = new StateJson();
  private readonly writer: CheckpointWriter;
  /** The checkpoints on disk, oldest first. */
  private committed: Committed[];
  /** What the disk will hold once every snapshot handed to save() is committed. */
  private planned: readonly Committed[];
  /**
   * The snapshots being committed (those of one group that retention keeps), and those waiting for
   * that commit to end — only those that retention still keeps: a waiting snapshot that a newer one
   * pushed out of retention would never be written, so it is let go at once.
   */
  private writing: Snapshot[] = [];
  private waiting: Snapshot[] = [];
  /** How many snapshots were taken for the group being committed, and since (let go ones included). */
  private writingTaken = 0;
  private waitingTaken = 0;
  private newest?: string;
  /** Woken whenever a commit ends (the waiting snapshots then move on, or the writer is idle). */
  private wakers: (() => void)[] = [];
  /**
   * When the latest commit started (performance.now()), and the timer that starts the next one. A
   * run starts as if it had just committed (see {@link TrainingCheckpoints.open}).
   */
  private lastDispatch: number;
  private timer?: NodeJS.Timeout;
  /** The shortest time between the starts of two commits (ms): see COMMIT_INTERVAL_MS, setCommitInterval. */
  private readonly intervalMs = commitIntervalMs;
  /** How long the latest commit took, from its start to its durable end (ms); until the run's first ends, the process's latest. */
  private lastCommitMs = latestCommitMs;
  /** Callers waiting for everything to be on disk: while there are any, commits start at once. */
  private urgent = 0;
  /** run.json as the newest committed checkpoint wrote it (serialised to compare only by writeRun(), once a call). */
  private committedRun?: object;
  /** Resolves once the checkpoints retired by the latest commit are deleted. */
  private cleaned: Promise<void> = Promise.resolve();
  /** Whether the writer may hold retired directories of this run for reuse (the latest commit let it). */
  private recycling = false;

  private constructor(
    readonly store: CheckpointStore,
    private readonly lock: RunLock,
    private readonly monitor: Monitor,
    private readonly where: string,
    firstCommitAfterMs: number,
  ) {
    this.lastDispatch = performance.now() + firstCommitAfterMs - this.intervalMs;
    this.runDir = store.dir;
    this.writer = createWriter(store.fs, store.background);
    this.committed = store.validInfos(where, false).map((info) => ({ id: info.id, epoch: info.epoch, batch: info.batch, value: info.metrics[monitor.metric] }));
    this.planned = this.committed;
    // The process's writer thread hands buffers back to the process's pool; a writer of its own
    // (inline, a test's file system) keeps its own. Held last: nothing after it can throw before
    // close() releases it.
    this.holdsSharedBuffers = this.writer instanceof WorkerWriter;
    this.buffers = this.holdsSharedBuffers ? holdSharedBuffers(MAX_UNWRITTEN_BYTES) : new SnapshotBuffers(MAX_UNWRITTEN_BYTES);
  }

  /**
   * Takes the run's lock (failing fast when another process trains it), creates its directory and
   * clears leftovers of interrupted writes.
   *
   * The run's first commit starts `firstCommitAfterMs` after this (unless a stop point comes first),
   * as if one had just started: a new run's first snapshot, of its initial weights, is taken at once,
   * and a commit of it alone cost every call a commit (a third of a short sweep trial's). A crash
   * meanwhile loses no more than the bound any interval of training has (see COMMIT_INTERVAL_MS).
   * Tests of the grouping pass 0.
   */
  static async open(store: CheckpointStore, monitor: Monitor, where: string, runLabel: string, firstCommitAfterMs = commitIntervalMs): Promise<TrainingCheckpoints> {
    const fs = store.writeFs;
    try {
      await fs.mkdir(store.dir);
    } catch (error) {
      throw new CellfitError(where, `cannot create the checkpoint directory ${store.dir}: ${describeFsError(error, store.dir)}. Choose a writable \`dir\`, or train with checkpoint: false.`);
    }
    let lock: RunLock;
    try {
      lock = acquireRunLock(store.dir, where, runLabel);
    } catch (error) {
      if (error instanceof CellfitError) throw error;
      throw unwritable(where, store.dir, error);
    }
    try {
      for (const name of await fs.readdir(store.dir)) {
        // latest.json: see LATEST_FILE.
        if (name.startsWith('.tmp-') || name.startsWith('.trash-') || /\.json\.tmp-/.test(name) || name === LATEST_FILE) await fs.rm(path.join(store.dir, name));
      }
      return new TrainingCheckpoints(store, lock, monitor, where, firstCommitAfterMs);
    } catch (error) {
      lock.release();
      if (error instanceof CellfitError) throw error;
      throw unwritable(where, store.dir, error);
    }
  }

  /** The newest committed checkpoint. */
  get latestId(): string | undefined {
    return this.committed[this.committed.length - 1]?.id;
  }

  /** The checkpoint most recently handed to save() (committed, being written or waiting). */
  get queuedId(): string | undefined {
    return this.newest ?? this.latestId;
  }

  /** Ids of the committed checkpoints, oldest first. */
  get ids(): string[] {
    return this.committed.map((entry) => entry.id);
  }

  /**
   * Ids of the checkpoints the disk holds once the writes handed to save() are committed, oldest
   * first: what the run keeps, known as soon as training decides it (the same on any disk).
   */
  get plannedIds(): string[] {
    return this.planned.map((entry) => entry.id);
  }

  /**
   * Hands `payload` to the writer. Resolves at once unless {@link MAX_UNWRITTEN} snapshots were
   * taken and not committed (or {@link MAX_UNWRITTEN_BYTES} would be held); then once a commit has
   * made room (back-pressure). Throws if a write failed.
   */
  async save(payload: CheckpointPayload): Promise<void> {
    const bytes = payload.weights.data.byteLength + payload.optimizer.data.byteLength + (payload.best?.data.byteLength ?? 0);
    const { position, metrics } = payload.point ?? payload.state;
    const value = metrics[this.monitor.metric];
    const entry: Committed = { id: payload.id, epoch: position.epoch, batch: position.batch, ...(Number.isFinite(value) ? { value } : {}) };
    for (;;) {
      if (this.failure) throw this.failure;
      // Plain loops over these few entries: save() runs at every checkpoint, on the training thread.
      const next: Committed[] = [];
      for (const old of this.planned) if (old.id !== payload.id) next.push(old);
      next.push(entry);
      const retained = this.retained(next);
      const kept: Committed[] = [];
      for (const old of next) if (retained.has(old.id)) kept.push(old);
      // The waiting snapshots that this one pushes out of retention (or re-saves) would never be written.
      const waiting: Snapshot[] = [];
      for (const snapshot of this.waiting) if (snapshot.entry.id !== payload.id && retained.has(snapshot.entry.id)) waiting.push(snapshot);
      if (!this.mustWait(waiting, bytes)) {
        for (const snapshot of this.waiting) if (!waiting.includes(snapshot)) this.reuse(snapshot.payload);
        this.planned = kept;
        this.newest = payload.id;
        waiting.push({ payload, entry, kept, bytes });
        this.waiting = waiting;
        this.waitingTaken++;
        this.schedule();
        return;
      }
      this.schedule(true);
      await this.writeEnded();
    }
  }

  /**
   * Starts a commit of the waiting snapshots when the writer is idle and it is time: at once when
   * `now`, when a caller waits for the disk, when {@link GROUP_AT_ONCE} snapshots wait or when
   * {@link COMMIT_INTERVAL_MS} has passed since the previous commit started; otherwise when it has.
   */
  private schedule(now = false): void {
    if (this.writing.length > 0 || this.waiting.length === 0) return;
    const wait = this.lastDispatch + this.intervalMs - performance.now();
    if (now || this.urgent > 0 || this.waitingTaken >= GROUP_AT_ONCE || wait <= 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.dispatch();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
    }
  }

  /** Whether a snapshot of `bytes` must wait for a commit before it joins `waiting` (the waiting snapshots retention still keeps). */
  private mustWait(waiting: readonly Snapshot[], bytes: number): boolean {
    const taken = this.writingTaken + this.waitingTaken;
    if (taken >= 2 && taken >= MAX_UNWRITTEN) return true;
    if (this.writing.length + waiting.length < 2) return false;
    let held = bytes;
    for (const snapshot of this.writing) held += snapshot.bytes;
    for (const snapshot of waiting) held += snapshot.bytes;
    return held > MAX_UNWRITTEN_BYTES;
  }

  /**
   * Says that the next snapshot, about `withinMs` from now, is a stop point (the end of the run):
   * the snapshots waiting are committed now when a commit takes less than that (as the run's
   * latest did, or before its first, the process's latest), so that the stop point's own commit,
   * which the caller waits for, holds only it. Otherwise they wait to go with it (two commits one
   * after the other would make the wait longer).
   */
  commitBeforeStop(withinMs: number): void {
    if (this.lastCommitMs < withinMs) this.schedule(true);
  }

  /** Waits until everything handed to save() is on disk; throws the write failure, if any. */
  async flush(): Promise<void> {
    await this.drained();
    if (this.failure) throw this.failure;
  }

  /**
   * Writes run.json for a run that has none yet, before its first checkpoint commits, so that
   * another train() call or process finds the run (and its lock) at once. Not fsynced: this copy is
   * for other callers now; the first commit replaces it durably.
   */
  async announce(record: object): Promise<void> {
    const file = path.join(this.runDir, RUN_FILE);
    const draft = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fsp.writeFile(draft, jsonBytes(record), { flag: 'wx' });
      await fsp.rename(draft, file);
    } catch (error) {
      await fsp.rm(draft, { force: true }).catch(() => undefined);
      throw unwritable(this.where, this.runDir, error);
    }
  }

  /**
   * Replaces run.json (after pending checkpoint writes) — unless the newest checkpoint wrote the same
   * record with it, as the last checkpoint of a call does: that spares every call two fsyncs.
   */
  async writeRun(record: object): Promise<void> {
    await this.flush();
    const next = { ...record, ...(this.latestId ? { checkpoint: this.latestId } : {}) };
    if (this.committedRun !== undefined && runKey(this.committedRun) === runKey(next)) return;
    try {
      await writeAtomic(this.store.writeFs, path.join(this.runDir, RUN_FILE), jsonBytes(next));
    } catch (error) {
      throw new CellfitError(this.where, `could not write ${path.join(this.runDir, RUN_FILE)}: ${describeFsError(error)}.`);
    }
  }

  /**
   * After a failed write: records in run.json that training stopped, and why, at the newest
   * checkpoint on disk — best effort, since the disk that failed may refuse this too. Returns
   * whether run.json now says so.
   */
  async recordFailure(record: object): Promise<boolean> {
    await this.drained();
    try {
      await writeAtomic(this.store.writeFs, path.join(this.runDir, RUN_FILE), jsonBytes({ ...record, ...(this.latestId ? { checkpoint: this.latestId } : {}) }));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Waits for pending writes (ignoring their failure, reported already) and for the writer to be done
   * with the run directory (the checkpoints they retired deleted, or kept as spares for the next
   * runs: see RecyclingBin); releases the lock.
   */
  async close(): Promise<void> {
    try {
      await this.drained();
      await this.cleaned;
      if (this.recycling) await this.writer.release(this.runDir);
      this.recycling = false;
    } finally {
      if (this.holdsSharedBuffers) releaseSharedBuffers();
      else this.buffers.clear();
      this.holdsSharedBuffers = false;
      this.lock.release();
    }
  }

  /** Resolves when the writer is idle (everything committed, or a failure ended the writes). */
  private async drained(): Promise<void> {
    this.urgent++;
    try {
      this.schedule(true);
      while (this.writing.length > 0) await this.writeEnded();
    } finally {
      this.urgent--;
    }
  }

  private writeEnded(): Promise<void> {
    return new Promise<void>((resolve) => this.wakers.push(resolve));
  }

  /**
   * Starts committing the waiting snapshots as one group. Only those the newest one's retention
   * keeps are written: a snapshot that this same commit would retire is never visible on disk
   * (the set of checkpoints after the commit is the same).
   */
  private dispatch(): void {
    const group = this.waiting;
    this.waiting = [];
    this.writingTaken = this.waitingTaken;
    this.waitingTaken = 0;
    const started = (this.lastDispatch = performance.now());
    const last = group[group.length - 1];
    const keptIds = new Set(last.kept.map((entry) => entry.id));
    // The newest snapshot of each id (a re-saved position replaces the earlier one), if kept.
    const written = group.filter((snapshot, i) => keptIds.has(snapshot.entry.id) && !group.slice(i + 1).some((later) => later.entry.id === snapshot.entry.id));
    this.writing = written;
    for (const snapshot of group) if (!written.includes(snapshot)) this.reuse(snapshot.payload);
    const retire = this.committed.filter((old) => !keptIds.has(old.id)).map((old) => old.id);
    const before = this.committed;
    const run = { ...last.payload.run, checkpoint: last.entry.id };
    // At a stop point the writer lets go of what it retires (and kept before): spares for the next runs, or deleted.
    this.recycling = this.urgent === 0;
    const job: CommitJob = {
      runDir: this.runDir,
      checkpoints: written.map(({ payload }) => {
        // The weight and optimizer snapshots are fresh copies made for this checkpoint; the best
        // weights are kept by the loop (and re-saved), and a diverged run re-saves what it read.
        const own = payload.fresh !== false;
        return {
          id: payload.id,
          files: [
            // model.json is the same object for every checkpoint of a call: serialised once.
            { name: MODEL_FILE, ...serialised(payload.modelJson) },
            { name: WEIGHTS_FILE, data: payload.weights.data, transfer: own },
            { name: OPTIMIZER_FILE, data: payload.optimizer.data, transfer: own },
            // The best weights are one snapshot, kept as it is until a better epoch replaces it.
            ...(payload.best ? [{ name: BEST_FILE, data: payload.best.data, transfer: false, content: contentId(payload.best) }] : []),
            { name: STATE_FILE, data: this.stateJson.text(payload.state) },
          ],
        };
      }),
      run: jsonText(run),
      retire,
      recycle: this.recycling,
    };
    const { committed, cleaned } = this.writer.write(job);
    this.cleaned = cleaned;
    committed.then(
      (used) => {
        this.lastCommitMs = latestCommitMs = performance.now() - started;
        for (const buffer of used) this.buffers.give(buffer);
        this.committed = [...last.kept];
        this.committedRun = run;
        this.advance();
      },
      (error: CommitFailure) => {
        // Checkpoints renamed into place before the failure are on disk, the newest of them the newest
        // one (nothing was retired); the first of the group that did not land is the one that failed.
        const landed = new Set(Array.isArray(error.landed) ? error.landed : []);
        const landedEntries = written.filter((snapshot) => landed.has(snapshot.entry.id)).map((snapshot) => snapshot.entry);
        this.committed = [...before.filter((old) => !landed.has(old.id)), ...landedEntries];
        this.committedRun = undefined;
        const all = landedEntries.length === written.length;
        const failed = all ? last.entry.id : written[landedEntries.length].entry.id;
        const durable = landedEntries.length > 0 ? landedEntries[landedEntries.length - 1].id : before[before.length - 1]?.id;
        this.failure = writeFailure(this.where, this.runDir, failed, durable, describeFsError(error, this.runDir), all);
        this.waiting = [];
        this.waitingTaken = 0;
        this.planned = this.committed;
        this.advance();
      },
    );
  }

  /** Gives the weight and optimizer buffers of a snapshot that is let go unwritten back for reuse (when they are its own). */
  private reuse(payload: CheckpointPayload): void {
    if (payload.fresh === false) return;
    for (const { data } of [payload.weights, payload.optimizer]) if (data.byteLength === data.buffer.byteLength) this.buffers.give(data.buffer as ArrayBuffer);
  }

  /** Starts the waiting snapshots, if any, and wakes those waiting for a write to end. */
  private advance(): void {
    this.writing = [];
    this.writingTaken = 0;
    this.schedule();
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }

  /**
   * The first `limit` entries with a finite monitored value, best first (the earlier epoch on ties,
   * else the earlier entry: the order of a stable sort), by insertion: there are a handful of entries.
   */
  private ranked(entries: readonly Committed[], limit = Infinity): Committed[] {
    const ranked: Committed[] = [];
    for (const entry of entries) {
      if (entry.value === undefined) continue;
      let at = ranked.length;
      while (at > 0 && this.before(entry, ranked[at - 1])) at--;
      if (at >= limit) continue;
      ranked.splice(at, 0, entry);
      if (ranked.length > limit) ranked.pop();
    }
    return ranked;
  }

  /** Whether `a` ranks strictly before `b` (both with a value). */
  private before(a: Committed, b: Committed): boolean {
    return this.monitor.better(a.value!, b.value!) || (!this.monitor.better(b.value!, a.value!) && a.epoch < b.epoch);
  }

  /** Ids to keep: the `keep` newest (`keep` ≥ 1) and the `keepBest` best by the monitor. */
  private retained(entries: readonly Committed[]): Set<string> {
    const kept = new Set<string>();
    for (let i = Math.max(0, entries.length - this.store.keep); i < entries.length; i++) kept.add(entries[i].id);
    if (this.store.keepBest > 0) for (const entry of this.ranked(entries, this.store.keepBest)) kept.add(entry.id);
    return kept;
  }
}

const serialisedModels = new WeakMap<object, { data: string; content: string }>();

/** `jsonText(modelJson)` and its content identity (its sha256: equal texts have the same), computed once per object. */
function serialised(modelJson: object): { data: string; content: string } {
  let file = serialisedModels.get(modelJson);
  if (file === undefined) {
    const data = jsonText(modelJson);
    serialisedModels.set(modelJson, (file = { data, content: `sha256-${sha256(new TextEncoder().encode(data))}` }));
  }
  return file;
}

/** A run record's content apart from its `updated` time, to compare two records. */
function runKey(record: object): string {
  return JSON.stringify({ ...record, updated: undefined });
}

/** The error for a run directory the lock or cleanup could not write. */
function unwritable(where: string, dir: string, error: unknown): CellfitError {
  return new CellfitError(
    where,
    `cannot write to the run directory ${dir}: ${describeFsError(error, dir)}. Its checkpoints are untouched and can still be read (checkpoint('${dir}').list(), .export()). ` +
      'To train it, make the directory writable (or copy it to a writable place and pass that `dir`); or train with checkpoint: false.',
  );
}
