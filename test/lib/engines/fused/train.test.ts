/**
 * The fused engine behind train(): the same numbers as the tfjs engine (one step to float32
 * rounding, 100 steps within 1e-4), dropout masks drawn as tf.js draws them, 1 and 2 threads bit
 * for bit, the reason `auto` falls back, errors for bad `engine` / `threads`, and runs that cross
 * from one engine to the other.
 */
import assert from 'node:assert/strict';
import { tf } from '../../../../lib/backend';
import { captureWarnings } from '../../../../lib/errors';
import { setSeed, unseedMathRandom, getSeed } from '../../../../lib/random';
import { train } from '../../../../lib/train';
import { rejectsWith } from '../../../helpers';
import { buildModel, OPTIMIZERS, QUIET, regression, tmpDir, weightBytes } from '../../train/support';

type EngineName = 'fused' | 'tfjs';

/** The model's weights as one float array. */
function weightValues(model: tf.LayersModel): Float32Array {
  const bytes = weightBytes(model);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** The largest |a − b| / max(|b|, 1e-3) over the weights (relative, with an absolute floor near 0). */
function relativeDifference(a: tf.LayersModel, b: tf.LayersModel): number {
  const x = weightValues(a);
  const y = weightValues(b);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(Math.abs(y[i]), 1e-3));
  return worst;
}

/** A model built with seeded initialisers, without leaving the global seed changed. */
function seeded(build: () => tf.LayersModel, seed = 5): tf.LayersModel {
  const previous = getSeed();
  setSeed(seed);
  const model = build();
  unseedMathRandom();
  setSeed(previous, { mathRandom: false });
  return model;
}

/** A softmax classifier over 3 classes with one-hot labels. */
function classification(rows = 120): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const { xs } = regression(rows, 4, 9);
  const ys = tf.tidy(() => tf.oneHot(tf.argMax(tf.matMul(xs, tf.tensor2d([[1, -1, 0.5], [0.5, 1, -1], [-1, 0.3, 1], [0.2, -0.4, 0.8]])), 1), 3).toFloat()) as tf.Tensor2D;
  return { xs, ys };
}

function classifier(optimizer = 'adam'): tf.LayersModel {
  return seeded(() => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    model.compile({ optimizer: OPTIMIZERS[optimizer](), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return model;
  });
}

describe('fused engine through train()', function () {
  this.timeout(120000);
  const data = regression(96);

  /** Trains the same model on both engines with the same options. */
  async function both(build: () => tf.LayersModel, trainData: { xs: tf.Tensor2D; ys: tf.Tensor2D }, options: { batchSize: number; epochs?: number; seed?: number; validation?: number; learningRate?: (epoch: number) => number }) {
    const result = {} as Record<EngineName, { model: tf.LayersModel; run: Awaited<ReturnType<typeof train>> }>;
    for (const engine of ['fused', 'tfjs'] as const) {
      const model = build();
      const run = await train(model, trainData, { epochs: 1, checkpoint: false, ...QUIET, ...options, engine });
      assert.equal(run.engine.name, engine);
      result[engine] = { model, run };
    }
    return result;
  }

  // The support's optimizers, but adadelta at rate 0.1: at rate 1 this model diverges to 1e14 within
  // 100 steps, where float32 rounding is amplified to per-cent differences between any two engines.
  const optimizers: Record<string, () => tf.Optimizer> = { ...OPTIMIZERS, adadelta: () => tf.train.adadelta(0.1) };
  for (const optimizer of Object.keys(optimizers)) {
    it(`train(model with ${optimizer}, one batch, { engine: 'fused' }) gives the tfjs engine's weights to float32 rounding; 100 steps keep the loss within 1e-4`, async () => {
      const one = await both(() => buildModel({ optimizer: optimizers[optimizer](), dropout: false }), data, { batchSize: 96, seed: 1 });
      assert.ok(relativeDifference(one.fused.model, one.tfjs.model) <= 1e-5, `relative difference ${relativeDifference(one.fused.model, one.tfjs.model)}`);
      const hundred = await both(() => buildModel({ optimizer: optimizers[optimizer](), dropout: false }), data, { epochs: 25, batchSize: 24, seed: 1 });
      const losses = (engine: EngineName) => hundred[engine].run.history.map((entry) => entry.loss);
      losses('fused').forEach((loss, i) => assert.ok(Math.abs(loss - losses('tfjs')[i]) <= 1e-4, `epoch ${i + 1}: ${loss} vs ${losses('tfjs')[i]}`));
    });
  }

  it("train(model with dropout, { engine: 'fused' }) drops the units tf.js drops: the tfjs engine's weights to float32 rounding", async () => {
    const one = await both(() => buildModel({ dropout: true }), data, { batchSize: 32, seed: 3 });
    assert.ok(relativeDifference(one.fused.model, one.tfjs.model) <= 1e-5, `relative difference ${relativeDifference(one.fused.model, one.tfjs.model)}`);
    const long = await both(() => buildModel({ dropout: true }), data, { epochs: 30, batchSize: 32, seed: 3 });
    long.fused.run.history.forEach((entry, i) => assert.ok(Math.abs(entry.loss - long.tfjs.run.history[i].loss) <= 1e-4, `epoch ${i + 1}`));
  });

  it("train(model with an L2 kernel regulariser, validation, a schedule, { engine: 'fused' }) reports the tfjs engine's losses, penalty included", async () => {
    const runs = await both(() => buildModel({ dropout: false, l2: 0.01, metrics: ['mae', 'mse'] }), data, {
      epochs: 10,
      batchSize: 16,
      validation: 0.25,
      learningRate: (epoch: number) => 0.01 / (1 + epoch),
    });
    assert.deepEqual(Object.keys(runs.fused.run.history[0]), Object.keys(runs.tfjs.run.history[0]));
    for (const name of ['loss', 'mae', 'mse', 'val_loss', 'val_mae', 'val_mse', 'lr']) {
      runs.fused.run.history.forEach((entry, i) => assert.ok(Math.abs(entry[name] - runs.tfjs.run.history[i][name]) <= 1e-4, `${name} in epoch ${i + 1}: ${entry[name]} vs ${runs.tfjs.run.history[i][name]}`));
    }
  });

  it("train(softmax classifier, { engine: 'fused' }) reports loss and accuracy as the tfjs engine does", async () => {
    const cls = classification();
    const runs = await both(() => classifier(), cls, { epochs: 20, batchSize: 20, validation: 0.2 });
    for (const name of ['loss', 'acc', 'val_loss', 'val_acc']) {
      runs.fused.run.history.forEach((entry, i) => assert.ok(Math.abs(entry[name] - runs.tfjs.run.history[i][name]) <= 1e-4, `${name} in epoch ${i + 1}`));
    }
    assert.ok(runs.fused.run.history[19].acc > 0.8, `accuracy ${runs.fused.run.history[19].acc}`);
  });

  it('train(wide model, { threads: 1 }) and { threads: 2 } give the same weights bit for bit', async () => {
    const wide = regression(512, 8, 4);
    const build = () => buildModel({ features: 8, hidden: [256, 256], dropout: true });
    const one = build();
    const two = build();
    const runOne = await train(one, wide, { epochs: 2, batchSize: 256, threads: 1, engine: 'fused', checkpoint: false, ...QUIET });
    const runTwo = await train(two, wide, { epochs: 2, batchSize: 256, threads: 2, engine: 'fused', checkpoint: false, ...QUIET });
    assert.deepEqual([runOne.engine.threads, runTwo.engine.threads], [1, 2]);
    assert.ok(weightBytes(one).equals(weightBytes(two)));
    assert.deepEqual(runOne.history, runTwo.history);
  });

  it("train(model, data) with engine: 'auto' trains dense networks on the fused engine and the rest on tfjs, saying why", async () => {
    assert.deepEqual((await train(buildModel(), data, { epochs: 1, checkpoint: false, ...QUIET })).engine, { name: 'fused', threads: 2 });
    const normalised = seeded(() => {
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [3] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      return model;
    });
    const run = await train(normalised, data, { epochs: 1, checkpoint: false, ...QUIET });
    assert.deepEqual(run.engine, { name: 'tfjs', reason: `the fused engine does not support this model: it has a BatchNormalization layer (${normalised.layers[1].name}); the fused engine trains dense and dropout layers` });
    assert.match(String(run), /Run run-[0-9a-f]+: completed after 1\/1 epochs/);
    const frozen = buildModel({ dropout: false });
    frozen.layers[0].trainable = false;
    frozen.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    assert.equal((await train(frozen, data, { epochs: 1, checkpoint: false, ...QUIET })).engine.reason, `the fused engine does not support this model: layer ${frozen.layers[0].name} is frozen (trainable: false)`);
  });

  it("train(model, data, { engine: 'fused' }) of a model it cannot train, or a bad engine or threads, fails naming the option and the value", async () => {
    const custom = seeded(() => {
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
      model.compile({ optimizer: 'sgd', loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.abs(tf.sub(yTrue, yPred))) });
      return model;
    });
    await rejectsWith(() => train(custom, data, { epochs: 1, engine: 'fused', checkpoint: false, ...QUIET }), "train(): engine: 'fused' cannot train this model: its loss is a custom function. Pass engine: 'auto'");
    await rejectsWith(() => train(buildModel(), data, { epochs: 1, engine: 'gpu' as never, ...QUIET }), 'train(): `engine` must be \'auto\', \'fused\', \'tfjs\'. Received: engine="gpu".');
    await rejectsWith(() => train(buildModel(), data, { epochs: 1, threads: 0, ...QUIET }), 'train(): `threads` must be an integer ≥ 1 (threads the fused engine splits large batches over). Received: threads=0.');
  });

  it('CELLFIT_THREADS sets the threads when the call does not, and a bad value names the variable', async () => {
    process.env.CELLFIT_THREADS = '1';
    try {
      assert.equal((await train(buildModel(), data, { epochs: 1, checkpoint: false, ...QUIET })).engine.threads, 1);
      assert.equal((await train(buildModel(), data, { epochs: 1, checkpoint: false, threads: 2, ...QUIET })).engine.threads, 2);
      process.env.CELLFIT_THREADS = 'many';
      await rejectsWith(() => train(buildModel(), data, { epochs: 1, ...QUIET }), 'train(): the CELLFIT_THREADS environment variable must be an integer ≥ 1 (threads the fused engine splits large batches over). Received: CELLFIT_THREADS="many".');
    } finally {
      delete process.env.CELLFIT_THREADS;
    }
  });

  it('CELLFIT_ENGINE chooses the engine when the call does not, and a bad value names the variable', async () => {
    process.env.CELLFIT_ENGINE = 'tfjs';
    try {
      assert.equal((await train(buildModel(), data, { epochs: 1, checkpoint: false, ...QUIET })).engine.name, 'tfjs');
      assert.equal((await train(buildModel(), data, { epochs: 1, checkpoint: false, engine: 'fused', ...QUIET })).engine.name, 'fused');
      process.env.CELLFIT_ENGINE = 'fast';
      await rejectsWith(() => train(buildModel(), data, { epochs: 1, ...QUIET }), 'train(): the CELLFIT_ENGINE environment variable must be \'auto\', \'fused\', \'tfjs\'. Received: CELLFIT_ENGINE="fast".');
    } finally {
      delete process.env.CELLFIT_ENGINE;
    }
  });

  for (const [first, second] of [['tfjs', 'fused'], ['fused', 'tfjs']] as const) {
    it(`a run checkpointed by the ${first} engine continues on the ${second} engine from its checkpoint, with a warning`, async () => {
      const dir = tmpDir(`cross-${first}`);
      const options = { batchSize: 16, checkpoint: dir, ...QUIET };
      await train(buildModel(), data, { ...options, epochs: 3, engine: first });
      let run!: Awaited<ReturnType<typeof train>>;
      const model = buildModel();
      const warnings = await captureWarnings(async () => (run = await train(model, data, { ...options, epochs: 6, engine: second })));
      assert.equal(run.resumedFrom?.checkpoint, 'epoch-0003');
      assert.equal(run.engine.name, second);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], new RegExp(`^train\\(\\): run run-[0-9a-f]+ was checkpointed by the ${first} engine and continues on the ${second} engine from epoch-0003: the two round differently, so from here it is not bit for bit what the ${first} engine would have trained\\. Pass engine: '${first}' to continue on the same engine\\.$`));
      // Not bit for bit, but the same training: within float32 noise of the straight run.
      const straight = buildModel();
      await train(straight, data, { batchSize: 16, epochs: 6, engine: first, checkpoint: false, ...QUIET });
      assert.ok(relativeDifference(model, straight) < 1e-3, `relative difference ${relativeDifference(model, straight)}`);
      // Re-run: the finished run returns at once, on whichever engine is asked.
      const again = await train(buildModel(), data, { ...options, epochs: 6, engine: first });
      assert.equal(again.reused, true);
      assert.equal(again.engine.name, second);
    });
  }
});
