/** The background checkpoint writer thread: commits jobs in arrival order (see writer.ts). */
import { parentPort } from 'node:worker_threads';
import { handedOver, RecyclingBin, type CommitFailure, type CommitJob } from './commit';
import { writerFs } from './fs';
import type { WriterReply } from './writer';

let queue: Promise<unknown> = Promise.resolve();
const bin = new RecyclingBin(writerFs);

/** A job to commit, or (`release`) a run whose recycled directories are to be deleted. */
type WriterRequest = { seq: number; job: CommitJob; release?: undefined } | { seq: number; release: string; job?: undefined };

parentPort?.on('message', ({ seq, job, release }: WriterRequest) => {
  queue = queue.then(async () => {
    if (release !== undefined) {
      await bin.release(release);
      parentPort!.postMessage({ seq } satisfies WriterReply);
      parentPort!.postMessage({ seq, cleaned: true, spares: bin.spareDirs } satisfies WriterReply);
      return;
    }
    // The commit is reported as soon as it is durable; retired checkpoints are deleted (or kept for
    // the next commit) after training has heard it.
    await bin.commit(job!, (error?: CommitFailure) => {
      if (error) {
        const { message, code, landed } = error;
        parentPort!.postMessage({ seq, error: { message: String(message), ...(code ? { code } : {}), landed: Array.isArray(landed) ? landed : [] } } satisfies WriterReply);
      } else {
        // Every file is written and synced: the snapshot buffers go back to training, to be filled again.
        const buffers = handedOver(job!);
        parentPort!.postMessage({ seq, buffers } satisfies WriterReply, buffers);
      }
    });
    parentPort!.postMessage({ seq, cleaned: true, spares: bin.spareDirs } satisfies WriterReply);
  });
});
