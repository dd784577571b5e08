/** The background checkpoint writer thread: commits jobs in arrival order (see writer.ts). */
import { parentPort } from 'node:worker_threads';
import { commitCheckpoint, type CommitFailure, type CommitJob } from './commit';
import { nodeFs } from './fs';
import type { WriterReply } from './writer';

let queue: Promise<unknown> = Promise.resolve();

parentPort?.on('message', ({ seq, job }: { seq: number; job: CommitJob }) => {
  queue = queue.then(async () => {
    let reply: WriterReply;
    try {
      await commitCheckpoint(nodeFs, job);
      reply = { seq };
    } catch (error) {
      const { message, code, landed } = error as CommitFailure;
      reply = { seq, error: { message: String(message), ...(code ? { code } : {}), landed: landed === true } };
    }
    parentPort!.postMessage(reply);
  });
});
