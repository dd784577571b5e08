/** The background checkpoint writer thread: commits jobs in arrival order (see writer.ts). */
import { parentPort } from 'node:worker_threads';
import { commitCheckpoints, emptyTrash, type CommitFailure, type CommitJob } from './commit';
import { writerFs } from './fs';
import type { WriterReply } from './writer';

let queue: Promise<unknown> = Promise.resolve();

parentPort?.on('message', ({ seq, job }: { seq: number; job: CommitJob }) => {
  queue = queue.then(async () => {
    let reply: WriterReply;
    let trash: string[] = [];
    try {
      trash = await commitCheckpoints(writerFs, job);
      reply = { seq };
    } catch (error) {
      const { message, code, landed } = error as CommitFailure;
      reply = { seq, error: { message: String(message), ...(code ? { code } : {}), landed: Array.isArray(landed) ? landed : [] } };
    }
    parentPort!.postMessage(reply);
    // Retired checkpoints are deleted once training has heard that the commit is done.
    await emptyTrash(writerFs, trash);
    parentPort!.postMessage({ seq, cleaned: true } satisfies WriterReply);
  });
});
