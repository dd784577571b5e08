/**
 * `Sweep`: what `sweep()` resolves to — the trials with their parameters, status, value and run,
 * the best trial, parameter importance, charts, and a notebook display (the trials table).
 */
import { fail, warn } from '../errors';
import { Chart } from '../plots/chart';
import type { PlotlyFigure } from '../plots/plotly';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { importanceOf, summaryLine, sweepCharts, trialsTable } from './display';
import type { Run } from '../train/run';
import type { Params } from './space';
import { bestTrial, publicStatus, type PublicStatus, type SweepRecord, type SweepStatus, type TrialRecord, type TrialRunInfo } from './state';

/** One trial of a finished (or stopped) sweep; `P` types its parameters from the sweep's space. */
export interface SweepTrial<P extends Params = Params> {
  /** 1-based, in the order the trials were proposed. */
  readonly number: number;
  readonly params: P;
  readonly status: PublicStatus;
  /** The best monitored value (or the number the trial returned). */
  readonly value?: number;
  /** The epoch of `value`. */
  readonly epoch?: number;
  /** The monitored value of every epoch trained (null where none). */
  readonly values: readonly (number | null)[];
  /** For a pruned trial: the epoch it stopped at (its checkpoints are kept). */
  readonly prunedAt?: number;
  /**
   * The run it trained, rebuilt from its checkpoints (wherever it trained: this process, a worker
   * process, another machine): its model holds the weights the run ended with, ready for
   * `run.evaluate(test)` or `run.checkpoints.export('best', dir)`. Absent when the trial trained no
   * run with checkpoints.
   */
  readonly run?: Run;
  /** The run as the sweep's record keeps it (id, directory, status, epochs, best). */
  readonly runInfo?: TrialRunInfo;
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

/** A sweep's outcome; see the module comment. `P` types the trials' parameters from the space. */
export class Sweep<P extends Params = Params> {
  readonly name: string;
  /** The record file (or, for a queued sweep, the Redis URL holding it). */
  readonly file: string;
  readonly status: SweepStatus;
  readonly monitor?: string;
  readonly mode?: 'min' | 'max';
  readonly trials: readonly SweepTrial<P>[];
  readonly best?: SweepTrial<P>;
  /** The record as saved. */
  readonly record!: SweepRecord;

  /** `runs`: the trials' runs rebuilt from their checkpoints (with loadRun()), by trial number. */
  constructor(record: SweepRecord, file: string, runs: ReadonlyMap<number, Run> = new Map()) {
    this.name = record.name;
    this.file = file;
    this.status = record.status;
    if (record.monitor) this.monitor = record.monitor;
    if (record.mode) this.mode = record.mode;
    this.trials = record.trials.map((trial) => trialOf<P>(trial, runs.get(trial.number)));
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

/**
 * The sweep's result with every trial's run rebuilt from its checkpoints (loadRun()); a run that
 * cannot be rebuilt (its directory gone or damaged) is left out with a warning.
 */
export async function loadSweepResult<P extends Params = Params>(record: SweepRecord, file: string): Promise<Sweep<P>> {
  const { loadRun } = require('../train/load') as typeof import('../train/load');
  const runs = new Map<number, Run>();
  for (const trial of record.trials) {
    const dir = trial.run?.dir;
    if (!dir) continue;
    try {
      runs.set(trial.number, await loadRun(dir));
    } catch (error) {
      // A failed or unstarted trial may have no checkpoint yet: nothing was lost.
      if (['finished', 'pruned', 'paused'].includes(trial.status)) warn('sweep()', `trial ${trial.number}'s run in ${dir} could not be rebuilt from its checkpoints: ${(error as Error).message}`);
    }
  }
  return new Sweep<P>(record, file, runs);
}

function trialOf<P extends Params>(trial: TrialRecord, run: Run | undefined): SweepTrial<P> {
  return {
    number: trial.number,
    params: trial.params as P,
    status: publicStatus(trial),
    ...(trial.value !== undefined ? { value: trial.value } : {}),
    ...(trial.bestEpoch !== undefined ? { epoch: trial.bestEpoch } : {}),
    values: trial.values,
    ...(trial.prunedAt !== undefined && publicStatus(trial) === 'pruned' ? { prunedAt: trial.prunedAt } : {}),
    ...(run ? { run } : {}),
    ...(trial.run ? { runInfo: trial.run } : {}),
    ...(trial.error ? { error: trial.error } : {}),
    ...(trial.worker ? { worker: trial.worker } : {}),
    attempts: trial.attempts,
    seconds: trial.seconds,
  };
}
