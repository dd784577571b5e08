/**
 * The training chart: loss per epoch for the training data and the evaluation data (validation, or
 * a two-way split's test part), the best epoch marked, as a plotly figure — pure data, so it can be
 * tested as a snapshot, sent as `application/vnd.plotly.v1+json`, and updated in place while a run
 * trains (`liveTrainingChart`).
 */
import type { BestEpoch, HistoryEntry } from '../train/state';
import type { StopDecision } from '../earlystop';
import { formatMetric } from '../monitor';
import { currentSession } from '../session';
import { Chart } from './chart';
import { showFigure, type ChartHandle, type PlotlyFigure } from './plotly';
import { STOP_LABELS } from './style';

/** What the chart shows besides the history. */
export interface TrainingPlotOptions {
  /** Chart title, e.g. the run's name. Defaults to 'training'. */
  readonly title?: string;
  /** The best epoch, marked on its curve. Defaults to none. */
  readonly best?: BestEpoch;
  /** Metric names in report order; curves are drawn for the loss ones. Defaults to the history's keys. */
  readonly metricNames?: readonly string[];
  /** Epochs that have a checkpoint, marked on the training loss. Defaults to none. */
  readonly checkpoints?: readonly number[];
  /** How the run ended, marked at its epoch unless it simply completed. Defaults to none. */
  readonly stop?: StopDecision;
  /**
   * The loss axis scale: `'auto'` switches to log once the losses span more than two decades (the
   * first epochs' loss would otherwise flatten the rest); the chart's buttons switch it anyway.
   * Defaults to 'auto'.
   */
  readonly yScale?: 'auto' | 'linear' | 'log';
}

const COLORS: Readonly<Record<string, string>> = { loss: '#1f77b4', val_loss: '#ff7f0e', test_loss: '#2ca02c' };

/** The loss curves of `history` (train, val, test) as a plotly figure. */
export function trainingFigure(history: readonly HistoryEntry[], { title = 'training', best, metricNames, checkpoints = [], stop, yScale = 'auto' }: TrainingPlotOptions = {}): PlotlyFigure {
  const names = metricNames ?? (history[0] ? Object.keys(history[0]).filter((key) => key !== 'epoch' && key !== 'lr') : ['loss']);
  const curves = ['loss', 'val_loss', 'test_loss'].filter((name) => names.includes(name));
  const epochs = history.map((entry) => entry.epoch);
  const mode = history.length > 30 ? 'lines' : 'lines+markers';
  const data: Record<string, unknown>[] = curves.map((name) => ({
    type: 'scatter',
    mode,
    name: curveLabel(name),
    x: epochs,
    y: column(history, name),
    line: { color: COLORS[name] },
  }));
  // Compiled metrics (mae, acc, ...) have their own scale: a second axis on the right, dotted.
  const metrics = names.filter((name) => !curves.includes(name) && !LOSSES.includes(name) && history.some((entry) => name in entry));
  metrics.forEach((name, i) => {
    data.push({
      type: 'scatter',
      mode,
      name,
      x: epochs,
      y: column(history, name),
      yaxis: 'y2',
      line: { dash: 'dot', width: 1.5, color: METRIC_COLORS[i % METRIC_COLORS.length] },
    });
  });
  if (best && curves.includes(best.monitor)) {
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: `best (epoch ${best.epoch})`,
      x: [best.epoch],
      y: [best.value],
      marker: { symbol: 'star', size: 14, color: '#d62728' },
      hovertemplate: `best ${best.monitor} ${formatMetric(best.value)} at epoch ${best.epoch}<extra></extra>`,
    });
  }
  const saved = history.filter((entry) => checkpoints.includes(entry.epoch) && Number.isFinite(entry.loss));
  if (saved.length > 0 && curves.includes('loss')) {
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: 'checkpoint',
      x: saved.map((entry) => entry.epoch),
      y: saved.map((entry) => entry.loss),
      marker: { symbol: 'square-open', size: 9, color: '#7f7f7f' },
      hovertemplate: 'checkpoint after epoch %{x}<extra></extra>',
    });
  }
  const scale = yScale === 'auto' ? (spansDecades(curves.flatMap((name) => column(history, name)), 2) ? 'log' : 'linear') : yScale;
  const shapes: Record<string, unknown>[] = best && !curves.includes(best.monitor) ? [{ type: 'line', x0: best.epoch, x1: best.epoch, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dot', color: '#d62728' } }] : [];
  const annotations: Record<string, unknown>[] = [];
  if (stop && stop.reason !== 'completed' && stop.epoch > 0) {
    shapes.push({ type: 'line', x0: stop.epoch, x1: stop.epoch, yref: 'paper', y0: 0, y1: 1, line: { dash: 'dash', color: '#9467bd' } });
    annotations.push({ x: stop.epoch, y: 1, yref: 'paper', text: STOP_LABELS[stop.reason] ?? stop.reason, showarrow: false, xanchor: 'right', yanchor: 'top', font: { color: '#9467bd' }, hovertext: stop.message });
  }
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'epoch' }, rangemode: 'tozero' },
      yaxis: { title: { text: 'loss' }, type: scale },
      ...(metrics.length > 0 ? { yaxis2: { title: { text: 'metrics' }, overlaying: 'y', side: 'right', showgrid: false } } : {}),
      shapes,
      annotations,
      updatemenus: [{ ...LOG_SCALE_TOGGLE, active: scale === 'log' ? 1 : 0 }],
      // Keeps zoom and legend choices while the chart is redrawn during training.
      uirevision: title,
      // Below the plot, so that it never covers the metrics axis on the right.
      legend: { orientation: 'h', x: 0, y: -0.3 },
      margin: { t: 40, r: metrics.length > 0 ? 60 : 20, b: 60, l: 60 },
      height: 360,
    },
  };
}

/** Buttons that switch the loss axis between linear and log scale. */
const LOG_SCALE_TOGGLE = {
  type: 'buttons',
  direction: 'right',
  showactive: true,
  active: 0,
  // Top left: the top right belongs to plotly's own toolbar.
  x: 0,
  xanchor: 'left',
  y: 1.02,
  yanchor: 'bottom',
  pad: { r: 0, t: 0 },
  font: { size: 10 },
  buttons: [
    { label: 'linear', method: 'relayout', args: [{ 'yaxis.type': 'linear' }] },
    { label: 'log', method: 'relayout', args: [{ 'yaxis.type': 'log' }] },
  ],
};

const LOSSES = ['loss', 'val_loss', 'test_loss'];

const METRIC_COLORS = ['#2ca02c', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];

/** Whether the positive values span more than `decades` powers of ten (and none is ≤ 0). */
function spansDecades(values: readonly (number | null)[], decades: number): boolean {
  const finite = values.filter((value): value is number => value !== null);
  if (finite.length < 2 || finite.some((value) => value <= 0)) return false;
  return Math.log10(Math.max(...finite) / Math.min(...finite)) > decades;
}

/** One metric per epoch; JSON has no NaN, so a diverged epoch is a gap (null). */
function column(history: readonly HistoryEntry[], name: string): (number | null)[] {
  return history.map((entry) => (Number.isFinite(entry[name]) ? entry[name] : null));
}

/** One line describing where the history stands (the chart's text/plain fallback). */
export function trainingSummary(history: readonly HistoryEntry[], { title = 'training', best }: TrainingPlotOptions = {}): string {
  const last = history[history.length - 1];
  if (!last) return `${title}: no epochs yet`;
  const metrics = Object.entries(last)
    .filter(([key]) => key !== 'epoch' && key !== 'lr')
    .map(([key, value]) => `${key} ${formatMetric(value)}`)
    .join(', ');
  const bestText = best ? `; best ${best.monitor} ${formatMetric(best.value)} at epoch ${best.epoch}` : '';
  return `${title}: epoch ${last.epoch}: ${metrics}${bestText}`;
}

/** A displayable training chart (what `run.plot()` returns). */
export class TrainingPlot extends Chart {
  constructor(
    readonly history: readonly HistoryEntry[],
    readonly options: TrainingPlotOptions = {},
  ) {
    super();
  }

  get figure(): PlotlyFigure {
    return trainingFigure(this.history, this.options);
  }

  override toString(): string {
    return trainingSummary(this.history, this.options);
  }

  protected get pageTitle(): string {
    return this.options.title ?? 'training';
  }
}

/** The training chart of `history` (what `run.plot()` returns): shown when it is a cell's result, `.write(file)` for a page. */
export function trainingPlot(history: readonly HistoryEntry[], options: TrainingPlotOptions = {}): TrainingPlot {
  return new TrainingPlot(history, options);
}

/** A chart shown once in the running cell and updated in place. */
export interface LiveChart {
  /** Redraws with `history` and the marks (at most every `interval` ms unless `force`). */
  update(history: readonly HistoryEntry[], marks: Pick<TrainingPlotOptions, 'best' | 'checkpoints' | 'stop'>, force?: boolean): void;
}

/**
 * Shows the chart in the running notebook cell and redraws it in place, at most once per `interval`
 * ms — and never more often than keeps redrawing under 1 % of the time: after redraws that took
 * c ms (the least of the last three: one redraw slowed down by a busy machine or a garbage
 * collection must not hold the chart for seconds), the next waits at least 100·c ms (long histories
 * make big figures). The first showing is not timed: it may include sending plotly.js, which says
 * nothing about the next redraws. The last state is always drawn when `force` is set, as at the end
 * of training. `now` is injectable for tests.
 *
 * The chart is for browsers only (no `text/plain`): terminals get the progress trail instead
 * (lib/progress.ts).
 */
export function liveTrainingChart(options: TrainingPlotOptions, { interval = 500, now = () => performance.now() } = {}): LiveChart {
  let handle: ChartHandle | undefined;
  let next = -Infinity;
  const costs: number[] = [];
  return {
    update(history, marks, force = false) {
      const started = now();
      if (!force && handle && started < next) return;
      const figure = trainingFigure(history, { ...options, ...marks });
      if (!handle) {
        handle = showFigure(figure, undefined, { live: !force });
        next = started + interval;
        return;
      }
      // Frames while training are live (HTML only); the forced last one is the full chart.
      handle.update(figure, undefined, { live: !force });
      costs.push(now() - started);
      if (costs.length > 3) costs.shift();
      next = started + Math.max(interval, 100 * Math.min(...costs));
    },
  };
}

/** What {@link showFinishedRun} needs of a run. */
export interface FinishedRun {
  /** The run's summary line (`Run.toString()`). */
  toString(): string;
  /** Its chart in its final state. */
  plot(): { readonly figure: PlotlyFigure };
}

/**
 * Shows a run that had finished before this call (`train()` returned it at once) the way its
 * training cell ended: a summary line and the chart in its final state — so that re-executing a
 * finished training cell keeps what the cell showed.
 */
export function showFinishedRun(run: FinishedRun): void {
  const session = currentSession();
  if (!session) return;
  session.display({ 'text/plain': `${run.toString()} (Finished earlier: returned without training.)` });
  showFigure(run.plot().figure, undefined);
}

function curveLabel(name: string): string {
  return name === 'loss' ? 'train loss' : name === 'val_loss' ? 'validation loss' : 'test loss';
}
