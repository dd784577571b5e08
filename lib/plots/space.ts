/**
 * The picture of useful overfitting: a model's predictions against the exact labels over a
 * tabulated input space. One numeric axis gives label and prediction curves (one pair per
 * category) over an error panel; two or more numeric axes give a heatmap of the absolute error.
 * Either way the largest error is called out.
 */
import { ready } from '../backend';
import type { EngineChoice, RowPredictor } from '../engines/engine';
import { choosePredictor, engineSettings } from '../engines/select';
import { fail, formatValue } from '../errors';
import type { AxisInfo, InputSpace, Predictor, SpaceEvaluation } from '../tabulate/space';
import { Chart } from './chart';
import type { PlotlyFigure } from './plotly';
import { PLOTLY_COLORS } from './style';

/** Options of {@link spaceFigure} and {@link plotSpace}. */
export interface SpacePlotOptions {
  /** Which label column to plot, for multi-output labels. Defaults to 0. */
  readonly output?: number;
  /** Values plotted along a numeric axis at most (the axis is sampled evenly, ends included). Defaults to 4096 for curves, 300 per axis for heatmaps. */
  readonly resolution?: number;
  /** Curves drawn at most for the categories of a one-numeric-axis space. Defaults to 8. */
  readonly maxCurves?: number;
  /** A result of `space.evaluate(model)`: its worst point over the whole space is called out. */
  readonly evaluation?: SpaceEvaluation;
  /** What predicts: 'fused', 'tfjs' or 'auto' (the default, or CELLFIT_ENGINE), as for `space.evaluate()`. */
  readonly engine?: EngineChoice;
}

/** A figure with its one-line summary. */
export interface SpaceFigure {
  readonly figure: PlotlyFigure;
  readonly text: string;
  /** The largest absolute error among the plotted points. */
  readonly maxAbsError: number;
}

const WHERE = 'plotSpace()';

/** A displayable chart of a model over an input space (what {@link plotSpace} returns). */
export class SpacePlot extends Chart {
  constructor(private readonly built: SpaceFigure) {
    super();
  }

  get figure(): PlotlyFigure {
    return this.built.figure;
  }

  /** The largest absolute error among the plotted points. */
  get maxAbsError(): number {
    return this.built.maxAbsError;
  }

  override toString(): string {
    return this.built.text;
  }

  protected get pageTitle(): string {
    return this.built.text;
  }
}

/**
 * Charts `model` against the labels over the space: label and prediction curves with an error
 * panel for one numeric axis, an error heatmap for two or more; the largest error called out.
 * Shown when it is a cell's result; `.write(file)` saves a standalone page.
 *
 * @example
 * await plotSpace(space, model, { evaluation: await space.evaluate(model) });
 */
export async function plotSpace(space: InputSpace, model: Predictor, options: SpacePlotOptions = {}): Promise<SpacePlot> {
  return new SpacePlot(await spaceFigure(space, model, options));
}

/**
 * Builds the figure of `model` over `space` (no display).
 *
 * @example
 * const { figure, maxAbsError } = await spaceFigure(space, model);
 */
export async function spaceFigure(space: InputSpace, model: Predictor, options: SpacePlotOptions = {}): Promise<SpaceFigure> {
  const { output = 0, maxCurves = 8, evaluation } = options;
  if (!space.labelled) fail(WHERE, 'the space has no labels to compare with. Pass `label` or `labelBatch` to tabulateInputSpace().');
  if (!model || typeof model.predict !== 'function') fail(WHERE, `model must have a predict(xs) method. Received: ${formatValue(model)}.`);
  if (!Number.isInteger(output) || output < 0 || output >= space.labelCount) {
    fail(WHERE, `output must be a label column index in [0, ${space.labelCount}). Received: output=${formatValue(output)}.`);
  }
  const axes = space.axes.map((name) => space.axis(name));
  const numeric = axes.filter((axis) => axis.numeric);
  const labelName = space.labelNames[output];
  // Predicted by the engine space.evaluate() uses, so the called-out error is the plotted one.
  const { engine, threads } = engineSettings({ engine: options.engine }, WHERE);
  await ready();
  const shape = { inputs: space.featureCount, outputs: space.labelCount, describe: `the space has ${space.featureCount} feature and ${space.labelCount} label column(s)` };
  const predictor = choosePredictor(engine, { model, threads, shape, where: WHERE });
  try {
    if (numeric.length >= 2) return await heatmap(space, predictor, axes, numeric[0], numeric[1], output, labelName, options.resolution ?? 300, evaluation);
    return await curves(space, predictor, axes, numeric[0], output, labelName, options.resolution ?? 4096, maxCurves, evaluation);
  } finally {
    predictor.dispose();
  }
}

/** Label and prediction along the numeric axis (or per category when there is none), with an error panel. */
async function curves(
  space: InputSpace,
  predictor: RowPredictor,
  axes: AxisInfo[],
  x: AxisInfo | undefined,
  output: number,
  labelName: string,
  resolution: number,
  maxCurves: number,
  evaluation?: SpaceEvaluation,
): Promise<SpaceFigure> {
  const others = axes.filter((axis) => axis !== x);
  const lengths = others.map((axis) => axis.length);
  const comboCount = lengths.reduce((product, length) => product * length, 1);
  const shown = Array.from({ length: Math.min(maxCurves, comboCount) }, (_, i) => comboAt(lengths, i));
  const xs = x ? sample(x.length, resolution) : [0];
  const traces: Record<string, unknown>[] = [];
  let worst = { error: -1, x: 0 as number | string, label: '' };
  for (const [c, combo] of shown.entries()) {
    const indices = xs.map((k) => space.indexAt(axes.map((axis) => (axis === x ? k : combo[others.indexOf(axis)]))));
    const { labels, predictions } = await predictAt(space, predictor, indices, output);
    const name = others.map((axis, j) => `${axis.name}=${axis.value(combo[j])}`).join(', ');
    const xValues = x ? xs.map((k) => x.value(k)) : [name || labelName];
    const color = PLOTLY_COLORS[c % PLOTLY_COLORS.length];
    // |error| in float32, as space.evaluate() computes it.
    const errors = labels.map((label, i) => Math.fround(Math.abs(predictions[i] - label)));
    errors.forEach((error, i) => {
      if (error > worst.error || Number.isNaN(error)) worst = { error, x: xValues[i], label: name };
    });
    const suffix = name ? ` (${name})` : '';
    const mode = x ? 'lines' : 'markers';
    traces.push(
      { type: 'scatter', mode, name: `${labelName}${suffix}`, x: xValues, y: labels, line: { color, width: 2 }, marker: { color }, legendgroup: String(c) },
      { type: 'scatter', mode, name: `prediction${suffix}`, x: xValues, y: predictions, line: { color, width: 2, dash: 'dash' }, marker: { color, symbol: 'x' }, legendgroup: String(c) },
      { type: 'scatter', mode, name: `|error|${suffix}`, x: xValues, y: errors, yaxis: 'y2', line: { color, width: 1 }, marker: { color }, legendgroup: String(c), showlegend: false },
    );
  }
  const callout = evaluation?.worst[0]
    ? { error: evaluation.worst[0].absError, x: x ? evaluation.worst[0].point[x.name] : worst.x, where: 'over the whole space' }
    : { error: worst.error, x: worst.x, where: shown.length < comboCount || (x && xs.length < x.length) ? 'over the plotted points' : 'over the whole space' };
  const xTitle = x ? x.name : others.map((axis) => axis.name).join(', ');
  const more = comboCount > shown.length ? ` (${shown.length} of ${comboCount} categories shown)` : '';
  const layout = {
    title: { text: `Model vs ${labelName} over the input space${more}` },
    height: 520,
    xaxis: { title: { text: xTitle }, anchor: 'y2' },
    yaxis: { title: { text: labelName }, domain: [0.38, 1] },
    yaxis2: { title: { text: '|error|' }, domain: [0, 0.28], anchor: 'x' },
    annotations: [
      {
        x: callout.x,
        y: callout.error,
        xref: 'x',
        yref: 'y2',
        text: `max |error| ${formatError(callout.error)} ${callout.where}`,
        showarrow: true,
        arrowhead: 2,
      },
    ],
    legend: { orientation: 'h', y: -0.12 },
    margin: { t: 50, r: 20 },
  };
  return {
    figure: { data: traces, layout },
    text: `${labelName} vs prediction: max |error| ${formatError(callout.error)} ${callout.where}${x ? ` (at ${x.name}=${callout.x})` : ''}`,
    maxAbsError: worst.error,
  };
}

/** |error| over the first two numeric axes; other axes are folded in by taking the max. */
async function heatmap(
  space: InputSpace,
  predictor: RowPredictor,
  axes: AxisInfo[],
  x: AxisInfo,
  y: AxisInfo,
  output: number,
  labelName: string,
  resolution: number,
  evaluation?: SpaceEvaluation,
): Promise<SpaceFigure> {
  const xs = sample(x.length, resolution);
  const ys = sample(y.length, resolution);
  const others = axes.filter((axis) => axis !== x && axis !== y);
  const lengths = others.map((axis) => axis.length);
  const comboCount = lengths.reduce((product, length) => product * length, 1);
  // Fold every value of the other axes in when that stays affordable; else their first values.
  const foldAll = comboCount * xs.length * ys.length <= 2_000_000;
  const combos = foldAll ? Array.from({ length: comboCount }, (_, i) => comboAt(lengths, i)) : [others.map(() => 0)];
  const z = ys.map(() => xs.map(() => 0));
  const cells: { xi: number; yi: number }[] = [];
  const indices: number[] = [];
  for (const combo of combos) {
    ys.forEach((ky, yi) =>
      xs.forEach((kx, xi) => {
        cells.push({ xi, yi });
        indices.push(space.indexAt(axes.map((axis) => (axis === x ? kx : axis === y ? ky : combo[others.indexOf(axis)]))));
      }),
    );
  }
  const { labels, predictions } = await predictAt(space, predictor, indices, output);
  let worst = { error: -1, xi: 0, yi: 0 };
  cells.forEach(({ xi, yi }, i) => {
    const error = Math.fround(Math.abs(predictions[i] - labels[i]));
    if (error > z[yi][xi] || Number.isNaN(error)) z[yi][xi] = error;
    if (error > worst.error || Number.isNaN(error)) worst = { error, xi, yi };
  });
  const sampled = xs.length < x.length || ys.length < y.length || !foldAll;
  const best = evaluation?.worst[0];
  const callout = best
    ? { error: best.absError, x: best.point[x.name], y: best.point[y.name], where: 'over the whole space' }
    : { error: worst.error, x: x.value(xs[worst.xi]), y: y.value(ys[worst.yi]), where: sampled ? 'over the plotted points' : 'over the whole space' };
  const folded = others.length > 0 ? ` (max over ${others.map((axis) => axis.name).join(', ')}${foldAll ? '' : ' at their first values'})` : '';
  const layout = {
    title: { text: `|prediction − ${labelName}| over the input space${folded}` },
    height: 520,
    xaxis: { title: { text: x.name }, range: cellRange(x, xs) },
    yaxis: { title: { text: y.name }, range: cellRange(y, ys) },
    annotations: [
      { x: callout.x, y: callout.y, text: `max |error| ${formatError(callout.error)} ${callout.where}`, showarrow: true, arrowhead: 2, bgcolor: 'white' },
    ],
    margin: { t: 50, r: 20 },
  };
  const trace = {
    type: 'heatmap',
    x: xs.map((k) => x.value(k)),
    y: ys.map((k) => y.value(k)),
    z,
    colorscale: 'Viridis',
    colorbar: { title: { text: '|error|' } },
    hovertemplate: `${x.name}=%{x}<br>${y.name}=%{y}<br>|error|=%{z}<extra></extra>`,
  };
  return {
    figure: { data: [trace], layout },
    text: `|prediction − ${labelName}|: max ${formatError(callout.error)} ${callout.where} (at ${x.name}=${callout.x}, ${y.name}=${callout.y})`,
    maxAbsError: worst.error,
  };
}

/** Labels and predictions (one output column) at the given point indices, in chunks. */
async function predictAt(space: InputSpace, predictor: RowPredictor, indices: number[], output: number): Promise<{ labels: number[]; predictions: number[] }> {
  const labels: number[] = [];
  const predictions: number[] = [];
  const width = space.labelCount;
  for (let start = 0; start < indices.length; start += 8192) {
    const chunk = indices.slice(start, start + 8192);
    const { features, labels: labelValues } = await space.gatherRows(chunk);
    const predictionValues = predictor.predict(features, chunk.length);
    for (let i = output; i < labelValues!.length; i += width) {
      labels.push(labelValues![i]);
      predictions.push(predictionValues[i]);
    }
  }
  return { labels, predictions };
}

/** The axis range that shows every heatmap cell whole and nothing beyond (annotations stretch autorange). */
function cellRange(axis: AxisInfo, ks: readonly number[]): [number, number] {
  const first = axis.value(ks[0]) as number;
  const last = axis.value(ks[ks.length - 1]) as number;
  const half = ks.length > 1 ? (last - first) / (ks.length - 1) / 2 : 0.5;
  return [first - half, last + half];
}

/** Up to `count` evenly spaced indices of 0..length-1, both ends included. */
export function sample(length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, k) => k);
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - 1)) / (count - 1)));
}

/** The i-th combination of value indices for axes of the given lengths (last fastest). */
function comboAt(lengths: readonly number[], i: number): number[] {
  const combo = new Array<number>(lengths.length);
  for (let j = lengths.length - 1; j >= 0; j--) {
    combo[j] = i % lengths[j];
    i = Math.floor(i / lengths[j]);
  }
  return combo;
}

function formatError(error: number): string {
  return Number.isNaN(error) ? 'NaN' : error.toPrecision(3);
}
