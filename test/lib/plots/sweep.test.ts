import assert from 'node:assert/strict';
import { importanceFigure, intermediateValuesFigure, sweepFigure, sweepHistoryFigure } from '../../../lib/plots/sweep';
import { sweepCharts, summaryLine } from '../../../lib/sweep/display';
import { newTrial } from '../../../lib/sweep/state';
import { testRecord } from '../sweep/support';

const trial = (params: Record<string, number | string>, value?: number) => ({ params, ...(value === undefined ? {} : { best: { monitor: 'val_loss', value, epoch: 3 } }) });

describe('plots/sweep', () => {
  it('sweepFigure(trials, [one]) is a scatter of the parameter against the best value, the best trial starred', () => {
    const chart = sweepFigure([trial({ lr: 0.1 }, 0.5), trial({ lr: 0.01 }, 0.2), trial({ lr: 0.001 }, 0.3)], ['lr'])!;
    const [trials, best] = chart.figure.data;
    assert.deepEqual([trials.x, trials.y], [[0.1, 0.01, 0.001], [0.5, 0.2, 0.3]]);
    assert.deepEqual([best.x, best.y], [[0.01], [0.2]]);
    assert.equal((chart.figure.layout!.xaxis as { type: string }).type, 'log', 'learning rates over two decades');
    assert.equal(chart.text, 'best val_loss 0.2 with lr=0.01 (3 of 3 trials scored)');
  });

  it('sweepFigure(trials, [several]) draws parallel coordinates: one axis per parameter, then the metric', () => {
    const chart = sweepFigure([trial({ units: 8, act: 'relu' }, 0.4), trial({ units: 32, act: 'tanh' }, 0.1), trial({ units: 8, act: 'tanh' })], ['units', 'act'])!;
    const [parcoords] = chart.figure.data as { type: string; dimensions: Record<string, unknown>[]; line: { color: number[]; reversescale: boolean } }[];
    assert.equal(parcoords.type, 'parcoords');
    assert.deepEqual(parcoords.dimensions, [
      { label: 'units', values: [8, 32] },
      { label: 'act', values: [0, 1], tickvals: [0, 1], ticktext: ['relu', 'tanh'] },
      { label: 'val_loss', values: [0.4, 0.1] },
    ]);
    assert.deepEqual(parcoords.line.color, [0.4, 0.1]);
    assert.equal(parcoords.line.reversescale, true, 'for a loss, low values are the bright end');
    assert.equal(chart.text, 'best val_loss 0.1 with units=32, act="tanh" (2 of 3 trials scored)');
  });

  it('sweepFigure() puts a parameter spanning decades on a log axis of the parallel coordinates', () => {
    const chart = sweepFigure([trial({ lr: 0.1, units: 8 }, 0.4), trial({ lr: 0.001, units: 8 }, 0.2)], ['lr', 'units'])!;
    const [parcoords] = chart.figure.data as { dimensions: Record<string, unknown>[] }[];
    assert.deepEqual(parcoords.dimensions[0], { label: 'lr (log scale)', values: [-1, -3], tickvals: [-3, -1], ticktext: ['0.001', '0.1'] });
  });

  it('sweepFigure() picks the highest value of an accuracy-like metric', () => {
    const points = [
      { params: { lr: 1 }, best: { monitor: 'val_acc', value: 0.8 } },
      { params: { lr: 2 }, best: { monitor: 'val_acc', value: 0.9 } },
    ];
    assert.match(sweepFigure(points, ['lr'])!.text, /^best val_acc 0.9 with lr=2/);
  });

  it('sweepCharts(record): the parameters chart stars the best trial the table names — a finished one, not a pruned trial with a lower value', () => {
    const finished = { ...newTrial(1, { lr: 0.01 }), status: 'finished' as const, values: [0.6, 0.4862], value: 0.4862, bestEpoch: 2 };
    const pruned = { ...newTrial(2, { lr: 0.00858 }), status: 'pruned' as const, values: [0.4859], value: 0.4859, bestEpoch: 1, prunedAt: 1 };
    const record = testRecord({ space: { lr: { min: 0.001, max: 0.1, log: true } }, sampler: { kind: 'random', seed: 1 }, budget: 2, trials: [finished, pruned] });
    assert.match(summaryLine(record), /best val_loss 0\.4862 \(trial 1/);
    const parallel = new Map(sweepCharts(record, true)).get('parallel')!;
    assert.equal(parallel.text, 'best val_loss 0.4862 with lr=0.01 (2 of 2 trials scored)');
    assert.deepEqual(parallel.figure.data[1].x, [0.01]);
  });

  it('sweepFigure() is undefined while no trial has a best value', () => {
    assert.equal(sweepFigure([trial({ lr: 1 })], ['lr']), undefined);
  });

  const points = [
    { number: 1, params: { lr: 0.1 }, status: 'finished', values: [0.5, 0.4], value: 0.4 },
    { number: 2, params: { lr: 0.01 }, status: 'pruned', values: [0.9], value: 0.9, prunedAt: 1 },
    { number: 3, params: { lr: 0.001 }, status: 'finished', values: [0.3, 0.2], value: 0.2 },
  ];
  const metric = { monitor: 'val_loss', mode: 'min' as const };

  it("sweepHistoryFigure(trials, metric) plots each trial's value by status and the best so far as a step line", () => {
    const figure = sweepHistoryFigure(points, metric)!;
    const byName = Object.fromEntries(figure.data.map((trace) => [trace.name, trace]));
    assert.deepEqual([byName.finished.x, byName.finished.y], [[1, 3], [0.4, 0.2]]);
    assert.deepEqual([byName.pruned.x, byName.pruned.y], [[2], [0.9]]);
    assert.deepEqual([byName['best so far'].x, byName['best so far'].y], [[1, 3], [0.4, 0.2]]);
    assert.equal(sweepHistoryFigure([{ ...points[0], value: undefined }], metric), undefined);
  });

  it('intermediateValuesFigure(trials, metric) draws a curve per trial, pruned ones dotted and ending at their epoch', () => {
    const figure = intermediateValuesFigure(points, metric)!;
    assert.deepEqual(figure.data.map((trace) => [trace.name, (trace.line as { dash: string }).dash, (trace.y as number[]).length]), [
      ['trial 1 (finished)', 'solid', 2],
      ['trial 2 (pruned @ 1)', 'dot', 1],
      ['trial 3 (finished)', 'solid', 2],
    ]);
  });

  it('importanceFigure(importance, metric) draws horizontal bars, the largest on top', () => {
    const figure = importanceFigure({ lr: 0.8, units: 0.1 }, metric)!;
    assert.deepEqual([figure.data[0].y, figure.data[0].x], [['units', 'lr'], [0.1, 0.8]]);
    assert.equal(importanceFigure({}, metric), undefined);
  });
});
