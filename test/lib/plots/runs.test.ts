import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PLOTLY_MIME } from '../../../lib/plots/plotly';
import { plotRuns, runsFigure, type PlottableRun } from '../../../lib/plots/runs';
import { JUPYTER_DISPLAY, setSessionProvider } from '../../../lib/session';
import { recordingSession, throwsWith } from '../../helpers';

const curve = (values: number[], train: number[]) => values.map((value, i) => ({ epoch: i + 1, loss: train[i], val_loss: value }));

const stopped: PlottableRun = {
  id: 'a1',
  name: 'patience 0',
  history: curve([1, 0.8, 0.85], [1, 0.7, 0.6]),
  best: { epoch: 2, monitor: 'val_loss', value: 0.8 },
  stop: { reason: 'patience-exhausted', message: 'val_loss did not improve for 1 epoch (patience 0).', epoch: 3 },
};
const selected: PlottableRun = {
  id: 'b2',
  history: curve([1, 0.8, 0.85, 0.6, 0.65], [1, 0.7, 0.6, 0.5, 0.4]),
  best: { epoch: 4, monitor: 'val_loss', value: 0.6 },
  stop: { reason: 'completed', message: 'trained 5 epochs.', epoch: 5 },
};

describe('plots/runs', () => {
  it('runsFigure(runs) draws each run in one colour: evaluation loss solid, training loss dashed, best starred, stop marked', () => {
    const figure = runsFigure([stopped, selected]);
    assert.deepEqual(
      figure.data.map((trace) => [trace.name, (trace.line as { dash?: string } | undefined)?.dash ?? (trace.marker as { symbol: string }).symbol]),
      [
        ['patience 0 · val_loss', 'solid'],
        ['patience 0 · loss', 'dash'],
        ['patience 0 · best', 'star'],
        ['patience 0 · early stop', 'x'],
        ['b2 · val_loss', 'solid'],
        ['b2 · loss', 'dash'],
        ['b2 · best', 'star'],
      ],
    );
    const colour = (name: string) => {
      const trace = figure.data.find((candidate) => candidate.name === name)!;
      return (trace.line as { color: string } | undefined)?.color ?? (trace.marker as { color: string }).color;
    };
    assert.equal(colour('patience 0 · loss'), colour('patience 0 · early stop'));
    assert.notEqual(colour('patience 0 · val_loss'), colour('b2 · val_loss'));
    const stop = figure.data.find((trace) => trace.name === 'patience 0 · early stop')!;
    assert.deepEqual([stop.x, stop.y], [[3], [0.85]]);
  });

  it('plotRuns(runs, {labels, metrics, logScale}) names the runs and draws the metrics asked for', () => {
    const figure = plotRuns([stopped, selected], { labels: ['early stopping', 'checkpoint selection'], metrics: ['loss'], logScale: true, title: 'compare' }).figure;
    assert.deepEqual(
      figure.data.filter((trace) => trace.showlegend !== false).map((trace) => trace.name),
      ['early stopping · loss', 'checkpoint selection · loss'],
    );
    assert.equal((figure.layout!.yaxis as { type: string }).type, 'log');
    assert.deepEqual(plotRuns([stopped], { logEpochs: true }).figure.layout!.xaxis, { title: { text: 'epoch (log scale)' }, type: 'log' });
    assert.deepEqual(figure.layout!.title, { text: 'compare' });
  });

  it('plotRuns(runs) displays as a chart in a notebook, with one line per run as text', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    try {
      const bundle = plotRuns([stopped, selected])[JUPYTER_DISPLAY]();
      assert.ok(PLOTLY_MIME in bundle);
      assert.equal(
        bundle['text/plain'],
        'patience 0: best val_loss 0.8 at epoch 2 — val_loss did not improve for 1 epoch (patience 0).\nb2: best val_loss 0.6 at epoch 4 — trained 5 epochs.',
      );
      assert.equal(session.shown.length, 1, 'plotly.js is sent before the first chart');
    } finally {
      setSessionProvider(undefined);
    }
  });

  it('plotRuns(runs).write(file) saves a standalone page', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-runs-')), 'runs.html');
    plotRuns([selected]).write(file);
    assert.match(fs.readFileSync(file, 'utf8'), /class="cellfit-chart"/);
  });

  it('plotRuns() rejects no runs, a non-run and labels of the wrong length', () => {
    throwsWith(() => plotRuns([]), 'plotRuns(): runs must be a non-empty array of runs from train(). Received: [].');
    throwsWith(() => plotRuns([{ id: 'x' } as never]), 'plotRuns(): runs[0] is not a run (it has no history). Received: { id: "x" }.');
    throwsWith(() => plotRuns([selected], { labels: ['a', 'b'] }), 'plotRuns(): labels must name each of the 1 runs. Received: 2 labels.');
  });
});
