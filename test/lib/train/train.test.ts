import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { tf } from '../../../lib/backend';
import { checkpoint } from '../../../lib/checkpoint';
import { earlyStop } from '../../../lib/earlystop';
import { captureWarnings } from '../../../lib/errors';
import { PLOTLY_MIME } from '../../../lib/plots/plotly';
import { reduceOnPlateau, stepDecay } from '../../../lib/schedules';
import { setSessionProvider, type MimeBundle } from '../../../lib/session';
import { split } from '../../../lib/split';
import { tabulateInputSpace } from '../../../lib/tabulate';
import { train, type Run } from '../../../lib/train';
import { spaceLimits } from '../../../lib/train/data';
import { recordingSession, rejectsWith } from '../../helpers';
import { buildModel, metricsOf, QUIET, regression, regressionRows, tmpDir, weightBytes } from './support';

describe('train()', function () {
  this.timeout(60000);
  const data = regression(96);

  for (const optimizer of ['adam', 'sgd', 'rmsprop']) {
    it(`train(model with ${optimizer}, { xs, ys }, { shuffle: false, engine: 'tfjs' }) gives bit-for-bit the weights of model.fit(xs, ys, { shuffle: false })`, async () => {
      const ours = buildModel({ optimizer, dropout: false });
      const theirs = buildModel({ optimizer, dropout: false });
      await train(ours, data, { epochs: 3, batchSize: 16, shuffle: false, checkpoint: false, engine: 'tfjs', ...QUIET });
      await theirs.fit(data.xs, data.ys, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
      assert.ok(weightBytes(ours).equals(weightBytes(theirs)));
    });
  }

  it("train(model with adam and a kernel too large to fuse into one Adam update, { engine: 'tfjs' }) still gives the weights of model.fit bit for bit", async () => {
    // 3 → 300 → 300 → 1: the 300×300 kernel (90000 values) is updated on its own, the rest together.
    const ours = buildModel({ dropout: false, hidden: [300, 300] });
    const theirs = buildModel({ dropout: false, hidden: [300, 300] });
    assert.ok(ours.trainableWeights.some((weight) => weight.shape.reduce((a, b) => a! * b!, 1)! > 65536));
    await train(ours, data, { epochs: 2, batchSize: 32, shuffle: false, checkpoint: false, engine: 'tfjs', ...QUIET });
    await theirs.fit(data.xs, data.ys, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    assert.ok(weightBytes(ours).equals(weightBytes(theirs)));
  });

  it("train(model, wide data, { shuffle: true, engine: 'tfjs' }) draws each batch with its own gather and matches the same order", async () => {
    // 600 features × 32 rows per batch leaves no room for chunked gathers: one gather per batch.
    const wide = regression(64, 600, 3);
    const a = buildModel({ features: 600, dropout: false });
    const b = buildModel({ features: 600, dropout: false });
    await train(a, wide, { epochs: 2, batchSize: 32, checkpoint: false, engine: 'tfjs', ...QUIET });
    await train(b, wide, { epochs: 2, batchSize: 32, checkpoint: false, engine: 'tfjs', ...QUIET });
    assert.ok(weightBytes(a).equals(weightBytes(b)));
    const narrow = buildModel({ features: 600, dropout: false });
    await narrow.fit(wide.xs, wide.ys, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    const ours = buildModel({ features: 600, dropout: false });
    await train(ours, wide, { epochs: 2, batchSize: 32, shuffle: false, checkpoint: false, engine: 'tfjs', ...QUIET });
    assert.ok(weightBytes(ours).equals(weightBytes(narrow)));
  });

  it('train(model, data, { earlyStop }) stops with the reason and message, holding the best epoch (checkpoint selection)', async () => {
    const dir = tmpDir('early');
    // Training lowers the loss, so watched in 'max' mode it never improves after epoch 1.
    const model = buildModel();
    const run = await train(model, data, { epochs: 6, batchSize: 16, checkpoint: dir, earlyStop: earlyStop({ monitor: 'loss', mode: 'max', patience: 1 }), ...QUIET });
    assert.equal(run.status, 'early-stopped');
    assert.equal(run.epoch, 3);
    assert.equal(run.stop.reason, 'patience-exhausted');
    const [first, , third] = run.history;
    assert.equal(
      run.stop.message,
      `loss did not improve for 2 epochs (patience 1): best ${Number(first.loss.toPrecision(4))} at epoch 1, ${Number(third.loss.toPrecision(4))} at epoch 3; the model holds the weights of epoch 1, the best by loss.`,
    );
    assert.deepEqual(run.best, { epoch: 1, monitor: 'loss', value: first.loss });
    const epochOne = checkpoint(run.dir!).read('epoch-0001');
    assert.ok(weightBytes(model).equals(Buffer.from(epochOne.weights.data)));
    // The finished run comes back holding the same (best) weights.
    const again = buildModel();
    const reused = await train(again, data, { epochs: 6, batchSize: 16, checkpoint: dir, earlyStop: earlyStop({ monitor: 'loss', mode: 'max', patience: 1 }), ...QUIET });
    assert.equal(reused.reused, true);
    assert.equal(reused.status, 'early-stopped');
    assert.ok(weightBytes(again).equals(weightBytes(model)));
  });

  it('train(model, data, { earlyStop: { restoreBest: true } }) holds the best epoch also when every epoch ran', async () => {
    const model = buildModel();
    const run = await train(model, data, { epochs: 3, batchSize: 16, checkpoint: tmpDir('best'), earlyStop: { monitor: 'loss', mode: 'max', patience: 5 }, ...QUIET });
    assert.equal(run.status, 'completed');
    assert.equal(run.stop.message, 'trained 3 epochs; the model holds the weights of epoch 1, the best by loss.');
    assert.ok(weightBytes(model).equals(Buffer.from(checkpoint(run.dir!).read('epoch-0001').weights.data)));
  });

  it('train(model with a huge learning rate, ...) stops as diverged, holding the last finite checkpoint', async () => {
    const model = buildModel({ optimizer: tf.train.sgd(1e3), dropout: false });
    const run = await train(model, data, { epochs: 5, batchSize: 16, checkpoint: tmpDir('diverged'), ...QUIET });
    assert.equal(run.status, 'diverged');
    assert.equal(run.stop.reason, 'diverged');
    const match = /^loss is (NaN|Infinity|-Infinity) (at epoch \d+|in epoch \d+ \(batch \d+\)); the model holds the last finite checkpoint, (epoch-\d{4}) \(epoch (\d+)\)\.$/.exec(run.stop.message);
    assert.ok(match, run.stop.message);
    const held = checkpoint(run.dir!).read(match[3]);
    assert.ok(weightBytes(model).equals(Buffer.from(held.weights.data)));
    const bytes = weightBytes(model);
    assert.ok(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).every(Number.isFinite));
    assert.equal(run.epoch, Number(match[4]));
    const again = await train(buildModel({ optimizer: tf.train.sgd(1e3), dropout: false }), data, { epochs: 5, batchSize: 16, checkpoint: run.dir!.replace(/\/[^/]+$/, ''), ...QUIET });
    assert.equal(again.reused, true);
    assert.equal(again.status, 'diverged');
  });

  for (const engine of ['fused', 'tfjs'] as const) {
    for (const optimizer of ['adam', 'momentum']) {
      it(`train(model with ${optimizer}, ..., { checkpoint: false, engine: '${engine}' }) that diverges in epoch 5 holds epoch 4's weights, bit for bit`, async () => {
        // Epochs 1–4 train normally; the rate of epoch 5 on makes the loss overflow. Momentum's slots
        // are as large as the weights: the rollback copies, kept in the same buffers every epoch,
        // must not swap them.
        const rate = (epoch: number) => (epoch < 4 ? 0.01 : 1e30);
        const options = { batchSize: 16, shuffle: false, checkpoint: false, engine, learningRate: rate, ...QUIET } as const;
        const model = buildModel({ optimizer, dropout: false });
        const run = await train(model, data, { ...options, epochs: 9 });
        assert.equal(run.status, 'diverged');
        assert.match(run.stop.message, /^loss is (NaN|Infinity|-Infinity) (at epoch 5|in epoch 5 \(batch \d+\)); the model holds the weights of epoch 4, the last finite one\.$/);
        assert.equal(run.epoch, 4);
        const reference = buildModel({ optimizer, dropout: false });
        await train(reference, data, { ...options, epochs: 4 });
        assert.ok(weightBytes(model).equals(weightBytes(reference)));
      });
    }
  }

  it('train(model, newData, { from: run, learningRate }) fine-tunes from the run, recording its parent', async () => {
    const dir = tmpDir('finetune');
    const parent = await train(buildModel(), data, { epochs: 2, batchSize: 16, checkpoint: dir, name: 'base', ...QUIET });
    const newData = regression(48, 3, 5);
    const child = await train(buildModel(), newData, { epochs: 2, batchSize: 16, checkpoint: dir, from: parent, learningRate: 0.001, ...QUIET });
    assert.deepEqual(child.parent, { id: 'base', dir: parent.dir, checkpoint: 'epoch-0002', epoch: 2 });
    assert.notEqual(child.id, parent.id);
    assert.ok(Buffer.from(checkpoint(child.dir!).read('epoch-0000').weights.data).equals(weightBytes(parent.model)));
    assert.deepEqual(child.history.map((entry) => entry.lr), [0.001, 0.001]);
    const again = await train(buildModel(), newData, { epochs: 2, batchSize: 16, checkpoint: dir, from: { run: parent.dir!, checkpoint: 'epoch-0002' }, learningRate: 0.001, ...QUIET });
    assert.equal(again.id, child.id);
    assert.equal(again.reused, true);
  });

  it('train() in a notebook shows a live chart and a progress line, stops on the cell signal and reports the run', async () => {
    const session = recordingSession();
    const controller = new AbortController();
    const reported: unknown[] = [];
    setSessionProvider(() => ({ ...session, signal: controller.signal, reportRun: (run) => reported.push(run) }));
    let run: Run;
    try {
      run = await train(buildModel(), data, {
        epochs: 4,
        batchSize: 16,
        validation: 0.25,
        checkpoint: tmpDir('notebook'),
        callbacks: { onEpochEnd: (epoch) => (epoch === 2 ? controller.abort() : undefined) },
      });
    } finally {
      setSessionProvider(undefined);
    }
    assert.equal(run.status, 'interrupted');
    assert.equal(run.epoch, 2);
    assert.deepEqual(reported, [run]);
    const all = session.shown.flatMap((bundle, i) => [bundle, ...session.updates[i]]);
    // Frames while training are HTML only (live); the last one carries the plotly figure.
    const charts = all.filter((bundle: MimeBundle) => String(bundle['text/html'] ?? '').includes('class="cellfit-chart"'));
    assert.ok(charts.length >= 2, 'the chart was shown and updated');
    assert.ok(PLOTLY_MIME in charts[charts.length - 1], 'the final frame is the full chart');
    const last = charts[charts.length - 1][PLOTLY_MIME] as { data: { name: string; y: number[] }[] };
    assert.deepEqual(last.data.map((trace) => trace.name).slice(0, 2), ['train loss', 'validation loss']);
    assert.equal(last.data[0].y.length, 2);
    // The progress line (terminal-only lines, which browsers collapse, left out).
    const lines = all.filter((bundle) => !(PLOTLY_MIME in bundle) && !('text/html' in bundle)).map((bundle) => String(bundle['text/plain'])).filter((text) => text.startsWith(`${run.id}:`));
    assert.ok(lines.some((text) => text.includes('epoch 2/4')), lines.join('\n'));
    assert.ok(lines[lines.length - 1].endsWith('interrupted at the start of epoch 3. Checkpoint epoch-0002 holds this point: re-run to resume from it.'), lines[lines.length - 1]);
  });

  it('train(model, table, { features, label }) and train(model, rows, ...) read the named columns', async () => {
    const { xs, ys } = regressionRows(64);
    const rows = xs.map(([a, b, c], i) => ({ a, b, c, y: ys[i][0] }));
    const fromRows = await train(buildModel(), rows, { epochs: 2, features: ['a', 'b', 'c'], label: 'y', checkpoint: false, ...QUIET });
    const fromTable = await train(buildModel(), aq.from(rows), { epochs: 2, features: ['a', 'b', 'c'], label: 'y', checkpoint: false, ...QUIET });
    assert.deepEqual(metricsOf(fromRows.history), metricsOf(fromTable.history));
    // @ts-expect-error rows need features and label (the types say so too)
    await rejectsWith(() => train(buildModel(), rows, { epochs: 1, ...QUIET }), 'train(): name the columns to train on: `features` (a list of column names) and `label` (a column name or list).');
    await rejectsWith(
      // @ts-expect-error there is no column d
      () => train(buildModel(), rows, { epochs: 1, features: ['a', 'b', 'd'], label: 'y', ...QUIET }),
      '`features` names column "d", which is not in the data. Available columns: a, b, c, y.',
    );
    assert.deepEqual(await fromRows.evaluate(rows), await fromRows.evaluate(aq.from(rows)));
  });

  it('train(model, split(data, { train, test })) watches the test part as test_loss and run.evaluate() reports on it', async () => {
    const parts = split(data, { train: 0.75, test: 0.25, seed: 1 });
    const run = await train(buildModel(), parts, { epochs: 2, checkpoint: tmpDir('two-split'), ...QUIET });
    assert.deepEqual(run.metricNames, ['loss', 'mae', 'test_loss', 'test_mae']);
    assert.equal(run.best?.monitor, 'loss');
    const metrics = await run.evaluate();
    assert.deepEqual(Object.keys(metrics), ['loss', 'mae']);
    assert.ok(Math.abs(metrics.loss - run.history[1].test_loss) < 1e-6);
    await rejectsWith(
      () => train(buildModel(), parts, { epochs: 2, earlyStop: earlyStop(), checkpoint: false, ...QUIET }),
      'train(): `earlyStop.monitor` names metric "val_loss", which training does not report. Available metrics: loss, mae, test_loss, test_mae. There is no validation data (the test part is evaluated as test_loss, but choosing epochs on the test set leaks it into model selection)',
    );
  });

  it('train(model, split(data, { train, validation, test })) validates on the validation part', async () => {
    const parts = split(data, { train: 0.7, validation: 0.15, test: 0.15, seed: 1 });
    const run = await train(buildModel(), parts, { epochs: 2, checkpoint: false, ...QUIET });
    assert.deepEqual(run.metricNames, ['loss', 'mae', 'val_loss', 'val_mae']);
    assert.equal(run.best?.monitor, 'val_loss');
    assert.deepEqual(Object.keys(await run.evaluate()), ['loss', 'mae']);
    // @ts-expect-error a split says what to validate on
    await rejectsWith(() => train(buildModel(), parts, { epochs: 1, validation: 0.1, ...QUIET }), '`validation` cannot be combined with a split() result');
  });

  it('train(model, data, { validation: { xs, ys } }) validates on that data; { validation: 0.25 } on a seeded quarter', async () => {
    const held = regression(32, 3, 9);
    const run = await train(buildModel(), data, { epochs: 1, validation: held, checkpoint: false, ...QUIET });
    const direct = buildModel();
    direct.setWeights(run.model.getWeights());
    const [loss] = (direct.evaluate(held.xs, held.ys, { batchSize: 256 }) as tf.Scalar[]).map((scalar) => scalar.dataSync()[0]);
    assert.equal(run.history[0].val_loss, loss);
    const a = await train(buildModel(), data, { epochs: 1, validation: 0.25, checkpoint: false, ...QUIET });
    const b = await train(buildModel(), data, { epochs: 1, validation: 0.25, checkpoint: false, ...QUIET });
    assert.deepEqual(metricsOf(a.history), metricsOf(b.history));
    await rejectsWith(() => train(buildModel(), data, { epochs: 1, validation: 1.5, checkpoint: false, ...QUIET }), '`validation` as a fraction must be a number in (0, 1). Received: validation=1.5.');
  });

  for (const engine of ['fused', 'tfjs'] as const) {
    it(`run.evaluate(data) runs on the engine that trained the run (${engine}): on the validation data it gives the last val_loss exactly`, async () => {
      const held = regression(40, 3, 11);
      const run = await train(buildModel({ dropout: false }), data, { epochs: 2, validation: held, engine, checkpoint: false, ...QUIET });
      assert.equal(run.engine.name, engine);
      const evaluated = await run.evaluate(held);
      const last = run.history[run.history.length - 1];
      assert.deepEqual([evaluated.loss, evaluated.mae], [last.val_loss, last.val_mae]);
    });
  }

  it('train(model, inputSpace) trains on the whole space; holding part of it out warns', async () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 1, step: 0.01 }, y: { min: 0, max: 1, step: 0.25 } }, { label: ({ x, y }) => (x as number) * 0.5 + (y as number) });
    const model = buildModel({ features: 2, dropout: false });
    const run = await train(model, space, { epochs: 2, checkpoint: false, ...QUIET });
    assert.equal(run.history.length, 2);
    assert.deepEqual(Object.keys(await run.evaluate(space)), ['maxAbsError', 'meanAbsError', 'rmse']);
    const warnings = await captureWarnings(() => train(buildModel({ features: 2, dropout: false }), space, { epochs: 1, validation: 0.2, checkpoint: false, ...QUIET }));
    assert.deepEqual(warnings, [
      'train(): holding out part of a tabulated input space: it holds every possible input, so there is no unseen data to validate on, and the held-out points are inputs the model never learns. Train on the whole space and check it with space.evaluate(model).',
    ]);
  });

  it('train(model, inputSpace too large to hold) gathers shuffled batches on demand and resumes exactly', async () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 1, step: 0.01 }, y: { min: 0, max: 1, step: 0.25 } }, { labelBatch: (xs, count) => Float32Array.from({ length: count }, (_, i) => xs[2 * i] * 0.5 + xs[2 * i + 1]) });
    const previous = spaceLimits.materialise;
    spaceLimits.materialise = 100;
    try {
      const options = { epochs: 2, batchSize: 32, validation: 0.2, ...QUIET };
      let reference: Run | undefined;
      await captureWarnings(async () => {
        reference = await train(buildModel({ features: 2 }), space, { ...options, checkpoint: false });
      });
      assert.deepEqual(reference!.metricNames, ['loss', 'mae', 'val_loss', 'val_mae']);
      const dir = tmpDir('streamed');
      const controller = new AbortController();
      await captureWarnings(() =>
        train(buildModel({ features: 2 }), space, { ...options, checkpoint: dir, signal: controller.signal, callbacks: { onBatchEnd: (batch, _logs, context) => (context.epoch === 1 && batch === 3 ? controller.abort() : undefined) } }),
      );
      const model = buildModel({ features: 2 });
      let resumed: Run | undefined;
      await captureWarnings(async () => {
        resumed = await train(model, space, { ...options, checkpoint: dir });
      });
      assert.equal(resumed!.resumedFrom?.checkpoint, 'epoch-0001-batch-000004');
      assert.ok(weightBytes(model).equals(weightBytes(reference!.model)));
      assert.deepEqual(metricsOf(resumed!.history), metricsOf(reference!.history));
    } finally {
      spaceLimits.materialise = previous;
    }
  });

  it('train(model with an L2 regulariser, ...) reports the penalty in loss; val_loss is the data loss, as model.evaluate gives it', async () => {
    const run = await train(buildModel({ l2: 0.1, dropout: false, metrics: ['mse'] }), data, { epochs: 1, validation: 0.25, checkpoint: false, ...QUIET });
    const [entry] = run.history;
    assert.ok(entry.loss > entry.mse + 0.01, `loss ${entry.loss} should include the penalty over mse ${entry.mse}`);
    assert.ok(Math.abs(entry.val_loss - entry.val_mse) < 1e-6);
  });

  it('train(..., { learningRate: schedule }) records the rate per epoch and resumes a plateau schedule exactly', async () => {
    const stepped = await train(buildModel(), data, { epochs: 3, learningRate: stepDecay({ factor: 0.5, every: 1, initial: 0.02 }), checkpoint: false, ...QUIET });
    assert.deepEqual(stepped.history.map((entry) => entry.lr), [0.02, 0.01, 0.005]);
    const plateau = () => reduceOnPlateau({ monitor: 'loss', mode: 'max', patience: 1, factor: 0.5 });
    const reference = await train(buildModel(), data, { epochs: 4, learningRate: plateau(), checkpoint: false, ...QUIET });
    assert.deepEqual(reference.history.map((entry) => entry.lr), [0.01, 0.01, 0.005, 0.0025]);
    const dir = tmpDir('plateau');
    const controller = new AbortController();
    await train(buildModel(), data, { epochs: 4, learningRate: plateau(), checkpoint: dir, signal: controller.signal, callbacks: { onEpochEnd: (epoch) => (epoch === 2 ? controller.abort() : undefined) }, ...QUIET });
    const model = buildModel();
    const resumed = await train(model, data, { epochs: 4, learningRate: plateau(), checkpoint: dir, ...QUIET });
    assert.deepEqual(resumed.history, reference.history);
    assert.ok(weightBytes(model).equals(weightBytes(reference.model)));
  });

  it("train(..., { callbacks }) lets a callback stop training with context.stop(message)", async () => {
    const run = await train(buildModel(), data, { epochs: 5, checkpoint: tmpDir('stop'), callbacks: { onEpochEnd: (epoch, _logs, context) => (epoch === 2 ? context.stop('good enough') : undefined) }, ...QUIET });
    assert.equal(run.status, 'early-stopped');
    assert.deepEqual(run.stop, { reason: 'requested', message: 'good enough', epoch: 2 });
  });

  it('train() leaves no tensors behind', async () => {
    const model = buildModel();
    await train(model, data, { epochs: 2, validation: 0.25, checkpoint: false, ...QUIET });
    const before = tf.memory().numTensors;
    await train(model, data, { epochs: 2, validation: 0.25, seed: 5, checkpoint: tmpDir('leak'), ...QUIET });
    assert.equal(tf.memory().numTensors, before);
  });

  const badOptions: [string, Record<string, unknown>, string][] = [
    ['epochs missing', {}, 'train(): `epochs` must be an integer ≥ 1. Received: epochs=undefined.'],
    ['epochs: 0', { epochs: 0 }, '`epochs` must be an integer ≥ 1. Received: epochs=0.'],
    ['batchSize: 2.5', { epochs: 1, batchSize: 2.5 }, '`batchSize` must be an integer ≥ 1. Received: batchSize=2.5.'],
    ["resume: 'always'", { epochs: 1, resume: 'always' }, "`resume` must be 'auto', 'fresh', 'require' or 'continue'. Received: resume=\"always\"."],
    ["name: '../x'", { epochs: 1, name: '../x' }, "`name` must be 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit (it names a directory). Received: name=\"../x\"."],
    ['an unknown option', { epochs: 1, epoch: 3 }, 'train(): unknown option `epoch`: did you mean epochs? Expected one of epochs, name, batchSize'],
    ['an earlyStop() option on train()', { epochs: 1, patience: 3 }, 'train(): unknown option `patience`: early stopping takes it, as train(model, data, { earlyStop: earlyStop({ patience }) }). Expected one of'],
    ['an option nobody takes', { epochs: 1, colour: 'red' }, 'train(): unknown option `colour`. Expected one of'],
    ['shuffle: 1', { epochs: 1, shuffle: 1 }, '`shuffle` must be true or false. Received: shuffle=1.'],
    ["checkpoint: { every: 'day' }", { epochs: 1, checkpoint: { dir: 'x', every: 'day' } }, "checkpoint(): `every` must be 'epoch', { epochs: n }, { batches: n } or { seconds: s }"],
  ];
  for (const [label, options, message] of badOptions) {
    it(`train(model, data, { ${label} }) throws naming the option`, async () => {
      await rejectsWith(() => train(buildModel(), data, { ...QUIET, ...options } as never), message);
    });
  }

  it('train(uncompiled model, ...) says to compile it', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
    await rejectsWith(() => train(model, data, { epochs: 1, ...QUIET }), "train(): the model is not compiled. Call model.compile({ optimizer: 'adam', loss: 'meanSquaredError' }) first.");
  });

  it('train(model, data of the wrong width) names both shapes', async () => {
    await rejectsWith(() => train(buildModel({ features: 4 }), data, { epochs: 1, checkpoint: false, ...QUIET }), 'train(): data features have shape [96, 3] but the model input expects [null, 4] (rows first).');
  });
});
