/**
 * How a sweep shows itself while it runs. In a notebook: a table of the trials (status, parameters,
 * epoch, best value, ETA, worker) and three charts — optimisation history, intermediate values with
 * the pruned curves, parallel coordinates — all updated in place, throttled; when the sweep ends the
 * table loses its live columns (times and workers differ between two runs of the same sweep; the
 * results do not) and a parameter-importance chart joins. In a terminal (or `cellfit run`'s log): one
 * line per trial when it finishes, pauses, is pruned or fails — not a line per epoch.
 *
 * Large sweeps stay light: beyond {@link TABLE_ROWS} trials the table shows a summary, the best
 * trials and the running ones (the result has them all); the intermediate-values chart draws the
 * best and running trials' curves, parallel coordinates the best trials, and the history every
 * trial that improved on the best plus an even sample of the others — so that a 10,000-trial sweep
 * redraws as fast as a 50-trial one and its saved notebook stays small.
 */
import { formatMetric } from '../monitor';
import { intermediateValuesFigure, importanceFigure, sweepFigure, sweepHistoryFigure, type SweepMetric, type SweepTrialPoint } from '../plots/sweep';
import { showFigure, type ChartHandle, type PlotlyFigure } from '../plots/plotly';
import { formatDuration } from '../progress';
import type { DisplayHandle, NotebookSession } from '../session';
import { parameterImportance } from './importance';
import { rankedObservations } from './tpe';
import { describeParams, formatNumber, SearchSpace } from './space';
import { better, bestTrial, publicStatus, type SweepRecord, type TrialRecord } from './state';
import { tableBundle } from './table';

/** What a view is told besides the record. */
export interface LiveInfo {
  /** Worker slots or processes serving the sweep. */
  readonly workers: number;
  /** A line under the caption, e.g. how to start a worker. */
  readonly note?: string;
}

/** Shows a sweep as it runs; see the module comment. */
export interface SweepView {
  /** The record changed (an epoch, a trial started). Cheap: views throttle themselves. */
  update(record: SweepRecord, live: LiveInfo): void;
  /** Trial `number` was settled. */
  settled(record: SweepRecord, number: number): void;
  /** The sweep ended (finished, interrupted or failed). */
  end(record: SweepRecord): void;
}

/** Shows nothing. */
export const silentView: SweepView = { update() {}, settled() {}, end() {} };

/** Options of the views (clock and intervals injectable for tests). */
export interface ViewOptions {
  readonly now?: () => number;
  /** Milliseconds between table redraws. Defaults to 500. */
  readonly tableInterval?: number;
  /** Milliseconds between chart redraws. Defaults to 2000. */
  readonly chartInterval?: number;
  /**
   * Runs `redraw` after `ms` milliseconds and returns a function that cancels it (a timer that never
   * keeps the process alive, by default).
   */
  readonly schedule?: (redraw: () => void, ms: number) => () => void;
}

function unrefTimer(redraw: () => void, ms: number): () => void {
  const timer = setTimeout(redraw, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * The live table and charts in a notebook cell. They are all shown at the first update — the charts
 * as empty placeholders until there is data — so that the cell's outputs come in the same order
 * however fast the trials run (outputs the trials print come after them); the importance chart
 * joins at the end.
 */
export function notebookView(session: NotebookSession, { now = () => performance.now(), tableInterval = 500, chartInterval = 2000, schedule = unrefTimer }: ViewOptions = {}): SweepView {
  const eta = new EtaTracker(now);
  let table: DisplayHandle | undefined;
  const charts = new Map<string, ChartHandle | undefined>();
  let lastTable = -Infinity;
  let lastCharts = -Infinity;
  const drawTable = (record: SweepRecord, live?: LiveInfo) => {
    const bundle = trialsTable(record, live ? { live, eta } : undefined);
    if (table) table.update(bundle);
    else table = session.display(bundle);
  };
  const drawCharts = (record: SweepRecord, final: boolean) => {
    const drawn = new Map(sweepCharts(record, final));
    for (const key of [...LIVE_CHARTS, ...drawn.keys()]) {
      const chart = drawn.get(key) ?? placeholder(key, record);
      const handle = charts.get(key);
      if (handle) handle.update(chart.figure, chart.text, { live: !final });
      else if (!charts.has(key)) charts.set(key, showFigure(chart.figure, chart.text, { live: !final }));
    }
  };
  // An update skipped by the throttle is drawn when its interval has passed, even if nothing changes
  // after it (a trial that settles and a next one slow to report its first epoch): the cell never
  // shows a stale state for longer than an interval.
  let cancelTrailing: (() => void) | undefined;
  let tableBehind = false;
  let chartsBehind = false;
  const flush = (record: SweepRecord, live: LiveInfo) => {
    cancelTrailing?.();
    cancelTrailing = undefined;
    const time = now();
    const first = table === undefined;
    if (tableBehind && (first || time - lastTable >= tableInterval)) {
      lastTable = time;
      tableBehind = false;
      // Seen at each redraw, not at each report: a pass over the trials every half second, whatever their number.
      eta.observe(record);
      drawTable(record, live);
    }
    if (chartsBehind && (first || time - lastCharts >= chartInterval)) {
      lastCharts = time;
      chartsBehind = false;
      drawCharts(record, false);
    }
    if (tableBehind || chartsBehind) {
      const wait = Math.min(tableBehind ? lastTable + tableInterval - time : Infinity, chartsBehind ? lastCharts + chartInterval - time : Infinity);
      cancelTrailing = schedule(() => flush(record, live), Math.max(0, wait));
    }
  };
  const update = (record: SweepRecord, live: LiveInfo) => {
    tableBehind = chartsBehind = true;
    flush(record, live);
  };
  return {
    update,
    settled() {},
    end(record) {
      cancelTrailing?.();
      cancelTrailing = undefined;
      tableBehind = chartsBehind = false;
      drawTable(record);
      drawCharts(record, true);
    },
  };
}

/** The charts shown while the sweep runs, in the order the cell shows them. */
const LIVE_CHARTS = ['history', 'intermediate', 'parallel'];

/** An empty chart standing in for one that has no data yet. */
function placeholder(key: string, record: SweepRecord): { figure: PlotlyFigure; text: string } {
  const title = { history: 'optimisation history', intermediate: 'intermediate values', parallel: 'parameters and values', importance: 'parameter importance' }[key] ?? key;
  return {
    figure: { data: [], layout: { title: { text: `${title}: no trial has reported yet` }, height: 240, xaxis: { visible: false }, yaxis: { visible: false } } },
    text: `sweep ${record.name}: ${title} (no trial has reported yet)`,
  };
}

/** A line per settled trial on a stream (stderr in a terminal). */
export function terminalView(write: (text: string) => void = (text) => process.stderr.write(text)): SweepView {
  let started = false;
  return {
    update(record, live) {
      if (started) return;
      started = true;
      write(`${describeSweep(record)}, ${live.workers} worker${live.workers === 1 ? '' : 's'}${live.note ? ` — ${live.note}` : ''}\n`);
    },
    settled(record, number) {
      write(`${trialLine(record, record.trials[number - 1])}\n`);
    },
    end(record) {
      write(`${summaryLine(record)}\n`);
    },
  };
}

/** `sweep lr-search: tpe sampler, asha pruner, 20 trials`. */
function describeSweep(record: SweepRecord): string {
  return `sweep ${record.name}: ${record.sampler.kind} sampler, ${record.pruner.kind === 'none' ? 'no' : record.pruner.kind} pruner, ${record.budget} trial${record.budget === 1 ? '' : 's'}`;
}

/** One trial's line: `sweep s · trial 3/20 finished  lr=0.01, units=32 → val_loss 0.0123 @ epoch 28`. */
export function trialLine(record: SweepRecord, trial: TrialRecord): string {
  const head = `sweep ${record.name} · trial ${trial.number}/${Math.max(record.budget, record.trials.length)}`;
  const params = describeParams(trial.params);
  const value = trial.value !== undefined ? `${record.monitor ?? 'value'} ${formatMetric(trial.value)}${trial.bestEpoch ? ` @ epoch ${trial.bestEpoch}` : ''}` : 'no value';
  switch (trial.status) {
    case 'finished':
      return `${head} finished  ${params} → ${value}`;
    case 'paused':
      return `${head} paused at epoch ${trial.prunedAt} (ASHA rung; promoted if later trials rank it in the top)  ${params} → ${value}`;
    case 'pruned':
      return `${head} pruned at epoch ${trial.prunedAt}  ${params} → ${value}`;
    case 'failed':
      return `${head} failed  ${params}: ${(trial.error ?? '').split('\n')[0]}`;
    case 'interrupted':
      return `${head} interrupted at epoch ${trial.values.length} (resumes when the sweep runs again)  ${params}`;
    default:
      return `${head} ${trial.status}  ${params}`;
  }
}

/** The closing line: counts and the best trial. */
export function summaryLine(record: SweepRecord): string {
  const counts = (['finished', 'pruned', 'failed', 'unfinished'] as const).map((status) => [status, record.trials.filter((trial) => publicStatus(trial) === status).length] as const).filter(([, n]) => n > 0);
  const best = bestTrial(record);
  const bestText = best ? `; best ${record.monitor ?? 'value'} ${formatMetric(best.value!)} (trial ${best.number}: ${describeParams(best.params)})` : '';
  return `sweep ${record.name} ${record.status}: ${counts.map(([status, n]) => `${n} ${status}`).join(', ') || 'no trials'}${bestText}`;
}

/**
 * The trials table. Live, it adds what is happening now (epoch, ETA, worker); final, it holds only
 * results, so that two executions of a seeded sweep show the same table.
 */
export function trialsTable(record: SweepRecord, live?: { readonly live: LiveInfo; readonly eta: EtaTracker }): ReturnType<typeof tableBundle> {
  const names = new SearchSpace(record.space as never).names;
  const extra = [...new Set(record.trials.flatMap((trial) => Object.keys(trial.params)))].filter((name) => !names.includes(name));
  const params = [...names, ...extra];
  const monitor = record.monitor ?? 'value';
  const columns = ['trial', ...params, 'status', 'epochs', monitor, 'best epoch', ...(live ? ['now', 'worker'] : [])];
  const shown = tableTrials(record, Boolean(live));
  const rows = shown.map((trial) => [
    String(trial.number),
    ...params.map((name) => (name in trial.params ? formatValue(trial.params[name]) : '')),
    live ? liveStatus(trial) : finalStatus(trial),
    trial.epochs ? `${trial.values.length}/${trial.epochs}` : String(trial.values.length || ''),
    trial.value === undefined ? '' : formatMetric(trial.value),
    trial.bestEpoch === undefined ? '' : String(trial.bestEpoch),
    ...(live ? [trial.status === 'running' ? live.eta.describe(trial) : '', trial.status === 'running' ? (trial.worker ?? '') : ''] : []),
  ]);
  const best = bestTrial(record);
  const counts = (['finished', 'pruned', 'failed', 'unfinished'] as const).map((status) => [status, record.trials.filter((trial) => publicStatus(trial) === status).length] as const).filter(([, n]) => n > 0);
  const state = live ? `${record.trials.filter((trial) => trial.status === 'running').length} running on ${live.live.workers} worker${live.live.workers === 1 ? '' : 's'}` : record.status;
  const caption =
    `${describeSweep(record)} — ${state}; ${counts.map(([status, n]) => `${n} ${status}`).join(', ') || 'no trials yet'}` +
    (best ? `; best ${monitor} ${formatMetric(best.value!)} (trial ${best.number})` : '') +
    (shown.length < record.trials.length ? `; showing ${describeShown(record, shown, Boolean(live))} of ${record.trials.length} trials (Sweep.trials has them all)` : '') +
    (live?.live.note ? `. ${live.live.note}` : '');
  return tableBundle({ columns, rows, caption, numeric: new Set(['trial', 'epochs', monitor, 'best epoch']) });
}

/** Trials beyond which the table shows the best and running ones only. */
export const TABLE_ROWS = 50;
/** The best trials a large sweep's table shows. */
const BEST_ROWS = 10;

/** The table's trials: all of a small sweep; of a large one the best, and (live) the running ones. */
function tableTrials(record: SweepRecord, live: boolean): TrialRecord[] {
  if (record.trials.length <= TABLE_ROWS) return record.trials;
  const best = ranked(record).slice(0, BEST_ROWS);
  const running = live ? record.trials.filter((trial) => trial.status === 'running') : [];
  return [...new Set([...best, ...running])].sort((a, b) => a.number - b.number);
}

function describeShown(record: SweepRecord, shown: readonly TrialRecord[], live: boolean): string {
  const best = Math.min(BEST_ROWS, ranked(record).length);
  const running = live ? shown.filter((trial) => trial.status === 'running').length : 0;
  return `the ${best} best${running ? ` and ${running} running` : ''}`;
}

/** Trials with a value, best first (finished ones, then stopped ones by how far they got). */
function ranked(record: SweepRecord): TrialRecord[] {
  return rankedObservations(new SearchSpace(record.space as never), record);
}

function liveStatus(trial: TrialRecord): string {
  if (trial.status === 'paused') return trial.promote ? `promoted @ ${trial.prunedAt}` : `paused @ ${trial.prunedAt}`;
  if (trial.status === 'pruned') return `pruned @ ${trial.prunedAt}`;
  return trial.status;
}

function finalStatus(trial: TrialRecord): string {
  const status = publicStatus(trial);
  return status === 'pruned' && trial.prunedAt !== undefined ? `pruned @ ${trial.prunedAt}` : status;
}

function formatValue(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? formatNumber(value) : String(value);
}

/** The trials as the charts take them; live statuses while running, public ones at the end. */
export function chartPoints(record: SweepRecord, final: boolean): SweepTrialPoint[] {
  return record.trials.map((trial) => ({
    number: trial.number,
    params: trial.params,
    status: final ? publicStatus(trial) : trial.status === 'interrupted' || trial.status === 'pending' ? 'unfinished' : trial.status,
    values: trial.values,
    ...(trial.value !== undefined ? { value: trial.value } : {}),
    ...(trial.prunedAt !== undefined ? { prunedAt: trial.prunedAt } : {}),
  }));
}

/** The charts of a sweep, by key (importance only at the end). */
export function sweepCharts(record: SweepRecord, final: boolean): [string, { figure: PlotlyFigure; text: string }][] {
  const metric: SweepMetric = { monitor: record.monitor ?? 'value', mode: record.mode ?? 'min' };
  const all = chartPoints(record, final);
  const { history: historyPoints, curves, parallelTrials } = chartSelection(record, all);
  const best = bestTrial(record);
  const text = best ? `best ${metric.monitor} ${formatMetric(best.value!)} (trial ${best.number}: ${describeParams(best.params)})` : `sweep ${record.name}`;
  const charts: [string, { figure: PlotlyFigure; text: string }][] = [];
  const history = sweepHistoryFigure(historyPoints, metric);
  const sampled = historyPoints.length < all.length ? ` (every trial that improved on the best, and ${historyPoints.length} in all)` : '';
  if (history) charts.push(['history', { figure: history, text: `optimisation history of ${record.trials.length} trials${sampled}; ${text}` }]);
  const intermediate = intermediateValuesFigure(curves, metric);
  const some = curves.length < all.length ? ` (the ${curves.length} best and running)` : '';
  if (intermediate) charts.push(['intermediate', { figure: intermediate, text: `intermediate values of ${record.trials.length} trials${some}` }]);
  const space = new SearchSpace(record.space as never);
  // The best trial the table names (finished ones first), not merely the lowest value; drawn even when it is not among the lines kept.
  const lines = best && !parallelTrials.includes(best) ? [...parallelTrials, best] : parallelTrials;
  const parallelPoints = lines.map((trial) => ({ params: trial.params, best: { monitor: metric.monitor, value: trial.value, ...(trial.bestEpoch ? { epoch: trial.bestEpoch } : {}) } }));
  const parallel = sweepFigure(parallelPoints, space.names, best ? { best: parallelPoints[lines.indexOf(best)] } : {});
  if (parallel) charts.push(['parallel', parallel]);
  if (final) {
    const importance = importanceOf(record);
    const figure = importanceFigure(importance, metric);
    if (figure) charts.push(['importance', { figure, text: `parameter importance (η² of ranks): ${Object.entries(importance).map(([name, share]) => `${name} ${share.toFixed(2)}`).join(', ')}` }]);
  }
  return charts;
}

/** Curves the intermediate-values chart draws beyond which it draws the best and running ones only. */
const CURVES = 50;
/** Lines of the parallel-coordinates chart at most (the best trials). */
const PARALLEL_LINES = 1000;
/** Points of the history chart at most (improvements always, then an even sample). */
const HISTORY_POINTS = 2000;

/** What each chart draws of a large sweep (all of a small one). */
function chartSelection(record: SweepRecord, points: SweepTrialPoint[]): { history: SweepTrialPoint[]; curves: SweepTrialPoint[]; parallelTrials: TrialRecord[] } {
  const scored = record.trials.filter((trial) => trial.value !== undefined);
  if (record.trials.length <= CURVES && scored.length <= PARALLEL_LINES) return { history: points, curves: points, parallelTrials: scored };
  const best = ranked(record);
  const top = new Set(best.slice(0, CURVES / 2).map((trial) => trial.number));
  const curves = points.filter((point) => top.has(point.number) || point.status === 'running');
  const parallelTrials = best.length > PARALLEL_LINES ? best.slice(0, PARALLEL_LINES).sort((a, b) => a.number - b.number) : scored;
  return { history: historySample(record, points), curves, parallelTrials };
}

/** The history's points: all up to HISTORY_POINTS; beyond, every finished trial that improved on the best so far, and an even sample. */
function historySample(record: SweepRecord, points: SweepTrialPoint[]): SweepTrialPoint[] {
  const scored = points.filter((point) => typeof point.value === 'number' && Number.isFinite(point.value));
  if (scored.length <= HISTORY_POINTS) return points;
  const keep = new Set<number>();
  let best: number | undefined;
  for (const point of scored) {
    if (point.status !== 'finished') continue;
    if (best === undefined || better(record, point.value!, best)) {
      best = point.value!;
      keep.add(point.number);
    }
  }
  const step = scored.length / (HISTORY_POINTS - keep.size);
  for (let i = 0; i < scored.length && keep.size < HISTORY_POINTS; i += step) keep.add(scored[Math.floor(i)].number);
  return scored.filter((point) => keep.has(point.number));
}

/**
 * Parameter importance over every scored trial, ranked as TPE ranks them — finished trials by value,
 * then paused and pruned ones by how far they got — so that a pruned sweep, whose finished trials
 * are all good ones, still says which parameters made the difference.
 */
export function importanceOf(record: SweepRecord): Record<string, number> {
  const space = new SearchSpace(record.space as never);
  const ranked = rankedObservations(space, record);
  return parameterImportance(space, ranked.map((trial, rank) => ({ params: trial.params, value: rank })));
}

/** Estimates each running trial's time left from its pace since it was first seen running. */
export class EtaTracker {
  private readonly seen = new Map<number, { time: number; epochs: number; attempt: number }>();

  constructor(private readonly now: () => number) {}

  observe(record: SweepRecord): void {
    for (const trial of record.trials) {
      const seen = this.seen.get(trial.number);
      if (trial.status !== 'running') this.seen.delete(trial.number);
      else if (!seen || seen.attempt !== trial.attempts) this.seen.set(trial.number, { time: this.now(), epochs: trial.values.length, attempt: trial.attempts });
    }
  }

  /** `epoch 5/30, ETA 0:42` for a running trial. */
  describe(trial: TrialRecord): string {
    const epoch = `epoch ${trial.values.length + 1}${trial.epochs ? `/${trial.epochs}` : ''}`;
    const seen = this.seen.get(trial.number);
    const done = seen ? trial.values.length - seen.epochs : 0;
    if (!seen || done <= 0 || !trial.epochs) return epoch;
    const perEpoch = (this.now() - seen.time) / 1000 / done;
    return `${epoch}, ETA ${formatDuration(perEpoch * Math.max(0, trial.epochs - trial.values.length))}`;
  }
}
