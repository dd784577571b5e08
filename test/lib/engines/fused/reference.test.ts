/**
 * The determinism proof: the SIMD engine and the scalar reference (plain TypeScript, Math.fround at
 * every operation) give the same bits for every activation (forward and derivative), loss, metric,
 * optimizer, regulariser and dropout, over several multi-batch calls, evaluate and predict — and
 * the wasm engine gives the same bits on 1 and 2 threads. Sizes are odd (3-7-5-2, batches of 13)
 * so that every SIMD tail runs.
 */
import assert from 'node:assert/strict';
import { FusedNetwork, type OptimizerState } from '../../../../lib/engines/fused/network';
import { ACTIVATIONS, type FusedSpec } from '../../../../lib/engines/fused/spec';
import { assertSameBits, floats, oddSpec, uniform } from './support';

const ROWS = 40;

interface Case {
  readonly spec: FusedSpec;
  /** Target rows (rows × targets) from a generator. */
  readonly targets?: (next: () => number, rows: number, width: number) => Float32Array;
  readonly masks?: boolean;
}

function oneHot(next: () => number, rows: number, width: number): Float32Array {
  const ys = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) ys[r * width + Math.floor(((next() + 1) / 2) * width) % width] = 1;
  return ys;
}

function classes(classCount: number) {
  return (next: () => number, rows: number) => Float32Array.from({ length: rows }, () => Math.floor(((next() + 1) / 2) * classCount) % classCount);
}

function binary(next: () => number, rows: number, width: number): Float32Array {
  return Float32Array.from({ length: rows * width }, () => (next() > 0 ? 1 : 0));
}

function signs(next: () => number, rows: number, width: number): Float32Array {
  return Float32Array.from({ length: rows * width }, () => (next() > 0 ? 1 : -1));
}

function distribution(next: () => number, rows: number, width: number): Float32Array {
  const ys = Float32Array.from({ length: rows * width }, () => next() + 1.1);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < width; j++) sum += ys[r * width + j];
    for (let j = 0; j < width; j++) ys[r * width + j] /= sum;
  }
  return ys;
}

function positive(next: () => number, rows: number, width: number): Float32Array {
  return Float32Array.from({ length: rows * width }, () => (next() + 1.2) * 2);
}

/** Random 0/1 keep masks for every step of a call, as train() takes them. */
function masksFor(net: FusedNetwork, rows: number, seed: number): Uint8Array | undefined {
  const perRow = net.maskLayout.reduce((sum, d) => sum + d.width, 0);
  if (perRow === 0) return undefined;
  const next = uniform(seed);
  return Uint8Array.from({ length: rows * perRow }, () => (next() > -0.6 ? 1 : 0));
}

/** Builds the wasm network and the reference with the same weights and data. */
function pair(test: Case, seed = 1): { nets: FusedNetwork[]; xs: Float32Array; ys: Float32Array } {
  const nets = [new FusedNetwork(test.spec), new FusedNetwork(test.spec, { kernels: 'reference' })];
  const next = uniform(seed);
  const weights = nets[0].weights.map((weight) => floats(weight.size, () => next() * 0.9));
  const xs = floats(ROWS * nets[0].plan.inputs, () => next() * 2);
  const width = nets[0].plan.targets;
  const ys = test.targets ? test.targets(next, ROWS, width) : floats(ROWS * width, next);
  for (const net of nets) {
    net.setWeights(weights);
    net.setData(xs, ys);
  }
  return { nets, xs, ys };
}

function assertSameState(a: FusedNetwork, b: FusedNetwork, what: string): void {
  a.getWeights().forEach((weights, i) => assertSameBits(weights, b.getWeights()[i], `${what}: ${a.weights[i].name}`));
  const sa: OptimizerState = a.getOptimizerState();
  const sb: OptimizerState = b.getOptimizerState();
  assert.deepEqual(Object.keys(sa.slots), Object.keys(sb.slots));
  for (const field of Object.keys(sa.slots)) sa.slots[field].forEach((slot, i) => assertSameBits(slot, sb.slots[field][i], `${what}: ${field}[${i}]`));
  assert.deepEqual(sa.scalars, sb.scalars);
  assert.equal(sa.iterations, sb.iterations);
}

/** Three training calls (2 + 1 + 1 batches of 13 on 40 rows), evaluate and predict on both; all must match. */
function assertIdentical(test: Case): void {
  const { nets, xs } = pair(test);
  const order = Uint32Array.from({ length: ROWS }, (_, i) => (i * 17 + 3) % ROWS);
  for (const [call, rows] of [order.subarray(0, 26), order.subarray(26, 39), order.subarray(39)].entries()) {
    const masks = nets[0].maskLayout.length ? masksFor(nets[0], rows.length, call + 5) : undefined;
    const rates = Array.from({ length: Math.ceil(rows.length / 13) }, (_, s) => 0.01 / (1 + s + call));
    const logs = nets.map((net) => net.train({ rows, batchSize: 13, learningRates: rates, masks }));
    assertSameBits(logs[0], logs[1], `train call ${call} logs`);
    assert.ok(logs[0].every(Number.isFinite), `train call ${call} logs are finite: ${Array.from(logs[0])}`);
    assertSameState(nets[0], nets[1], `after call ${call}`);
  }
  assertSameBits(nets[0].evaluate({ rows: order, batchSize: 7 }), nets[1].evaluate({ rows: order, batchSize: 7 }), 'evaluate');
  assertSameBits(nets[0].predict(xs), nets[1].predict(xs), 'predict');
  for (const net of nets) net.dispose();
}

describe('fused engine: SIMD kernels against the scalar reference, bit for bit', () => {
  for (const activation of ACTIVATIONS.filter((name) => name !== 'softmax' && name !== 'logSoftmax')) {
    it(`train(), evaluate(), predict() of 3-7-5-2 with dense(activation: '${activation}') hidden layers`, () => {
      assertIdentical({ spec: oddSpec({}, [activation, activation, 'linear']) });
    });
  }

  it(`train(), evaluate(), predict() with a dense(activation: 'softmax') output and loss 'categoricalCrossentropy'`, () => {
    assertIdentical({ spec: oddSpec({ loss: 'categoricalCrossentropy', metrics: ['accuracy', 'crossentropy'] }, ['relu', 'elu', 'softmax']), targets: oneHot });
  });

  it("train(), evaluate(), predict() with a dense(activation: 'logSoftmax') output", () => {
    assertIdentical({ spec: oddSpec({}, ['relu', 'tanh', 'logSoftmax']) });
  });

  it("train(), evaluate(), predict() with a dense(activation: 'softmax') hidden layer", () => {
    assertIdentical({ spec: oddSpec({}, ['softmax', 'tanh', 'linear']) });
  });

  const losses: readonly [string, Partial<Case>, string][] = [
    ['meanSquaredError', {}, 'linear'],
    ['meanAbsoluteError', {}, 'linear'],
    ['meanAbsolutePercentageError', { targets: positive }, 'linear'],
    ['meanSquaredLogarithmicError', { targets: positive }, 'softplus'],
    ['huber', {}, 'linear'],
    ['logcosh', {}, 'linear'],
    ['binaryCrossentropy', { targets: binary }, 'sigmoid'],
    ['categoricalCrossentropy', { targets: oneHot }, 'softmax'],
    ['sparseCategoricalCrossentropy', { targets: classes(2) }, 'softmax'],
    ['hinge', { targets: signs }, 'tanh'],
    ['squaredHinge', { targets: signs }, 'linear'],
    ['poisson', { targets: positive }, 'softplus'],
    ['kullbackLeiblerDivergence', { targets: distribution }, 'softmax'],
    ['categoricalHinge', { targets: oneHot }, 'linear'],
  ];
  for (const [loss, extra, output] of losses) {
    it(`train(), evaluate(), predict() with loss '${loss}' (${output} output)`, () => {
      assertIdentical({ spec: oddSpec({ loss }, ['tanh', 'relu', output]), ...extra });
    });
  }

  const metrics: readonly [string, string, string, Partial<Case>][] = [
    ['mse, mae, mape', 'meanSquaredError', 'linear', {}],
    ['msle, logcosh, huber', 'meanSquaredError', 'linear', {}],
    ['accuracy, binaryCrossentropy', 'binaryCrossentropy', 'sigmoid', { targets: binary }],
    ['accuracy, crossentropy, categoricalAccuracy', 'categoricalCrossentropy', 'softmax', { targets: oneHot }],
    ['accuracy, crossentropy', 'sparseCategoricalCrossentropy', 'softmax', { targets: classes(2) }],
  ];
  for (const [list, loss, output, extra] of metrics) {
    it(`train(), evaluate() with metrics [${list}] (loss '${loss}')`, () => {
      assertIdentical({ spec: oddSpec({ loss, metrics: list.split(', ') }, ['tanh', 'relu', output]), ...extra });
    });
  }

  const optimizers: readonly [string, Record<string, unknown>][] = [
    ['SGD', { learningRate: 0.1 }],
    ['Momentum', { learningRate: 0.1, momentum: 0.9 }],
    ['Momentum', { learningRate: 0.1, momentum: 0.8, useNesterov: true }],
    ['Adagrad', { learningRate: 0.1, initialAccumulatorValue: 0.1 }],
    ['Adadelta', { learningRate: 1, rho: 0.95 }],
    ['Adam', { learningRate: 0.01, beta1: 0.9, beta2: 0.999 }],
    ['Adamax', { learningRate: 0.02, beta1: 0.9, beta2: 0.999, decay: 0.1 }],
    ['RMSProp', { learningRate: 0.01, decay: 0.9 }],
    ['RMSProp', { learningRate: 0.01, decay: 0.9, momentum: 0.5, centered: true }],
  ];
  for (const [className, config] of optimizers) {
    it(`train() with optimizer { className: '${className}', config: ${JSON.stringify(config)} }`, () => {
      assertIdentical({ spec: oddSpec({ optimizer: { className: className as never, config } }) });
    });
  }

  it('train() of 2-4-3 (27 parameters: the slot vectors, back to back, start off a vector boundary) with every optimizer', () => {
    for (const [className, config] of optimizers) {
      const spec: FusedSpec = { ...oddSpec({ optimizer: { className: className as never, config } }), inputs: 2, layers: [{ type: 'dense', units: 4, activation: 'tanh' }, { type: 'dense', units: 3 }] };
      const { nets } = pair({ spec });
      assert.equal(nets[0].plan.paramCount, 27);
      const order = Uint32Array.from({ length: ROWS }, (_, i) => (i * 7) % ROWS);
      const logs = nets.map((net) => net.train({ rows: order, batchSize: 6 }));
      assertSameBits(logs[0], logs[1], `${className} ${JSON.stringify(config)}: logs`);
      assertSameState(nets[0], nets[1], `${className} ${JSON.stringify(config)}`);
      for (const net of nets) net.dispose();
    }
  });

  it('train() with kernelRegularizer and biasRegularizer { l1, l2 } on every layer', () => {
    const spec = oddSpec();
    const layers = spec.layers.map((layer, i) => ({ ...layer, kernelRegularizer: { l1: 0.01 * (i + 1), l2: 0.02 }, biasRegularizer: i === 1 ? { l1: 0.05 } : { className: 'L1L2', config: { l2: 0.1 } } })) as FusedSpec['layers'];
    assertIdentical({ spec: { ...spec, layers } });
  });

  it("train({ masks }) with { type: 'dropout' } on the input, between layers (twice) and on the output", () => {
    const spec = oddSpec();
    const [a, b, c] = spec.layers;
    const layers: FusedSpec['layers'] = [{ type: 'dropout', rate: 0.2 }, a, { type: 'dropout', rate: 0.5 }, b, { type: 'dropout', rate: 0.1 }, { type: 'dropout', rate: 0.3 }, c, { type: 'dropout', rate: 0.25 }];
    assertIdentical({ spec: { ...spec, layers }, masks: true });
  });

  it('train() of one dense(useBias: false) layer', () => {
    assertIdentical({ spec: { ...oddSpec(), layers: [{ type: 'dense', units: 9, activation: 'sigmoid', useBias: false }] } });
  });

  for (const [inputs, units, batchSize] of [[1, [1], 1], [1, [1], 3], [5, [9, 1], 1], [2, [4, 3], 2], [17, [33, 8], 5]] as const) {
    it(`train({ batchSize: ${batchSize} }) of ${inputs}-${units.join('-')} (narrow layers, batches under one vector of rows)`, () => {
      const spec: FusedSpec = { ...oddSpec({ metrics: ['mae'] }), inputs, layers: units.map((count) => ({ type: 'dense', units: count, activation: 'tanh' })) };
      const { nets } = pair({ spec });
      const order = Uint32Array.from({ length: ROWS }, (_, i) => (i * 3) % ROWS);
      const logs = nets.map((net) => net.train({ rows: order, batchSize }));
      assertSameBits(logs[0], logs[1], 'logs');
      assertSameState(nets[0], nets[1], 'state');
      assertSameBits(nets[0].evaluate({ rows: order, batchSize }), nets[1].evaluate({ rows: order, batchSize }), 'evaluate');
      for (const net of nets) net.dispose();
    });
  }

  it('train({ xs, ys }) streamed equals train({ rows }) resident, and k steps in one call equal k calls', () => {
    const spec = oddSpec({ metrics: ['mae'] });
    const { nets, xs, ys } = pair({ spec });
    const [resident, streamed] = [nets[0], new FusedNetwork(spec)];
    streamed.setWeights(resident.getWeights());
    const order = Uint32Array.from({ length: ROWS }, (_, i) => (i * 11) % ROWS);
    const gathered = new Float32Array(ROWS * 3);
    const targets = new Float32Array(ROWS * 2);
    order.forEach((row, i) => {
      gathered.set(xs.subarray(row * 3, row * 3 + 3), i * 3);
      targets.set(ys.subarray(row * 2, row * 2 + 2), i * 2);
    });
    const once = resident.train({ rows: order, batchSize: 13 });
    const stepwise = [0, 13, 26, 39].flatMap((first) => Array.from(streamed.train({ xs: gathered.subarray(first * 3, Math.min(first + 13, ROWS) * 3), ys: targets.subarray(first * 2, Math.min(first + 13, ROWS) * 2), batchSize: 13 })));
    assertSameBits(once, stepwise, 'logs');
    assertSameState(resident, streamed, 'state');
    assertSameBits(resident.evaluate({ start: 5, count: 30 }), streamed.evaluate({ xs: xs.subarray(15, 105), ys: ys.subarray(10, 70) }), 'evaluate range vs xs');
    for (const net of [...nets, streamed]) net.dispose();
  });

  it('train(), evaluate(), predict() with threads: 1 and threads: 2 (3-257-129-3, batch 200) give the reference bits', function () {
    this.timeout(120_000);
    const spec: FusedSpec = {
      inputs: 3,
      layers: [
        { type: 'dense', units: 257, activation: 'gelu' },
        { type: 'dropout', rate: 0.3 },
        { type: 'dense', units: 129, activation: 'tanh' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
      optimizer: { className: 'Adam', config: { learningRate: 0.01 } },
    };
    const nets = [new FusedNetwork({ ...spec, threads: 1 }), new FusedNetwork({ ...spec, threads: 2 }), new FusedNetwork(spec, { kernels: 'reference' })];
    const next = uniform(3);
    const weights = nets[0].weights.map((w) => floats(w.size, () => next() * 0.2));
    const rows = 403;
    const xs = floats(rows * 3, next);
    const ys = oneHot(next, rows, 3);
    for (const net of nets) {
      net.setWeights(weights);
      net.setData(xs, ys);
    }
    const order = Uint32Array.from({ length: rows }, (_, i) => (i * 101) % rows);
    const masks = masksFor(nets[0], rows, 9);
    const logs = nets.map((net) => net.train({ rows: order, batchSize: 200, masks }));
    assertSameBits(logs[1], logs[0], '2 threads vs 1: logs');
    assertSameBits(logs[2], logs[0], 'reference vs 1 thread: logs');
    assertSameState(nets[1], nets[0], '2 threads vs 1');
    assertSameState(nets[2], nets[0], 'reference vs 1 thread');
    const evaluations = nets.map((net) => net.evaluate({ rows: order, batchSize: 64 }));
    assertSameBits(evaluations[1], evaluations[0], 'evaluate');
    assertSameBits(evaluations[2], evaluations[0], 'evaluate (reference)');
    const predictions = nets.map((net) => net.predict({ start: 0, count: rows }));
    assertSameBits(predictions[1], predictions[0], 'predict');
    assertSameBits(predictions[2], predictions[0], 'predict (reference)');
    for (const net of nets) net.dispose();
  });
});
