/** The background checkpoint writer thread: commits jobs in arrival order (see writer.ts). */
import { parentPort } from 'node:worker_threads';
import { commitCheckpoint, type CommitJob } from './commit';
import { nodeFs } from './fs';

let queue: Promise<unknown> = Promise.resolve();

parentPort?.on('message', ({ seq, job }: { seq: number; job: CommitJob }) => {
  queue = queue.then(async () => {
    try {
      await commitCheckpoint(nodeFs, job);
      parentPort!.postMessage({ seq });
    } catch (error) {
      const { message, code } = error as NodeJS.ErrnoException;
      parentPort!.postMessage({ seq, error: { message: String(message), code } });
    }
  });
});
