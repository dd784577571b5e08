/**
 * `Run`: what `train()` returns — the run's id and directory, status and stop decision, per-epoch
 * history, best epoch, checkpoints and model — with `evaluate()` for test metrics, `plot()` for the
 * loss chart, and a notebook display.
 */
import * as path from 'node:path';
import type { tf } from '../backend';
import { parseCheckpointId } from '../checkpoint/format';
import { saveLayersModel } from '../checkpoint/layers';
import type { CheckpointStore } from '../checkpoint/store';
import type { TrainPart } from '../data';
import type { ScoredRows } from '../metrics';
import type { Preprocessing } from '../preprocess';
import type { StopDecision } from '../earlystop';
import type { EngineInfo } from '../engines/engine';
import { fail, formatValue } from '../errors';
import { formatMetric } from '../monitor';
import { trainingPlot, type TrainingPlot } from '../plots/training';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { escapeHtml } from '../util/html';
import { savePreprocessing, type PredictInput } from './predict';
import type { BestEpoch, HistoryEntry, ParentRef, RunStatus } from './state';

/** Where a resumed run picked up. */
export interface ResumePoint {
  readonly checkpoint: string;
  readonly epoch: number;
  readonly batch: number;
}

/**
 * The keys of a run's history entries besides `epoch` and `lr`: the loss and the metrics `M`, and
 * both again with the evaluation prefix `P` (`val_`, or `test_` for a train/test split).
 */
export type HistoryKey<M extends string, P extends string> = 'loss' | M | `${P}loss` | `${P}${M}`;

/** Everything a {@link Run} is made of. */
export interface RunFields {
  readonly id: string;
  readonly name?: string;
  readonly dir?: string;
  readonly status: Exclude<RunStatus, 'running'>;
  readonly stop: StopDecision;
  readonly epoch: number;
  readonly epochs: number;
  readonly history: readonly HistoryEntry[];
  readonly best?: BestEpoch;
  readonly resumedFrom?: ResumePoint;
  readonly parent?: ParentRef;
  /** Finished earlier: this call only loaded it. */
  readonly reused: boolean;
  /** The engine that trained it (of the latest call that trained), and why `auto` fell back to tfjs. */
  readonly engine: EngineInfo;
  readonly model: tf.LayersModel;
  readonly checkpoints?: CheckpointStore;
  /** Metric names reported per epoch, loss first. */
  readonly metricNames: readonly string[];
  /** Seconds spent training, over all calls. */
  readonly elapsed: number;
  /** Evaluates data for {@link Run.evaluate}. */
  readonly evaluator: (data: unknown) => Promise<Record<string, number>>;
  /** The preprocessing fitted on the training part (the `preprocess` option), when there is one. */
  readonly preprocessing?: Preprocessing;
  /** Predicts for {@link Run.predict}. Defaults to the model's own predict() on features as they are. */
  readonly predictor?: (data: unknown) => tf.Tensor;
  /** True classes and scores of `data` (the test part when undefined), for classifier charts. */
  readonly scorer?: (data: unknown, where: string) => Promise<ScoredRows>;
}

/**
 * A training run; see the module comment. `M` names the metrics the model was compiled with and
 * `P` the prefix of the evaluation metrics (both `string`, any name, unless `compile()` and the
 * data's form tell them): they type {@link Run.history} and {@link Run.evaluate}.
 */
export class Run<M extends string = string, P extends string = string> implements RunFields {
  readonly id!: string;
  readonly name?: string;
  readonly dir?: string;
  readonly status!: Exclude<RunStatus, 'running'>;
  readonly stop!: StopDecision;
  readonly epoch!: number;
  readonly epochs!: number;
  readonly history!: readonly HistoryEntry<HistoryKey<M, P>>[];
  readonly best?: BestEpoch;
  readonly resumedFrom?: ResumePoint;
  readonly parent?: ParentRef;
  readonly reused!: boolean;
  readonly engine!: EngineInfo;
  readonly model!: tf.LayersModel;
  readonly checkpoints?: CheckpointStore;
  readonly metricNames!: readonly string[];
  readonly elapsed!: number;
  readonly evaluator!: (data: unknown) => Promise<Record<string, number>>;
  readonly preprocessing?: Preprocessing;
  readonly predictor?: (data: unknown) => tf.Tensor;
  readonly scorer?: (data: unknown, where: string) => Promise<ScoredRows>;

  constructor(fields: RunFields) {
    Object.assign(this, fields);
    Object.defineProperty(this, 'evaluator', { enumerable: false });
    Object.defineProperty(this, 'predictor', { enumerable: false });
    Object.defineProperty(this, 'scorer', { enumerable: false });
    Object.defineProperty(this, 'preprocessing', { enumerable: false });
    Object.defineProperty(this, 'model', { enumerable: false });
  }

  /**
   * Loss and metrics of the model on `data` (any form `train()` accepts; the same `features` and
   * `label` columns). Without `data`, the test part of the split the run was trained on.
   *
   * @example
   * const { test } = split(rows, { train: 0.8, validation: 0.1, test: 0.1 });
   * await run.evaluate(test);   // { loss: 0.031, mae: 0.12 }
   */
  evaluate(data?: TrainPart): Promise<Readonly<Record<'loss' | M, number>>> {
    return this.evaluator(data) as Promise<Readonly<Record<'loss' | M, number>>>;
  }

  /**
   * The model's predictions for `data`: a tensor or nested arrays of features, `{ xs }`, or raw
   * rows and arquero tables holding the run's `features` — through its preprocessing, when it was
   * trained with one (missing values imputed, categories encoded as on the training part).
   * Returns a tensor (dispose it, or read it with `.arraySync()`).
   *
   * @example
   * run.predict([{ income: 52000, age: null, purpose: 'car' }]).arraySync();   // [[0.12]]
   */
  predict(data: PredictInput): tf.Tensor {
    return this.predictor ? this.predictor(data) : (this.model.predict(data as tf.Tensor) as tf.Tensor);
  }

  /**
   * Writes the run's model as it is now — the weights it ended with (the best epoch's under
   * `restoreBest`) — to `dir` in the TensorFlow.js layers format, with its preprocessing when it was
   * trained with one, so that `loadModel(dir)` predicts from raw rows. Returns the directory. To
   * export a particular checkpoint instead, use `run.checkpoints.export(which, dir)`.
   *
   * @example
   * await result.best.run.export('models/loans');
   * (await loadModel('models/loans')).predict(rows).arraySync();
   */
  async export(dir: string): Promise<string> {
    const where = 'Run.export()';
    if (typeof dir !== 'string' || dir === '') fail(where, `\`dir\` must be a directory path, e.g. run.export('models/my-model'). Received: dir=${formatValue(dir)}.`);
    const target = path.resolve(dir);
    try {
      await saveLayersModel(this.model, target);
    } catch (error) {
      fail(where, `could not write the model to ${target}: ${(error as Error).message}. Choose a writable directory with free space.`);
    }
    if (this.preprocessing) await savePreprocessing(target, this.preprocessing, where);
    return target;
  }

  /**
   * The training chart (loss and metrics per epoch; best epoch, checkpoints and stop marked): shown
   * when it is a cell's result. With `file`, writes it as a standalone HTML page (for scripts, where
   * nothing draws charts) and returns the path.
   *
   * @example
   * run.plot();                          // in a notebook
   * run.plot({ file: 'run.html' });      // anywhere
   */
  plot(): TrainingPlot;
  plot(options: { file: string }): string;
  plot(options?: { file?: string }): TrainingPlot | string;
  plot(options: { file?: string } = {}): TrainingPlot | string {
    const chart = this.chart();
    return options.file === undefined ? chart : chart.write(options.file);
  }

  private chart(): TrainingPlot {
    const checkpoints = (this.checkpoints?.ids() ?? []).map((id) => parseCheckpointId(id)!).filter((position) => position.batch === 0).map((position) => position.epoch);
    return trainingPlot(this.history, { title: this.name ?? this.id, ...(this.best ? { best: this.best } : {}), metricNames: this.metricNames, checkpoints, stop: this.stop });
  }

  toString(): string {
    const best = this.best ? `, best ${this.best.monitor} ${formatMetric(this.best.value)} at epoch ${this.best.epoch}` : '';
    return `Run ${this.name ?? this.id}: ${this.status} after ${this.epoch}/${this.epochs} epochs${best}. ${this.stop.message}`;
  }

  /** Shown in a notebook: a summary table and the training chart. */
  [JUPYTER_DISPLAY](): MimeBundle {
    const last: HistoryEntry | undefined = this.history[this.history.length - 1];
    const rows: [string, string][] = [
      ['run', this.name ? `${this.name} (${this.id})` : this.id],
      ['status', this.status],
      ['epochs', `${this.epoch} / ${this.epochs}`],
      ['stop', this.stop.message],
      ['engine', describeEngine(this.engine)],
      ...(this.best ? ([['best', `${this.best.monitor} = ${formatMetric(this.best.value)} at epoch ${this.best.epoch}`]] as [string, string][]) : []),
      ...(last ? this.metricNames.filter((name) => name in last).map((name) => [name, formatMetric(last[name])] as [string, string]) : []),
      ...(this.resumedFrom ? ([['resumed from', this.resumedFrom.checkpoint]] as [string, string][]) : []),
      ...(this.parent ? ([['fine-tuned from', `${this.parent.id} (${this.parent.checkpoint})`]] as [string, string][]) : []),
      ...(this.dir ? ([['directory', this.dir]] as [string, string][]) : []),
    ];
    const table = `<table>${rows.map(([key, value]) => `<tr><th style="text-align:left">${escapeHtml(key)}</th><td style="text-align:left">${escapeHtml(value)}</td></tr>`).join('')}</table>`;
    // A table only: with a plotly MIME type present, front-ends would show the chart instead of
    // it. The chart is run.plot().
    return { 'text/plain': this.toString(), 'text/html': table };
  }

  toJSON(): Record<string, unknown> {
    const { evaluator: _evaluator, predictor: _predictor, scorer: _scorer, preprocessing: _preprocessing, model: _model, checkpoints, ...rest } = this as RunFields;
    return { ...rest, checkpoints: checkpoints?.dir };
  }
}

/** How a run's engine reads in its summary, e.g. `fused (2 threads)` or `tfjs — fused does not support …`. */
export function describeEngine(engine: EngineInfo): string {
  const threads = engine.threads !== undefined ? ` (${engine.threads} thread${engine.threads === 1 ? '' : 's'})` : '';
  return `${engine.name}${threads}${engine.reason ? ` — ${engine.reason}` : ''}`;
}
