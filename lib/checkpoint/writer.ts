/**
 * Checkpoint writers. Training takes a snapshot (a copy of the weights and optimizer slots, which is
 * quick) and hands it to a writer; the {@link WorkerWriter} hashes and writes it in a worker
 * thread, so a checkpoint costs the training loop only the snapshot. Writes are committed in the
 * order they were given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { commitCheckpoint, type CommitJob } from './commit';
import { nodeFs, type CheckpointFs } from './fs';

/** Commits checkpoint jobs in order. */
export interface CheckpointWriter {
  /** Resolves once `job` is durably on disk; rejects with the file-system error. */
  write(job: CommitJob): Promise<void>;
  /** Waits for pending writes and releases the writer's resources. */
  close(): Promise<void>;
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

  async close(): Promise<void> {
    await this.queue;
  }
}

interface Reply {
  readonly seq: number;
  readonly error?: { readonly message: string; readonly code?: string };
}

const WORKER_SCRIPT = path.join(__dirname, 'writer.worker.js');

/** Writes in a worker thread: hashing and fsync never block the training loop. */
export class WorkerWriter implements CheckpointWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private seq = 0;
  private failure?: Error;

  constructor() {
    this.worker = new Worker(WORKER_SCRIPT);
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.seq);
      if (!waiter) return;
      this.pending.delete(reply.seq);
      if (reply.error) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else waiter.resolve();
    });
    const abandon = (error: Error) => {
      this.failure = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', abandon);
    this.worker.on('exit', (code) => abandon(new Error(`the checkpoint writer thread exited (code ${code})`)));
  }

  /** True when the compiled worker script is present (it is not when running from sources). */
  static available(): boolean {
    return fs.existsSync(WORKER_SCRIPT);
  }

  write(job: CommitJob): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      // Transfer the snapshot buffers instead of copying them: the caller hands them over.
      const buffers = new Set<ArrayBuffer>();
      for (const file of job.files) if (file.transfer && file.data.byteLength === file.data.buffer.byteLength) buffers.add(file.data.buffer as ArrayBuffer);
      try {
        this.worker.postMessage({ seq, job }, [...buffers]);
      } catch (error) {
        this.pending.delete(seq);
        reject(error);
      }
    });
  }

  async close(): Promise<void> {
    const waiting = [...this.pending.values()].map(
      (waiter) =>
        new Promise<void>((resolve) => {
          const { resolve: done, reject } = waiter;
          waiter.resolve = () => (done(), resolve());
          waiter.reject = (error) => (reject(error), resolve());
        }),
    );
    await Promise.all(waiting);
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** The writer for `fs`: a worker thread for the real file system, inline for a fake. */
export function createWriter(fs: CheckpointFs | undefined, background: boolean): CheckpointWriter {
  if (fs === undefined && background && WorkerWriter.available()) return new WorkerWriter();
  return new InlineWriter(fs);
}
