/**
 * FusedNetwork's contract beyond the numbers: spec validation with errors that name the field and
 * the value, state in and out bit for bit, data and option checks, dispose.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ready, tf } from '../../../../lib/backend';
import { FusedNetwork } from '../../../../lib/engines/fused/network';
import { Rng } from '../../../../lib/random';
import { planNetwork, resolveMetric, type FusedSpec } from '../../../../lib/engines/fused/spec';
import { throwsWith } from '../../../helpers';
import { floats, oddSpec, uniform } from './support';

describe('fused engine: FusedNetwork', () => {
  const bad: readonly [string, Partial<FusedSpec> | ((spec: FusedSpec) => FusedSpec), string[]][] = [
    ['threads: 0', { threads: 0 }, ['`threads` must be an integer ≥ 1', 'Received: threads=0']],
    ['threads: 1.5', { threads: 1.5 }, ['Received: threads=1.5']],
    ["threads: '2'", { threads: '2' as never }, ['Received: threads="2"']],
    ['inputs: 0', { inputs: 0 }, ['`inputs` must be an integer ≥ 1', 'Received: inputs=0']],
    ["loss: 'cosineProximity'", { loss: 'cosineProximity' }, ['Received: loss="cosineProximity"', 'Expected one of meanSquaredError']],
    ["metrics: ['precision']", { metrics: ['precision'] }, ['Received: metrics[0]="precision"']],
    ["metrics: 'mae'", { metrics: 'mae' as never }, ['metrics must be an array', 'Received: metrics="mae"']],
    ["optimizer: 'adam'", { optimizer: { className: 'adam' as never } }, ['Received: className="adam"', 'Expected one of SGD, Momentum']],
    ['optimizer.config.beta1: NaN', { optimizer: { className: 'Adam', config: { beta1: NaN } } }, ['Received: beta1=NaN']],
    ['layers: []', { layers: [] }, ['layers must be a non-empty array']],
    ["activation: 'leakyRelu'", (spec) => ({ ...spec, layers: [{ type: 'dense', units: 2, activation: 'leakyRelu' as never }] }), ['Received: activation="leakyRelu"', 'layers[0].activation']],
    ["type: 'conv2d'", (spec) => ({ ...spec, layers: [{ type: 'conv2d' as never, units: 2 }] }), ["layers[0].type must be 'dense' or 'dropout'", 'Received: type="conv2d"']],
    ['units: -1', (spec) => ({ ...spec, layers: [{ type: 'dense', units: -1 }] }), ['layers[0].units', 'Received: units=-1']],
    ['dropout rate: 1', (spec) => ({ ...spec, layers: [{ type: 'dropout', rate: 1 }, { type: 'dense', units: 2 }] }), ['`layers[0].rate` must be a number in [0, 1)', 'Received: rate=1']],
    ['only dropout', (spec) => ({ ...spec, layers: [{ type: 'dropout', rate: 0.5 }] }), ['at least one dense layer']],
    ['kernelRegularizer: { l1: "x" }', (spec) => ({ ...spec, layers: [{ type: 'dense', units: 2, kernelRegularizer: { l1: 'x' as never } }] }), ['layers[0].kernelRegularizer']],
  ];
  for (const [label, change, fragments] of bad) {
    it(`new FusedNetwork({ ${label} }) throws naming the field and the value`, () => {
      const spec = typeof change === 'function' ? change(oddSpec()) : { ...oddSpec(), ...change };
      throwsWith(() => new FusedNetwork(spec), 'FusedNetwork()', ...fragments);
    });
  }

  it("resolveMetric('accuracy' | 'acc' | 'crossentropy', loss, outputs) resolves as tf.js compile does, reporting 'acc' / 'ce'", () => {
    assert.deepEqual(resolveMetric('accuracy', 'meanSquaredError', 1), { name: 'acc', fn: 'binaryAccuracy', id: 14 });
    assert.deepEqual(resolveMetric('acc', 'binaryCrossentropy', 3), { name: 'acc', fn: 'binaryAccuracy', id: 14 });
    assert.deepEqual(resolveMetric('accuracy', 'sparseCategoricalCrossentropy', 3), { name: 'acc', fn: 'sparseCategoricalAccuracy', id: 16 });
    assert.deepEqual(resolveMetric('accuracy', 'categoricalCrossentropy', 3), { name: 'acc', fn: 'categoricalAccuracy', id: 15 });
    assert.deepEqual(resolveMetric('ce', 'categoricalCrossentropy', 3), { name: 'ce', fn: 'categoricalCrossentropy', id: 7 });
    assert.deepEqual(resolveMetric('mae', 'meanSquaredError', 1), { name: 'mae', fn: 'meanAbsoluteError', id: 1 });
  });

  it('planNetwork(spec) lays out parameters in model.trainableWeights order and fills tf.train defaults', () => {
    const plan = planNetwork({ ...oddSpec(), optimizer: { className: 'Adam' } });
    assert.deepEqual(plan.dense.map((layer) => [layer.kernelOffset, layer.biasOffset]), [[0, 21], [28, 63], [68, 78]]);
    assert.equal(plan.paramCount, 80);
    assert.deepEqual(plan.optimizer.config, { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  });

  it('setWeights/getWeights and setOptimizerState/getOptimizerState round-trip bit for bit (every optimizer)', () => {
    for (const className of ['SGD', 'Momentum', 'Adagrad', 'Adadelta', 'Adam', 'Adamax', 'RMSProp'] as const) {
      const net = new FusedNetwork(oddSpec({ optimizer: { className, config: className === 'RMSProp' ? { centered: true } : {} } }));
      const next = uniform(7);
      const weights = net.weights.map((w) => floats(w.size, next));
      weights[0][0] = -0;
      weights[0][1] = 1e-45;
      net.setWeights(weights);
      assert.deepEqual(net.getWeights().map((w) => Array.from(w, (v) => Object.is(v, -0) ? '-0' : v)), weights.map((w) => Array.from(w, (v) => Object.is(v, -0) ? '-0' : v)));
      const state = net.getOptimizerState();
      const slots = Object.fromEntries(Object.entries(state.slots).map(([field, arrays]) => [field, arrays.map((a) => floats(a.length, next))]));
      const scalars = Object.fromEntries(Object.keys(state.scalars).map((name) => [name, Math.fround(next())]));
      net.setOptimizerState({ iterations: 17, scalars, slots });
      assert.deepEqual(net.getOptimizerState(), { iterations: 17, scalars, slots }, className);
      net.dispose();
    }
  });

  it('getFlatWeights() / getFlatSlots() copy the weights and the slot vectors field after field, into a given buffer or a new one (27 parameters)', () => {
    for (const className of ['SGD', 'Adam', 'RMSProp'] as const) {
      const spec = { ...oddSpec({ optimizer: { className, config: className === 'RMSProp' ? { centered: true } : {} } }), inputs: 2, layers: [{ type: 'dense' as const, units: 4 }, { type: 'dense' as const, units: 3 }] };
      const net = new FusedNetwork(spec);
      assert.equal(net.plan.paramCount, 27);
      const next = uniform(3);
      net.setWeights(net.weights.map((w) => floats(w.size, next)));
      const state = net.getOptimizerState();
      const slots = Object.fromEntries(Object.entries(state.slots).map(([field, arrays]) => [field, arrays.map((a) => floats(a.length, next))]));
      net.setOptimizerState({ ...state, slots });
      const expected = Float32Array.from(Object.values(slots).flatMap((arrays) => arrays.flatMap((a) => Array.from(a))));
      assert.deepEqual(net.getFlatSlots(), expected, className);
      const into = new ArrayBuffer(expected.byteLength);
      new Float32Array(into).fill(NaN);
      const copied = net.getFlatSlots(into);
      assert.equal(copied.buffer, into);
      assert.deepEqual(copied, expected, `${className} (into a buffer)`);
      const weights = Float32Array.from(net.getWeights().flatMap((w) => Array.from(w)));
      assert.deepEqual(net.getFlatWeights(new ArrayBuffer(27 * 4)), weights);
      assert.throws(() => net.getFlatWeights(new ArrayBuffer(26 * 4)), /a snapshot of 27 floats needs a buffer of 108 bytes; received 104 bytes/);
      net.dispose();
    }
  });

  it('weightsFinite() is false once any weight is NaN or ±Infinity, wherever it sits (SIMD lanes and tail; wasm and reference kernels)', () => {
    for (const kernels of ['wasm', 'reference'] as const) {
      const spec = { ...oddSpec({}), inputs: 2, layers: [{ type: 'dense' as const, units: 4 }, { type: 'dense' as const, units: 3 }] };
      const net = new FusedNetwork(spec, { kernels });
      const next = uniform(5);
      const finite = net.weights.map((w) => floats(w.size, next));
      // Largest finite float32s and subnormals are finite too.
      finite[0][0] = 3.4028234663852886e38;
      finite[0][1] = -1.4e-45;
      net.setWeights(finite);
      assert.equal(net.weightsFinite(), true, kernels);
      // Every position of the 27 parameters: the first 24 in vectors of 8, the last 3 in the tail.
      for (let at = 0; at < net.plan.paramCount; at++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const flat = Float32Array.from(finite.flatMap((w) => Array.from(w)));
          flat[at] = bad;
          let offset = 0;
          net.setWeights(net.weights.map((w) => flat.slice(offset, (offset += w.size))));
          assert.equal(net.weightsFinite(), false, `${kernels}: ${bad} at ${at}`);
        }
      }
      net.dispose();
    }
  });

  it('getOptimizerState() names the slots as tf.js does, with fresh values as tf.js creates them', () => {
    const fields = (className: string, config = {}) => {
      const net = new FusedNetwork(oddSpec({ optimizer: { className: className as never, config } }));
      const state = net.getOptimizerState();
      net.dispose();
      return { fields: Object.keys(state.slots), scalars: state.scalars, first: Object.values(state.slots)[0]?.[0][0] };
    };
    assert.deepEqual(fields('SGD'), { fields: [], scalars: {}, first: undefined });
    assert.deepEqual(fields('Adam'), { fields: ['accumulatedFirstMoment', 'accumulatedSecondMoment'], scalars: { accBeta1: Math.fround(0.9), accBeta2: Math.fround(0.999) }, first: 0 });
    assert.deepEqual(fields('Adamax'), { fields: ['accumulatedFirstMoment', 'accumulatedWeightedInfNorm'], scalars: { iteration: 0, accBeta1: Math.fround(0.9) }, first: 0 });
    assert.deepEqual(fields('Adagrad').first, Math.fround(0.1));
    assert.deepEqual(fields('RMSProp').fields, ['accumulatedMeanSquares', 'accumulatedMoments']);
    assert.deepEqual(fields('RMSProp', { centered: true }).fields, ['accumulatedMeanSquares', 'accumulatedMoments', 'accumulatedMeanGrads']);
    assert.deepEqual(fields('Adadelta').fields, ['accumulatedGrads', 'accumulatedUpdates']);
    assert.deepEqual(fields('Momentum').fields, ['accumulations']);
  });

  it('setWeights / setOptimizerState / setData / train with mismatched shapes throw naming the field and the value', () => {
    const net = new FusedNetwork(oddSpec());
    throwsWith(() => net.setWeights([new Float32Array(3)]), 'FusedNetwork.setWeights()', 'expected 6 arrays', 'dense_1/kernel');
    throwsWith(() => net.setWeights(net.weights.map((w, i) => new Float32Array(i === 2 ? 4 : w.size))), 'dense_2/kernel has shape [7, 5]', 'Received: Float32Array(4)');
    const state = net.getOptimizerState();
    throwsWith(() => net.setOptimizerState({ ...state, slots: { ...state.slots, accumulatedSecondMoment: [new Float32Array(2)] } }), 'slots.accumulatedSecondMoment must hold 6 arrays');
    throwsWith(() => net.setOptimizerState({ ...state, scalars: {} }), 'scalars.accBeta1 must be a number', 'Received: accBeta1=undefined');
    throwsWith(() => net.setOptimizerState({ ...state, iterations: -1 }), 'Received: iterations=-1');
    throwsWith(() => net.setData(new Float32Array(7), new Float32Array(4)), 'FusedNetwork.setData()', 'xs must be a Float32Array of rows × 3 values', 'Received: xs=Float32Array(7)');
    throwsWith(() => net.setData(new Float32Array(6), new Float32Array(3)), 'ys must be a Float32Array of 2 rows × 2 values');
    net.setData(new Float32Array(6), new Float32Array(4));
    throwsWith(() => net.train({ rows: [0, 2], batchSize: 1 }), 'FusedNetwork.train()', 'rows[1] is not a row of the resident data (2 rows', 'Received: 2');
    throwsWith(() => net.train({ rows: [0, 1], batchSize: 0 }), 'Received: batchSize=0');
    throwsWith(() => net.train({ rows: [0, 1], batchSize: 1, learningRates: [0.1] }), 'learningRates must hold one rate per step (2)');
    throwsWith(() => net.train({ rows: [0, 1], batchSize: 1, learningRates: [0.1, NaN] }), 'learningRates[1] must be a finite number', 'Received: NaN');
    throwsWith(() => net.train({ batchSize: 1 } as never), 'give the rows as { rows }');
    throwsWith(() => net.predict(new Float32Array(4)), 'FusedNetwork.predict()', 'xs must be a Float32Array of rows × 3 values');
    net.dispose();
    throwsWith(() => net.train({ rows: [0], batchSize: 1 }), 'the network was disposed');
  });

  it('train({ masks }) requires one keep byte per dropout element of each step', () => {
    const spec = oddSpec();
    const net = new FusedNetwork({ ...spec, layers: [spec.layers[0], { type: 'dropout', rate: 0.5 }, spec.layers[1], spec.layers[2]] });
    net.setData(new Float32Array(9), new Float32Array(6));
    assert.deepEqual(net.maskLayout, [{ width: 7, rate: 0.5 }]);
    throwsWith(() => net.train({ rows: [0, 1, 2], batchSize: 2 }), 'masks must be a Uint8Array of 21 bytes', 'Received: masks=undefined');
    assert.equal(net.train({ rows: [0, 1, 2], batchSize: 2, masks: new Uint8Array(21).fill(1) }).length, 2);
    net.dispose();
  });

  it('predict streams any number of rows through a fixed memory, in chunks', () => {
    const net = new FusedNetwork(oddSpec());
    const next = uniform(3);
    net.setWeights(net.weights.map((w) => floats(w.size, next)));
    const xs = floats(3 * 10_001, next);
    const all = net.predict(xs);
    const bytes = (net as unknown as { memory: { buffer: ArrayBuffer } }).memory.buffer.byteLength;
    const pieces = [0, 4096, 8192].map((first) => net.predict(xs.subarray(first * 3, Math.min(first + 4096, 10_001) * 3)));
    assert.deepEqual(Array.from(all), pieces.flatMap((piece) => Array.from(piece)));
    net.predict(xs);
    assert.equal((net as unknown as { memory: { buffer: ArrayBuffer } }).memory.buffer.byteLength, bytes);
    net.dispose();
  });

  it('forPrediction(network) predicts as the trained network does from the network alone, and refuses to train or evaluate', () => {
    const { inputs, layers } = oddSpec({ layers: [{ type: 'dense', units: 4, activation: 'tanh' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 2 }] });
    const trained = new FusedNetwork({ ...oddSpec(), inputs, layers });
    const next = uniform(5);
    const weights = trained.weights.map((w) => floats(w.size, next));
    trained.setWeights(weights);
    const predictor = FusedNetwork.forPrediction({ inputs, layers }, { threads: 1 });
    predictor.setWeights(weights);
    const xs = floats(3 * 50, next);
    assert.deepEqual(Array.from(predictor.predict(xs)), Array.from(trained.predict(xs)));
    throwsWith(() => predictor.train({ xs, ys: new Float32Array(100), batchSize: 10 }), 'FusedNetwork.train()', 'built by FusedNetwork.forPrediction()', 'has no loss or optimizer');
    throwsWith(() => predictor.evaluate({ xs, ys: new Float32Array(100) }), 'FusedNetwork.evaluate()', 'has no loss or optimizer');
    trained.dispose();
    predictor.dispose();
  });
});

describe('fused engine: worker threads', () => {
  it('new FusedNetwork({ threads: 2 }) trains on two threads without keeping the process alive, with or without dispose()', function () {
    // Two node processes that load the engine and train (about a second each on an idle machine):
    // hang guards with room for a loaded one.
    this.timeout(300_000);
    const script = `
      const { FusedNetwork } = require(${JSON.stringify(require.resolve('../../../../lib/engines/fused/network'))});
      const net = new FusedNetwork({ inputs: 2, layers: [{ type: 'dense', units: 512, activation: 'relu' }, { type: 'dense', units: 1 }], loss: 'mse', optimizer: { className: 'SGD' }, threads: 2 });
      net.setData(new Float32Array(2 * 4096).fill(0.5), new Float32Array(4096).fill(1));
      const logs = net.train({ start: 0, count: 4096, batchSize: 2048 });
      if (!(net.pool && logs.every(Number.isFinite))) throw new Error('the workers did not run');
      if (process.argv[1] === 'dispose') net.dispose();
      console.log('trained');
    `;
    for (const mode of ['dispose', 'leave']) {
      const result = spawnSync(process.execPath, ['-e', script, mode], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(result.status, 0, `${mode}: ${result.stderr}`);
      assert.equal(result.stdout.trim(), 'trained');
    }
  });
});

describe('fused engine: the FusedNetwork example (lib/engines/fused/network.ts)', () => {
  it('runs as written against a tf.js model of the same layers', async () => {
    await ready();
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 64, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 1 })] });
    const rows = 100;
    const next = uniform(11);
    const xs = floats(rows * 2, next);
    const ys = floats(rows, next);
    const testXs = xs.subarray(0, 40);
    const testYs = ys.subarray(0, 20);
    const gridXs = floats(2 * 1000, next);
    const rng = new Rng(1);
    // -- the example --
    const net = new FusedNetwork({
      inputs: 2,
      layers: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 1 }],
      loss: 'meanSquaredError',
      metrics: ['mae'],
      optimizer: { className: 'Adam', config: { learningRate: 1e-3 } },
    });
    net.setWeights(model.getWeights().map((w) => w.dataSync() as Float32Array));
    net.setData(xs, ys);
    const order = rng.permutation(rows);
    const logs = net.train({ rows: order, batchSize: 32 });
    const [loss, mae] = net.evaluate({ xs: testXs, ys: testYs });
    const predictions = net.predict(gridXs);
    net.dispose();
    // -- end --
    assert.equal(logs.length, 4 * 2);
    assert.ok(Number.isFinite(loss) && Number.isFinite(mae));
    assert.equal(predictions.length, 1000);
    model.dispose();
  });
});
