/** The sweeps queued on a Redis (what `%sweeps --queue URL` shows). */
import { sweepInfo, type SweepInfo } from '../record';
import { connectRedis, parseQueueUrl } from './redis';
import { readRecords } from './store';

/**
 * The sweeps whose records live on the Redis at `url`, newest first.
 *
 * @example
 * await listQueuedSweeps('redis://localhost:6379');   // [{ name: 'lr-search', status: 'running', ... }]
 */
export async function listQueuedSweeps(url: string): Promise<SweepInfo[]> {
  const where = 'listQueuedSweeps()';
  const target = parseQueueUrl(url, where);
  const client = await connectRedis(target, where);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${target.prefix}:sweep:*`, 'COUNT', 200);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const names = keys.map((key) => key.slice(`${target.prefix}:sweep:`.length));
    const reads = await readRecords(client, target.prefix, names);
    return reads
      .filter((read) => read !== undefined)
      .map((read) => sweepInfo(read!.record, target.url))
      .sort((a, b) => b.updated.getTime() - a.updated.getTime());
  } finally {
    client.disconnect();
  }
}
