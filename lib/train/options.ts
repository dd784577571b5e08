/**
 * `train()`'s options: what each means ({@link TrainOptions}), and how a call's options are checked
 * and resolved into the settings it trains with (defaults, environment variables).
 */
import { tf } from '../backend';
import type { Callback } from '../callbacks';
import { checkName } from '../checkpoint/format';
import { checkpoint, CheckpointStore, type CheckpointOptions } from '../checkpoint/store';
import { EarlyStopper, type EarlyStopOptions } from '../earlystop';
import type { EngineChoice } from '../engines/engine';
import { engineSettings } from '../engines/select';
import { fail, formatValue } from '../errors';
import { checkBoolean, checkInteger, checkKeys, failOption, type OptionKeys } from '../util/options';
import { Preprocessing } from '../preprocess';
import { checkSeed, getSeed, type Seed } from '../random';
import type { LearningRateOption } from '../schedules';
import type { ColumnChoice } from './data';
import type { Run } from './run';

const WHERE = 'train()';

/**
 * What an option that `train()` does not take probably meant — Keras and tf.js names, and options
 * of earlyStop() put on train() — for the type error and the runtime error alike.
 */
export const TRAIN_OPTION_HINTS = {
  patience: 'early stopping takes it, as train(model, data, { earlyStop: earlyStop({ patience }) })',
  minDelta: 'early stopping takes it, as train(model, data, { earlyStop: earlyStop({ minDelta }) })',
  monitor: "early stopping and checkpoints take it, as earlyStop({ monitor }) or checkpoint({ monitor })",
  restoreBest: 'early stopping takes it, as train(model, data, { earlyStop: earlyStop({ restoreBest }) })',
  baseline: 'early stopping takes it, as train(model, data, { earlyStop: earlyStop({ baseline }) })',
  epoch: 'did you mean epochs?',
  batch_size: 'did you mean batchSize?',
  lr: 'did you mean learningRate?',
  validationSplit: 'did you mean validation (a fraction such as 0.2)?',
  validationData: 'did you mean validation (data in the same form as the training data)?',
  verbose: 'did you mean progress (true or false) or plot?',
  preprocessing: 'did you mean preprocess (a preprocess() helper)?',
} as const satisfies Readonly<Record<string, string>>;

/** {@link TRAIN_OPTION_HINTS} as a type: the unknown-option messages `train()` type-checks with. */
export type TrainOptionHints = typeof TRAIN_OPTION_HINTS;

/** Options of `train()`. */
export interface TrainOptions {
  /** Number of epochs to train (in total, over all calls of the run). Required. */
  readonly epochs: number;
  /** Names the run (its directory); without it the id is derived from the run's identity. Defaults to none. */
  readonly name?: string;
  /** Rows per mini-batch. Defaults to 32. */
  readonly batchSize?: number;
  /** A fraction of the data to hold out (seeded), or validation data in any accepted form. Defaults to none. */
  readonly validation?: number | unknown;
  /** Seed of the data order and dropout. Defaults to the global seed (see setSeed). */
  readonly seed?: Seed;
  /** Shuffle the rows every epoch (in a seeded order). Defaults to true. */
  readonly shuffle?: boolean;
  /** A checkpoint() store, a directory, its options, or false for no checkpoints. Defaults to checkpoint('checkpoints'). */
  readonly checkpoint?: CheckpointStore | CheckpointOptions | string | boolean;
  /** An earlyStop() stopper or its options. Defaults to none. */
  readonly earlyStop?: EarlyStopper | EarlyStopOptions | false;
  /** A rate, a function (epoch, step) => rate, or a schedule such as stepDecay(). Defaults to the compiled optimizer's rate. */
  readonly learningRate?: LearningRateOption;
  /** Callbacks with hooks onTrainBegin/End, onEpochBegin/End, onBatchBegin/End. Defaults to none. */
  readonly callbacks?: Callback | readonly Callback[];
  /** Show the live chart (notebook) and progress; false turns both off. Defaults to true. */
  readonly plot?: boolean;
  /** Show progress (a bar on stderr, or a line in a notebook). Defaults to true. */
  readonly progress?: boolean;
  /**
   * 'auto' continues the matching run (a finished one returns at once), 'fresh' starts over,
   * 'require' fails if there is nothing to resume, 'continue' is 'auto' that also trains on an
   * early-stopped run — from its latest checkpoint, with this call's `earlyStop` (say, a larger
   * patience) up to `epochs`. Defaults to 'auto'.
   */
  readonly resume?: 'auto' | 'fresh' | 'require' | 'continue';
  /** Stops training at the next step when aborted (a notebook interrupt does this). Defaults to the cell's signal. */
  readonly signal?: AbortSignal;
  /** Fine-tuning: start from another run's weights: a Run, its directory, or { run, checkpoint }. Defaults to none. */
  readonly from?: Run | string | { readonly run: Run | string; readonly checkpoint?: 'latest' | 'best' | string };
  /** Feature column names, for tables and rows. Defaults to none ({ xs, ys } needs none). */
  readonly features?: readonly string[];
  /** Label column name(s), for tables and rows. Defaults to none. */
  readonly label?: string | readonly string[];
  /**
   * Preprocessing fitted on the training part (see preprocess()): train() applies it to every part,
   * stores it in the run's directory, and `run.evaluate()`, `run.predict()` and exports apply it
   * to raw rows. Needs `features` (the columns it was fitted on) and `label`. Defaults to none.
   */
  readonly preprocess?: Preprocessing;
  /** Batch size for evaluating validation data. Defaults to max(batchSize, 256). */
  readonly evaluationBatchSize?: number;
  /**
   * What runs the steps: 'fused' (the WebAssembly engine, for the dense networks it supports),
   * 'tfjs' (the model's own training function, any model), or 'auto' — fused when it supports the
   * model, else tfjs, with the reason in `run.engine.reason`. Defaults to the CELLFIT_ENGINE
   * environment variable, else 'auto'.
   */
  readonly engine?: EngineChoice;
  /** Threads the fused engine splits large batches over (results do not depend on it). Defaults to the CELLFIT_THREADS environment variable, else the machine's cores. */
  readonly threads?: number;
}

const TRAIN_KEYS = {
  epochs: true, name: true, batchSize: true, validation: true, seed: true, shuffle: true, checkpoint: true, earlyStop: true, learningRate: true, callbacks: true,
  plot: true, progress: true, resume: true, signal: true, from: true, features: true, label: true, preprocess: true, evaluationBatchSize: true, engine: true, threads: true,
} as const satisfies OptionKeys<TrainOptions>;

/** What a call trains with: its options checked, with their defaults. */
export interface TrainSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: Seed;
  readonly shuffle: boolean;
  readonly resume: 'auto' | 'fresh' | 'require' | 'continue';
  readonly name?: string;
  readonly validation?: unknown;
  readonly columns: ColumnChoice;
  readonly evaluationBatchSize: number;
  readonly engine: EngineChoice;
  readonly threads: number;
  readonly show: { readonly plot: boolean; readonly progress: boolean };
}


/** Checks `options` (and `model`) and resolves them into the settings the call trains with. */
export function resolveTrainOptions(model: tf.LayersModel, options: TrainOptions): TrainSettings {
  if (!(model instanceof tf.LayersModel)) fail(WHERE, `model must be a tfjs LayersModel (tf.sequential() or tf.model()). Received: ${formatValue(model)}.`);
  if (typeof options !== 'object' || options === null) fail(WHERE, `options must be an object such as { epochs: 10 }. Received: ${formatValue(options)}.`);
  checkKeys(WHERE, options, TRAIN_KEYS, TRAIN_OPTION_HINTS);
  const { epochs, batchSize = 32, seed = getSeed(), shuffle = true, resume = 'auto', name, plot = true, progress = true } = options;
  checkInteger(WHERE, 'epochs', epochs, 1);
  checkInteger(WHERE, 'batchSize', batchSize, 1);
  checkSeed(seed, WHERE);
  checkBoolean(WHERE, 'shuffle', shuffle);
  checkBoolean(WHERE, 'plot', plot);
  checkBoolean(WHERE, 'progress', progress);
  if (!['auto', 'fresh', 'require', 'continue'].includes(resume)) failOption(WHERE, 'resume', resume, "'auto', 'fresh', 'require' or 'continue'");
  if (name !== undefined) checkName(name, 'name', WHERE);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) failOption(WHERE, 'signal', options.signal, 'an AbortSignal');
  const { engine, threads } = engineSettings(options, WHERE);
  const evaluationBatchSize = options.evaluationBatchSize ?? Math.max(batchSize, 256);
  checkInteger(WHERE, 'evaluationBatchSize', evaluationBatchSize, 1);
  if (options.features !== undefined && (!Array.isArray(options.features) || options.features.some((feature) => typeof feature !== 'string'))) {
    fail(WHERE, `\`features\` must be a list of column names. Received: features=${formatValue(options.features)}.`);
  }
  if (options.preprocess !== undefined && !(options.preprocess instanceof Preprocessing)) {
    fail(WHERE, `\`preprocess\` must be preprocess(parts.train, { features, … }): preprocessing fitted on the training part. Received: preprocess=${formatValue(options.preprocess)}.`);
  }
  if (options.earlyStop !== undefined && options.earlyStop !== false && (typeof options.earlyStop !== 'object' || options.earlyStop === null)) {
    fail(WHERE, `\`earlyStop\` must be earlyStop({...}) or its options. Received: earlyStop=${formatValue(options.earlyStop)}.`);
  }
  return {
    epochs,
    batchSize,
    seed,
    shuffle,
    resume,
    ...(name !== undefined ? { name } : {}),
    ...(options.validation !== undefined ? { validation: options.validation } : {}),
    columns: { ...(options.features ? { features: options.features } : {}), ...(options.label !== undefined ? { label: options.label } : {}), ...(options.preprocess ? { preprocess: options.preprocess } : {}) },
    evaluationBatchSize,
    engine,
    threads,
    show: { plot, progress: progress && plot },
  };
}


/** The checkpoint store of the `checkpoint` option, or undefined for none. */
export function resolveStore(option: TrainOptions['checkpoint']): CheckpointStore | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true) return checkpoint('checkpoints');
  if (option instanceof CheckpointStore) return option;
  if (typeof option === 'string' || (typeof option === 'object' && option !== null)) return checkpoint(option as string | CheckpointOptions);
  return fail(WHERE, `\`checkpoint\` must be checkpoint({...}), a directory, its options, or false. Received: checkpoint=${formatValue(option)}.`);
}

