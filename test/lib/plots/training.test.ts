import assert from 'node:assert/strict';
import { PLOTLY_MIME } from '../../../lib/plots/plotly';
import { liveTrainingChart, showFinishedRun, trainingFigure, trainingPlot, trainingSummary } from '../../../lib/plots/training';
import { JUPYTER_DISPLAY, setSessionProvider } from '../../../lib/session';
import { recordingSession } from '../../helpers';

const history = [
  { epoch: 1, loss: 1, val_loss: 1.2, lr: 0.01 },
  { epoch: 2, loss: 0.5, val_loss: 0.7, lr: 0.01 },
  { epoch: 3, loss: 0.25, val_loss: NaN, lr: 0.01 },
];
const best = { epoch: 2, monitor: 'val_loss', value: 0.7 };

describe('plots/training', () => {
  it('trainingFigure(history, { best }) draws train and validation loss per epoch and stars the best epoch', () => {
    const figure = trainingFigure(history, { title: 'flights', best, metricNames: ['loss', 'val_loss'] });
    assert.deepEqual(
      figure.data.map((trace) => [trace.name, trace.x, trace.y]),
      [
        ['train loss', [1, 2, 3], [1, 0.5, 0.25]],
        // NaN has no JSON form: a diverged epoch is a gap.
        ['validation loss', [1, 2, 3], [1.2, 0.7, null]],
        ['best (epoch 2)', [2], [0.7]],
      ],
    );
    assert.deepEqual(figure.layout?.title, { text: 'flights' });
    assert.deepEqual(figure.layout?.shapes, []);
  });

  it('trainingFigure(history, { checkpoints, stop }) marks checkpointed epochs and an early stop', () => {
    const stop = { reason: 'patience-exhausted' as const, message: 'val_loss did not improve for 1 epoch (patience 0): ...', epoch: 3 };
    const figure = trainingFigure(history, { checkpoints: [1, 3], stop, metricNames: ['loss', 'val_loss'] });
    const marks = figure.data.find((trace) => trace.name === 'checkpoint')!;
    assert.deepEqual([marks.x, marks.y], [[1, 3], [1, 0.25]]);
    assert.deepEqual(figure.layout?.shapes, [{ type: 'line', x0: 3, x1: 3, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dash', color: '#9467bd' } }]);
    assert.equal((figure.layout?.annotations as { text: string; hovertext: string }[])[0].text, 'early stop');
    // A run that simply completed has no stop mark.
    assert.deepEqual(trainingFigure(history, { stop: { reason: 'completed', message: 'trained 3 epochs.', epoch: 3 } }).layout?.shapes, []);
  });

  it('trainingFigure() marks a best epoch of an unplotted metric with a dotted line', () => {
    const figure = trainingFigure(history, { best: { epoch: 3, monitor: 'val_acc', value: 0.9 }, metricNames: ['loss'] });
    assert.equal(figure.data.length, 1);
    assert.deepEqual(figure.layout?.shapes, [{ type: 'line', x0: 3, x1: 3, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dot', color: '#d62728' } }]);
  });

  it('trainingPlot(history)[Symbol.for("Jupyter.display")]() is a plotly bundle with an HTML fallback and a summary', () => {
    const bundle = trainingPlot(history, { title: 'run', best })[JUPYTER_DISPLAY]();
    assert.ok(PLOTLY_MIME in bundle);
    assert.match(String(bundle['text/html']), /cellfit-chart/);
    assert.equal(bundle['text/plain'], 'run: epoch 3: loss 0.25, val_loss NaN; best val_loss 0.7 at epoch 2');
    assert.equal(trainingSummary([], { title: 'run' }), 'run: no epochs yet');
  });

  it('liveTrainingChart() shows the chart once and updates it in place, throttled unless forced', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    try {
      let time = 0;
      const chart = liveTrainingChart({ title: 'run' }, { interval: 500, now: () => time });
      chart.update(history.slice(0, 1), {});
      time = 100;
      chart.update(history.slice(0, 2), { best });
      time = 700;
      chart.update(history.slice(0, 2), { best });
      time = 750;
      chart.update(history, { best, checkpoints: [1, 3] }, true);
      const charts = session.shown.filter((bundle) => String(bundle['text/html'] ?? '').includes('class="cellfit-chart"'));
      assert.equal(charts.length, 1);
      const index = session.shown.indexOf(charts[0]);
      assert.equal(session.updates[index].length, 2);
      // plotly's JupyterLab renderer keeps its first graph: frames while training are HTML only.
      assert.ok(!(PLOTLY_MIME in charts[0]) && !(PLOTLY_MIME in session.updates[index][0]), 'frames while training are live: HTML only');
      const last = session.updates[index][1][PLOTLY_MIME] as { data: { y: unknown[] }[] };
      assert.equal(last.data[0].y.length, 3);
    } finally {
      setSessionProvider(undefined);
    }
  });
});

describe('plots/training (front ends)', () => {
  afterEach(() => setSessionProvider(undefined));

  it('liveTrainingChart() is for browsers only: no text/plain, so jupyter console prints nothing for it', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    const chart = liveTrainingChart({ title: 'run' });
    chart.update(history.slice(0, 1), {});
    chart.update(history, {}, true);
    const index = session.shown.findIndex((bundle) => String(bundle['text/html'] ?? '').includes('class="cellfit-chart"'));
    assert.ok(!('text/plain' in session.shown[index]));
    assert.ok(!('text/plain' in session.updates[index][0]));
  });

  it('showFinishedRun(run) shows the summary line, then the chart in its final state (browser-only)', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    showFinishedRun({ toString: () => 'Run demo: completed after 3/3 epochs.', plot: () => trainingPlot(history, { title: 'demo' }) });
    const [summary, ...rest] = session.shown.filter((bundle) => !String(bundle['text/html'] ?? '').includes('<script type="text/x-cellfit-plotly"'));
    assert.deepEqual(summary, { 'text/plain': 'Run demo: completed after 3/3 epochs. (Finished earlier: returned without training.)' });
    assert.equal(rest.length, 1);
    assert.equal((rest[0][PLOTLY_MIME] as { data: { x: unknown[] }[] }).data[0].x.length, 3);
    assert.ok(!('text/plain' in rest[0]));
  });

  it('showFinishedRun(run) outside a notebook shows nothing', () => {
    showFinishedRun({ toString: () => 'x', plot: () => assert.fail('not drawn') });
  });
});

describe('plots/training (metrics, scale, cost)', () => {
  const withMetrics = [
    { epoch: 1, loss: 1, mae: 0.9, val_loss: 1.2, val_mae: 1, lr: 0.01 },
    { epoch: 2, loss: 0.5, mae: 0.6, val_loss: 0.7, val_mae: 0.7, lr: 0.01 },
  ];

  it('trainingFigure(history, {metricNames}) draws compiled metrics on a second axis, dotted', () => {
    const figure = trainingFigure(withMetrics, { metricNames: ['loss', 'mae', 'val_loss', 'val_mae'] });
    assert.deepEqual(
      figure.data.map((trace) => [trace.name, trace.yaxis ?? 'y', (trace.line as { dash?: string }).dash ?? 'solid']),
      [
        ['train loss', 'y', 'solid'],
        ['validation loss', 'y', 'solid'],
        ['mae', 'y2', 'dot'],
        ['val_mae', 'y2', 'dot'],
      ],
    );
    assert.deepEqual(figure.layout?.yaxis2, { title: { text: 'metrics' }, overlaying: 'y', side: 'right', showgrid: false });
    assert.equal(trainingFigure(history, { metricNames: ['loss', 'val_loss'] }).layout?.yaxis2, undefined);
  });

  it('trainingFigure() has a linear / log toggle for the loss axis', () => {
    const [menu] = trainingFigure(history).layout?.updatemenus as { buttons: { label: string; args: unknown[] }[] }[];
    assert.deepEqual(
      menu.buttons.map((button) => [button.label, button.args[0]]),
      [
        ['linear', { 'yaxis.type': 'linear' }],
        ['log', { 'yaxis.type': 'log' }],
      ],
    );
  });

  it("trainingFigure() puts the loss on a log axis once it spans more than two decades ('auto')", () => {
    const falling = [1, 2, 3, 4].map((epoch) => ({ epoch, loss: 10 ** -epoch, val_loss: 2 * 10 ** -epoch }));
    const layout = (h: typeof falling, yScale?: 'auto' | 'linear' | 'log') => trainingFigure(h, yScale ? { yScale } : {}).layout as { yaxis: { type: string }; updatemenus: { active: number }[] };
    assert.equal(layout(falling).yaxis.type, 'log');
    assert.equal(layout(falling).updatemenus[0].active, 1, 'the toggle shows log as chosen');
    assert.equal(layout(falling.slice(0, 2)).yaxis.type, 'linear', 'one decade and a bit');
    assert.equal(layout(falling, 'linear').yaxis.type, 'linear');
    assert.equal(layout([{ epoch: 1, loss: -1, val_loss: 1e-5 }, { epoch: 2, loss: 100, val_loss: 1 }]).yaxis.type, 'linear', 'a loss ≤ 0 has no log');
  });

  it('liveTrainingChart() waits 100× the cost of its redraws (the least of the last three; not its first showing, which may send plotly.js), so charts cost < 1 % of training', () => {
    const session = recordingSession();
    try {
      let time = 0;
      let cost = 20;
      // Every output sent "takes" `cost` ms: the clock moves while the chart is built and sent.
      const slowSession = {
        ...session,
        display: (bundle: Record<string, unknown>) => {
          time += 40;
          const handle = session.display(bundle);
          return { update: (next: Record<string, unknown>) => ((time += cost), handle.update(next)) };
        },
      };
      setSessionProvider(() => slowSession);
      const chart = liveTrainingChart({ title: 'run' }, { interval: 500, now: () => time });
      const updates = () => session.updates.reduce((sum, list) => sum + (list?.length ?? 0), 0);
      chart.update(history, {}); // plotly.js + the chart: 40 ms, untimed: the next redraw is due at 500 ms
      for (const [at, expected] of [[400, 0], [600, 1], [2500, 1], [2620, 2]] as const) {
        time = at;
        chart.update(history, {});
        assert.equal(updates(), expected, `at ${at} ms`);
      }
      cost = 300; // one slow redraw (a busy machine)…
      time = 4700;
      chart.update(history, {});
      assert.equal(updates(), 3);
      time = 6800; // …does not hold the chart for 30 s: the least of the last three costs counts
      chart.update(history, {});
      assert.equal(updates(), 4);
    } finally {
      setSessionProvider(undefined);
    }
  });


  it('trainingPlot(history).write(file) saves a standalone page with the chart', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const file = require('node:path').join(require('node:os').tmpdir(), `cellfit-training-${process.pid}.html`);
    assert.equal(trainingPlot(history, { title: 'a run' }).write(file), file);
    const page = fs.readFileSync(file, 'utf8');
    assert.match(page, /<title>a run<\/title>/);
    assert.match(page, /class="cellfit-chart"/);
    fs.rmSync(file);
  });
});

describe('plots/training (the training cell)', function () {
  this.timeout(60_000);

  it("train() in a notebook: the cell's final chart marks the checkpoints on disk, as run.plot() does (not the ones before the last write)", async () => {
    const { train } = await import('../../../lib/train');
    const { buildModel, regression, tmpDir } = await import('../train/support');
    const session = recordingSession();
    setSessionProvider(() => session);
    let run;
    try {
      run = await train(buildModel(), regression(64), { epochs: 6, batchSize: 16, validation: 0.25, seed: 1, checkpoint: { dir: tmpDir('chart-marks'), keep: 3, keepBest: 1 }, progress: false });
    } finally {
      setSessionProvider(undefined);
    }
    const onDisk = run.checkpoints!.list().filter((info) => info.batch === 0).map((info) => info.epoch);
    assert.ok(onDisk.includes(6), `the last epoch is checkpointed: ${onDisk.join(', ')}`);
    const marked = (figure: { data: readonly Record<string, unknown>[] }) => figure.data.find((trace) => trace.name === 'checkpoint')?.x;
    const charts = session.shown.flatMap((bundle, i) => [bundle, ...session.updates[i]]).filter((bundle) => PLOTLY_MIME in bundle);
    const last = charts[charts.length - 1][PLOTLY_MIME] as { data: Record<string, unknown>[] };
    assert.deepEqual(marked(last), onDisk);
    assert.deepEqual(marked(run.plot().figure), onDisk);
  });
});
