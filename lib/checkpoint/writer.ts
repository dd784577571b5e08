/**
 * Checkpoint writers. Training takes a snapshot (a copy of the weights and optimizer slots, which is
 * quick) and hands it to a writer; the {@link WorkerWriter} hashes and writes it in a worker
 * thread, so a checkpoint costs the training loop only the snapshot. Writes are committed in the
 * order they were given.
 *
 * One writer thread serves the whole process and outlives train() calls (starting a thread costs
 * tens of milliseconds on a busy machine, more than a small epoch). It keeps the process alive only
 * while a job is pending (until its retired checkpoints are deleted): then it is ref'd, so that a
 * script awaiting its last checkpoint is not cut short; idle, it is unref'd.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { commitCheckpoints, emptyTrash, handedOver, type CommitFailure, type CommitJob } from './commit';
import { nodeFs, type CheckpointFs } from './fs';

/** What {@link CheckpointWriter.write} returns. */
export interface WriteResult {
  /**
   * Resolves once the job is durably on disk, with the buffers the job handed over (its files'
   * `transfer`) that the writer no longer uses, for the caller to fill again; rejects with a
   * {@link CommitFailure}.
   */
  readonly committed: Promise<ArrayBuffer[]>;
  /** Resolves once the checkpoints the job retired are deleted too (never rejects). */
  readonly cleaned: Promise<void>;
}

/** Commits checkpoint jobs (each a group of checkpoints of one run) in order. */
export interface CheckpointWriter {
  write(job: CommitJob): WriteResult;
  /** Deletes the retired directories kept for `runDir`'s next commits (after the jobs before it); resolves once done. Never rejects. */
  release(runDir: string): Promise<void>;
}

/** Writes on the calling thread through `fs` (the real file system or a test fake). */
export class InlineWriter implements CheckpointWriter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly fs: CheckpointFs = nodeFs) {}

  write(job: CommitJob): WriteResult {
    const committed = this.queue.then(async () => {
      const { replaced, retired } = await commitCheckpoints(this.fs, job);
      await emptyTrash(this.fs, [...replaced, ...retired]);
      return handedOver(job);
    });
    this.queue = committed.catch(() => undefined);
    return { committed, cleaned: this.queue.then(() => undefined) };
  }

  /** Nothing to delete: this writer never keeps retired directories (it ignores job.recycle). */
  async release(): Promise<void> {
    await this.queue;
  }
}

/** What the writer thread answers for job `seq`: once committed (or failed), then once `cleaned`. */
export interface WriterReply {
  readonly seq: number;
  readonly cleaned?: true;
  readonly error?: { readonly message: string; readonly code?: string; readonly landed: readonly string[] };
  /** With a commit's success: the job's handed-over buffers, moved back to the training thread. */
  readonly buffers?: ArrayBuffer[];
  /** With `cleaned`: the spare directories the writer keeps now (see RecyclingBin), deleted when the process exits. */
  readonly spares?: string[];
}

const WORKER_SCRIPT = path.join(__dirname, 'writer.worker.js');

interface Waiter {
  resolve: (buffers: ArrayBuffer[]) => void;
  reject: (error: Error) => void;
  /** Resolves the job's `cleaned`. */
  clean: () => void;
  committed: boolean;
}

/** Writes in a worker thread: hashing, writing and fsync never block the training loop. */
export class WorkerWriter implements CheckpointWriter {
  private worker?: Worker;
  /** Jobs not yet cleaned, by seq. */
  private readonly pending = new Map<number, Waiter>();
  private seq = 0;
  /** The spare directories the thread last said it keeps. */
  private spares: readonly string[] = [];
  private exitHook?: () => void;

  /** True when the compiled worker script is present (it is not when running from sources). */
  static available(): boolean {
    return fs.existsSync(WORKER_SCRIPT);
  }

  release(runDir: string): Promise<void> {
    return this.send({ release: runDir }, []).cleaned;
  }

  write(job: CommitJob): WriteResult {
    // Transfer the snapshot buffers instead of copying them: the caller hands them over.
    return this.send({ job }, handedOver(job));
  }

  /** Posts a job, or a release, to the thread; see {@link WriteResult}. */
  private send(request: { job: CommitJob } | { release: string }, transfer: ArrayBuffer[]): WriteResult {
    const worker = this.thread();
    const seq = ++this.seq;
    let clean!: () => void;
    const cleaned = new Promise<void>((resolve) => (clean = resolve));
    const committed = new Promise<ArrayBuffer[]>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, clean, committed: false });
      if (this.pending.size === 1) worker.ref();
      try {
        worker.postMessage({ seq, ...request }, transfer);
      } catch (error) {
        this.settle(seq);
        clean();
        reject(Object.assign(error as Error, { landed: [] }));
      }
    });
    return { committed, cleaned };
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SCRIPT);
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      const waiter = this.pending.get(reply.seq);
      if (!waiter) return;
      if (reply.cleaned) {
        if (reply.spares) this.keepSpares(reply.spares);
        this.settle(reply.seq);
        waiter.clean();
      } else {
        waiter.committed = true;
        if (reply.error) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code, landed: reply.error.landed }));
        else waiter.resolve(reply.buffers ?? []);
      }
    });
    // A thread that dies fails what it was writing (nothing passes silently); the next write starts a new one.
    const abandon = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const waiters = [...this.pending.values()];
      this.pending.clear();
      for (const waiter of waiters) {
        if (!waiter.committed) waiter.reject(Object.assign(error, { landed: [] }));
        waiter.clean();
      }
    };
    worker.on('error', abandon);
    worker.on('exit', (code) => abandon(new Error(`the checkpoint writer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /**
   * Remembers the thread's spare directories, to delete them when the process exits: the thread
   * cannot (it is stopped then), and they are retired checkpoints, of no use to anyone afterwards.
   */
  private keepSpares(spares: readonly string[]): void {
    this.spares = spares;
    if (spares.length === 0 || this.exitHook) return;
    this.exitHook = () => {
      for (const dir of this.spares) {
        try {
          fs.rmSync(dir, { recursive: true, force: true });
        } catch {
          // Left hidden in its run directory; the run's next train() removes it.
        }
      }
    };
    process.once('exit', this.exitHook);
  }

  /** Forgets job `seq`; the thread is unref'd once no job is pending. */
  private settle(seq: number): void {
    this.pending.delete(seq);
    if (this.pending.size === 0) this.worker?.unref();
  }
}

let shared: WorkerWriter | undefined;

/** The writer for `fs`: the process's writer thread for the real file system, inline for a fake. */
export function createWriter(fs: CheckpointFs | undefined, background: boolean): CheckpointWriter {
  if (fs === undefined && background && WorkerWriter.available()) return (shared ??= new WorkerWriter());
  return new InlineWriter(fs);
}

export type { CommitFailure };
