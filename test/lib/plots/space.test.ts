import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf } from '../../../lib/backend';
import { PLOTLY_MIME } from '../../../lib/plots/plotly';
import { plotSpace, sample, spaceFigure } from '../../../lib/plots/space';
import { JUPYTER_DISPLAY } from '../../../lib/session';
import { tabulateInputSpace } from '../../../lib/tabulate';
import { rejectsWith } from '../../helpers';

type Trace = { name?: string; type: string; x: unknown[]; y: unknown[]; z?: number[][]; yaxis?: string };

/** A "model" that predicts label + bump, where bump is 0.5 at one chosen feature value. */
function modelWithBumpAt(featureColumn: number, at: number, columns: number) {
  return {
    predict: (xs: tf.Tensor) =>
      tf.tidy(() => {
        const parts = tf.split(xs, columns, 1);
        const exact = parts.slice(0, 2).reduce((sum, part) => sum.add(part), tf.zerosLike(parts[0]));
        return exact.add(tf.equal(parts[featureColumn], at).cast('float32').mul(0.5));
      }),
  };
}

describe('plots/space', () => {
  it('sample(length, count) keeps both ends and never exceeds count', () => {
    assert.deepEqual(sample(5, 10), [0, 1, 2, 3, 4]);
    assert.deepEqual(sample(11, 3), [0, 5, 10]);
    assert.equal(sample(2001, 300).length, 300);
  });

  it('spaceFigure(space1d, model) draws label and prediction per category over an error panel, and calls out the max error', async () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 1, step: 0.1 }, kind: ['a', 'b'] }, { label: ({ x }) => x as number, categorical: 'index' });
    // Features [x, kind]: predicting x·(1 + kind) + kind is exact for kind a and off by x + 1 for kind b.
    const model = {
      predict: (xs: tf.Tensor) =>
        tf.tidy(() => {
          const [x, kind] = tf.split(xs, 2, 1);
          return x.mul(kind.add(1)).add(kind);
        }),
    };
    const { figure, text, maxAbsError } = await spaceFigure(space, model);
    const traces = figure.data as unknown as Trace[];
    assert.deepEqual(traces.map((trace) => trace.name), ['label (kind=a)', 'prediction (kind=a)', '|error| (kind=a)', 'label (kind=b)', 'prediction (kind=b)', '|error| (kind=b)']);
    assert.equal(traces[0].x.length, 11);
    assert.equal(traces[5].yaxis, 'y2');
    (traces[5].y as number[]).forEach((error, k) => assert.ok(Math.abs(error - (1 + k / 10)) < 1e-6));
    assert.ok((traces[2].y as number[]).every((error) => error === 0));
    assert.ok(Math.abs(maxAbsError - 2) < 1e-6);
    assert.equal(text, 'label vs prediction: max |error| 2.00 over the whole space (at x=1)');
    const annotation = (figure.layout!.annotations as { text: string; x: number }[])[0];
    assert.equal(annotation.text, 'max |error| 2.00 over the whole space');
    assert.equal(annotation.x, 1);
  });

  it('spaceFigure(space2d, model) draws an error heatmap over the first two numeric axes, folding others in by max', async () => {
    const space = tabulateInputSpace({ a: { min: 0, max: 1, step: 0.25 }, b: { min: 0, max: 2, step: 1 }, c: [0, 1] }, { label: ({ a, b }) => (a as number) + (b as number) });
    const { figure, text } = await spaceFigure(space, modelWithBumpAt(2, 1, 3));
    const [heatmap] = figure.data as unknown as Trace[];
    assert.equal(heatmap.type, 'heatmap');
    assert.deepEqual(heatmap.x, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(heatmap.y, [0, 1, 2]);
    // c = 1 everywhere adds 0.5, and the heatmap keeps the max over c.
    assert.ok(heatmap.z!.every((row) => row.every((value) => Math.abs(value - 0.5) < 1e-6)));
    assert.match(text, /^\|prediction − label\|: max 0\.500 over the whole space/);
    assert.match((figure.layout!.title as { text: string }).text, /\(max over c\)$/);
  });

  it('spaceFigure(space, model, {evaluation}) calls out the worst point of the whole space', async () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 100, step: 1 } }, { label: ({ x }) => x as number });
    const model = modelWithBumpAt(0, 37, 1);
    const evaluation = await space.evaluate(model, { worst: 1 });
    const { text } = await spaceFigure(space, model, { resolution: 10, evaluation });
    assert.equal(text, 'label vs prediction: max |error| 0.500 over the whole space (at x=37)');
    const sampled = await spaceFigure(space, model, { resolution: 10 });
    assert.match(sampled.text, /over the plotted points/);
  });

  it('spaceFigure(space, dense model) predicts on the engine space.evaluate() uses: the plotted max error is the evaluated one', async () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 1, step: 0.01 } }, { label: ({ x }) => Math.sin(3 * (x as number)) });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 6, activation: 'tanh', inputShape: [1], kernelInitializer: tf.initializers.constant({ value: 0.3 }) }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.constant({ value: 0.7 }) })] });
    for (const engine of ['auto', 'tfjs'] as const) {
      const evaluation = await space.evaluate(model, { engine });
      const { maxAbsError } = await spaceFigure(space, model, { engine });
      assert.equal(maxAbsError, evaluation.maxAbsError, engine);
    }
    await rejectsWith(() => spaceFigure(space, model, { engine: 'gpu' as never }), "plotSpace(): `engine` must be 'auto', 'fused', 'tfjs'.");
  });

  it('plotSpace(space, model) is a chart: shown as a cell result, written as a page with write(file)', async () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 1, step: 0.5 } }, { label: ({ x }) => x as number });
    const model = { predict: (xs: tf.Tensor) => tf.clone(xs) };
    const chart = await plotSpace(space, model);
    assert.equal(chart.toString(), 'label vs prediction: max |error| 0.00 over the whole space (at x=0)');
    assert.equal(chart.maxAbsError, 0);
    assert.ok(PLOTLY_MIME in chart[JUPYTER_DISPLAY]());

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-plot-')), 'space.html');
    assert.equal(chart.write(file), file);
    assert.match(fs.readFileSync(file, 'utf8'), /class="cellfit-chart"/);
  });

  it('plotSpace() rejects a space without labels and a bad output index', async () => {
    await rejectsWith(() => spaceFigure(tabulateInputSpace({ x: [1] }), { predict: (xs) => xs }), 'plotSpace(): the space has no labels to compare with.');
    const space = tabulateInputSpace({ x: [1] }, { label: () => 1 });
    await rejectsWith(() => spaceFigure(space, { predict: (xs) => xs }, { output: 1 }), 'plotSpace(): output must be a label column index in [0, 1). Received: output=1.');
  });
});
