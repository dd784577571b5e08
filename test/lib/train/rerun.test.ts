import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpoint } from '../../../lib/checkpoint';
import { captureWarnings } from '../../../lib/errors';
import { tf } from '../../../lib/backend';
import { setSeed, unseedMathRandom } from '../../../lib/random';
import { listRuns } from '../../../lib/runs';
import { JUPYTER_DISPLAY } from '../../../lib/session';
import { train } from '../../../lib/train';
import { rejectsWith } from '../../helpers';
import { buildModel, QUIET, regression, tmpDir, weightBytes } from './support';

describe('train() re-execution', function () {
  this.timeout(60000);
  const data = regression(80);
  const options = { epochs: 3, batchSize: 16, ...QUIET };

  it('train() of a finished run returns it at once, with its history and the final weights, writing nothing', async () => {
    const dir = tmpDir('finished');
    const first = await train(buildModel(), data, { ...options, checkpoint: dir });
    const files = fs.readdirSync(first.dir!).sort();
    const stamp = fs.statSync(path.join(first.dir!, 'epoch-0003', 'manifest.json')).mtimeMs;
    const model = buildModel();
    const again = await train(model, data, { ...options, checkpoint: dir });
    assert.equal(again.reused, true);
    assert.equal(again.id, first.id);
    assert.equal(again.status, 'completed');
    assert.deepEqual(again.history, first.history);
    assert.deepEqual(again.stop, { reason: 'completed', message: 'trained 3 epochs.', epoch: 3 });
    assert.ok(weightBytes(model).equals(weightBytes(first.model)));
    assert.deepEqual(fs.readdirSync(first.dir!).sort(), files);
    assert.equal(fs.statSync(path.join(first.dir!, 'epoch-0003', 'manifest.json')).mtimeMs, stamp);
    // Asking for fewer epochs returns the run as it is.
    const fewer = await train(buildModel(), data, { ...options, epochs: 2, checkpoint: dir });
    assert.equal(fewer.reused, true);
    assert.equal(fewer.epoch, 3);
  });

  it('train() with more epochs continues the same run, to the weights of one long run', async () => {
    const dir = tmpDir('more');
    const reference = await train(buildModel(), data, { ...options, epochs: 5, checkpoint: false });
    const first = await train(buildModel(), data, { ...options, checkpoint: dir });
    const model = buildModel();
    const more = await train(model, data, { ...options, epochs: 5, checkpoint: dir });
    assert.equal(more.id, first.id);
    assert.deepEqual(more.resumedFrom, { checkpoint: 'epoch-0003', epoch: 3, batch: 0 });
    assert.equal(more.epoch, 5);
    assert.equal(more.history.length, 5);
    assert.ok(weightBytes(model).equals(weightBytes(reference.model)));
  });

  it('train() on the model it just trained (re-running only the training cell) returns the finished run', async () => {
    const dir = tmpDir('same-model');
    const model = buildModel();
    const first = await train(model, data, { ...options, checkpoint: dir });
    const again = await train(model, data, { ...options, checkpoint: dir });
    assert.equal(again.reused, true);
    assert.equal(again.id, first.id);
  });

  it('train() with another batch size, seed, data or model is a new run; epochs and early stopping are not', async () => {
    const dir = tmpDir('identity');
    const base = await train(buildModel(), data, { ...options, checkpoint: dir });
    const ids = new Set([base.id]);
    ids.add((await train(buildModel(), data, { ...options, batchSize: 8, checkpoint: dir })).id);
    ids.add((await train(buildModel(), data, { ...options, seed: 99, checkpoint: dir })).id);
    ids.add((await train(buildModel(), regression(80, 3, 2), { ...options, checkpoint: dir })).id);
    ids.add((await train(buildModel({ units: 6 }), data, { ...options, checkpoint: dir })).id);
    ids.add((await train(buildModel({ optimizer: 'sgd' }), data, { ...options, checkpoint: dir })).id);
    assert.equal(ids.size, 6);
    const same = await train(buildModel(), data, { ...options, epochs: 3, earlyStop: { monitor: 'loss', patience: 9 }, checkpoint: dir });
    assert.equal(same.id, base.id);
  });

  it("train(..., { resume: 'fresh' }) starts over in a new directory and keeps the old run; later calls find the newest", async () => {
    const dir = tmpDir('fresh');
    const first = await train(buildModel(), data, { ...options, checkpoint: dir });
    const fresh = await train(buildModel(), data, { ...options, resume: 'fresh', checkpoint: dir });
    assert.equal(fresh.reused, false);
    assert.equal(fresh.id, `${first.id}@2`);
    assert.ok(fs.existsSync(first.dir!));
    const again = await train(buildModel(), data, { ...options, checkpoint: dir });
    assert.equal(again.id, fresh.id);
    assert.equal(again.reused, true);
  });

  it("train(..., { resume: 'require' }) fails when there is nothing to resume", async () => {
    const dir = tmpDir('require');
    await rejectsWith(
      () => train(buildModel(), data, { ...options, resume: 'require', checkpoint: dir }),
      `train(): resume: 'require', but ${dir} holds no run of this model, data and options to resume. Train it once with resume: 'auto' (the default).`,
    );
  });

  it('train() of an unseeded rebuild warns how to resume the unfinished run it resembles; resume: require resumes it', async () => {
    const dir = tmpDir('unseeded');
    const controller = new AbortController();
    const unseeded = () => {
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      return model;
    };
    unseedMathRandom();
    const first = await train(unseeded(), data, { ...options, checkpoint: dir, signal: controller.signal, callbacks: { onEpochEnd: () => controller.abort() } });
    assert.equal(first.status, 'interrupted');
    let second: Awaited<ReturnType<typeof train>> | undefined;
    const warnings = await captureWarnings(async () => {
      second = await train(unseeded(), data, { ...options, checkpoint: dir });
    });
    assert.notEqual(second!.id, first.id);
    assert.equal(warnings.length, 1);
    assert.ok(
      warnings[0].startsWith(`train(): starting a new run ${second!.id}, but run ${first.id} in ${dir} trained the same architecture, compile settings, data and options and is unfinished (interrupted at epoch 1 of 3).`),
      warnings[0],
    );
    assert.ok(warnings[0].includes('call setSeed(n) before building the model (the same n every time) or give the run a name'));
    const third = await train(unseeded(), data, { ...options, epochs: 4, checkpoint: dir, resume: 'require' });
    assert.equal(third.id, first.id);
    assert.equal(third.resumedFrom?.checkpoint, 'epoch-0001');
  });

  it('train(..., { name }) resumes its run even when the model was built with other initial weights', async () => {
    const dir = tmpDir('named');
    const controller = new AbortController();
    await train(buildModel({ seed: 1 }), data, { ...options, name: 'flights', checkpoint: dir, signal: controller.signal, callbacks: { onEpochEnd: () => controller.abort() } });
    const reference = await train(buildModel({ seed: 1 }), data, { ...options, checkpoint: false });
    const model = buildModel({ seed: 2 });
    const resumed = await train(model, data, { ...options, name: 'flights', checkpoint: dir });
    assert.equal(resumed.id, 'flights');
    assert.equal(resumed.name, 'flights');
    assert.equal(resumed.resumedFrom?.checkpoint, 'epoch-0001');
    assert.ok(weightBytes(model).equals(weightBytes(reference.model)));
    const warnings = await captureWarnings(async () => {
      const other = await train(buildModel(), data, { ...options, batchSize: 8, name: 'flights', checkpoint: dir });
      assert.equal(other.id, 'flights@2');
    });
    assert.deepEqual(warnings, [
      `train(): run "flights" in ${dir} was trained with a different model, data or options; starting a new run in flights@2 (the old one is kept). Use a new name to tell them apart.`,
    ]);
  });

  it('train() with setSeed(n) before building rebuilds the same initial weights, so a re-run script finds its run', async () => {
    const dir = tmpDir('setseed');
    const script = () => {
      setSeed(3);
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      return train(model, data, { ...options, checkpoint: dir });
    };
    try {
      const first = await script();
      const second = await script();
      assert.equal(second.id, first.id);
      assert.equal(second.reused, true);
    } finally {
      unseedMathRandom();
      setSeed(0, { mathRandom: false });
    }
  });

  it('run[Symbol.for("Jupyter.display")]() is a summary table; run.plot() the loss chart', async () => {
    const run = await train(buildModel(), data, { ...options, validation: 0.25, checkpoint: tmpDir('display') });
    const bundle = run[Symbol.for('Jupyter.display') as typeof JUPYTER_DISPLAY]();
    assert.deepEqual(Object.keys(bundle), ['text/plain', 'text/html']);
    assert.match(String(bundle['text/plain']), new RegExp(`^Run ${run.id}: completed after 3/3 epochs, best val_loss [0-9.]+ at epoch \\d\\. trained 3 epochs\\.$`));
    assert.match(String(bundle['text/html']), /<th style="text-align:left">status<\/th><td style="text-align:left">completed<\/td>/);
    const chart = run.plot()[JUPYTER_DISPLAY]();
    assert.ok('application/vnd.plotly.v1+json' in chart);
    // Outside a notebook, run.plot({ file }) writes a standalone page.
    const file = path.join(tmpDir('display-page'), 'run.html');
    assert.equal(run.plot({ file }), file);
    assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`<title>${run.id}</title>`));
  });

  it('listRuns(dir) lists each run with status, epochs, best and stop; checkpoint({ dir: run.dir }).list() its checkpoints', async () => {
    const dir = tmpDir('list');
    const run = await train(buildModel(), data, { ...options, validation: 0.25, checkpoint: dir });
    const runs = listRuns(dir);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].id, run.id);
    assert.equal(runs[0].status, 'completed');
    assert.equal(runs[0].epoch, 3);
    assert.equal(runs[0].epochs, 3);
    assert.equal(runs[0].best?.monitor, 'val_loss');
    assert.equal(runs[0].checkpoint, 'epoch-0003');
    assert.deepEqual(
      checkpoint({ dir: run.dir! }).list().map((info) => info.id),
      ['epoch-0001', 'epoch-0002', 'epoch-0003'],
    );
    assert.deepEqual(Object.keys(checkpoint({ dir: run.dir! }).latest()!.metrics), ['loss', 'mae', 'val_loss', 'val_mae']);
  });
});
