/**
 * The binary halves of a checkpoint, as both training engines produce and consume them: a model's
 * weights in the TF.js layers format (one spec per weight, the values back to back in one buffer)
 * and an optimizer's full state (its slot variables under tf.js' names, plus the hidden scalars
 * tf.js keeps, such as Adam's running beta powers). Plain data: it crosses to the writer thread.
 */

/** One weight's entry in `model.json`'s weights manifest. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32' | 'bool';
}

/** A copy of a model's weights, detached from wherever they train. */
export interface WeightsSnapshot {
  readonly specs: readonly WeightSpec[];
  readonly data: Uint8Array;
}

/** Where one slot variable sits in `optimizer.bin`. */
export interface SlotSpec {
  /** The optimizer field holding the slot list, e.g. `accumulatedFirstMoment`. */
  readonly field: string;
  /** Position in that list (= position of the trainable weight it belongs to). */
  readonly index: number;
  /** tfjs' name for it, e.g. `dense_Dense1/kernel/m`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Byte offset in `optimizer.bin`. */
  readonly offset: number;
  /** Number of float32 values. */
  readonly length: number;
}

/** The JSON half of an optimizer snapshot (the slots' values are in `data`). */
export interface OptimizerMeta {
  readonly className: string;
  readonly config: Record<string, unknown>;
  readonly iterations: number;
  readonly learningRate: number;
  /** Hidden scalar variables (exact float32 values). */
  readonly scalars: Readonly<Record<string, number>>;
  readonly slots: readonly SlotSpec[];
}

/** An optimizer's complete state. */
export interface OptimizerSnapshot {
  readonly meta: OptimizerMeta;
  readonly data: Uint8Array;
}

/** Copies typed arrays, back to back, into one new buffer. */
export function concatArrays(arrays: readonly ArrayBufferView[]): Uint8Array {
  const total = arrays.reduce((sum, array) => sum + array.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const array of arrays) {
    data.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  return data;
}

/**
 * Buffers for the snapshots of training sessions, used again once written. A snapshot of a model
 * with many weights is mostly fresh memory: a new buffer of hundreds of KiB costs the training
 * thread its page faults and zeroing (~0.2 ms for 0.5 MiB, measured), ten times the copy itself.
 * The writer hands back the buffers of each commit (see WriteResult.committed), and the snapshots
 * that retention lets go before they are written give theirs back at once, so a run's snapshots
 * keep reusing a few buffers — and, through {@link holdSharedBuffers}, the next runs' too.
 */
export class SnapshotBuffers {
  /** Free buffers by size; a size's first appearance sets its place in the order evictions follow. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private held = 0;

  /** `limit`: the most bytes kept for reuse. */
  constructor(private readonly limit: number) {}

  /**
   * A buffer of exactly `byteLength` bytes for a snapshot, which overwrites all of it: a used one
   * when there is one (holding stale bytes), else a new one.
   */
  take(byteLength: number): ArrayBuffer {
    const free = this.free.get(byteLength);
    const used = free?.pop();
    if (used) {
      this.held -= byteLength;
      return used;
    }
    if (!free) this.free.set(byteLength, []);
    return new ArrayBuffer(byteLength);
  }

  /**
   * Takes back a buffer that nothing reads or writes any more. Only sizes that {@link take} handed
   * out are kept (other buffers, a detached one included, are ignored). Beyond the limit, buffers
   * of other sizes (those of an earlier model, oldest size first) make room; a buffer that cannot
   * fit (larger than the limit, or the limit full of its own size) is let go.
   */
  give(buffer: ArrayBuffer): void {
    const size = buffer.byteLength;
    const free = this.free.get(size);
    if (!free || size === 0 || size > this.limit || free.includes(buffer)) return;
    for (const [other, buffers] of this.free) {
      if (this.held + size <= this.limit) break;
      if (other === size) continue;
      this.held -= other * buffers.length;
      this.free.delete(other);
    }
    if (this.held + size > this.limit) return;
    free.push(buffer);
    this.held += size;
  }

  /** Lets every kept buffer go. */
  clear(): void {
    this.free.clear();
    this.held = 0;
  }
}

/**
 * How long the shared buffers outlive the last session that used them: long enough for a notebook's
 * next cell or a sweep's next trial, after which they are let go.
 */
export const SHARED_BUFFERS_IDLE_MS = 10_000;

let shared: { readonly buffers: SnapshotBuffers; users: number; timer?: NodeJS.Timeout } | undefined;

/**
 * The process's snapshot buffers (at most `limit` bytes), for a session to use until
 * {@link releaseSharedBuffers}. A run's buffers, left fresh to each new run, cost a major garbage
 * collection almost every `train()` call of a 67k-parameter model (the new memory counts towards
 * the heap's limits: ~3 ms on the training thread, ~10 ms of the collector's threads, measured),
 * none when the next run takes them over. The process-wide checkpoint writer hands them back.
 */
export function holdSharedBuffers(limit: number): SnapshotBuffers {
  shared ??= { buffers: new SnapshotBuffers(limit), users: 0 };
  clearTimeout(shared.timer);
  shared.timer = undefined;
  shared.users++;
  return shared.buffers;
}

/** A session is done with the shared buffers; once none uses them for SHARED_BUFFERS_IDLE_MS, they are let go. */
export function releaseSharedBuffers(): void {
  const pool = shared;
  if (!pool || --pool.users > 0) return;
  pool.timer = setTimeout(() => {
    if (shared === pool && pool.users === 0) shared = undefined;
  }, SHARED_BUFFERS_IDLE_MS);
  pool.timer.unref();
}
