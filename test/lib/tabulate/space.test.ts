import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { tf } from '../../../lib/backend';
import { getSeed, setSeed, unseedMathRandom } from '../../../lib/random';
import { JUPYTER_DISPLAY } from '../../../lib/session';
import { tabulateInputSpace, type InputSpace, type Point } from '../../../lib/tabulate';
import { rejectsWith, throwsWith } from '../../helpers';

/** Every point of a small space, in index order, through `at`. */
const allPoints = <P extends Point>(space: InputSpace<P>): P[] => Array.from({ length: space.size }, (_, i) => space.at(i));

/** Collects the streamed batches as plain arrays. */
async function stream(space: InputSpace, batchSize: number, options = {}) {
  const batches: { xs: number[][]; ys?: number[][]; start: number; count: number }[] = [];
  for await (const { xs, ys, start, count } of space.batches(batchSize, options)) {
    batches.push({ xs: xs.arraySync(), ...(ys ? { ys: ys.arraySync() } : {}), start, count });
  }
  return batches;
}

const viscosity = ({ temperature, fluid }: Point) => (fluid === 'glycol' ? 3 : 1) * Math.exp(-0.02 * (temperature as number));

describe('tabulateInputSpace()', () => {
  describe('numeric axes', () => {
    it('tabulateInputSpace({t: {min: 60, max: 80, step: 0.01}}) is exactly 2001 clean values, 60 to 80', () => {
      const space = tabulateInputSpace({ t: { min: 60, max: 80, step: 0.01 } });
      assert.equal(space.size, 2001);
      const values = allPoints(space).map((point) => point.t);
      assert.equal(values[0], 60);
      assert.equal(values[1], 60.01);
      assert.equal(values[2000], 80);
      values.forEach((value, k) => assert.equal(value, Number((6000 + k) / 100), `k=${k}`));
      values.forEach((value) => assert.equal(value, Number(value.toFixed(2))));
    });

    it('tabulateInputSpace({x: {min: 0, max: 1, step: 0.1}}) gives 0.3, not 0.30000000000000004', () => {
      const values = allPoints(tabulateInputSpace({ x: { min: 0, max: 1, step: 0.1 } })).map((point) => point.x);
      assert.deepEqual(values, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    });

    it('tabulateInputSpace({x: {min: 0, max: 1, step: 0.3}}) stops at the last value not above max', () => {
      assert.deepEqual(allPoints(tabulateInputSpace({ x: { min: 0, max: 1, step: 0.3 } })).map((p) => p.x), [0, 0.3, 0.6, 0.9]);
    });

    it('tabulateInputSpace() keeps the decimals of min, negative ranges and exponent steps', () => {
      assert.deepEqual(allPoints(tabulateInputSpace({ x: { min: 0.005, max: 0.04, step: 0.01 } })).map((p) => p.x), [0.005, 0.015, 0.025, 0.035]);
      assert.deepEqual(allPoints(tabulateInputSpace({ x: { min: -0.3, max: 0.3, step: 0.2 } })).map((p) => p.x), [-0.3, -0.1, 0.1, 0.3]);
      assert.deepEqual(allPoints(tabulateInputSpace({ x: { min: 1e-7, max: 4e-7, step: 1e-7 } })).map((p) => p.x), [1e-7, 2e-7, 3e-7, 4e-7]);
      assert.deepEqual(allPoints(tabulateInputSpace({ x: { min: 5, max: 5, step: 1 } })).map((p) => p.x), [5]);
    });
  });

  describe('the cartesian product', () => {
    const space = tabulateInputSpace({ a: { min: 0, max: 2, step: 1 }, b: ['x', 'y'], c: [10, 20, 30, 40] });

    it('space.size is the product of the axis lengths, and space.axes their names in order', () => {
      assert.equal(space.size, 3 * 2 * 4);
      assert.deepEqual(space.axes, ['a', 'b', 'c']);
    });

    it('space.at(i) varies the last axis fastest', () => {
      assert.deepEqual(space.at(0), { a: 0, b: 'x', c: 10 });
      assert.deepEqual(space.at(1), { a: 0, b: 'x', c: 20 });
      assert.deepEqual(space.at(4), { a: 0, b: 'y', c: 10 });
      assert.deepEqual(space.at(8), { a: 1, b: 'x', c: 10 });
      assert.deepEqual(space.at(23), { a: 2, b: 'y', c: 40 });
    });

    it('space.indexOf(space.at(i)) is i for every point, and every point is distinct', () => {
      const points = allPoints(space);
      points.forEach((point, i) => assert.equal(space.indexOf(point), i));
      assert.equal(new Set(points.map((point) => JSON.stringify(point))).size, space.size);
    });

    it('space.indexOf(point) is -1 off the grid', () => {
      assert.equal(space.indexOf({ a: 0.5, b: 'x', c: 10 }), -1);
      assert.equal(space.indexOf({ a: 3, b: 'x', c: 10 }), -1);
      // @ts-expect-error 'z' is not a value of b (the type says so too)
      assert.equal(space.indexOf({ a: 1, b: 'z', c: 10 }), -1);
      assert.equal(space.indexOf({ a: 1, b: 'x', c: 15 }), -1);
      // @ts-expect-error a is numeric
      assert.equal(space.indexOf({ a: '1', b: 'x', c: 10 }), -1);
    });

    it('space.indexOf(point) accepts values a rounding error away from the grid', () => {
      const temperatures = tabulateInputSpace({ t: { min: 60, max: 80, step: 0.01 } });
      assert.equal(temperatures.indexOf({ t: 60 + 0.1 + 0.2 }), 30);
      assert.equal(temperatures.indexOf({ t: 60.005 }), -1);
    });
  });

  describe('model input (features)', () => {
    it('string axes are one-hot by default, numeric axes are used as they are', async () => {
      const space = tabulateInputSpace({ t: [1.5, 2.5], fluid: ['water', 'oil', 'glycol'] });
      assert.deepEqual(space.featureNames, ['t', 'fluid=water', 'fluid=oil', 'fluid=glycol']);
      const [batch] = await stream(space, 100);
      assert.deepEqual(batch.xs[0], [1.5, 1, 0, 0]);
      assert.deepEqual(batch.xs[5], [2.5, 0, 0, 1]);
    });

    it("{categorical: 'index'} feeds a string axis as the value's index", async () => {
      const space = tabulateInputSpace({ fluid: ['water', 'oil', 'glycol'] }, { categorical: 'index' });
      assert.deepEqual(space.featureNames, ['fluid']);
      assert.deepEqual((await stream(space, 10))[0].xs, [[0], [1], [2]]);
    });

    it('{normalize: true} scales numeric axes to [-1, 1] in the features only', async () => {
      const space = tabulateInputSpace({ t: { min: 60, max: 80, step: 5 }, n: [0, 10] }, { normalize: true, label: ({ t }) => t as number });
      const [batch] = await stream(space, 100);
      assert.deepEqual(batch.xs.map(([t]) => t).filter((_, i) => i % 2 === 0), [-1, -0.5, 0, 0.5, 1]);
      assert.deepEqual(batch.xs.slice(0, 2).map(([, n]) => n), [-1, 1]);
      assert.deepEqual(batch.ys!.map(([label]) => label).filter((_, i) => i % 2 === 0), [60, 65, 70, 75, 80]);
      assert.deepEqual(space.encode([{ t: 70, n: 10 }, { t: 62.5, n: 0 }]).arraySync(), [[0, 1], [-0.75, -1]]);
    });
  });

  describe('batches()', () => {
    const space = tabulateInputSpace({ temperature: { min: 60, max: 61, step: 0.1 }, fluid: ['water', 'glycol'] }, { label: viscosity });

    it('space.batches(5) streams every point once, in order, with the last batch partial', async () => {
      const batches = await stream(space, 5);
      assert.deepEqual(
        batches.map(({ start, count }) => [start, count]),
        [[0, 5], [5, 5], [10, 5], [15, 5], [20, 2]],
      );
      const xs = batches.flatMap((batch) => batch.xs);
      const expected = space.encode(allPoints(space)).arraySync();
      assert.deepEqual(xs, expected);
      const ys = batches.flatMap((batch) => batch.ys!.map(([y]) => y));
      ys.forEach((y, i) => assert.equal(y, Math.fround(viscosity(space.at(i)))));
    });

    it('space.batches(n, {start, end, labels: false}) streams a slice without labels', async () => {
      const batches = await stream(space, 4, { start: 3, end: 9, labels: false });
      assert.deepEqual(batches.map(({ start, count }) => [start, count]), [[3, 4], [7, 2]]);
      assert.equal(batches[0].ys, undefined);
    });

    it("space.batches(n) disposes each batch's tensors when the next is requested, so memory stays flat", async () => {
      const before = tf.memory().numTensors;
      let peak = 0;
      for await (const batch of space.batches(3)) {
        peak = Math.max(peak, tf.memory().numTensors - before);
        assert.ok(!batch.xs.isDisposed);
      }
      assert.equal(peak, 2);
      assert.equal(tf.memory().numTensors, before);
    });

    it('space.batches(n) releases the last batch when the loop breaks early', async () => {
      const before = tf.memory().numTensors;
      for await (const batch of space.batches(3)) if (batch.start >= 6) break;
      assert.equal(tf.memory().numTensors, before);
    });

    it('space.gather(indices) gives the same rows as streaming, in the order asked', async () => {
      const { xs, ys } = await space.gather([21, 0, 7]);
      const streamed = await stream(space, 22);
      assert.deepEqual(xs.arraySync(), [21, 0, 7].map((i) => streamed[0].xs[i]));
      assert.deepEqual(ys!.arraySync(), [21, 0, 7].map((i) => streamed[0].ys![i]));
      tf.dispose([xs, ys!]);
    });

    it('a 20-million-point space streams in well under 400 MB of memory', function () {
      this.timeout(120000);
      const code = `
        const { tabulateInputSpace } = require('cellfit');
        const space = tabulateInputSpace({ t: { min: 0, max: 199999.99, step: 0.01 } });
        (async () => {
          let points = 0;
          for await (const { count } of space.batches(1 << 16, { labels: false })) points += count;
          console.log(JSON.stringify({ points, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
        })();`;
      const result = spawnSync(process.execPath, ['-e', code], { cwd: path.resolve(__dirname, '../../../..'), encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const { points, maxRssMB } = JSON.parse(result.stdout);
      assert.equal(points, 20_000_000);
      assert.ok(maxRssMB < 400, `peak RSS ${maxRssMB} MB`);
    });
  });

  describe('labels', () => {
    it('{labelBatch} receives one raw column per axis (string axes as value index) and is used instead of label', async () => {
      const seen: number[][] = [];
      const space = tabulateInputSpace(
        { t: [20, 30], fluid: ['water', 'oil'] },
        {
          label: () => {
            throw new Error('label must not be called when labelBatch is given');
          },
          labelBatch: (xs, count) => {
            for (let i = 0; i < count; i++) seen.push([xs[2 * i], xs[2 * i + 1]]);
            return Float32Array.from({ length: count }, (_, i) => xs[2 * i] + 100 * xs[2 * i + 1]);
          },
        },
      );
      const [batch] = await stream(space, 10);
      assert.deepEqual(seen, [[20, 0], [20, 1], [30, 0], [30, 1]]);
      assert.deepEqual(batch.ys, [[20], [120], [30], [130]]);
    });

    it('{label} may be async and return several outputs; labels names the columns', async () => {
      const space = tabulateInputSpace({ x: [1, 2, 3] }, { label: async ({ x }) => [x as number, -(x as number)], labels: ['y', 'minus'] });
      assert.equal(space.labelCount, 2);
      const [batch] = await stream(space, 10);
      assert.deepEqual(batch.ys, [[1, -1], [2, -2], [3, -3]]);
      const table = await space.toTableAsync();
      assert.deepEqual(table.columnNames(), ['x', 'y', 'minus']);
      assert.deepEqual(Array.from(table.array('minus')), [-1, -2, -3]);
    });

    it('space.labelCount is found from the first point of a sync labeller, and is 0 without one', () => {
      assert.equal(tabulateInputSpace({ x: [1, 2] }, { label: () => [1, 2, 3] }).labelCount, 3);
      assert.equal(tabulateInputSpace({ x: [1, 2] }, { labelBatch: (_, count) => new Float32Array(count * 2) }).labelCount, 2);
      assert.equal(tabulateInputSpace({ x: [1, 2] }).labelCount, 0);
      throwsWith(
        () => tabulateInputSpace({ x: [1, 2] }, { label: async () => 1 }).labelCount,
        'InputSpace.labelCount: the labeller is asynchronous, so the number of label columns is not known up front. Pass `labels` names to tabulateInputSpace().',
      );
    });

    it('labels that are not finite numbers, or of changing length, are errors naming the point', async () => {
      const nan = tabulateInputSpace({ x: [1, 2] }, { label: ({ x }) => (x === 2 ? Number.NaN : 1) });
      await rejectsWith(() => stream(nan, 10), 'InputSpace (label): label returned NaN for point { x: 2 }. Labels must be finite numbers.');
      const ragged = tabulateInputSpace({ x: [1, 2] }, { label: ({ x }) => (x === 2 ? [1, 2] : [1]) });
      await rejectsWith(() => stream(ragged, 10), 'InputSpace (label): label returned 2 value(s) for point { x: 2 } but 1 for others. Every point needs the same number of labels.');
      const wrongLength = tabulateInputSpace({ x: [1, 2, 3] }, { labelBatch: () => new Float32Array(2) });
      await rejectsWith(() => stream(wrongLength, 10), 'InputSpace (labelBatch): labelBatch must return count × labelCount numbers, row-major. Received: Float32Array(2) for count=3.');
    });
  });

  describe('toTable()', () => {
    it('space.toTable() has a column per axis with the true values, and the exact (float64) labels', () => {
      const space = tabulateInputSpace({ temperature: { min: 60, max: 60.02, step: 0.01 }, fluid: ['water', 'glycol'] }, { label: viscosity, normalize: true });
      const table = space.toTable();
      assert.deepEqual(table.columnNames(), ['temperature', 'fluid', 'label']);
      assert.deepEqual(Array.from(table.array('temperature')), [60, 60, 60.01, 60.01, 60.02, 60.02]);
      assert.deepEqual(Array.from(table.array('fluid')), ['water', 'glycol', 'water', 'glycol', 'water', 'glycol']);
      assert.equal(table.get('label', 3), 3 * Math.exp(-0.02 * 60.01));
    });

    it('space.toTable({maxRows}) refuses a space larger than maxRows, pointing to batches()', () => {
      const space = tabulateInputSpace({ t: { min: 0, max: 100, step: 0.001 } });
      throwsWith(() => space.toTable({ maxRows: 1000 }), 'InputSpace.toTable(): the space has 100,001 points, more than maxRows=1000. Stream it with space.batches(n), or raise maxRows.');
    });

    it('space.toTable() with an async labeller points to toTableAsync()', () => {
      throwsWith(() => tabulateInputSpace({ x: [1] }, { label: async () => 1 }).toTable(), 'InputSpace.toTable(): label is asynchronous. Use `await space.toTableAsync()`.');
    });
  });

  describe('evaluate()', () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 1, step: 0.01 }, k: ['a', 'b'] }, { label: ({ x, k }) => (k === 'a' ? 1 : -1) * (x as number) });
    /** Predicts the exact label plus `offset(x)`: features are [x, k=a, k=b]. */
    const predictor = (offset: (x: tf.Tensor) => tf.Tensor) => ({
      predict: (xs: tf.Tensor) =>
        tf.tidy(() => {
          const [x, a, b] = tf.split(xs, 3, 1);
          return tf.add(tf.sub(tf.mul(x, a), tf.mul(x, b)), offset(x));
        }),
    });

    it('space.evaluate(exactModel) is zero everywhere', async () => {
      const result = await space.evaluate(predictor((x) => tf.zerosLike(x)), { batchSize: 37 });
      assert.equal(result.points, 202);
      assert.equal(result.maxAbsError, 0);
      assert.equal(result.meanAbsError, 0);
      assert.equal(result.rmse, 0);
    });

    it('space.evaluate(model) reports max, mean and RMS error over the whole space, and the worst points', async () => {
      // Error = x²: max 1 at x = 1; mean of x² and of x⁴ over the grid, twice (k = a, b).
      const result = await space.evaluate(predictor((x) => tf.square(x)), { batchSize: 50, worst: 3 });
      const grid = Array.from({ length: 101 }, (_, i) => i / 100);
      const mean = grid.reduce((sum, x) => sum + x * x, 0) / 101;
      const rms = Math.sqrt(grid.reduce((sum, x) => sum + x ** 4, 0) / 101);
      assert.ok(Math.abs(result.maxAbsError - 1) < 1e-6);
      assert.ok(Math.abs(result.meanAbsError - mean) < 1e-6);
      assert.ok(Math.abs(result.rmse - rms) < 1e-6);
      assert.deepEqual(result.worst.map(({ point }) => point.x), [1, 1, 0.99]);
      assert.deepEqual(result.worst[0].label, [1]);
      assert.ok(Math.abs(result.worst[0].prediction[0] - 2) < 1e-6);
    });

    it('space.evaluate(model) counts a NaN prediction as the worst error', async () => {
      const result = await space.evaluate(predictor((x) => tf.div(tf.zerosLike(x), tf.sub(x, 0.5))), { worst: 1 });
      assert.ok(Number.isNaN(result.maxAbsError));
      assert.deepEqual(result.worst[0].point, { x: 0.5, k: 'a' });
    });

    it('space.evaluate(dense tf.js model) runs the fused forward pass and reports what model.predict gives', async () => {
      const curve = tabulateInputSpace({ t: { min: 0, max: 2, step: 0.001 }, v: [0.5, 1] }, { label: ({ t, v }) => Math.sin((t as number) * (v as number)), normalize: true });
      // Seeded weights, leaving the global seed and Math.random as other tests expect them.
      const previous = getSeed();
      setSeed(3);
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [2] }), tf.layers.dense({ units: 1 })] });
      unseedMathRandom();
      setSeed(previous, { mathRandom: false });
      const fused = await curve.evaluate(model, { batchSize: 1000, worst: 3 });
      // The same model behind a plain predict() takes the tensor path.
      const viaTensors = await curve.evaluate({ predict: (xs: tf.Tensor) => model.predict(xs) as tf.Tensor }, { batchSize: 1000, worst: 4 });
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
      for (const key of ['maxAbsError', 'meanAbsError', 'rmse'] as const) assert.ok(close(fused[key], viaTensors[key]), `${key}: ${fused[key]} vs ${viaTensors[key]}`);
      // The two paths round differently (XNNPACK's sums vs the engine's), so points whose errors tie
      // to float precision may trade places; the errors agree, and so does every point without a tie.
      fused.worst.forEach((worst, i) => {
        const expected = viaTensors.worst[i];
        assert.ok(close(worst.absError, expected.absError), `worst ${i + 1}: error ${worst.absError} vs ${expected.absError}`);
        const tied = [viaTensors.worst[i - 1], viaTensors.worst[i + 1]].some((other) => other !== undefined && close(other.absError, expected.absError));
        if (!tied) assert.deepEqual(worst.point, expected.point, `worst ${i + 1}`);
      });
      await rejectsWith(() => curve.evaluate(tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] })), 'InputSpace.evaluate(): the model maps 2 inputs to 2 outputs but the space has 2 feature and 1 label column(s).');
    });

    it("space.evaluate(model, { engine }) chooses the engine as train() does: 'tfjs' is model.predict's numbers exactly, 'fused' refuses what it cannot run", async () => {
      const curve = tabulateInputSpace({ t: { min: 0, max: 1, step: 0.01 } }, { label: ({ t }) => Math.cos(t as number) });
      const previous = getSeed();
      setSeed(5);
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [1] }), tf.layers.dense({ units: 1 })] });
      unseedMathRandom();
      setSeed(previous, { mathRandom: false });
      const viaTfjs = await curve.evaluate(model, { engine: 'tfjs', batchSize: 64, worst: 2 });
      const viaPredict = await curve.evaluate({ predict: (xs: tf.Tensor) => model.predict(xs) as tf.Tensor }, { batchSize: 64, worst: 2 });
      assert.deepEqual(viaTfjs, viaPredict);
      const fused = await curve.evaluate(model, { engine: 'fused', batchSize: 64, worst: 2 });
      assert.ok(Math.abs(fused.rmse - viaTfjs.rmse) <= 1e-6, `${fused.rmse} vs ${viaTfjs.rmse}`);
      // The worst points' predictions come from the engine that ranked them: their errors agree.
      for (const worst of fused.worst) assert.equal(Math.fround(Math.abs(worst.prediction[0] - worst.label[0])), worst.absError);
      await rejectsWith(
        () => curve.evaluate({ predict: (xs: tf.Tensor) => model.predict(xs) as tf.Tensor }, { engine: 'fused' }),
        "InputSpace.evaluate(): engine: 'fused' cannot run this model: it is not a tf.js LayersModel but an object with a predict() method.",
      );
      await rejectsWith(() => curve.evaluate(model, { engine: 'gpu' as never }), "InputSpace.evaluate(): `engine` must be 'auto', 'fused', 'tfjs'. Received: engine=");
    });

    it('space.evaluate() rejects a space without labels, a non-model and a wrong output shape', async () => {
      await rejectsWith(() => tabulateInputSpace({ x: [1] }).evaluate(predictor((x) => x)), 'InputSpace.evaluate(): the space has no labels. Pass `label` or `labelBatch` to tabulateInputSpace().');
      await rejectsWith(() => space.evaluate({} as never), 'InputSpace.evaluate(): model must have a predict(xs) method, like a tfjs LayersModel. Received: {  }.');
      await rejectsWith(
        () => space.evaluate({ predict: (xs: tf.Tensor) => tf.concat([xs, xs], 1) }),
        'InputSpace.evaluate(): the model predicts shape [202, 6] but the space has 3 feature and 1 label column(s).',
      );
    });
  });

  describe('display', () => {
    it('space[Symbol.for("Jupyter.display")]() is an HTML table of the axes with a text fallback', () => {
      const space = tabulateInputSpace({ temperature: { min: 60, max: 80, step: 0.01 }, fluid: ['water', '<oil>'] }, { label: () => 1 });
      const bundle = space[JUPYTER_DISPLAY]();
      assert.equal(
        bundle['text/plain'],
        'InputSpace of 4,002 points (3 features; labels: yes)\n  temperature: 60 to 80 by 0.01 (2001 values)\n  fluid: ["water", "<oil>"] (2 values, onehot)',
      );
      assert.match(bundle['text/html'] as string, /<td>temperature<\/td><td>range<\/td><td>60<\/td><td>80<\/td><td>0.01<\/td><td>2,001<\/td>/);
      assert.match(bundle['text/html'] as string, /&#60;oil&#62;/);
    });
  });

  describe('bad axes and options', () => {
    const cases: [string, () => unknown, string][] = [
      ['step 0', () => tabulateInputSpace({ t: { min: 0, max: 1, step: 0 } }), 'tabulateInputSpace(): axis `t`: `step` must be greater than 0. Received: step=0.'],
      ['a negative step', () => tabulateInputSpace({ t: { min: 0, max: 1, step: -0.1 } }), 'tabulateInputSpace(): axis `t`: `step` must be greater than 0. Received: step=-0.1.'],
      ['a NaN step', () => tabulateInputSpace({ t: { min: 0, max: 1, step: Number.NaN } }), 'tabulateInputSpace(): axis `t`: `step` must be a finite number. Received: step=NaN.'],
      ['min above max', () => tabulateInputSpace({ t: { min: 80, max: 60, step: 1 } }), 'tabulateInputSpace(): axis `t`: `min` must not exceed `max`. Received: min=80, max=60.'],
      ['a missing max', () => tabulateInputSpace({ t: { min: 0, step: 1 } as never }), 'tabulateInputSpace(): axis `t`: `max` must be a finite number. Received: max=undefined.'],
      ['a misspelt key', () => tabulateInputSpace({ t: { min: 0, max: 1, stp: 1 } as never }), 'tabulateInputSpace(): axis `t` has unknown key `stp`. A numeric axis is { min, max, step }.'],
      ['an empty list', () => tabulateInputSpace({ fluid: [] }), 'tabulateInputSpace(): axis `fluid` has an empty list of values. Give at least one value.'],
      ['a repeated value', () => tabulateInputSpace({ fluid: ['oil', 'water', 'oil'] }), 'tabulateInputSpace(): axis `fluid` lists "oil" twice (at 0 and 2). Axis values must be distinct.'],
      ['mixed numbers and strings', () => tabulateInputSpace({ v: [1, 'a'] as never }), 'tabulateInputSpace(): axis `v` mixes numbers and strings. Received: v[0]=1, v[1]="a".'],
      ['a null value', () => tabulateInputSpace({ v: [1, null] as never }), 'tabulateInputSpace(): axis `v`: values must be finite numbers or strings. Received: v[1]=null.'],
      ['a scalar spec', () => tabulateInputSpace({ t: 5 as never }), 'tabulateInputSpace(): axis `t` must be { min, max, step } or a list of values. Received: t=5.'],
      ['duplicate names', () => tabulateInputSpace([['t', [1]], ['t', [2]]]), 'tabulateInputSpace(): axis name `t` appears twice. Axis names must be distinct.'],
      ['no axes', () => tabulateInputSpace({}), 'tabulateInputSpace(): axes is empty. Give at least one axis'],
      ['a label named like an axis', () => tabulateInputSpace({ t: [1] }, { labels: 't' }), 'tabulateInputSpace(): label name `t` is also an axis name. Choose distinct `labels`.'],
      ['an unknown option', () => tabulateInputSpace({ t: [1] }, { labeler: () => 1 } as never), 'tabulateInputSpace(): unknown option `labeler`. Expected one of label, labelBatch, labels, categorical, normalize.'],
      ['a bad encoding', () => tabulateInputSpace({ t: ['a'] }, { categorical: 'ordinal' as never }), "tabulateInputSpace(): `categorical` must be 'onehot' or 'index'. Received: categorical=\"ordinal\"."],
      ['a space too large to index', () => tabulateInputSpace({ a: { min: 0, max: 1e9, step: 1 }, b: { min: 0, max: 1e9, step: 1 } }), 'tabulateInputSpace(): the space has more points (1.000e+18) than can be indexed exactly (2^53).'],
    ];
    for (const [what, call, message] of cases) {
      it(`tabulateInputSpace() with ${what} throws an error naming the axis or option`, () => {
        throwsWith(call, message);
      });
    }

    it('space.at(i) and space.indexOf(point) reject bad indices and points', () => {
      const space = tabulateInputSpace({ t: [1, 2], u: ['a'] });
      throwsWith(() => space.at(2), 'InputSpace.at(): index must be an integer in [0, 2). Received: 2.');
      throwsWith(() => space.at(0.5), 'Received: 0.5.');
      // @ts-expect-error u is missing (the type says so too)
      throwsWith(() => space.indexOf({ t: 1 }), 'InputSpace.indexOf(): point lacks axis `u`. Received: { t: 1 }.');
      // @ts-expect-error v is no axis
      throwsWith(() => space.indexOf({ t: 1, u: 'a', v: 2 }), 'InputSpace.indexOf(): point has key `v`, which is not an axis. Axes: t, u.');
    });
  });
});
