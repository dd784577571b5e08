/**
 * Redis for queued sweeps: the queue URL, and a connection that fails fast and clearly when Redis is
 * not there. The sweep records kept there are lib/sweep/queue/store.ts's.
 *
 * Keys (prefix `cellfit` by default): `cellfit:sweep:NAME`, `cellfit:sweep-journal:NAME` and
 * `cellfit:sweep-offset:NAME` (a sweep's record: a snapshot and the journal since), `cellfit:workers`
 * (a hash of live workers), and BullMQ's `cellfit:trials:*` (the job queue).
 */
import type { Redis, RedisOptions } from 'ioredis';
import { CellfitError, fail, formatValue } from '../../errors';

/** A parsed queue URL. */
export interface QueueTarget {
  /** The URL as shown to people: the password masked. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** Key prefix (`?prefix=`); several cellfit installations can share a Redis. Defaults to `cellfit`. */
  readonly prefix: string;
}

/** The BullMQ queue of trials. */
export const QUEUE_NAME = 'trials';

/**
 * Parses `redis://[user:password@]host[:port][/db][?prefix=name]` (or `rediss://` for TLS).
 *
 * @example
 * parseQueueUrl('redis://localhost:6379/2', 'sweep()');   // { host: 'localhost', port: 6379, db: 2, prefix: 'cellfit', ... }
 */
export function parseQueueUrl(url: unknown, where: string, option = 'queue'): QueueTarget {
  const expected = `\`${option}\` must be a Redis URL such as redis://localhost:6379 or redis://host:6379/2`;
  if (typeof url !== 'string') fail(where, `${expected}. Received: ${option}=${formatValue(url)}.`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(where, `${expected}. Received: ${option}=${formatValue(url)}.`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') fail(where, `${expected} (the scheme is redis: or rediss:). Received: ${option}=${formatValue(url)}.`);
  if (parsed.hostname === '') fail(where, `${expected}: it names no host. Received: ${option}=${formatValue(url)}.`);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) fail(where, `${expected}: the database after the / must be a number ≥ 0. Received: ${option}=${formatValue(url)}.`);
  const prefix = parsed.searchParams.get('prefix') ?? 'cellfit';
  if (!/^[\w.-]+$/.test(prefix)) fail(where, `${expected}: ?prefix= takes letters, digits, '.', '_' and '-'. Received: prefix=${formatValue(prefix)}.`);
  const masked = new URL(url);
  if (masked.password) masked.password = '***';
  return {
    url: masked.toString(),
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    tls: parsed.protocol === 'rediss:',
    prefix,
  };
}

/** ioredis options for a target (BullMQ workers need `maxRetriesPerRequest: null`). */
export function redisOptions(target: QueueTarget): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
}

/**
 * A connected client, or an error naming host:port, why, and what to do — within `timeoutMs`
 * rather than ioredis' retry-forever.
 */
export async function connectRedis(target: QueueTarget, where: string, timeoutMs = 5000): Promise<Redis> {
  const { default: IORedis } = await import('ioredis');
  const client = new IORedis({ ...redisOptions(target), lazyConnect: true, connectTimeout: timeoutMs });
  let lastError: Error | undefined;
  const onError = (error: Error) => (lastError = error);
  client.on('error', onError);
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => setTimeout(() => reject(lastError ?? new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)),
    ]);
  } catch (error) {
    client.disconnect();
    const reason = describeRedisError(lastError ?? (error as Error));
    throw new CellfitError(
      where,
      `cannot reach Redis at ${target.host}:${target.port} (${reason}). Start one — redis-server --port ${target.port} (Debian: apt-get install redis-server), or docker run -p ${target.port}:6379 redis — or check the URL ${target.url}.`,
    );
  }
  client.off('error', onError);
  // Later connection drops are retried by ioredis; report them once, not per retry.
  let reported = false;
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    process.stderr.write(`${where}: lost the connection to Redis at ${target.host}:${target.port} (${describeRedisError(error)}); retrying.\n`);
  });
  client.on('ready', () => (reported = false));
  return client;
}

function describeRedisError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED): nothing listens there';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `unknown host (${code})`;
  if (code === 'ETIMEDOUT') return 'timed out (ETIMEDOUT)';
  if (/NOAUTH|WRONGPASS|invalid password/i.test(error.message)) return `authentication failed: ${error.message}`;
  return error.message;
}
