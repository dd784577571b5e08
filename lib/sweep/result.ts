/**
 * `Sweep`: what `sweep()` resolves to — the trials with their parameters, status, value and run,
 * the best trial, parameter importance, charts, and a notebook display (the trials table).
 */
import { fail } from '../errors';
import { Chart } from '../plots/chart';
import type { PlotlyFigure } from '../plots/plotly';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { importanceOf, summaryLine, sweepCharts, trialsTable } from './display';
import type { Params } from './space';
import { bestTrial, publicStatus, type PublicStatus, type SweepRecord, type SweepStatus, type TrialRecord, type TrialRunInfo } from './state';

/** One trial of a finished (or stopped) sweep. */
export interface SweepTrial {
  /** 1-based, in the order the trials were proposed. */
  readonly number: number;
  readonly params: Params;
  readonly status: PublicStatus;
  /** The best monitored value (or the number the trial returned). */
  readonly value?: number;
  /** The epoch of `value`. */
  readonly epoch?: number;
  /** The monitored value of every epoch trained (null where none). */
  readonly values: readonly (number | null)[];
  /** For a pruned trial: the epoch it stopped at (its checkpoints are kept). */
  readonly prunedAt?: number;
  /** The run it trained: `checkpoint(trial.run.dir).restore(model, 'best')` gets its weights back. */
  readonly run?: TrialRunInfo;
  readonly error?: string;
  /** The worker that ran it last (`main`, `local-2`, `host:pid`). */
  readonly worker?: string;
  /** Times started or resumed. */
  readonly attempts: number;
  /** Seconds spent in the trial over all attempts. */
  readonly seconds: number;
}

/** Names of {@link Sweep.plot}'s charts. */
export type SweepChartKind = 'history' | 'intermediate' | 'parallel' | 'importance';

/** A sweep's outcome; see the module comment. */
export class Sweep {
  readonly name: string;
  /** The record file (or, for a queued sweep, the Redis URL holding it). */
  readonly file: string;
  readonly status: SweepStatus;
  readonly monitor?: string;
  readonly mode?: 'min' | 'max';
  readonly trials: readonly SweepTrial[];
  readonly best?: SweepTrial;
  /** The record as saved. */
  readonly record!: SweepRecord;

  constructor(record: SweepRecord, file: string) {
    this.name = record.name;
    this.file = file;
    this.status = record.status;
    if (record.monitor) this.monitor = record.monitor;
    if (record.mode) this.mode = record.mode;
    this.trials = record.trials.map(trialOf);
    const best = bestTrial(record);
    if (best) this.best = this.trials[best.number - 1];
    Object.defineProperty(this, 'record', { value: record, enumerable: false });
  }

  /** Parameter importance: η² of each parameter over the trials' ranks (see lib/sweep/importance.ts). */
  importance(): Record<string, number> {
    return importanceOf(this.record);
  }

  /**
   * One of the sweep's charts: `history` (value per trial, best so far), `intermediate` (value per
   * epoch, pruned trials dotted), `parallel` (parameters against value), `importance`.
   *
   * @example
   * result.plot('intermediate');
   */
  plot(kind: SweepChartKind = 'history'): SweepPlot {
    const charts = new Map(sweepCharts(this.record, true));
    const chart = charts.get(kind);
    if (!chart) {
      if (!['history', 'intermediate', 'parallel', 'importance'].includes(kind)) fail('Sweep.plot()', `\`kind\` must be 'history', 'intermediate', 'parallel' or 'importance'. Received: ${JSON.stringify(kind)}.`);
      fail('Sweep.plot()', `sweep ${this.name} has no ${kind} chart yet: no trial has a value${kind === 'importance' ? ' (importance needs 3 scored trials)' : ''}.`);
    }
    return new SweepPlot(chart.figure, chart.text, `sweep ${this.name}: ${kind}`);
  }

  toString(): string {
    return summaryLine(this.record);
  }

  [JUPYTER_DISPLAY](): MimeBundle {
    return trialsTable(this.record);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, file: this.file, status: this.status, monitor: this.monitor, mode: this.mode, trials: this.trials, best: this.best };
  }
}

/** One chart of a sweep. */
export class SweepPlot extends Chart {
  constructor(
    readonly figure: PlotlyFigure,
    private readonly text: string,
    private readonly title: string,
  ) {
    super();
  }

  toString(): string {
    return this.text;
  }

  protected get pageTitle(): string {
    return this.title;
  }
}

function trialOf(trial: TrialRecord): SweepTrial {
  return {
    number: trial.number,
    params: trial.params,
    status: publicStatus(trial),
    ...(trial.value !== undefined ? { value: trial.value } : {}),
    ...(trial.bestEpoch !== undefined ? { epoch: trial.bestEpoch } : {}),
    values: trial.values,
    ...(trial.prunedAt !== undefined && publicStatus(trial) === 'pruned' ? { prunedAt: trial.prunedAt } : {}),
    ...(trial.run ? { run: trial.run } : {}),
    ...(trial.error ? { error: trial.error } : {}),
    ...(trial.worker ? { worker: trial.worker } : {}),
    attempts: trial.attempts,
    seconds: trial.seconds,
  };
}
