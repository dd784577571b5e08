import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpoint } from '../../../lib/checkpoint';
import { listSweeps, sweep, type Sweep } from '../../../lib/sweep';
import type { TrialContext } from '../../../lib/sweep/trial';
import { readRecord } from '../../../lib/sweep/record';
import { train, type Run } from '../../../lib/train';
import { sweepData, sweepModel, trial as moduleTrial } from '../../fixtures/sweep-trial';
import { rejectsWith } from '../../helpers';
import { tmpDir, weightBytes } from '../train/support';

const QUIET = { plot: false, progress: false } as const;
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'sweep-trial.js');

/**
 * A trial that records what ran: train() calls that returned, per trial number, and the runs returned.
 * (A sweep executed again calls its recorded trials to check them, up to their train() calls.)
 */
function recordingTrial(calls: Map<number, number>, runs: Map<number, Run>, extra: (params: Record<string, unknown>, context: TrialContext) => object = () => ({})) {
  return async (params: { units: number; lr: number; epochs?: number }, context: TrialContext) => {
    const { train: data, validation } = sweepData();
    const run = await train(sweepModel(params), data, { epochs: params.epochs ?? 6, batchSize: 16, validation, seed: 5, ...extra(params, context) });
    calls.set(context.number, (calls.get(context.number) ?? 0) + 1);
    runs.set(context.number, run);
    return run;
  };
}

const valuesOf = (result: Sweep) => result.trials.map((trial) => ({ params: trial.params, status: trial.status, values: trial.values, value: trial.value }));

describe('sweep() in this process', function () {
  this.timeout(120_000);

  it("sweep(grid, trial) runs every combination, reading each epoch's val_loss from train() with no code in the trial", async () => {
    const dir = tmpDir('sweep-grid');
    const calls = new Map<number, number>();
    const runs = new Map<number, Run>();
    const result = await sweep({ units: [4, 8], lr: [0.05, 0.01] }, recordingTrial(calls, runs), { dir, name: 'grid', ...QUIET });
    assert.equal(result.status, 'finished');
    assert.equal(result.monitor, 'val_loss');
    assert.deepEqual(result.trials.map((trial) => trial.params), [{ units: 4, lr: 0.05 }, { units: 4, lr: 0.01 }, { units: 8, lr: 0.05 }, { units: 8, lr: 0.01 }]);
    for (const trial of result.trials) {
      const run = runs.get(trial.number)!;
      assert.equal(trial.status, 'finished');
      assert.deepEqual(trial.values, run.history.map((entry) => entry.val_loss), 'the sweep saw every epoch');
      assert.equal(trial.value, Math.min(...run.history.map((entry) => entry.val_loss)));
      assert.equal(trial.runInfo!.dir, path.join(dir, 'grid', `trial-000${trial.number}`));
    }
    assert.equal(result.best!.value, Math.min(...result.trials.map((trial) => trial.value!)));
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'sweeps', 'grid.json'), 'utf8'));
    assert.equal(record.trials.length, 4);
    assert.equal(record.trials[0].worker, 'main');
    assert.deepEqual(listSweeps(dir).map((info) => [info.name, info.status, info.trials.finished]), [['grid', 'finished', 4]]);
  });

  it('sweep(space, trial, { pruner: "asha" }): a promoted trial resumes from its checkpoint and ends bit for bit as if trained straight through; a paused one keeps its checkpoints', async () => {
    const dir = tmpDir('sweep-asha');
    const calls = new Map<number, number>();
    const runs = new Map<number, Run>();
    const result = await sweep({ lr: [0.002, 0.05, 0.01, 0.03, 0.005, 0.1] }, recordingTrial(calls, runs, () => ({ epochs: 8 })) as never, {
      dir,
      name: 'asha',
      pruner: { kind: 'asha', minEpochs: 1, reduction: 2 },
      ...QUIET,
    });
    const promoted = result.trials.filter((trial) => trial.status === 'finished' && trial.attempts > 1);
    assert.ok(promoted.length > 0, 'some trial was paused, then promoted');
    for (const trial of promoted) {
      const { train: data, validation } = sweepData();
      const straight = await train(sweepModel(trial.params), data, { epochs: 8, batchSize: 16, validation, seed: 5, checkpoint: { dir: path.join(dir, 'straight') }, name: `straight-${trial.number}`, plot: false });
      const resumed = runs.get(trial.number)!;
      assert.ok(resumed.resumedFrom, `trial ${trial.number} resumed`);
      assert.ok(weightBytes(resumed.model).equals(weightBytes(straight.model)), `trial ${trial.number}: the same weights as straight training`);
      assert.deepEqual(trial.values, straight.history.map((entry) => entry.val_loss));
    }
    const pruned = result.trials.filter((trial) => trial.status === 'pruned');
    assert.ok(pruned.length > 0);
    for (const trial of pruned) {
      assert.equal(trial.values.length, trial.prunedAt);
      assert.equal(checkpoint(trial.runInfo!.dir!).latest()!.epoch, trial.prunedAt, 'a pruned trial keeps the checkpoint it stopped at');
    }
    const epochs = result.trials.reduce((sum, trial) => sum + trial.values.length, 0);
    assert.ok(epochs < 6 * 8, `ASHA trained ${epochs} epochs of the grid's 48`);
  });

  it('ASHA with trials that checkpoint only every 10th epoch: a pause still checkpoints its rung, and the promoted trial resumes there bit for bit', async () => {
    const dir = tmpDir('sweep-asha-sparse');
    const calls = new Map<number, number>();
    const runs = new Map<number, Run>();
    const sparse = (_params: Record<string, unknown>, context: TrialContext) => ({ epochs: 8, checkpoint: { dir: context.dir, every: { epochs: 10 } } });
    const result = await sweep({ lr: [0.002, 0.05, 0.01, 0.03, 0.005, 0.1] }, recordingTrial(calls, runs, sparse) as never, {
      dir,
      name: 'asha-sparse',
      pruner: { kind: 'asha', minEpochs: 1, reduction: 2 },
      ...QUIET,
    });
    const promoted = result.trials.filter((trial) => trial.status === 'finished' && trial.attempts > 1);
    assert.ok(promoted.length > 0, 'some trial was paused, then promoted');
    for (const trial of promoted) {
      const resumed = runs.get(trial.number)!;
      assert.match(resumed.resumedFrom!.checkpoint, /^epoch-000[124]$/, `trial ${trial.number} resumed from a rung's checkpoint`);
      const { train: data, validation } = sweepData();
      const straight = await train(sweepModel(trial.params), data, { epochs: 8, batchSize: 16, validation, seed: 5, checkpoint: false, plot: false });
      assert.ok(weightBytes(resumed.model).equals(weightBytes(straight.model)), `trial ${trial.number}: the same weights as straight training`);
      assert.equal(trial.runInfo!.dir, path.join(dir, 'asha-sparse', `trial-000${trial.number}`), "the trial's run lives in the sweep's directory");
    }
  });

  it('sweep() interrupted in trial 2, then executed again: 0 finished trials re-run, trial 2 resumes from its checkpoint', async () => {
    const dir = tmpDir('sweep-interrupt');
    const calls = new Map<number, number>();
    const runs = new Map<number, Run>();
    const controller = new AbortController();
    const interruptAt = (_params: Record<string, unknown>, context: TrialContext) => ({
      callbacks: { onEpochEnd: (epoch: number) => void (context.number === 2 && epoch === 3 && controller.abort()) },
    });
    const space = { units: [4, 8, 16] };
    const first = await sweep(space, recordingTrial(calls, runs, interruptAt) as never, { dir, name: 'again', signal: controller.signal, ...QUIET });
    assert.equal(first.status, 'interrupted');
    assert.deepEqual(first.trials.map((trial) => trial.status), ['finished', 'unfinished']);
    assert.equal(runs.get(2)!.status, 'interrupted');

    calls.clear();
    const second = await sweep(space, recordingTrial(calls, runs) as never, { dir, name: 'again', ...QUIET });
    assert.equal(second.status, 'finished');
    assert.deepEqual([...calls.keys()], [2, 3], 'trial 1 finished before: not run again');
    assert.equal(runs.get(2)!.resumedFrom?.checkpoint, 'epoch-0003');
    assert.deepEqual(second.trials.map((trial) => trial.status), ['finished', 'finished', 'finished']);
    assert.equal(second.trials[1].attempts, 2);
  });

  it('sweep() extended — more trials, then a space with more values — runs only the new trials', async () => {
    const dir = tmpDir('sweep-extend');
    const calls = new Map<number, number>();
    const runs = new Map<number, Run>();
    const fn = recordingTrial(calls, runs, () => ({ epochs: 3 }));
    const space = { units: { min: 2, max: 16, int: true }, lr: { min: 0.001, max: 0.1, log: true } };
    const three = await sweep(space, fn as never, { dir, name: 'more', sampler: 'random', trials: 3, seed: 7, ...QUIET });
    calls.clear();
    const five = await sweep(space, fn as never, { dir, name: 'more', sampler: 'random', trials: 5, seed: 7, ...QUIET });
    assert.deepEqual([...calls.keys()], [4, 5]);
    assert.deepEqual(valuesOf(five).slice(0, 3), valuesOf(three));

    calls.clear();
    await sweep({ units: [4, 8] }, fn as never, { dir, name: 'wider', ...QUIET });
    calls.clear();
    const wider = await sweep({ units: [4, 8, 12] }, fn as never, { dir, name: 'wider', ...QUIET });
    assert.deepEqual([...calls.keys()], [3]);
    assert.deepEqual(wider.trials.map((trial) => trial.params.units), [4, 8, 12]);
  });

  it('sweep() on a sweep another process runs is refused, naming the holder', async () => {
    const dir = tmpDir('sweep-lock');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(path.join(dir, 'sweeps'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'sweeps', 'held.lock'), JSON.stringify({ pid: holder.pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));
      await rejectsWith(
        () => sweep({ units: [4] }, moduleTrial as never, { dir, name: 'held', ...QUIET }),
        `sweep(): sweep "held" is being run by another process: pid ${holder.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z. Wait for it to finish or stop it; if that process is gone, delete ${path.join(dir, 'sweeps', 'held.lock')}.`,
      );
    } finally {
      holder.kill();
    }
  });

  it('sweep() stops at the first failed trial and throws its error; failures: "continue" records it and goes on', async () => {
    const dir = tmpDir('sweep-fail');
    const failing = (params: { k: number }) => {
      if (params.k === 2) throw new Error('boom in trial two');
      return params.k;
    };
    const error = await rejectsWith(() => sweep({ k: [1, 2, 3] }, failing, { dir, name: 'fail', ...QUIET }), 'sweep(): trial 2 (k=2) failed, so the sweep stopped', 'boom in trial two');
    const stopped = (error as Error & { sweep: Sweep }).sweep;
    assert.deepEqual(stopped.trials.map((trial) => trial.status), ['finished', 'failed']);
    const goOn = await sweep({ k: [1, 2, 3] }, failing, { dir, name: 'fail-on', failures: 'continue', ...QUIET });
    assert.deepEqual(goOn.trials.map((trial) => [trial.status, trial.value]), [['finished', 1], ['failed', undefined], ['finished', 3]]);
    assert.equal(goOn.best!.number, 1);
  });

  it('sweep() names what is wrong with its options', async () => {
    await rejectsWith(
      () => sweep({ k: [1] }, () => 1, { workers: 2 }),
      'sweep(): `workers: 2` runs trials in worker processes, which cannot receive a function defined here (a closure cannot travel to another process). Give the trial as a module',
    );
    await rejectsWith(() => sweep({ k: [1] }, () => 1, { queue: 'redis://localhost:6379' }), 'a queued sweep runs its trials in `cellfit worker` processes, which cannot receive a function defined here');
    await rejectsWith(() => sweep({ k: [1] }, () => 1, { trails: 3 } as never), 'sweep(): unknown option `trails`. Expected one of name, dir, sampler, trials');
    await rejectsWith(() => sweep({ k: [1] }, { module: './nowhere.ts' }), 'sweep(): the trial module', 'nowhere.ts does not exist.');
  });
});

describe('sweep() on local worker processes', function () {
  this.timeout(180_000);

  it('sweep(space, module, { workers: 2 }) runs trials two at a time in worker processes, with the results of a serial sweep bit for bit', async () => {
    const dir = tmpDir('sweep-workers');
    const log = path.join(dir, 'calls.log');
    process.env.SWEEP_TRIAL_LOG = log;
    try {
      const space = { units: [4, 8], lr: [0.05, 0.01] };
      const serial = await sweep(space, { module: FIXTURE }, { dir, name: 'serial', workers: 1, ...QUIET });
      fs.writeFileSync(log, '');
      const parallel = await sweep(space, `${FIXTURE}#trial`, { dir, name: 'parallel', workers: 2, ...QUIET });
      assert.deepEqual(valuesOf(parallel), valuesOf(serial));
      assert.deepEqual(new Set(parallel.trials.map((trial) => trial.worker)), new Set(['local-1', 'local-2']));
      const pids = new Set(fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' ')[2]));
      assert.equal(pids.size, 2, 'two worker processes');
      assert.ok(!pids.has(String(process.pid)));
    } finally {
      delete process.env.SWEEP_TRIAL_LOG;
    }
  });

  it('sweep(space, module, { workers: 2 }) with a module that fails to load names the module and the error', async () => {
    const dir = tmpDir('sweep-badmodule');
    const file = path.join(dir, 'bad.js');
    fs.writeFileSync(file, "throw new Error('cannot load me');\n");
    await rejectsWith(() => sweep({ k: [1, 2] }, { module: file }, { dir, workers: 2, ...QUIET }), `the trial module ${file} failed to load in worker process local-`, 'cannot load me');
  });
});

describe('sweep() keeps its worker processes for the next sweep', function () {
  this.timeout(180_000);

  /** A trial module in `dir` whose helper holds `answer`; each trial logs `pid loads` to $KEPT_LOG, loads counting the module's loads in its process. */
  function writeModule(dir: string, answer: number): string {
    fs.writeFileSync(path.join(dir, 'helper.js'), `exports.answer = ${answer};\n`);
    const file = path.join(dir, 'trial.js');
    fs.writeFileSync(
      file,
      [
        "const { answer } = require('./helper');",
        'globalThis.keptLoads = (globalThis.keptLoads ?? 0) + 1;',
        'const loads = globalThis.keptLoads;',
        "exports.trial = (params) => { require('fs').appendFileSync(process.env.KEPT_LOG, `${process.pid} ${loads}\\n`); return answer + params.k / 1000; };",
        '',
      ].join('\n'),
    );
    return file;
  }

  const logged = (log: string) => fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' '));

  it('a second sweep runs on the first one’s worker processes, with the environment as it is then; an edited helper file is loaded anew, an unchanged module is not', async () => {
    const dir = tmpDir('sweep-kept');
    const file = writeModule(dir, 1);
    const run = async (name: string, log: string) => {
      process.env.KEPT_LOG = log;
      try {
        return (await sweep({ k: [1, 2] }, { module: file }, { dir, name, workers: 2, ...QUIET })).trials.map((trial) => trial.value);
      } finally {
        delete process.env.KEPT_LOG;
      }
    };
    assert.deepEqual(await run('first', path.join(dir, 'first.log')), [1.001, 1.002]);
    const first = logged(path.join(dir, 'first.log'));
    const pids = new Set(first.map(([pid]) => pid));
    assert.equal(pids.size, 2);

    // A new $KEPT_LOG reaches the kept processes; the module is not loaded again (its load count stays).
    assert.deepEqual(await run('second', path.join(dir, 'second.log')), [1.001, 1.002]);
    const second = logged(path.join(dir, 'second.log'));
    assert.deepEqual(new Set(second.map(([pid]) => pid)), pids, 'the same worker processes');
    assert.deepEqual(second.map(([, loads]) => loads), first.map(([, loads]) => loads), 'the module kept, not loaded again');

    writeModule(dir, 2);
    assert.deepEqual(await run('third', path.join(dir, 'third.log')), [2.001, 2.002], 'the edited helper’s value');
    const third = logged(path.join(dir, 'third.log'));
    assert.deepEqual(new Set(third.map(([pid]) => pid)), pids);
    assert.ok(third.every(([, loads], i) => Number(loads) === Number(first[i][1]) + 1), `loaded again once: ${JSON.stringify({ first, third })}`);
  });

  it('kept worker processes never keep a script alive, and end with it', async () => {
    const dir = tmpDir('sweep-kept-exit');
    const file = writeModule(dir, 3);
    const log = path.join(dir, 'calls.log');
    const lib = path.join(__dirname, '..', '..', '..', 'lib');
    const script = `require(${JSON.stringify(lib)}).sweep({ k: [1, 2] }, { module: ${JSON.stringify(file)} }, { dir: ${JSON.stringify(dir)}, workers: 2, plot: false, progress: false }).then((result) => console.log(JSON.stringify(result.trials.map((trial) => trial.value))));`;
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, KEPT_LOG: log }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.equal(output.trim(), '[3.001,3.002]');
    // The workers see the script's end (their IPC channel closes) and exit.
    const alive = (pid: string) => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    };
    const pids = logged(log).map(([pid]) => pid);
    while (pids.some(alive)) await new Promise((resolve) => setTimeout(resolve, 20));
  });
});

describe('sweep() interrupted on local worker processes, and .ts trial modules', function () {
  this.timeout(180_000);

  it('sweep(space, module, { workers: 2, signal }) aborted stops both running trials at a checkpoint; executed again, they resume', async () => {
    const dir = tmpDir('sweep-pool-interrupt');
    const space = { units: [4, 8, 16], epochs: 80 };
    const controller = new AbortController();
    const file = path.join(dir, 'sweeps', 'pool.json');
    const watcher = (async () => {
      // Once both workers have trained a few epochs of their trials, press "interrupt".
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        try {
          // The document and its journal: what the sweep has recorded so far.
          const record = readRecord(file, 'test') as { trials: { status: string; values: unknown[] }[] };
          if (record.trials.filter((t) => t.status === 'running' && t.values.length >= 3).length === 2) break;
        } catch {
          // Not written yet.
        }
      }
      controller.abort();
    })();
    // The first attempts wait after their third epoch until both are there (a worker may start
    // seconds after the other), then take ≥ 50 ms an epoch (4 s a trial), so the interrupt always
    // finds them both running.
    process.env.SWEEP_TRIAL_PACE = '50';
    process.env.SWEEP_TRIAL_BARRIER = `${path.join(dir, 'barrier')}:2`;
    let first;
    try {
      first = await sweep(space, { module: FIXTURE }, { dir, name: 'pool', workers: 2, signal: controller.signal, ...QUIET });
    } finally {
      delete process.env.SWEEP_TRIAL_PACE;
      delete process.env.SWEEP_TRIAL_BARRIER;
    }
    await watcher;
    assert.equal(first.status, 'interrupted');
    assert.deepEqual(first.trials.map((trial) => trial.status), ['unfinished', 'unfinished']);
    for (const trial of first.trials) assert.equal(checkpoint(trial.runInfo!.dir!).latest()!.epoch, trial.values.length, 'stopped at a checkpoint');

    const second = await sweep(space, { module: FIXTURE }, { dir, name: 'pool', workers: 2, ...QUIET });
    assert.equal(second.status, 'finished');
    assert.deepEqual(second.trials.map((trial) => [trial.status, trial.attempts, trial.values.length]), [['finished', 2, 80], ['finished', 2, 80], ['finished', 1, 80]]);
    assert.ok(second.trials.slice(0, 2).every((trial) => /^epoch-\d{4}(-batch-\d+)?$/.test(trial.runInfo!.resumedFrom ?? '')), JSON.stringify(second.trials.map((trial) => trial.runInfo)));
  });

  it('sweep(space, "trial.ts#trial") transpiles a TypeScript trial module on load', async () => {
    const dir = path.join(__dirname, '..', '..', '..', '..', 'test-artifacts', 'sweep-ts');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'quadratic.ts');
    fs.writeFileSync(file, "import type { TrialContext } from 'cellfit';\nexport function trial(params: { x: number }, context: TrialContext): number {\n  const y: number = (params.x - 2) ** 2 + context.number * 0;\n  return y;\n}\n");
    const result = await sweep({ x: [0, 1, 2, 3] }, `${file}#trial`, { dir: tmpDir('sweep-ts'), workers: 1, ...QUIET });
    assert.deepEqual(result.trials.map((trial) => trial.value), [4, 1, 0, 1]);
    assert.equal(result.best!.params.x, 2);
  });
});

describe('sweep() and the records of cellfit 0.1’s %%sweep', () => {
  it('sweep() continues a version-1 %%sweep record: its finished trials are kept and not run again', async () => {
    const dir = tmpDir('sweep-legacy');
    fs.mkdirSync(path.join(dir, 'sweeps'), { recursive: true });
    const legacy = {
      format: 'cellfit-sweep',
      body: 'old body',
      trials: {
        '[["k",1]]': { params: { k: 1 }, status: 'finished', runs: [{ id: 'run-1', status: 'completed', epoch: 3, epochs: 3, best: { epoch: 2, monitor: 'loss', value: 0.5 } }], updated: '2026-01-01T00:00:00.000Z' },
        '[["k",2]]': { params: { k: 2 }, status: 'unfinished', runs: [], updated: '2026-01-01T00:00:00.000Z' },
      },
    };
    fs.writeFileSync(path.join(dir, 'sweeps', 'old.json'), JSON.stringify(legacy));
    const called: number[] = [];
    const result = await sweep({ k: [1, 2, 3] }, ({ k }) => (called.push(k as number), (k as number) / 10), { dir, name: 'old', ...QUIET });
    assert.deepEqual(called, [2, 3]);
    assert.deepEqual(result.trials.map((trial) => [trial.params.k, trial.status, trial.value]), [[1, 'finished', 0.5], [2, 'finished', 0.2], [3, 'finished', 0.3]]);
  });
});
