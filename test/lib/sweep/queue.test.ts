import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sweep, type Sweep } from '../../../lib/sweep';
import { openQueue, pendingJobs, promotionJobs, QUEUE_PROTOCOL } from '../../../lib/sweep/queue/jobs';
import { searchOf } from '../../../lib/sweep/scheduler';
import { newTrial } from '../../../lib/sweep/state';
import { readRecord } from '../../../lib/sweep/record';
import { followTiming } from '../../../lib/sweep/queue/follow';
import { connectRedis, parseQueueUrl } from '../../../lib/sweep/queue/redis';
import { onSweepEnd, readRecords, RedisStore } from '../../../lib/sweep/queue/store';
import { runWorker } from '../../../lib/sweep/queue/worker';
import { rejectsWith, throwsWith } from '../../helpers';
import { freePort, REDIS_SERVER, startRedis, type RedisServer } from '../../support/redis';
import { tmpDir } from '../train/support';
import { testRecord } from './support';

const CLI = path.join(__dirname, '..', '..', '..', 'kernel', 'cli.js');
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'sweep-trial.js');
const QUIET = { plot: false, progress: false } as const;

/** Every worker process a test started (killed after each test, whatever happened to it). */
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts `cellfit worker` processes on `url`, their output collected. */
function startWorkers(count: number, url: string, env: NodeJS.ProcessEnv): { children: ChildProcess[]; output: string[] } {
  const output: string[] = [];
  const children = Array.from({ length: count }, (_, i) => {
    const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--lock-duration', '4000'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    output[i] = '';
    child.stdout!.on('data', (chunk) => (output[i] += chunk));
    child.stderr!.on('data', (chunk) => (output[i] += chunk));
    started.push(child);
    return child;
  });
  return { children, output };
}

async function stopAll(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    }),
  );
}

const resultsOf = (result: Sweep) => result.trials.map((trial) => ({ params: trial.params, status: trial.status, values: trial.values, value: trial.value }));

describe('sweep() on a queue: parsing and errors', function () {
  this.timeout(30_000);

  it('promotion jobs are named by trial, rung and attempt: a trial paused at the same rung again gets a new job (an old id, once completed, was never added again and the sweep waited forever)', () => {
    const record = testRecord({ space: { x: [1, 2] }, sampler: { kind: 'grid', seed: 1 }, pruner: { kind: 'asha' }, budget: 1, trials: [{ ...newTrial(1, { x: 1 }), status: 'paused', prunedAt: 3, promote: true, promoted: [1, 3], attempts: 2 }] });
    const first = promotionJobs(record).map((job) => job.id);
    assert.deepEqual(first, ['test.t1.p3.a2']);
    assert.deepEqual(pendingJobs(record, searchOf(record)).map((job) => job.id), first, 'the same id whoever adds it');
    record.trials[0].attempts = 4;
    assert.deepEqual(promotionJobs(record).map((job) => job.id), ['test.t1.p3.a4']);
  });

  it('parseQueueUrl(url) reads host, port, db and prefix, and masks the password', () => {
    const target = parseQueueUrl('redis://me:secret@example.org:6380/3?prefix=lab', 'sweep()');
    assert.deepEqual([target.host, target.port, target.db, target.username, target.password, target.prefix, target.url], ['example.org', 6380, 3, 'me', 'secret', 'lab', 'redis://me:***@example.org:6380/3?prefix=lab']);
    assert.deepEqual([parseQueueUrl('redis://localhost', 'x').port, parseQueueUrl('redis://localhost', 'x').db], [6379, 0]);
  });

  it('parseQueueUrl(bad) names the option and the URL', () => {
    throwsWith(() => parseQueueUrl('http://localhost:6379', 'sweep()'), 'sweep(): `queue` must be a Redis URL such as redis://localhost:6379 or redis://host:6379/2 (the scheme is redis: or rediss:). Received: queue="http://localhost:6379".');
    throwsWith(() => parseQueueUrl('localhost:6379', 'sweep()'), 'Received: queue="localhost:6379"');
    throwsWith(() => parseQueueUrl('redis://localhost/x', 'cellfit worker', '--queue'), 'cellfit worker: `--queue` must be a Redis URL', 'the database after the / must be a number');
  });

  it('sweep(space, module, { queue }) with no Redis there names host:port and how to start one', async () => {
    const port = await freePort();
    await rejectsWith(
      () => sweep({ units: [4] }, { module: FIXTURE }, { queue: `redis://127.0.0.1:${port}`, dir: tmpDir('sweep-noredis'), ...QUIET }),
      `sweep(): cannot reach Redis at 127.0.0.1:${port} (connection refused (ECONNREFUSED): nothing listens there). Start one — redis-server --port ${port}`,
    );
  });
});

describe('sweep() on a queue served by cellfit workers (a real redis-server)', function () {
  this.timeout(240_000);
  let redis: RedisServer;

  before(async () => {
    assert.ok(fs.existsSync(REDIS_SERVER), `${REDIS_SERVER} is missing: apt-get install redis-server (.ci/run does)`);
    redis = await startRedis();
  });
  after(async () => redis?.stop());

  it('3 workers, one SIGKILLed mid-trial: every trial completes exactly once, the killed one resumed from its checkpoint, the results a serial sweep’s bit for bit', async () => {
    const dir = tmpDir('sweep-queue');
    const log = path.join(dir, 'calls.log');
    const space = { units: [4, 8, 16], lr: [0.05, 0.01], epochs: 24 };
    const serial = await sweep(space, { module: FIXTURE }, { dir, name: 'serial', workers: 1, ...QUIET });

    const { children, output } = startWorkers(3, redis.url, { SWEEP_TRIAL_LOG: log, SWEEP_TRIAL_HANG: '2:5' });
    try {
      // Kill the worker that hangs in trial 2 (at the end of its epoch 5, before its checkpoint) — as
      // a pre-empted machine would die. It hangs once epoch 2's checkpoint at least is on disk.
      const killer = (async () => {
        while (!fs.existsSync(`${log}.hang`)) await new Promise((resolve) => setTimeout(resolve, 50));
        const pid = Number(fs.readFileSync(`${log}.hang`, 'utf8'));
        children.find((child) => child.pid === pid)!.kill('SIGKILL');
        return pid;
      })();
      const queued = await sweep(space, { module: FIXTURE }, { dir, name: 'queued', queue: redis.url, ...QUIET });
      const killed = await killer;

      assert.equal(queued.status, 'finished');
      assert.deepEqual(resultsOf(queued), resultsOf(serial));
      // Each call of the trial logs a line when it starts and one when its run completes.
      const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' '));
      const starts = lines.filter((line) => line.length === 3).map((line) => line.map(Number));
      const done = lines.filter((line) => line[3] === 'done').map((line) => line.slice(0, 3).map(Number));
      assert.deepEqual(done.map(([number]) => number).sort(), [1, 2, 3, 4, 5, 6], 'every trial completed exactly once');
      for (const trial of queued.trials) {
        assert.equal(starts.filter(([number]) => number === trial.number).length, trial.attempts, `trial ${trial.number}: every call is an attempt on record`);
      }
      const [first] = starts.filter(([number]) => number === 2);
      assert.deepEqual([first[1], first[2]], [1, killed], 'trial 2 started on the worker that was killed');
      assert.notEqual(done.find(([number]) => number === 2)![2], killed);
      const resumed = queued.trials[1];
      assert.ok(resumed.attempts >= 2);
      assert.match(resumed.runInfo!.resumedFrom ?? 'nothing', /^epoch-000[2-4]$/, `trial 2 resumed from a checkpoint of its first attempt, not from scratch: ${JSON.stringify(resumed)}`);
    } finally {
      await stopAll(children);
    }
    const running = output.filter((text) => /serves redis:\/\/127\.0\.0\.1/.test(text)).length;
    assert.equal(running, 3);
  });

  it('sweep(space, module, { queue, signal }) interrupted stops the workers’ trials at a checkpoint; executed again, it resumes them and finishes', async () => {
    const dir = tmpDir('sweep-queue-stop');
    const space = { units: [4, 8], epochs: 80 };
    // The first attempts wait after their third epoch until both are there (a worker may start
    // seconds after the other), then take ≥ 50 ms an epoch (4 s a trial), so the interrupt always
    // finds them both running.
    const { children } = startWorkers(2, redis.url, { SWEEP_TRIAL_PACE: '50', SWEEP_TRIAL_BARRIER: `${path.join(dir, 'barrier')}:2` });
    try {
      const controller = new AbortController();
      const mirror = path.join(dir, 'sweeps', 'stopped.json');
      const watcher = (async () => {
        for (;;) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          try {
            // The mirror's document and journal: what the sweep has recorded so far.
            const record = readRecord(mirror, 'test') as { trials: { status: string; values: unknown[] }[] };
            if (record.trials.filter((t) => t.status === 'running' && t.values.length >= 3).length === 2) break;
          } catch {
            // Not written yet.
          }
        }
        controller.abort();
      })();
      const first = await sweep(space, { module: FIXTURE }, { dir, name: 'stopped', queue: redis.url, signal: controller.signal, ...QUIET });
      await watcher;
      assert.equal(first.status, 'interrupted');
      assert.deepEqual(first.trials.map((trial) => trial.status), ['unfinished', 'unfinished']);
      const again = await sweep(space, { module: FIXTURE }, { dir, name: 'stopped', queue: redis.url, ...QUIET });
      assert.equal(again.status, 'finished');
      assert.deepEqual(again.trials.map((trial) => [trial.status, trial.attempts, trial.values.length]), [['finished', 2, 80], ['finished', 2, 80]]);
    } finally {
      await stopAll(children);
    }
  });

  it('3 workers serve grid, random and TPE sweeps with the median pruner and ASHA: every trial settles once, grid and random propose what one process proposes, and a trial the median pruner stops stops where the record says', async () => {
    // Trials that only report (bench/sweep-scale-trial.ts): what is tested is how the workers claim, propose and decide.
    const trial = { module: path.join(__dirname, '..', '..', '..', 'bench', 'sweep-scale-trial.js'), export: 'reportOnly' };
    const space = { x: { min: 0, max: 1, step: 0.01 }, y: [0.0001, 0.001, 0.01, 0.1] };
    const { children } = startWorkers(3, redis.url, {});
    try {
      for (const [sampler, pruner] of [['random', 'median'], ['grid', 'asha'], ['tpe', 'median'], ['tpe', 'asha']] as const) {
        const dir = tmpDir(`sweep-queue-${sampler}-${pruner}`);
        const options = { dir, sampler, pruner, trials: 60, seed: 3, ...QUIET } as const;
        const queued = await sweep(space, trial as never, { ...options, name: `queued-${sampler}-${pruner}`, queue: redis.url });
        const label = `${sampler} + ${pruner}`;
        assert.equal(queued.status, 'finished', label);
        assert.equal(queued.trials.length, 60, label);
        assert.deepEqual([...new Set(queued.trials.map((t) => t.status))].filter((status) => status !== 'finished' && status !== 'pruned'), [], `${label}: every trial settled`);
        // No trial ran twice (the median pruner never pauses; ASHA resumes promoted trials, once per
        // promotion: at most one from each rung below the trials' 20 epochs, 1, 3 and 9).
        for (const t of queued.trials) assert.ok(pruner === 'median' ? t.attempts === 1 : t.attempts >= 1 && t.attempts <= 4, `${label}: trial ${t.number} ran ${t.attempts} times`);
        if (sampler !== 'tpe') {
          const local = await sweep(space, trial as never, { ...options, name: `local-${sampler}-${pruner}` });
          assert.deepEqual(queued.trials.map((t) => t.params), local.trials.map((t) => t.params), `${label}: the proposals of one process`);
        }
        if (pruner === 'median') {
          const pruned = queued.trials.filter((t) => t.status === 'pruned');
          assert.ok(pruned.length > 0, `${label}: the median pruner pruned`);
          for (const t of pruned) assert.equal(t.values.length, t.prunedAt, `${label}: trial ${t.number} stopped at the epoch it was pruned at`);
          assert.ok(queued.trials.filter((t) => t.status === 'finished').every((t) => t.values.length === 20), label);
        }
      }
    } finally {
      await stopAll(children);
    }
  });

  it('the settle that leaves a queued sweep nothing to do publishes its end, once: not the settles before it, nor an operation after it', async () => {
    const target = parseQueueUrl(redis.url, 'test');
    const client = await connectRedis(target, 'test');
    const name = 'ends-once';
    const positions: number[] = [];
    let sentinelSeen!: () => void;
    const sentinel = new Promise<void>((resolve) => (sentinelSeen = resolve));
    const unsubscribe = await onSweepEnd(client, target.prefix, name, (position) => {
      positions.push(position);
      if (position < 0) sentinelSeen();
    });
    try {
      const record = testRecord({ name, status: 'running', space: { x: [1, 2, 3] }, sampler: { kind: 'random', seed: 1 }, budget: 2 });
      const first = (await RedisStore.create(client, target.prefix, record, target.url))!;
      const second = (await RedisStore.open(client, target.prefix, name, target.url))!;
      const at = new Date().toISOString();
      const settle = (store: RedisStore, worker: string, number: number) => store.apply({ kind: 'settle', worker, job: worker, number, outcome: { kind: 'completed', value: number, seconds: 0 }, at });
      assert.equal((await first.apply({ kind: 'claim', worker: 'a', job: 'a', at, serve: true }))?.number, 1);
      assert.equal((await second.apply({ kind: 'claim', worker: 'b', job: 'b', at, serve: true }))?.number, 2);
      assert.equal(await settle(first, 'a', 1), true);
      assert.equal(await settle(second, 'b', 2), true);
      assert.equal(second.record.status, 'finished');
      const [read] = await readRecords(client, target.prefix, [name]);
      await first.apply({ kind: 'end' });
      // Messages arrive in the order they were published: the test's own, last, closes the list.
      await client.publish(`${target.prefix}:sweep-ended:${name}`, '-1');
      await sentinel;
      assert.deepEqual(positions, [read!.position, -1]);
    } finally {
      unsubscribe();
      client.disconnect();
    }
  });

  it('a TPE claimer that holds the proposer lock proposes ahead for the other workers, within the budget: their next claims take those pending trials, proposed for their own numbers', async () => {
    const target = parseQueueUrl(redis.url, 'test');
    const client = await connectRedis(target, 'test');
    try {
      const record = testRecord({ name: 'ahead', status: 'running', space: { x: { min: 0, max: 1 } }, sampler: { kind: 'tpe', seed: 4 }, budget: 5 });
      const stores = [(await RedisStore.create(client, target.prefix, record, target.url))!];
      for (const _ of [1, 2]) stores.push((await RedisStore.open(client, target.prefix, 'ahead', target.url))!);
      const at = new Date().toISOString();
      const claim = (worker: string) => ({ kind: 'claim', worker, job: worker, at, serve: true }) as const;
      const settle = (worker: string, number: number) => ({ kind: 'settle', worker, job: worker, number, outcome: { kind: 'completed', value: number, seconds: 0 }, at }) as const;
      const [a, b, c] = stores;
      assert.deepEqual([(await a.apply(claim('a')))?.number, (await b.apply(claim('b')))?.number, (await c.apply(claim('c')))?.number], [1, 2, 3]);
      // Trials 1-3 ran on a, b and c: a's next claim proposes trial 4 and, ahead, one for each other worker the budget of 5 leaves room for.
      const first = a.settleAndClaim(settle('a', 1), claim('a'));
      assert.equal(await first.settled, true);
      assert.equal((await first.claim)?.number, 4);
      assert.deepEqual(a.record.trials.map((t) => t.status), ['finished', 'running', 'running', 'running', 'pending']);
      // b's next claim takes pending trial 5 (proposed for number 5: a startup trial's uniform draw is its number's), and adds none.
      const second = b.settleAndClaim(settle('b', 2), claim('b'));
      assert.equal(await second.settled, true);
      assert.equal((await second.claim)?.number, 5);
      assert.deepEqual(b.record.trials.map((t) => t.status), ['finished', 'finished', 'running', 'running', 'running']);
      assert.deepEqual(b.record.trials[4].params, searchOf(b.record).sampler.propose(5, b.record));
      assert.notDeepEqual(b.record.trials[4].params, b.record.trials[3].params);
      // c finds nothing left to claim.
      const third = c.settleAndClaim(settle('c', 3), claim('c'));
      assert.equal(await third.settled, true);
      assert.equal(await third.claim, undefined);
    } finally {
      client.disconnect();
    }
  });

  it('a queued sweep’s follower learns of its end from the settle that ends it, not from its next read (grid and random, whose last settle carries a claim, TPE, and ASHA, whose last settle is a promotion’s)', async function () {
    // Reads of the record so rare that a sweep whose end waited for one would outlast this test.
    this.timeout(60_000);
    const trial = { module: path.join(__dirname, '..', '..', '..', 'bench', 'sweep-scale-trial.js'), export: 'reportOnly' };
    const space = { x: { min: 0, max: 1, step: 0.01 }, y: [0.0001, 0.001, 0.01, 0.1] };
    const { children } = startWorkers(3, redis.url, {});
    const pollMs = followTiming.pollMs;
    followTiming.pollMs = 3_600_000;
    try {
      for (const [sampler, pruner] of [['grid', 'none'], ['random', 'median'], ['tpe', 'none'], ['random', 'asha']] as const) {
        const result = await sweep(space, trial as never, { dir: tmpDir(`sweep-queue-wake-${sampler}-${pruner}`), name: `wake-${sampler}-${pruner}`, sampler, pruner, trials: 24, seed: 3, queue: redis.url, ...QUIET });
        assert.equal(result.status, 'finished', `${sampler} + ${pruner}`);
      }
    } finally {
      followTiming.pollMs = pollMs;
      await stopAll(children);
    }
  });

  it('runWorker({ signal }) whose signal is already aborted connects, stops at once and says so (it used to wait forever)', async () => {
    const lines: string[] = [];
    const code = await runWorker({ queue: redis.url, signal: AbortSignal.abort(), log: (line) => lines.push(line) });
    assert.equal(code, 0);
    assert.match(lines[lines.length - 1], /^cellfit worker \S+ stopped\.$/);
  });

  it('cellfit worker refuses a job queued by an incompatible cellfit, naming both versions, and leaves the job queued', async () => {
    const target = parseQueueUrl(redis.url, 'test');
    const queue = await openQueue(target);
    try {
      await queue.add('trial', { protocol: 999, cellfit: '9.9.9', sweep: 'future', kind: 'next' }, { jobId: 'future.n1' });
      const { children, output } = startWorkers(1, redis.url, {});
      const code = await new Promise<number | null>((resolve) => children[0].once('exit', resolve));
      assert.equal(code, 2);
      assert.match(output[0], new RegExp(`cellfit worker: worker ${os.hostname()}:\\d+ runs cellfit \\S+ \\(queue protocol ${QUEUE_PROTOCOL}\\), but sweep future was queued by cellfit 9\\.9\\.9 \\(protocol 999\\): install cellfit 9\\.9\\.9 on ${os.hostname()}\\.`));
      assert.equal(await (await queue.getJob('future.n1'))?.getState(), 'delayed');
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
