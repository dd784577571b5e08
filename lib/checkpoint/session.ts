/**
 * The write side of a run's checkpoints while it trains: holds the run's lock, queues snapshots to
 * the writer (one in flight, so memory stays bounded and commits stay ordered), applies retention
 * (`keep` newest + `keepBest` best), and turns file-system failures into one clear error.
 */
import * as path from 'node:path';
import { CellfitError } from '../errors';
import type { Monitor } from '../monitor';
import { describeFsError, writeAtomic } from './fs';
import { BEST_FILE, jsonBytes, MODEL_FILE, OPTIMIZER_FILE, RUN_FILE, STATE_FILE, WEIGHTS_FILE, type StateHeader } from './format';
import { acquireRunLock, type RunLock } from './lock';
import type { OptimizerSnapshot, WeightsSnapshot } from './snapshot';
import { writeFailure, type CheckpointStore } from './store';
import { createWriter, type CheckpointWriter } from './writer';

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

/** Writes one run's checkpoints during training; see the module comment. */
export class TrainingCheckpoints {
  readonly runDir: string;
  /** Set when a write failed; the loop stops at the next batch and throws it. */
  failure?: CellfitError;
  private readonly writer: CheckpointWriter;
  private committed: Committed[];
  private inflight: Promise<void> = Promise.resolve();
  private queued?: string;

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
      throw new CellfitError(where, `cannot create the checkpoint directory ${store.dir}: ${describeFsError(error)}. Choose a writable \`dir\`, or train with checkpoint: false.`);
    }
    const lock = acquireRunLock(store.dir, where, runLabel);
    try {
      for (const name of await fs.readdir(store.dir)) {
        if (name.startsWith('.tmp-') || name.startsWith('.trash-') || /\.json\.tmp-/.test(name)) await fs.rm(path.join(store.dir, name));
      }
      return new TrainingCheckpoints(store, lock, monitor, where);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** The newest committed checkpoint. */
  get latestId(): string | undefined {
    return this.committed[this.committed.length - 1]?.id;
  }

  /** The checkpoint most recently handed to save() (committed or still being written). */
  get queuedId(): string | undefined {
    return this.queued ?? this.latestId;
  }

  /** Ids of the committed checkpoints, oldest first. */
  get ids(): string[] {
    return this.committed.map((entry) => entry.id);
  }

  /**
   * Queues `payload` for writing and returns once the previous write has finished (so at most one
   * snapshot waits in memory). Throws if an earlier write failed.
   */
  async save(payload: CheckpointPayload): Promise<void> {
    await this.inflight;
    if (this.failure) throw this.failure;
    const value = payload.state.metrics[this.monitor.metric];
    const entry: Committed = { id: payload.id, epoch: payload.state.position.epoch, batch: payload.state.position.batch, ...(Number.isFinite(value) ? { value } : {}) };
    const next = [...this.committed.filter((old) => old.id !== payload.id), entry];
    const kept = this.retained(next);
    const retire = next.filter((old) => !kept.has(old.id)).map((old) => old.id);
    // The weight and optimizer snapshots are fresh copies made for this checkpoint; the best
    // weights are kept by the loop (and re-saved), and a diverged run re-saves what it read.
    const own = payload.fresh !== false;
    const files = [
      { name: MODEL_FILE, data: jsonBytes(payload.modelJson), transfer: true },
      { name: WEIGHTS_FILE, data: payload.weights.data, transfer: own },
      { name: OPTIMIZER_FILE, data: payload.optimizer.data, transfer: own },
      ...(payload.best ? [{ name: BEST_FILE, data: payload.best.data, transfer: false }] : []),
      { name: STATE_FILE, data: jsonBytes(payload.state), transfer: true },
    ];
    const previous = this.latestId;
    this.queued = payload.id;
    const job = {
      runDir: this.runDir,
      id: payload.id,
      files,
      latest: jsonBytes({ id: payload.id, epoch: entry.epoch, batch: entry.batch, step: payload.state.position.step }),
      run: jsonBytes({ ...payload.run, checkpoint: payload.id }),
      retire,
    };
    this.inflight = this.writer.write(job).then(
      () => {
        this.committed = next.filter((old) => kept.has(old.id));
      },
      (error) => {
        this.failure = writeFailure(this.where, this.runDir, payload.id, previous, describeFsError(error));
      },
    );
  }

  /** Waits until everything queued is on disk; throws the write failure, if any. */
  async flush(): Promise<void> {
    await this.inflight;
    if (this.failure) throw this.failure;
  }

  /** Replaces run.json (after pending checkpoint writes). */
  async writeRun(record: object): Promise<void> {
    await this.flush();
    try {
      await writeAtomic(this.store.writeFs, path.join(this.runDir, RUN_FILE), jsonBytes({ ...record, ...(this.latestId ? { checkpoint: this.latestId } : {}) }));
    } catch (error) {
      throw new CellfitError(this.where, `could not write ${path.join(this.runDir, RUN_FILE)}: ${describeFsError(error)}.`);
    }
  }

  /** Waits for pending writes (ignoring their failure, reported already), stops the writer, releases the lock. */
  async close(): Promise<void> {
    try {
      await this.inflight;
      await this.writer.close();
    } finally {
      this.lock.release();
    }
  }

  /** Ids to keep: the `keep` newest and the `keepBest` best by the monitor. */
  private retained(entries: readonly Committed[]): Set<string> {
    const kept = new Set(entries.slice(-this.store.keep).map((entry) => entry.id));
    const ranked = entries.filter((entry) => entry.value !== undefined).sort((a, b) => (this.monitor.better(a.value!, b.value!) ? -1 : this.monitor.better(b.value!, a.value!) ? 1 : a.epoch - b.epoch));
    for (const entry of ranked.slice(0, this.store.keepBest)) kept.add(entry.id);
    return kept;
  }
}
