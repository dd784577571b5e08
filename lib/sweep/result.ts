/**
 * `Sweep`: what `sweep()` resolves to — the trials with their parameters, status, value and run,
 * the best trial, parameter importance, charts, and a notebook display (the trials table).
 */
import { CellfitError, fail, warn } from '../errors';
import { Chart } from '../plots/chart';
import type { PlotlyFigure } from '../plots/plotly';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { importanceOf, summaryLine, sweepCharts, trialsTable } from './display';
import type { Run } from '../train/run';
import { describeParams, type Params } from './space';
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
   * `run.evaluate(test)` or `run.checkpoints.export('best', dir)`. Undefined when the trial trained
   * no run with checkpoints. sweep() returns every trial's run rebuilt; a result made from a record
   * alone (`new Sweep(record, file)`) rebuilds one on {@link SweepTrial.loadRun} (reading it before
   * says so).
   */
  readonly run?: Run;
  /**
   * Rebuilds the trial's run from its checkpoints, once (later calls answer the same Run); undefined
   * when it trained no run with checkpoints, or they cannot be read (a warning says why).
   *
   * @example
   * const run = await result.trials[3].loadRun();
   * await run?.evaluate(test);
   */
  loadRun(): Promise<Run | undefined>;
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

  /** `runs`: trials' runs already rebuilt from their checkpoints (with loadRun()), by trial number; the others are rebuilt on demand. */
  constructor(record: SweepRecord, file: string, runs: ReadonlyMap<number, Run> = new Map()) {
    this.name = record.name;
    this.file = file;
    this.status = record.status;
    if (record.monitor) this.monitor = record.monitor;
    if (record.mode) this.mode = record.mode;
    this.trials = record.trials.map((trial) => trialOf<P>(trial, runs.has(trial.number) ? { run: runs.get(trial.number) } : undefined));
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
 * The sweep's result with every trial's run rebuilt from its checkpoints (loadRun()), as the public
 * contract promises (`trials[i].run` and `best.run` are Runs); a run that cannot be rebuilt (its
 * directory gone or damaged) is left out with a warning. Rebuilding costs ~8-13 ms and one tf.js
 * model per trial; a result built elsewhere (`new Sweep(record, file)`) rebuilds on
 * {@link SweepTrial.loadRun}.
 */
export async function loadSweepResult<P extends Params = Params>(record: SweepRecord, file: string): Promise<Sweep<P>> {
  const result = new Sweep<P>(record, file);
  for (const trial of result.trials) await trial.loadRun();
  return result;
}

/** The run in `dir` rebuilt, or undefined with a warning when it cannot be (a trial that never checkpointed: nothing was lost). */
async function rebuildRun(trial: TrialRecord, dir: string): Promise<Run | undefined> {
  const { loadRun } = require('../train/load') as typeof import('../train/load');
  try {
    return await loadRun(dir);
  } catch (error) {
    if (['finished', 'pruned', 'paused'].includes(trial.status)) warn('sweep()', `trial ${trial.number}'s run in ${dir} could not be rebuilt from its checkpoints: ${(error as Error).message}`);
    return undefined;
  }
}

/** A trial of the result; `loaded`: its run, when already rebuilt. */
function trialOf<P extends Params>(trial: TrialRecord, loaded: { run: Run | undefined } | undefined): SweepTrial<P> {
  const dir = trial.run?.dir;
  let run = loaded ?? (dir ? undefined : { run: undefined });
  let loading: Promise<Run | undefined> | undefined;
  const result = {
    number: trial.number,
    params: trial.params as P,
    status: publicStatus(trial),
    ...(trial.value !== undefined ? { value: trial.value } : {}),
    ...(trial.bestEpoch !== undefined ? { epoch: trial.bestEpoch } : {}),
    values: trial.values,
    ...(trial.prunedAt !== undefined && publicStatus(trial) === 'pruned' ? { prunedAt: trial.prunedAt } : {}),
    ...(trial.run ? { runInfo: trial.run } : {}),
    ...(trial.error ? { error: trial.error } : {}),
    ...(trial.worker ? { worker: trial.worker } : {}),
    attempts: trial.attempts,
    seconds: trial.seconds,
  } as unknown as SweepTrial<P>;
  Object.defineProperties(result, {
    run: {
      enumerable: false,
      get(): Run | undefined {
        if (run) return run.run;
        throw new CellfitError(
          'sweep()',
          `trial ${trial.number}'s run is not rebuilt yet (this result was made from a record alone): \`await result.trials[${trial.number - 1}].loadRun()\` rebuilds it from its checkpoints and sets trial.run; trial.runInfo (id, dir, status, best) needs no rebuilding.`,
        );
      },
    },
    loadRun: {
      enumerable: false,
      value: (): Promise<Run | undefined> => {
        if (run) return Promise.resolve(run.run);
        loading ??= rebuildRun(trial, dir!).then((built) => {
          run = { run: built };
          return built;
        });
        return loading;
      },
    },
  });
  return result;
}

/** The error a failed trial stops the sweep with: its own message, the trial named, what to do. */
export function failureError(failure: TrialRecord | Error, result: Sweep): CellfitError {
  const error =
    failure instanceof Error
      ? new CellfitError('sweep()', failure.message.replace(/^sweep\(\): /, ''))
      : new CellfitError(
          'sweep()',
          `trial ${failure.number} (${describeParams(failure.params)}) failed, so the sweep stopped (failures: 'continue' records failures and goes on). ` +
            `Fix the trial and run the sweep again: finished trials are kept, the failed one runs again.\n\n${failure.error ?? ''}`,
        );
  Object.defineProperty(error, 'sweep', { value: result, enumerable: false });
  return error;
}
