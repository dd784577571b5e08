/**
 * Checkpoint writers. Training takes a snapshot (a copy of the weights and optimizer slots, which is
 * quick) and hands it to a writer; the {@link WorkerWriter} hashes and writes it in a worker
 * thread, so a checkpoint costs the training loop only the snapshot. Writes are committed in the
 * order they were given.
 *
 * One writer thread serves the whole process and outlives train() calls (starting a thread costs
 * tens of milliseconds on a busy machine, more than a small epoch). It keeps the process alive only
 * while a write is pending: then it is ref'd, so that a script awaiting its last checkpoint is not
 * cut short; idle, it is unref'd.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { commitCheckpoint, type CommitFailure, type CommitJob } from './commit';
import { nodeFs, type CheckpointFs } from './fs';

/** Commits checkpoint jobs in order. */
export interface CheckpointWriter {
  /** Resolves once `job` is durably on disk; rejects with a {@link CommitFailure}. */
  write(job: CommitJob): Promise<void>;
}

/** Writes on the calling thread through `fs` (the real file system or a test fake). */
export class InlineWriter implements CheckpointWriter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly fs: CheckpointFs = nodeFs) {}

  write(job: CommitJob): Promise<void> {
    const done = this.queue.then(() => commitCheckpoint(this.fs, job));
    this.queue = done.catch(() => undefined);
    return done;
  }
}

/** What the writer thread answers for job `seq`. */
export interface WriterReply {
  readonly seq: number;
  readonly error?: { readonly message: string; readonly code?: string; readonly landed: boolean };
}

const WORKER_SCRIPT = path.join(__dirname, 'writer.worker.js');

/** Writes in a worker thread: hashing and fsync never block the training loop. */
export class WorkerWriter implements CheckpointWriter {
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private seq = 0;

  /** True when the compiled worker script is present (it is not when running from sources). */
  static available(): boolean {
    return fs.existsSync(WORKER_SCRIPT);
  }

  write(job: CommitJob): Promise<void> {
    const worker = this.thread();
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      // Transfer the snapshot buffers instead of copying them: the caller hands them over.
      const buffers = new Set<ArrayBuffer>();
      for (const file of job.files) if (file.transfer && file.data.byteLength === file.data.buffer.byteLength) buffers.add(file.data.buffer as ArrayBuffer);
      try {
        worker.postMessage({ seq, job }, [...buffers]);
      } catch (error) {
        this.settle(seq);
        reject(Object.assign(error as Error, { landed: false }));
      }
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SCRIPT);
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      const waiter = this.settle(reply.seq);
      if (!waiter) return;
      if (reply.error) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code, landed: reply.error.landed }));
      else waiter.resolve();
    });
    // A thread that dies fails what it was writing (nothing passes silently); the next write starts a new one.
    const abandon = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const waiters = [...this.pending.values()];
      this.pending.clear();
      for (const waiter of waiters) waiter.reject(Object.assign(error, { landed: false }));
    };
    worker.on('error', abandon);
    worker.on('exit', (code) => abandon(new Error(`the checkpoint writer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(seq: number): { resolve: () => void; reject: (error: Error) => void } | undefined {
    const waiter = this.pending.get(seq);
    this.pending.delete(seq);
    if (this.pending.size === 0) this.worker?.unref();
    return waiter;
  }
}

let shared: WorkerWriter | undefined;

/** The writer for `fs`: the process's writer thread for the real file system, inline for a fake. */
export function createWriter(fs: CheckpointFs | undefined, background: boolean): CheckpointWriter {
  if (fs === undefined && background && WorkerWriter.available()) return (shared ??= new WorkerWriter());
  return new InlineWriter(fs);
}

export type { CommitFailure };
