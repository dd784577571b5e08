/**
 * The engines' input contract: what an engine draws its training rows and evaluation data from.
 * The training layer (lib/train/data.ts) turns what `train()` accepts into these datasets; the
 * engines read them and know nothing of tables, splits or input spaces.
 */
import type { tf } from '../backend';

/** A source of mini-batches. */
export interface Dataset {
  readonly size: number;
  /** sha256 of the content (features and labels, shapes and values). */
  readonly fingerprint: string;
  /** Features and labels of the rows at `indices` (the caller disposes them). */
  batch(indices: Int32Array): Batch | Promise<Batch>;
  /**
   * The rows at `indices` cut into consecutive batches of `sizes` rows: one gather for many
   * batches, which costs far less per batch than a gather each (the caller disposes them).
   */
  batches?(indices: Int32Array, sizes: readonly number[]): Batch[];
  /** Mean loss and metrics over the whole dataset, in `model.metricsNames` order. */
  evaluate(model: tf.LayersModel, batchSize: number): Promise<number[]>;
  /** Frees tensors this dataset created (never the caller's). */
  dispose(): void;
  /** Values per row of the features and of the labels (the shapes after the first axis, flattened). */
  readonly widths: RowWidths;
  /**
   * Every row at once as row-major float32 arrays, when the dataset holds them (a copy read once;
   * the fused engine keeps the rows in its own memory and gathers batches there).
   */
  rows?(): Rows;
  /** The rows at `indices` as row-major float32 arrays (data too large to hold is gathered so). */
  gatherRows(indices: Int32Array): Rows | Promise<Rows>;
}

/** Values per row of features and labels. */
export interface RowWidths {
  readonly features: number;
  readonly labels: number;
}

/** Rows as row-major float32 arrays. */
export interface Rows {
  readonly xs: Float32Array;
  readonly ys: Float32Array;
}

/** One mini-batch as tensors. */
export interface Batch {
  readonly xs: tf.Tensor;
  readonly ys: tf.Tensor;
}

/** The data of one training call as the engine choice sees it: the training rows and what is evaluated after each epoch. */
export interface TrainingData {
  readonly train: Dataset;
  readonly evaluation?: { readonly data: Dataset };
}
