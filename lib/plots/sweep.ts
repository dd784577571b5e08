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

/** Options of {@link sweepFigure}. */
export interface SweepFigureOptions {
  /**
   * The point to star as the best trial, as the sweep ranks its trials (a sweep prefers finished
   * trials to pruned ones with a lower value, and its table says so). Defaults to the point with the
   * best value.
   */
  readonly best?: SweepPoint;
}

/**
 * The sweep chart (pure data), or undefined when no trial has reported a best value.
 *
 * @example
 * sweepFigure([{ params: { lr: 0.1 }, best: { monitor: 'val_loss', value: 0.3 } }, ...], ['lr']);
 */
export function sweepFigure(points: readonly SweepPoint[], parameters: readonly string[], options: SweepFigureOptions = {}): SweepFigure | undefined {
  const scored = points.filter((point): point is SweepPoint & { best: { value: number } } => typeof point.best?.value === 'number' && Number.isFinite(point.best.value));
  if (scored.length === 0 || parameters.length === 0) return undefined;
  const monitor = scored[0].best.monitor ?? 'best';
  const better = new Monitor('sweep chart', { monitor }).mode === 'max' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  const chosen = options.best && scored.includes(options.best as SweepPoint & { best: { value: number } }) ? (options.best as SweepPoint & { best: { value: number } }) : undefined;
  const winner = chosen ?? scored.reduce((best, point) => (better(point.best.value, best.best.value) ? point : best));
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

/** What the history and intermediate-values charts need of a trial. */
export interface SweepTrialPoint {
  readonly number: number;
  readonly params: Readonly<Record<string, SweepParam>>;
  /** `finished`, `pruned`, `failed`, `unfinished` — or, live, `running` / `paused`. */
  readonly status: string;
  /** Monitored value per epoch (null where none). */
  readonly values: readonly (number | null)[];
  readonly value?: number;
  readonly prunedAt?: number;
}

/** The metric the charts plot and its direction. */
export interface SweepMetric {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
}

const STATUS_COLORS: Readonly<Record<string, string>> = { finished: '#1f77b4', running: '#2ca02c', pruned: '#9a9a9a', paused: '#bdbdbd', unfinished: '#ff7f0e', failed: '#d62728' };

const describePoint = (params: SweepTrialPoint['params']) =>
  Object.entries(params).map(([name, value]) => `${name}=${typeof value === 'number' ? formatMetric(value) : JSON.stringify(value)}`).join(', ');

/**
 * Optimisation history: each trial's value against its number (coloured by status), and the best
 * value so far as a step line — how fast the search found good trials. Undefined before any value.
 *
 * @example
 * sweepHistoryFigure(trials, { monitor: 'val_loss', mode: 'min' });
 */
export function sweepHistoryFigure(trials: readonly SweepTrialPoint[], { monitor, mode }: SweepMetric): PlotlyFigure | undefined {
  const scored = trials.filter((trial) => typeof trial.value === 'number' && Number.isFinite(trial.value));
  if (scored.length === 0) return undefined;
  const statuses = [...new Set(scored.map((trial) => trial.status))];
  const data: Record<string, unknown>[] = statuses.map((status) => {
    const group = scored.filter((trial) => trial.status === status);
    return {
      type: 'scatter',
      mode: 'markers',
      name: status,
      x: group.map((trial) => trial.number),
      y: group.map((trial) => trial.value),
      text: group.map((trial) => describePoint(trial.params)),
      hovertemplate: `trial %{x}: ${monitor} %{y}<br>%{text}<extra>${status}</extra>`,
      marker: { size: 8, color: STATUS_COLORS[status] ?? '#636efa' },
    };
  });
  const finished = scored.filter((trial) => trial.status === 'finished');
  if (finished.length > 0) {
    let best: number | undefined;
    const x: number[] = [];
    const y: number[] = [];
    for (const trial of [...finished].sort((a, b) => a.number - b.number)) {
      if (best === undefined || (mode === 'min' ? trial.value! < best : trial.value! > best)) best = trial.value!;
      x.push(trial.number);
      y.push(best);
    }
    data.push({ type: 'scatter', mode: 'lines', name: 'best so far', x, y, line: { shape: 'hv', color: '#d62728' } });
  }
  return {
    data,
    layout: {
      title: { text: `optimisation history: ${monitor} per trial` },
      xaxis: { title: { text: 'trial' } },
      yaxis: { title: { text: monitor }, type: spansDecades(scored.map((trial) => trial.value!)) ? 'log' : 'linear' },
      height: 360,
      margin: { t: 50, r: 20, b: 50, l: 60 },
    },
  };
}

/**
 * Intermediate values: each trial's monitored value per epoch, one line per trial — finished ones in
 * colour, pruned and paused ones grey and dashed, ending where they were stopped. Undefined before
 * any epoch.
 */
export function intermediateValuesFigure(trials: readonly SweepTrialPoint[], { monitor }: SweepMetric): PlotlyFigure | undefined {
  const reported = trials.filter((trial) => trial.values.some((value) => value !== null));
  if (reported.length === 0) return undefined;
  const data = reported.map((trial) => {
    const stopped = trial.status === 'pruned' || trial.status === 'paused';
    return {
      type: 'scatter',
      mode: trial.values.length > 30 ? 'lines' : 'lines+markers',
      name: `trial ${trial.number} (${trial.status}${stopped && trial.prunedAt ? ` @ ${trial.prunedAt}` : ''})`,
      x: trial.values.map((_, i) => i + 1),
      y: trial.values,
      text: trial.values.map(() => describePoint(trial.params)),
      hovertemplate: `trial ${trial.number}, epoch %{x}: ${monitor} %{y}<br>%{text}<extra></extra>`,
      line: { width: stopped ? 1 : 1.5, dash: stopped ? 'dot' : 'solid', ...(stopped ? { color: STATUS_COLORS.pruned } : {}) },
      marker: { size: 4 },
      opacity: stopped ? 0.7 : 1,
    };
  });
  const values = reported.flatMap((trial) => trial.values.filter((value): value is number => value !== null));
  return {
    data,
    layout: {
      title: { text: `intermediate values: ${monitor} per epoch (pruned trials dotted)` },
      xaxis: { title: { text: 'epoch' } },
      yaxis: { title: { text: monitor }, type: spansDecades(values) ? 'log' : 'linear' },
      showlegend: reported.length <= 20,
      height: 380,
      margin: { t: 50, r: 20, b: 50, l: 60 },
    },
  };
}

/** Parameter importance as horizontal bars (largest on top); undefined when there is none. */
export function importanceFigure(importance: Readonly<Record<string, number>>, { monitor }: SweepMetric): PlotlyFigure | undefined {
  const entries = Object.entries(importance);
  if (entries.length === 0) return undefined;
  const ordered = [...entries].reverse();
  return {
    data: [
      {
        type: 'bar',
        orientation: 'h',
        x: ordered.map(([, share]) => Number(share.toFixed(4))),
        y: ordered.map(([name]) => name),
        marker: { color: '#636efa' },
        hovertemplate: '%{y}: η² %{x}<extra></extra>',
      },
    ],
    layout: {
      title: { text: `parameter importance: share of the variance of ${monitor} (ranks) each explains alone` },
      xaxis: { title: { text: 'η²' }, range: [0, 1] },
      height: Math.max(200, 60 + 40 * entries.length),
      margin: { t: 50, r: 20, b: 50, l: 120 },
    },
  };
}

function spansDecades(values: readonly number[]): boolean {
  const finite = values.filter((value) => Number.isFinite(value));
  return finite.length > 1 && finite.every((value) => value > 0) && Math.max(...finite) / Math.min(...finite) >= 100;
}
