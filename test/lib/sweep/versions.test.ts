/**
 * A sweep executed again is as cell-friendly as train(): unchanged, it returns at once; when what its
 * trials train changed — the trial's code, or a value the trial captures (options, data, model) —
 * it says what changed and starts NAME@2, keeping the old record and runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureWarnings } from '../../../lib/errors';
import { sweep, type Sweep } from '../../../lib/sweep';
import type { TrialContext } from '../../../lib/sweep/trial';
import { train } from '../../../lib/train';
import { sweepData, sweepModel } from '../../fixtures/sweep-trial';
import { startRedis } from '../../support/redis';
import { tmpDir } from '../train/support';

const QUIET = { plot: false, progress: false } as const;

/** Settings the trial captures, as a notebook's variables. */
interface Captured {
  batchSize: number;
  epochs: number;
  rows: number;
}

/** A trial that captures `settings` and counts the epochs it trains. */
function capturingTrial(settings: Captured, trained: { epochs: number }) {
  return async (params: { units: number }, _context: TrialContext) => {
    const { train: data, validation } = sweepData();
    const rows = { xs: data.xs.slice(0, settings.rows), ys: data.ys.slice(0, settings.rows) };
    return train(sweepModel(params), rows, { epochs: settings.epochs, batchSize: settings.batchSize, validation, seed: 5, callbacks: { onEpochEnd: () => void trained.epochs++ } });
  };
}

const summary = (result: Sweep) => result.trials.map((trial) => [trial.params.units, trial.status, trial.values.length]);

describe('sweep() executed again', function () {
  this.timeout(120_000);

  it('sweep(space, trial, { name }) unchanged returns its trials without training; a captured batchSize 16 → 8 starts NAME@2 and says so, keeping NAME', async () => {
    const dir = tmpDir('sweep-versions');
    const settings: Captured = { batchSize: 16, epochs: 3, rows: 64 };
    const trained = { epochs: 0 };
    const space = { units: [4, 8] };
    const fn = capturingTrial(settings, trained);
    const first = await sweep(space, fn, { dir, name: 'loans', ...QUIET });
    assert.deepEqual(summary(first), [[4, 'finished', 3], [8, 'finished', 3]]);
    assert.equal(trained.epochs, 6);

    trained.epochs = 0;
    const warnings = await captureWarnings(async () => {
      const again = await sweep(space, fn, { dir, name: 'loans', ...QUIET });
      assert.equal(again.name, 'loans');
      assert.deepEqual(summary(again), summary(first));
      assert.deepEqual(again.trials.map((trial) => trial.value), first.trials.map((trial) => trial.value));
    });
    assert.deepEqual(warnings, []);
    assert.equal(trained.epochs, 0, 'nothing trained');

    settings.batchSize = 8;
    let changed: Sweep | undefined;
    const noticed = await captureWarnings(async () => {
      changed = await sweep(space, fn, { dir, name: 'loans', ...QUIET });
    });
    assert.deepEqual(noticed, [
      `sweep(): sweep "loans": trial 1 (units=4) would now train something else (batchSize 16 → 8). Starting sweep "loans@2", which runs every trial anew; the record of sweep "loans" and its runs are kept in ${dir}.`,
    ]);
    assert.equal(changed!.name, 'loans@2');
    assert.equal(trained.epochs, 6, 'both trials trained anew');
    assert.equal(changed!.trials[0].runInfo!.dir, path.join(dir, 'loans@2', 'trial-0001'));
    assert.notDeepEqual(changed!.trials.map((trial) => trial.value), first.trials.map((trial) => trial.value));
    const old = JSON.parse(fs.readFileSync(path.join(dir, 'sweeps', 'loans.json'), 'utf8')) as { trials: { value: number }[] };
    assert.deepEqual(old.trials.map((trial) => trial.value), first.trials.map((trial) => trial.value), 'the old record is kept as it was');

    // Back to the old setting: the old version is continued, at once.
    settings.batchSize = 16;
    trained.epochs = 0;
    const back = await sweep(space, fn, { dir, name: 'loans', ...QUIET });
    assert.equal(back.name, 'loans');
    assert.equal(trained.epochs, 0);
  });

  it('sweep() notices changed data and an edited trial function, naming the line', async () => {
    const dir = tmpDir('sweep-versions-code');
    const settings: Captured = { batchSize: 16, epochs: 2, rows: 64 };
    const trained = { epochs: 0 };
    await sweep({ units: [4] }, capturingTrial(settings, trained), { dir, name: 'edit', ...QUIET });

    settings.rows = 48;
    const data = await captureWarnings(() => sweep({ units: [4] }, capturingTrial(settings, trained), { dir, name: 'edit', ...QUIET }));
    assert.match(data[0], /^sweep\(\): sweep "edit": trial 1 \(units=4\) would now train something else \(the data\)\. Starting sweep "edit@2"/);

    const edited = async (params: { units: number }) => {
      const { train: rows, validation } = sweepData();
      return train(sweepModel(params), rows, { epochs: 2, batchSize: 32, validation, seed: 5 });
    };
    let result: Sweep | undefined;
    const code = await captureWarnings(async () => {
      result = await sweep({ units: [4] }, edited, { dir, name: 'edit', ...QUIET });
    });
    assert.match(code[0], /^sweep\(\): sweep "edit@2": the trial's code changed \(line 1: "async \(params, _context\) => \{ .*" → "async \(params\) => \{ .*"\)\. Starting sweep "edit@3", which runs every trial anew; the records of sweeps "edit@2", "edit" and their runs are kept/);
    assert.equal(result!.name, 'edit@3');
  });

  it('sweep() whose trials now ask for more epochs continues their runs, as train() does', async () => {
    const dir = tmpDir('sweep-versions-epochs');
    const settings: Captured = { batchSize: 16, epochs: 2, rows: 64 };
    const trained = { epochs: 0 };
    const fn = capturingTrial(settings, trained);
    await sweep({ units: [4, 8] }, fn, { dir, name: 'longer', ...QUIET });
    settings.epochs = 4;
    trained.epochs = 0;
    const longer = await sweep({ units: [4, 8] }, fn, { dir, name: 'longer', ...QUIET });
    assert.equal(longer.name, 'longer');
    assert.deepEqual(summary(longer), [[4, 'finished', 4], [8, 'finished', 4]]);
    assert.equal(trained.epochs, 4, 'two more epochs per trial');
    assert.deepEqual(longer.trials.map((trial) => trial.attempts), [2, 2]);
  });

  it('sweep(space, { module }) notices an edited module file (by its hash) and starts NAME@2', async () => {
    const dir = tmpDir('sweep-versions-module');
    const file = path.join(dir, 'trial.js');
    fs.writeFileSync(file, 'exports.trial = (params) => params.k * 1;\n');
    const first = await sweep({ k: [1, 2] }, { module: file }, { dir, name: 'mod', workers: 1, ...QUIET });
    assert.deepEqual(first.trials.map((trial) => trial.value), [1, 2]);
    fs.writeFileSync(file, 'exports.trial = (params) => params.k * 3;\n');
    let second: Sweep | undefined;
    const warnings = await captureWarnings(async () => {
      second = await sweep({ k: [1, 2] }, { module: file }, { dir, name: 'mod', workers: 1, ...QUIET });
    });
    assert.deepEqual(warnings, [`sweep(): sweep "mod": the trial module ${file} was edited. Starting sweep "mod@2", which runs every trial anew; the record of sweep "mod" and its runs are kept in ${dir}.`]);
    assert.deepEqual(second!.trials.map((trial) => trial.value), [3, 6]);
  });

  it('sweep(space, { module }, { queue }) with an edited module starts NAME@2, and `cellfit worker` runs the new code', async () => {
    const redis = await startRedis();
    const dir = tmpDir('sweep-versions-queue');
    const file = path.join(dir, 'trial.js');
    fs.writeFileSync(file, 'exports.trial = (params) => params.k * 1;\n');
    const worker = spawn(process.execPath, [path.join(__dirname, '..', '..', '..', 'kernel', 'cli.js'), 'worker', '--queue', redis.url], { stdio: 'ignore' });
    try {
      const options = { dir, name: 'queued', queue: redis.url, ...QUIET };
      const first = await sweep({ k: [1, 2] }, { module: file }, options);
      assert.deepEqual(first.trials.map((trial) => trial.value), [1, 2]);
      assert.deepEqual(await captureWarnings(() => sweep({ k: [1, 2] }, { module: file }, options)), [], 'unchanged: no new version');
      fs.writeFileSync(file, 'exports.trial = (params) => params.k * 3;\n');
      let second: Sweep | undefined;
      const warnings = await captureWarnings(async () => {
        second = await sweep({ k: [1, 2] }, { module: file }, options);
      });
      assert.deepEqual(warnings, [`sweep(): sweep "queued": the trial module ${file} was edited. Starting sweep "queued@2", which runs every trial anew; the record of sweep "queued" and its runs are kept in ${redis.url}.`]);
      assert.equal(second!.name, 'queued@2');
      assert.deepEqual(second!.trials.map((trial) => trial.value), [3, 6]);
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
      await redis.stop();
    }
  });
});
