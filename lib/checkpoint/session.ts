/**
 * The write side of a run's checkpoints while it trains: holds the run's lock, hands snapshots to
 * the writer without ever making training wait, applies retention (`keep` newest + `keepBest`
 * best), and turns file-system failures into one clear error.
 *
 * When snapshots come faster than the disk commits them they are coalesced: the one being written
 * finishes, a newer one replaces the one waiting (older state is never written after newer), and a
 * waiting snapshot that ranks among the `keepBest` best is kept rather than replaced, so best-k
 * retention stays exact. At most `keepBest + 1` snapshots wait in memory. The loop asks wants()
 * first and skips the copy of a point that could only be replaced.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { CellfitError } from '../errors';
import type { Monitor } from '../monitor';
import { describeFsError, writeAtomic } from './fs';
import { BEST_FILE, jsonBytes, MODEL_FILE, OPTIMIZER_FILE, RUN_FILE, STATE_FILE, WEIGHTS_FILE, type StateHeader } from './format';
import { acquireRunLock, type RunLock } from './lock';
import type { OptimizerSnapshot, WeightsSnapshot } from './snapshot';
import { writeFailure, type CheckpointStore } from './store';
import { createWriter, type CheckpointWriter, type CommitFailure } from './writer';

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
  /** False when the weight and optimizer buffers are still used elsewhere (they are then copied). Defaults to true. */
  readonly fresh?: boolean;
}

interface Committed {
  readonly id: string;
  readonly epoch: number;
  readonly batch: number;
  readonly value?: number;
}

interface Snapshot {
  readonly payload: CheckpointPayload;
  readonly entry: Committed;
}

/** Writes one run's checkpoints during training; see the module comment. */
export class TrainingCheckpoints {
  readonly runDir: string;
  /** Set when a write failed; the loop stops at the next batch and throws it. */
  failure?: CellfitError;
  private readonly writer: CheckpointWriter;
  private committed: Committed[];
  /** The snapshot being written, and those waiting (oldest first). */
  private writing?: Snapshot;
  private waiting: Snapshot[] = [];
  private newest?: string;
  private idle: (() => void)[] = [];
  /** run.json as the newest committed checkpoint wrote it. */
  private committedRun?: string;

  private constructor(
    readonly store: CheckpointStore,
    private readonly lock: RunLock,
    private readonly monitor: Monitor,
    private readonly where: string,
  ) {
    this.runDir = store.dir;
    this.writer = createWriter(store.fs, store.background);
    this.committed = store.validInfos(where, false).map((info) => ({ id: info.id, epoch: info.epoch, batch: info.batch, value: info.metrics[monitor.metric] }));
  }

  /**
   * Takes the run's lock (failing fast when another process trains it), creates its directory and
   * clears leftovers of interrupted writes.
   */
  static async open(store: CheckpointStore, monitor: Monitor, where: string, runLabel: string): Promise<TrainingCheckpoints> {
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
        if (name.startsWith('.tmp-') || name.startsWith('.trash-') || /\.json\.tmp-/.test(name)) await fs.rm(path.join(store.dir, name));
      }
      return new TrainingCheckpoints(store, lock, monitor, where);
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
   * Whether a snapshot of a point with these `metrics` is worth taking now: the writer is idle, or
   * the point ranks among the `keepBest` best (so best-k retention stays exact). Otherwise it would
   * only be replaced by a newer one before the writer gets to it, so the loop skips it and spares
   * the copy. Stop points do not ask: they are always saved.
   */
  wants(metrics: Readonly<Record<string, number>>): boolean {
    if (!this.writing || this.failure) return true;
    const value = metrics[this.monitor.metric];
    if (!Number.isFinite(value) || this.store.keepBest === 0) return false;
    const candidate: Committed = { id: '', epoch: Infinity, batch: 0, value };
    const entries = [...this.committed, this.writing.entry, ...this.waiting.map((snapshot) => snapshot.entry), candidate];
    return this.ranked(entries).slice(0, this.store.keepBest).includes(candidate);
  }

  /**
   * Hands `payload` to the writer and returns at once: training never waits for the disk. A
   * snapshot taken while another is being written waits, replacing an older waiting one (see the
   * module comment). Throws if an earlier write failed.
   */
  save(payload: CheckpointPayload): void {
    if (this.failure) throw this.failure;
    const value = payload.state.metrics[this.monitor.metric];
    const snapshot: Snapshot = { payload, entry: { id: payload.id, epoch: payload.state.position.epoch, batch: payload.state.position.batch, ...(Number.isFinite(value) ? { value } : {}) } };
    this.newest = payload.id;
    if (!this.writing) this.dispatch(snapshot);
    else this.waiting = this.coalesce([...this.waiting, snapshot]);
  }

  /** Waits until everything handed to save() is on disk; throws the write failure, if any. */
  async flush(): Promise<void> {
    if (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve));
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
    if (this.committedRun !== undefined && this.committedRun === runKey({ ...record, ...(this.latestId ? { checkpoint: this.latestId } : {}) })) return;
    try {
      await writeAtomic(this.store.writeFs, path.join(this.runDir, RUN_FILE), jsonBytes({ ...record, ...(this.latestId ? { checkpoint: this.latestId } : {}) }));
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
    if (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve));
    try {
      await writeAtomic(this.store.writeFs, path.join(this.runDir, RUN_FILE), jsonBytes({ ...record, ...(this.latestId ? { checkpoint: this.latestId } : {}) }));
      return true;
    } catch {
      return false;
    }
  }

  /** Waits for pending writes (ignoring their failure, reported already) and releases the lock. */
  async close(): Promise<void> {
    try {
      if (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve));
    } finally {
      this.lock.release();
    }
  }

  /** Keeps the newest waiting snapshot, and older waiting ones that rank among the `keepBest` best. */
  private coalesce(waiting: Snapshot[]): Snapshot[] {
    const newest = waiting[waiting.length - 1];
    const entries = [...this.committed, this.writing!.entry, ...waiting.map((snapshot) => snapshot.entry)];
    const best = new Set(this.ranked(entries).slice(0, this.store.keepBest));
    return waiting.filter((snapshot) => snapshot === newest || best.has(snapshot.entry));
  }

  /** Serialises `snapshot` and starts writing it. */
  private dispatch(snapshot: Snapshot): void {
    const { payload, entry } = snapshot;
    const next = [...this.committed.filter((old) => old.id !== payload.id), entry];
    const kept = this.retained(next);
    const retire = next.filter((old) => !kept.has(old.id)).map((old) => old.id);
    // The weight and optimizer snapshots are fresh copies made for this checkpoint; the best
    // weights are kept by the loop (and re-saved), and a diverged run re-saves what it read.
    const own = payload.fresh !== false;
    const files = [
      // model.json is the same object for every checkpoint of a call: serialised once (and copied, not moved, to the writer).
      { name: MODEL_FILE, data: serialised(payload.modelJson), transfer: false },
      { name: WEIGHTS_FILE, data: payload.weights.data, transfer: own },
      { name: OPTIMIZER_FILE, data: payload.optimizer.data, transfer: own },
      ...(payload.best ? [{ name: BEST_FILE, data: payload.best.data, transfer: false }] : []),
      { name: STATE_FILE, data: jsonBytes(payload.state), transfer: true },
    ];
    const previous = this.latestId;
    const job = {
      runDir: this.runDir,
      id: payload.id,
      files,
      latest: jsonBytes({ id: payload.id, epoch: entry.epoch, batch: entry.batch, step: payload.state.position.step }),
      run: jsonBytes({ ...payload.run, checkpoint: payload.id }),
      retire,
    };
    this.writing = snapshot;
    const runWritten = runKey({ ...payload.run, checkpoint: payload.id });
    this.writer.write(job).then(
      () => {
        this.committed = next.filter((old) => kept.has(old.id));
        this.committedRun = runWritten;
        this.advance();
      },
      (error: CommitFailure) => {
        // A checkpoint renamed into place before the failure is on disk: it is the newest one.
        if (error.landed) this.committed = next;
        this.committedRun = undefined;
        const durable = error.landed ? payload.id : previous;
        this.failure = writeFailure(this.where, this.runDir, payload.id, durable, describeFsError(error, this.runDir), error.landed);
        this.waiting = [];
        this.advance();
      },
    );
  }

  /** Starts the next waiting snapshot, or wakes those waiting for the writer to be idle. */
  private advance(): void {
    this.writing = undefined;
    const next = this.failure ? undefined : this.waiting.shift();
    if (next) return this.dispatch(next);
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }

  /** Entries with a finite monitored value, best first (the earlier epoch on ties). */
  private ranked(entries: readonly Committed[]): Committed[] {
    return entries.filter((entry) => entry.value !== undefined).sort((a, b) => (this.monitor.better(a.value!, b.value!) ? -1 : this.monitor.better(b.value!, a.value!) ? 1 : a.epoch - b.epoch));
  }

  /** Ids to keep: the `keep` newest and the `keepBest` best by the monitor. */
  private retained(entries: readonly Committed[]): Set<string> {
    const kept = new Set(entries.slice(-this.store.keep).map((entry) => entry.id));
    for (const entry of this.ranked(entries).slice(0, this.store.keepBest)) kept.add(entry.id);
    return kept;
  }
}

const serialisedModels = new WeakMap<object, Uint8Array>();

/** `jsonBytes(modelJson)`, computed once per object. */
function serialised(modelJson: object): Uint8Array {
  let bytes = serialisedModels.get(modelJson);
  if (!bytes) serialisedModels.set(modelJson, (bytes = jsonBytes(modelJson)));
  return bytes;
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
