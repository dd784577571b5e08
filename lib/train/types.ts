/**
 * The types `train()` infers from its arguments: which options the data's form needs (`features`
 * and `label` for tables and rows, none for `{ xs, ys }` and spaces; no `validation` with a
 * split), and the prefix of the metrics it evaluates (`val_` or `test_`), which with `compile()`'s
 * metric names types the run's history.
 */
import type { ColumnOptionsFor, IsSplit, TrainPartOf, ValidationFor } from '../data';
import type { TrainOptions } from './options';

export type { KnownOptions } from '../util/types';
export { TRAIN_OPTION_HINTS, type TrainOptionHints } from './options';

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
