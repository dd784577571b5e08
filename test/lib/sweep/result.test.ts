/**
 * A sweep's trials and best as Run objects rebuilt from their checkpoints, wherever they trained:
 * ready to evaluate and export, as the runs train() returns.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../../../lib/backend';
import { fileHandler } from '../../../lib/checkpoint';
import { Sweep, sweep } from '../../../lib/sweep';
import { loadRun, Run, train } from '../../../lib/train';
import { sweepData, sweepModel } from '../../fixtures/sweep-trial';
import { tmpDir, weightBytes } from '../train/support';

const QUIET = { plot: false, progress: false } as const;
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'sweep-trial.js');

describe('sweep() results as runs', function () {
  this.timeout(120_000);

  it('sweep(space, module, { workers: 2 }): best.run is a Run rebuilt from its checkpoints — the weights its trial ended with, evaluate() and export() work', async () => {
    const dir = tmpDir('sweep-runs');
    const result = await sweep({ units: [4, 8] }, { module: FIXTURE }, { dir, name: 'runs', workers: 2, ...QUIET });
    const best = result.best!;
    assert.ok(best.run instanceof Run, `best.run is a Run: ${String(best.run)}`);
    assert.equal(best.run.dir, path.join(dir, 'runs', `trial-000${best.number}`));
    assert.equal(best.runInfo!.id, best.run.id);
    for (const trial of result.trials) {
      const run = await trial.loadRun();
      assert.ok(run instanceof Run);
      assert.equal(run.dir, trial.runInfo!.dir);
    }

    // The same weights as the trial trained (the fixture is deterministic, so train it again here).
    const { train: data, validation } = sweepData();
    const again = await train(sweepModel(best.params), data, { epochs: 6, batchSize: 16, validation, seed: 5, checkpoint: false, ...QUIET });
    assert.ok(weightBytes(best.run.model).equals(weightBytes(again.model)));
    const metrics = await best.run.evaluate(validation);
    assert.ok(Math.abs(metrics.loss - again.history[again.history.length - 1].val_loss) < 1e-5, `${metrics.loss} vs ${again.history[again.history.length - 1].val_loss}`);
    assert.deepEqual(best.run.history.map((entry) => entry.val_loss), best.values);

    const exported = await best.run.checkpoints!.export('latest', path.join(dir, 'exported'));
    assert.ok(fs.existsSync(exported));
    const loaded = await tf.loadLayersModel(fileHandler(path.join(dir, 'exported')));
    assert.ok(weightBytes(loaded).equals(weightBytes(best.run.model)));
  });

  it('a sweep returns every trial’s run rebuilt (the contract); loadRun() answers that same Run; runs stay out of the result’s JSON', async () => {
    const dir = tmpDir('sweep-runs-loaded');
    const result = await sweep({ units: [4, 8, 16] }, { module: FIXTURE }, { dir, name: 'loaded', workers: 1, ...QUIET });
    for (const trial of result.trials) {
      assert.ok(trial.run instanceof Run, `trial ${trial.number}'s run is a Run`);
      assert.equal(await trial.loadRun(), trial.run);
      assert.deepEqual(trial.run.history.map((entry) => entry.val_loss), trial.values);
    }
    assert.ok(!('run' in JSON.parse(JSON.stringify(result)).best));
  });

  it('a result built from a record alone rebuilds a trial’s run on its first loadRun(), once, and trial.run says so before', async () => {
    const dir = tmpDir('sweep-lazy-runs');
    const returned = await sweep({ units: [4, 8, 16] }, { module: FIXTURE }, { dir, name: 'lazy', workers: 1, ...QUIET });
    const result = new Sweep(returned.record, returned.file);
    const other = result.trials[1];
    assert.throws(() => other.run, (error: Error) => error.message.startsWith(`sweep(): trial ${other.number}'s run is not rebuilt yet (this result was made from a record alone): \`await result.trials[${other.number - 1}].loadRun()\` rebuilds it`));
    // Two calls at once rebuild it once.
    const [first, second] = await Promise.all([other.loadRun(), other.loadRun()]);
    assert.ok(first instanceof Run);
    assert.equal(second, first);
    assert.equal(other.run, first);
    assert.equal(first.dir, other.runInfo!.dir);
    assert.deepEqual(first.history.map((entry) => entry.val_loss), other.values);
  });

  it('loadRun(dir) names a directory that holds no run', async () => {
    const dir = tmpDir('load-run-empty');
    await assert.rejects(() => loadRun(dir), (error: Error) => error.message === `loadRun(): ${dir} holds no valid checkpoint (and no run.json): it is not a run directory, or its run never saved one.`);
  });
});
