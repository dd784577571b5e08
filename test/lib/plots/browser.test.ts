import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../../../lib/backend';
import { libraryBundle } from '../../../lib/plots/library';
import { figureBundle, standalonePage } from '../../../lib/plots/plotly';
import { spaceFigure } from '../../../lib/plots/space';
import { sweepFigure } from '../../../lib/plots/sweep';
import { tabulateInputSpace } from '../../../lib/tabulate';
import { ARTIFACTS, renderCharts } from '../../support/chromium';

describe('plots in a real browser (headless Chromium)', function () {
  this.timeout(180000);

  it('a notebook-style page draws every chart, also one output above the plotly.js output', () => {
    const first = figureBundle({ data: [{ type: 'scatter', y: [1, 3, 2] }] }, 'first', 'chart-a')['text/html'];
    const second = figureBundle({ data: [{ type: 'scatter', y: [3, 1] }, { type: 'scatter', y: [1, 1] }] }, 'second', 'chart-b')['text/html'];
    const file = path.join(ARTIFACTS, 'plots-outputs.html');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The chart that comes before plotly.js in the page waits in the queue until it loads.
    fs.writeFileSync(file, `<!DOCTYPE html><html><body>${first}${libraryBundle()['text/html']}${second}</body></html>`);
    const charts = renderCharts(file, { screenshot: path.join(ARTIFACTS, 'plots-outputs.png') });
    assert.deepEqual(charts, [
      { id: 'chart-a', drawn: true, traces: 1 },
      { id: 'chart-b', drawn: true, traces: 2 },
    ]);
  });

  it('standalonePage() with sweep charts draws parallel coordinates and a scatter', () => {
    const points = [
      { params: { lr: 0.1, units: 8, act: 'relu' }, best: { monitor: 'val_loss', value: 0.5 } },
      { params: { lr: 0.01, units: 32, act: 'tanh' }, best: { monitor: 'val_loss', value: 0.2 } },
      { params: { lr: 0.001, units: 8, act: 'tanh' }, best: { monitor: 'val_loss', value: 0.3 } },
    ];
    const page = standalonePage('sweep', [sweepFigure(points, ['lr', 'units', 'act'])!, sweepFigure(points, ['lr'])!]);
    const file = path.join(ARTIFACTS, 'plots-sweep.html');
    fs.writeFileSync(file, page);
    const charts = renderCharts(file, { screenshot: path.join(ARTIFACTS, 'plots-sweep.png') });
    assert.deepEqual(charts.map(({ drawn, traces }) => ({ drawn, traces })), [
      { drawn: true, traces: 1 },
      { drawn: true, traces: 2 },
    ]);
  });

  it('standalonePage() with a space plot draws offline: curves and a heatmap', async () => {
    const curve = tabulateInputSpace({ x: { min: 0, max: 1, step: 0.01 }, kind: ['a', 'b'] }, { label: ({ x }) => Math.sin(6 * (x as number)) });
    const grid = tabulateInputSpace({ a: { min: 0, max: 1, step: 0.05 }, b: { min: 0, max: 1, step: 0.05 } }, { label: ({ a, b }) => (a as number) * (b as number) });
    const nearly = { predict: (xs: tf.Tensor) => tf.tidy(() => tf.sin(tf.slice(xs, [0, 0], [-1, 1]).mul(6)).add(0.01)) };
    const product = { predict: (xs: tf.Tensor) => tf.tidy(() => tf.prod(xs, 1, true).add(0.02)) };
    const page = standalonePage('space plots', [await spaceFigure(curve, nearly), await spaceFigure(grid, product)]);
    const file = path.join(ARTIFACTS, 'plots-space.html');
    fs.writeFileSync(file, page);
    const charts = renderCharts(file, { screenshot: path.join(ARTIFACTS, 'plots-space.png') });
    assert.equal(charts.length, 2);
    assert.ok(charts.every((chart) => chart.drawn));
    assert.equal(charts[0].traces, 6, 'label, prediction and error for each of 2 categories');
    assert.equal(charts[1].traces, 1, 'one heatmap');
  });
});
