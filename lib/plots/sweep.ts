/**
 * The picture of a hyperparameter sweep: how each trial's best monitored value depends on its
 * parameters — a scatter over the one parameter of a one-axis sweep, parallel coordinates (one axis
 * per parameter, then the metric, one line per trial) for more — with the best trial called out.
 */
import { Monitor, formatMetric } from '../monitor';
import type { PlotlyFigure } from './plotly';

/** A parameter value of a trial. */
export type SweepParam = number | string | boolean;

/** What the chart needs of a trial: its parameters and its run's best monitored value. */
export interface SweepPoint {
  readonly params: Readonly<Record<string, SweepParam>>;
  readonly best?: { readonly monitor?: string; readonly value?: number; readonly epoch?: number };
}

/** A figure with its one-line summary; undefined when no trial has a best value yet. */
export interface SweepFigure {
  readonly figure: PlotlyFigure;
  readonly text: string;
}

/**
 * The sweep chart (pure data), or undefined when no trial has reported a best value.
 *
 * @example
 * sweepFigure([{ params: { lr: 0.1 }, best: { monitor: 'val_loss', value: 0.3 } }, ...], ['lr']);
 */
export function sweepFigure(points: readonly SweepPoint[], parameters: readonly string[]): SweepFigure | undefined {
  const scored = points.filter((point): point is SweepPoint & { best: { value: number } } => typeof point.best?.value === 'number' && Number.isFinite(point.best.value));
  if (scored.length === 0 || parameters.length === 0) return undefined;
  const monitor = scored[0].best.monitor ?? 'best';
  const better = new Monitor('sweep chart', { monitor }).mode === 'max' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  const winner = scored.reduce((best, point) => (better(point.best.value, best.best.value) ? point : best));
  const describe = (params: SweepPoint['params']) => parameters.map((name) => `${name}=${typeof params[name] === 'string' ? JSON.stringify(params[name]) : String(params[name])}`).join(', ');
  const text = `best ${monitor} ${formatMetric(winner.best.value)} with ${describe(winner.params)} (${scored.length} of ${points.length} trials scored)`;
  const title = { text: `sweep: best ${monitor} per trial — best ${formatMetric(winner.best.value)} at ${describe(winner.params)}` };
  if (parameters.length === 1) {
    const [name] = parameters;
    const numeric = scored.every((point) => typeof point.params[name] === 'number');
    const x = scored.map((point) => (numeric ? point.params[name] : String(point.params[name])));
    return {
      text,
      figure: {
        data: [
          { type: 'scatter', mode: 'markers', name: 'trials', x, y: scored.map((point) => point.best.value), marker: { size: 10, color: '#636efa' } },
          {
            type: 'scatter',
            mode: 'markers',
            name: 'best trial',
            x: [numeric ? winner.params[name] : String(winner.params[name])],
            y: [winner.best.value],
            marker: { symbol: 'star', size: 16, color: '#d62728' },
          },
        ],
        layout: {
          title,
          xaxis: { title: { text: name }, type: numeric && logSpaced(x as number[]) ? 'log' : numeric ? 'linear' : 'category' },
          yaxis: { title: { text: monitor } },
          height: 360,
          margin: { t: 50, r: 20, b: 50, l: 60 },
        },
      },
    };
  }
  const dimensions = parameters.map((name) => dimension(name, scored.map((point) => point.params[name])));
  dimensions.push({ label: monitor, values: scored.map((point) => point.best.value) });
  return {
    text,
    figure: {
      data: [
        {
          type: 'parcoords',
          dimensions,
          line: {
            color: scored.map((point) => point.best.value),
            colorscale: 'Viridis',
            // The better end of the scale is the bright one.
            reversescale: better(0, 1),
            showscale: true,
            colorbar: { title: { text: monitor } },
          },
        },
      ],
      layout: { title, height: 400, margin: { t: 80, r: 60, b: 30, l: 60 } },
    },
  };
}

/**
 * A parallel-coordinates axis: numbers as they are (on a log scale when they span decades, as
 * learning rates do), other values as evenly spaced labelled ticks.
 */
function dimension(label: string, values: readonly SweepParam[]): Record<string, unknown> {
  if (values.every((value) => typeof value === 'number')) {
    const numbers = values as number[];
    if (!logSpaced(numbers)) return { label, values: numbers };
    const distinct = [...new Set(numbers)].sort((a, b) => a - b);
    return { label: `${label} (log scale)`, values: numbers.map(Math.log10), tickvals: distinct.map(Math.log10), ticktext: distinct.map(String) };
  }
  const distinct = [...new Set(values.map(String))];
  return { label, values: values.map((value) => distinct.indexOf(String(value))), tickvals: distinct.map((_, i) => i), ticktext: distinct };
}

/** Values spread over more than two decades (learning rates): a log axis reads them better. */
function logSpaced(values: readonly number[]): boolean {
  const positive = values.filter((value) => value > 0);
  return positive.length === values.length && Math.max(...positive) / Math.min(...positive) >= 100;
}
