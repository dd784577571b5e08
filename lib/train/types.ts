/**
 * The types `train()` infers from its arguments: which options the data's form needs (`features`
 * and `label` for tables and rows, none for `{ xs, ys }` and spaces; no `validation` with a
 * split), and the prefix of the metrics it evaluates (`val_` or `test_`), which with `compile()`'s
 * metric names types the run's history.
 */
import type { ColumnOptionsFor, IsSplit, TrainPartOf, ValidationFor } from '../data';
import type { TrainOptions } from './train';

export type { KnownOptions } from '../util/types';

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

/**
 * `train()`'s options for data `D`: those of {@link TrainOptions}, with `validation` of the
 * data's form (see `ValidationFor`) and, for tables, rows and named columns, the `features` and
 * `label` columns of the data (see `ColumnOptionsFor`).
 */
export type TrainOptionsFor<D> = Omit<TrainOptions, 'validation' | 'features' | 'label'> & { readonly validation?: ValidationFor<D> } & ColumnOptionsFor<TrainPartOf<D>>;

/**
 * The prefix of the metrics a run evaluates after every epoch: `val_` with validation data (a
 * `validation` option, or a split with a validation part), `test_` for a train/test split, none
 * otherwise.
 */
export type EvaluationPrefix<D, O> = IsSplit<D> extends true
  ? D extends { readonly validation: object }
    ? 'val_'
    : D extends { readonly test: object }
      ? 'test_'
      : never
  : O extends { readonly validation: number | object }
    ? 'val_'
    : never;
