/**
 * Several runs on one chart — the seed's comparison of early stopping, checkpoint selection and L2
 * regularisation, or the trials of a sweep: one colour per run, the evaluation loss solid and the
 * training loss dashed, each run's best epoch starred and its stop marked.
 */
import type { BestEpoch, HistoryEntry } from '../train/state';
import type { StopDecision } from '../earlystop';
import { fail, formatValue } from '../errors';
import { formatMetric } from '../monitor';
import { Chart } from './chart';
import type { PlotlyFigure } from './plotly';
import { CATEGORY10, STOP_LABELS, escapeTemplate } from './style';

/** What a run must offer to be plotted: a `Run` from `train()` does. */
export interface PlottableRun {
  readonly id: string;
  readonly name?: string;
  readonly history: readonly HistoryEntry[];
  readonly best?: BestEpoch;
  readonly stop?: StopDecision;
}

/** Options of {@link plotRuns}. */
export interface PlotRunsOptions {
  /** Chart title. Defaults to 'runs'. */
  readonly title?: string;
  /**
   * The metrics drawn for every run. Defaults to the evaluation loss (val_loss, else test_loss) as
   * solid lines and the training loss as dashed lines.
   */
  readonly metrics?: readonly string[];
  /** Legend names, one per run. Defaults to each run's name, else its id. */
  readonly labels?: readonly string[];
  /** Loss axis on a log scale. Defaults to false. */
  readonly logScale?: boolean;
  /** Epoch axis on a log scale, for runs whose first epochs matter (double descent). Defaults to false. */
  readonly logEpochs?: boolean;
}


/**
 * Overlays the loss curves of several runs in one chart; the result displays in a notebook, and
 * `.write(file)` saves it as a standalone page.
 *
 * @example
 * plotRuns([patience0, selected, l2], { labels: ['early stopping', 'checkpoint selection', 'L2'] });
 */
export function plotRuns(runs: readonly PlottableRun[], options: PlotRunsOptions = {}): RunsPlot {
  if (!Array.isArray(runs) || runs.length === 0) fail('plotRuns()', `runs must be a non-empty array of runs from train(). Received: ${formatValue(runs)}.`);
  runs.forEach((run, i) => {
    if (!run || !Array.isArray(run.history)) fail('plotRuns()', `runs[${i}] is not a run (it has no history). Received: ${formatValue(run)}.`);
  });
  if (options.labels && options.labels.length !== runs.length) {
    fail('plotRuns()', `labels must name each of the ${runs.length} runs. Received: ${options.labels.length} labels.`);
  }
  return new RunsPlot(runs, options);
}

/** A displayable overlay of runs (what {@link plotRuns} returns). */
export class RunsPlot extends Chart {
  constructor(
    readonly runs: readonly PlottableRun[],
    readonly options: PlotRunsOptions = {},
  ) {
    super();
  }

  get figure(): PlotlyFigure {
    return runsFigure(this.runs, this.options);
  }

  /** One line per run: its best value and how it ended. */
  override toString(): string {
    return this.runs
      .map((run, i) => {
        const best = run.best ? `best ${run.best.monitor} ${formatMetric(run.best.value)} at epoch ${run.best.epoch}` : `${run.history.length} epochs`;
        return `${labelOf(run, i, this.options)}: ${best}${run.stop ? ` — ${run.stop.message}` : ''}`;
      })
      .join('\n');
  }

  protected get pageTitle(): string {
    return this.options.title ?? 'runs';
  }
}

/** The overlay figure (pure data, for tests and custom display). */
export function runsFigure(runs: readonly PlottableRun[], options: PlotRunsOptions = {}): PlotlyFigure {
  const data: Record<string, unknown>[] = [];
  runs.forEach((run, i) => {
    const color = CATEGORY10[i % CATEGORY10.length];
    const label = labelOf(run, i, options);
    const metrics = options.metrics ?? defaultMetrics(run);
    const epochs = run.history.map((entry) => entry.epoch);
    metrics.forEach((metric, m) => {
      if (!run.history.some((entry) => metric in entry)) return;
      data.push({
        type: 'scatter',
        mode: run.history.length > 30 ? 'lines' : 'lines+markers',
        name: `${label} · ${metric}`,
        legendgroup: label,
        x: epochs,
        y: run.history.map((entry) => (Number.isFinite(entry[metric]) ? entry[metric] : null)),
        line: { color, dash: m === 0 ? 'solid' : m === 1 ? 'dash' : 'dot', width: m === 0 ? 2.5 : 1.5 },
      });
    });
    if (run.best && metrics.includes(run.best.monitor)) {
      data.push({
        type: 'scatter',
        mode: 'markers',
        name: `${label} · best`,
        legendgroup: label,
        showlegend: false,
        x: [run.best.epoch],
        y: [run.best.value],
        marker: { symbol: 'star', size: 14, color, line: { color: 'white', width: 1 } },
        hovertemplate: `${escapeTemplate(label)}: best ${run.best.monitor} ${formatMetric(run.best.value)} at epoch ${run.best.epoch}<extra></extra>`,
      });
    }
    if (run.stop && run.stop.reason !== 'completed' && run.stop.epoch > 0) {
      const entry = run.history.find((candidate) => candidate.epoch === run.stop!.epoch);
      const value = entry?.[metrics[0]];
      data.push({
        type: 'scatter',
        mode: 'markers+text',
        name: `${label} · ${STOP_LABELS[run.stop.reason] ?? run.stop.reason}`,
        legendgroup: label,
        showlegend: false,
        x: [run.stop.epoch],
        y: [Number.isFinite(value) ? value : null],
        text: [STOP_LABELS[run.stop.reason] ?? run.stop.reason],
        textposition: 'top center',
        textfont: { color },
        marker: { symbol: 'x', size: 11, color },
        hovertemplate: `${escapeTemplate(label)}: ${escapeTemplate(run.stop.message)}<extra></extra>`,
      });
    }
  });
  return {
    data,
    layout: {
      title: { text: options.title ?? 'runs' },
      xaxis: options.logEpochs ? { title: { text: 'epoch (log scale)' }, type: 'log' } : { title: { text: 'epoch' }, rangemode: 'tozero' },
      yaxis: { title: { text: 'loss' }, type: options.logScale ? 'log' : 'linear' },
      legend: { orientation: 'h', y: -0.2 },
      margin: { t: 40, r: 20, b: 40, l: 60 },
      height: 420,
    },
  };
}

/** The evaluation loss (solid) then the training loss (dashed). */
function defaultMetrics(run: PlottableRun): string[] {
  const evaluated = ['val_loss', 'test_loss'].find((metric) => run.history.some((entry) => metric in entry));
  return evaluated ? [evaluated, 'loss'] : ['loss'];
}

function labelOf(run: PlottableRun, i: number, options: PlotRunsOptions): string {
  return options.labels?.[i] ?? run.name ?? run.id;
}
