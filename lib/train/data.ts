/**
 * Turns what `train()` accepts — `{ xs, ys }`, a table or rows with `features`/`label`, a `split()`
 * result, an `InputSpace` — into datasets the loop can draw mini-batches from, each with a content
 * fingerprint for the run identity.
 */
import { createHash } from 'node:crypto';
import { tf } from '../backend';
import { isArqueroTable, isTensor, viewData, type Tabular } from '../data';
import type { Batch, Dataset, Rows, RowWidths, TrainingData } from '../engines/data';
import { fail, formatValue, warn } from '../errors';
import { checkNumber } from '../util/options';
import { compiledClassificationMetrics, scoredRows } from '../metrics';
import type { Preprocessing } from '../preprocess';
import { Rng, type Seed } from '../random';
import { InputSpace } from '../tabulate';

/** Which columns are features and which the label, for tables and rows, and the preprocessing that turns the features into numbers. */
export interface ColumnChoice {
  readonly features?: readonly string[];
  readonly label?: string | readonly string[];
  readonly preprocess?: Preprocessing;
}

/** The parts of the data `train()` uses. */
export interface PreparedData extends TrainingData {
  readonly train: Dataset;
  /** Evaluated after every epoch; reported as `val_*` (validation) or `test_*` (a two-way split's test part). */
  readonly evaluation?: { readonly prefix: 'val_' | 'test_'; readonly data: Dataset };
  /** The test part of a split, for `run.evaluate()` without arguments. */
  readonly test?: unknown;
  /** The training input was a tabulated space. */
  readonly space?: InputSpace;
  /** What the identity should record about how validation was chosen. */
  readonly validation: string;
}

/**
 * Spaces up to `materialise` values (features + labels, 256 MB of float32) are tabulated once and
 * shuffled on the device; larger ones are gathered (and labelled) batch by batch. Tests lower it.
 */
export const spaceLimits = { materialise: 2 ** 26 };

/** True for the result of `split()`: an object whose keys are among train/validation/test. */
function isSplitResult(data: unknown): data is { train: unknown; validation?: unknown; test?: unknown } {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || isArqueroTable(data) || data instanceof InputSpace) return false;
  const keys = Object.keys(data);
  return keys.includes('train') && keys.every((key) => key === 'train' || key === 'validation' || key === 'test') && !isTensor((data as { train: unknown }).train);
}

/**
 * Prepares the training data (and the evaluation data) for `model`. `validation` is a fraction to
 * hold out (seeded by `seed`) or data of its own.
 */
export async function prepareData(
  model: tf.LayersModel,
  data: unknown,
  { validation, seed, columns, where }: { validation?: number | unknown; seed: Seed; columns: ColumnChoice; where: string },
): Promise<PreparedData> {
  if (columns.preprocess) checkFittedOn(columns.preprocess, isSplitResult(data) ? data.train : data, typeof validation === 'number', where);
  if (isSplitResult(data)) {
    if (validation !== undefined) {
      fail(where, '`validation` cannot be combined with a split() result: the split already says what to validate on. Add a validation part to the split instead.');
    }
    const train = await toDataset(model, data.train, columns, where, 'data.train');
    if (data.validation !== undefined) {
      return { train, evaluation: { prefix: 'val_', data: await toDataset(model, data.validation, columns, where, 'data.validation') }, test: data.test, validation: 'split' };
    }
    if (data.test !== undefined) {
      // The seed's two-way split: the evaluation set is watched during training as the test set.
      return { train, evaluation: { prefix: 'test_', data: await toDataset(model, data.test, columns, where, 'data.test') }, test: data.test, validation: 'split:test' };
    }
    return { train, validation: 'none' };
  }
  const space = data instanceof InputSpace ? data : undefined;
  const full = await toDataset(model, data, columns, where, 'data');
  if (validation === undefined) return { train: full, ...(space ? { space } : {}), validation: 'none' };
  if (typeof validation === 'number') {
    checkNumber(where, 'validation', validation, { min: 0, max: 1, open: 'both' }, { subject: '`validation` as a fraction' });
    if (space) {
      warn(
        where,
        'holding out part of a tabulated input space: it holds every possible input, so there is no unseen data to validate on, and the held-out points are inputs the model never learns. Train on the whole space and check it with space.evaluate(model).',
      );
    }
    const order = new Rng(`validation:${String(seed)}`).permutation(full.size);
    const count = Math.round(full.size * validation);
    if (count === 0 || count === full.size) fail(where, `\`validation\`=${validation} of ${full.size} rows leaves an empty part. Use a fraction that keeps rows on both sides.`);
    const validationPart = subset(full, Int32Array.from(order.subarray(0, count)).sort());
    const trainPart = subset(full, Int32Array.from(order.subarray(count)).sort());
    if (full instanceof TensorDataset) full.dispose();
    return { train: trainPart, evaluation: { prefix: 'val_', data: validationPart }, ...(space ? { space } : {}), validation: `fraction:${validation}` };
  }
  const held = await toDataset(model, validation, columns, where, 'validation');
  return { train: full, evaluation: { prefix: 'val_', data: held }, ...(space ? { space } : {}), validation: `data:${held.fingerprint}` };
}

/**
 * Preprocessing fitted on other rows than the training part lets statistics of the rows it
 * validates or tests on leak into training (and makes the run's results depend on them).
 */
function checkFittedOn(preprocess: Preprocessing, train: unknown, heldOut: boolean, where: string): void {
  if (!heldOut && isTabular(train) && preprocess.fittedOnData(train)) return;
  const what = heldOut ? 'a `validation` fraction is held out of the data it was fitted on' : `it was fitted on ${preprocess.fittedOn.rows} rows that are not the training part`;
  warn(where, `\`preprocess\`: ${what}, so statistics of rows the run does not train on leak into training. Split first, then fit on the training part: preprocess(parts.train, { features, … }).`);
}

function isTabular(data: unknown): data is Tabular {
  return isArqueroTable(data) || Array.isArray(data) || (typeof data === 'object' && data !== null && !isTensor(data) && !(data instanceof InputSpace));
}

/** Converts one part (any accepted form) into a dataset shaped for `model`. */
export async function toDataset(model: tf.LayersModel, data: unknown, columns: ColumnChoice, where: string, label: string): Promise<Dataset> {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    fail(where, `train() supports models with one input and one output; this model has ${model.inputs.length} inputs and ${model.outputs.length} outputs.`);
  }
  if (data instanceof InputSpace) return spaceDataset(model, data, where);
  const { xs, ys, owned, names } = toTensors(data, columns, where, label);
  try {
    const classes = sparseClasses(model);
    const shapedXs = shapeFor(xs, model.inputs[0].shape, where, `${label} features`, 'the model input');
    const shapedYs = shapeFor(ys, classes === undefined ? model.outputs[0].shape : sparseLabelShape(model.outputs[0].shape), where, `${label} labels`, classes === undefined ? 'the model output' : 'a sparse crossentropy (one class index per row)');
    if (shapedXs.shape[0] !== shapedYs.shape[0]) {
      fail(where, `${label} has ${shapedXs.shape[0]} rows of features but ${shapedYs.shape[0]} labels.`);
    }
    checkFinite(shapedXs, where, names.xs, 'feature');
    checkFinite(shapedYs, where, names.ys, 'value');
    if (classes !== undefined) checkClasses(shapedYs, classes, where, names.ys);
    const dataset = new TensorDataset(shapedXs, shapedYs, [...owned, ...(shapedXs !== xs ? [shapedXs] : []), ...(shapedYs !== ys ? [shapedYs] : [])]);
    return dataset;
  } catch (error) {
    tf.dispose(owned);
    throw error;
  }
}

/** Rows of features and labels held as two tensors. */
class TensorDataset implements Dataset {
  readonly size: number;
  readonly widths: RowWidths;
  private fingerprintCache?: string;

  constructor(
    readonly xs: tf.Tensor,
    readonly ys: tf.Tensor,
    private readonly owned: tf.Tensor[],
  ) {
    this.size = xs.shape[0];
    this.widths = { features: rowWidth(xs), labels: rowWidth(ys) };
  }

  rows(): Rows {
    return { xs: float32(this.xs), ys: float32(this.ys) };
  }

  gatherRows(indices: Int32Array): Rows {
    const { xs, ys } = this.batch(indices);
    const rows = { xs: float32(xs), ys: float32(ys) };
    tf.dispose([xs, ys]);
    return rows;
  }

  get fingerprint(): string {
    this.fingerprintCache ??= fingerprintTensors([this.xs, this.ys]);
    return this.fingerprintCache;
  }

  batch(indices: Int32Array): Batch {
    const index = tf.tensor1d(indices, 'int32');
    const batch = { xs: tf.gather(this.xs, index), ys: tf.gather(this.ys, index) };
    index.dispose();
    return batch;
  }

  batches(indices: Int32Array, sizes: readonly number[]): Batch[] {
    if (sizes.length === 1) return [this.batch(indices)];
    const { xs, ys } = this.batch(indices);
    const xParts = tf.split(xs, [...sizes]);
    const yParts = tf.split(ys, [...sizes]);
    tf.dispose([xs, ys]);
    return xParts.map((part, i) => ({ xs: part, ys: yParts[i] }));
  }

  async evaluate(model: tf.LayersModel, batchSize: number): Promise<number[]> {
    const values = readScalars(model.evaluate(this.xs, this.ys, { batchSize }));
    return overWholeSet(model, this.xs, this.ys, batchSize, values);
  }

  dispose(): void {
    tf.dispose(this.owned);
  }
}

/** Rows `indices` of another dataset (a held-out fraction). */
function subset(parent: Dataset, indices: Int32Array): Dataset {
  if (parent instanceof TensorDataset) {
    const index = tf.tensor1d(indices, 'int32');
    const xs = tf.gather(parent.xs, index);
    const ys = tf.gather(parent.ys, index);
    index.dispose();
    return new TensorDataset(xs, ys, [xs, ys]);
  }
  return new IndexedDataset(parent, indices);
}

/** A view of some rows of a streamed dataset. */
class IndexedDataset implements Dataset {
  readonly size: number;
  readonly fingerprint: string;
  readonly widths: RowWidths;

  constructor(
    private readonly parent: Dataset,
    private readonly indices: Int32Array,
  ) {
    this.size = indices.length;
    this.widths = parent.widths;
    this.fingerprint = createHash('sha256').update(parent.fingerprint).update(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength)).digest('hex');
  }

  batch(indices: Int32Array): Batch | Promise<Batch> {
    return this.parent.batch(indices.map((i) => this.indices[i]));
  }

  gatherRows(indices: Int32Array): Rows | Promise<Rows> {
    return this.parent.gatherRows(indices.map((i) => this.indices[i]));
  }

  evaluate(model: tf.LayersModel, batchSize: number): Promise<number[]> {
    return evaluateInChunks(this, model, batchSize);
  }

  dispose(): void {}
}

/** A tabulated space too large to hold: mini-batches are gathered (and labelled) on demand. */
class StreamedSpaceDataset implements Dataset {
  readonly size: number;
  readonly fingerprint: string;
  readonly widths: RowWidths;

  constructor(
    private readonly space: InputSpace,
    fingerprint: string,
  ) {
    this.size = space.size;
    this.fingerprint = fingerprint;
    this.widths = { features: space.featureCount, labels: space.labelCount };
  }

  async gatherRows(indices: Int32Array): Promise<Rows> {
    const { features, labels } = await this.space.gatherRows(indices);
    return { xs: features, ys: labels! };
  }

  async batch(indices: Int32Array): Promise<Batch> {
    const { xs, ys } = await this.space.gather(indices);
    return { xs, ys: ys! };
  }

  evaluate(model: tf.LayersModel, batchSize: number): Promise<number[]> {
    return evaluateInChunks(this, model, batchSize);
  }

  dispose(): void {}
}

async function spaceDataset(model: tf.LayersModel, space: InputSpace, where: string): Promise<Dataset> {
  if (!space.labelled) fail(where, 'the input space has no labels to train on. Pass `label` (or `labelBatch`) to tabulateInputSpace().');
  const width = space.featureCount + space.labelCount;
  const expectIn = model.inputs[0].shape.slice(1);
  const expectOut = model.outputs[0].shape.slice(1);
  if (expectIn.length !== 1 || (expectIn[0] !== null && expectIn[0] !== space.featureCount)) {
    fail(where, `the model takes inputs of shape [${expectIn.join(', ')}] but the space has ${space.featureCount} feature columns (${space.featureNames.join(', ')}).`);
  }
  if (expectOut.length !== 1 || (expectOut[0] !== null && expectOut[0] !== space.labelCount)) {
    fail(where, `the model predicts shape [${expectOut.join(', ')}] but the space has ${space.labelCount} label column(s).`);
  }
  if (space.size * width <= spaceLimits.materialise) {
    const xs = new Float32Array(space.size * space.featureCount);
    const ys = new Float32Array(space.size * space.labelCount);
    for await (const batch of space.batches(65536)) {
      xs.set(batch.xs.dataSync(), batch.start * space.featureCount);
      ys.set(batch.ys!.dataSync(), batch.start * space.labelCount);
    }
    const xt = tf.tensor2d(xs, [space.size, space.featureCount]);
    const yt = tf.tensor2d(ys, [space.size, space.labelCount]);
    return new TensorDataset(xt, yt, [xt, yt]);
  }
  // Fingerprint a fixed sample of the space: its shape, and features and labels of 4096 points.
  const sample = Int32Array.from({ length: 4096 }, (_, i) => Math.floor((i * (space.size - 1)) / 4095));
  const { xs, ys } = await space.gather(sample);
  const hash = createHash('sha256').update(JSON.stringify({ size: space.size, axes: space.axes, features: space.featureNames }));
  const fingerprint = createHash('sha256').update(hash.digest('hex')).update(fingerprintTensors([xs, ys!])).digest('hex');
  tf.dispose([xs, ys!]);
  return new StreamedSpaceDataset(space, fingerprint);
}

async function evaluateInChunks(dataset: Dataset, model: tf.LayersModel, batchSize: number): Promise<number[]> {
  const chunk = Math.max(batchSize, 4096);
  let totals: number[] | undefined;
  for (let start = 0; start < dataset.size; start += chunk) {
    const count = Math.min(chunk, dataset.size - start);
    const indices = Int32Array.from({ length: count }, (_, i) => start + i);
    const { xs, ys } = await dataset.batch(indices);
    const values = readScalars(model.evaluate(xs, ys, { batchSize }));
    tf.dispose([xs, ys]);
    totals = values.map((value, i) => (totals?.[i] ?? 0) + value * count);
  }
  return totals!.map((total) => total / dataset.size);
}

/**
 * Replaces the batch means of AUC, precision, recall and F1 in `values` (model.metricsNames order)
 * by their values over the whole set: a mean of per-batch AUCs is not the set's AUC.
 */
function overWholeSet(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, batchSize: number, values: number[]): number[] {
  const metrics = compiledClassificationMetrics(model);
  if (metrics.size === 0) return values;
  const predictions = model.predict(xs, { batchSize }) as tf.Tensor;
  const scored = scoredRows(ys.dataSync() as Float32Array, rowWidth(ys), float32(predictions), rowWidth(predictions), 'evaluate()');
  predictions.dispose();
  return values.map((value, i) => metrics.get(model.metricsNames[i])?.overSet(scored) ?? value);
}

function readScalars(result: tf.Scalar | tf.Scalar[]): number[] {
  const scalars = Array.isArray(result) ? result : [result];
  const values = scalars.map((scalar) => scalar.dataSync()[0]);
  tf.dispose(scalars);
  return values;
}

/**
 * The number of classes when `model` is compiled with a sparse categorical crossentropy (labels are
 * class indices, one per row, as `model.fit` takes them), else undefined.
 */
function sparseClasses(model: tf.LayersModel): number | undefined {
  const loss = (model as unknown as { loss?: unknown }).loss;
  const name = typeof loss === 'string' ? loss : typeof loss === 'function' ? loss.name : Array.isArray(loss) && loss.length === 1 ? loss[0] : undefined;
  if (name !== 'sparseCategoricalCrossentropy') return undefined;
  const last = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  return typeof last === 'number' ? last : undefined;
}

/** The label shape a sparse crossentropy takes for an output of `shape`: its last axis one class index. */
function sparseLabelShape(shape: (number | null)[]): (number | null)[] {
  return [...shape.slice(0, -1), 1];
}

/**
 * Refuses NaN and ±Infinity before training (they would only show up as a diverged loss, blaming
 * training), naming the row and the value's position in it.
 */
function checkFinite(tensor: tf.Tensor, where: string, name: string, what: 'feature' | 'value'): void {
  if (tensor.dtype !== 'float32') return;
  const values = tensor.dataSync() as Float32Array;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) continue;
    const width = rowWidth(tensor);
    const position = width > 1 ? ` (${what} ${i % width})` : '';
    const advice = Number.isNaN(values[i]) ? 'Impute or drop missing values before training (preprocess() imputes them from the training part).' : 'Drop or clip the row before training.';
    fail(where, `${name} holds ${values[i]} in row ${Math.floor(i / width)}${position}. ${advice}`);
  }
}

/** Class indices must be integers in [0, classes): tf.js would train on anything else silently. */
function checkClasses(labels: tf.Tensor, classes: number, where: string, name: string): void {
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const label = values[i];
    if (Number.isInteger(label) && label >= 0 && label < classes) continue;
    fail(where, `${name} holds class ${label} in row ${i}, but the model predicts ${classes} classes (0 to ${classes - 1}): with sparseCategoricalCrossentropy each label is a class index.`);
  }
}

/** The first value in nested `array` that is not a number (null, undefined, a string…), with its row and position. */
function firstNonNumber(array: readonly unknown[]): { row: number; position: number; value: unknown } | undefined {
  for (let row = 0; row < array.length; row++) {
    const cell = array[row];
    if (typeof cell === 'number' || typeof cell === 'boolean') continue;
    if (Array.isArray(cell)) {
      const flat = (cell as unknown[]).flat(Infinity);
      const position = flat.findIndex((value) => typeof value !== 'number' && typeof value !== 'boolean');
      if (position >= 0) return { row, position, value: flat[position] };
      continue;
    }
    if (ArrayBuffer.isView(cell)) continue;
    return { row, position: -1, value: cell };
  }
  return undefined;
}

/** Features and labels as tensors, from `{ xs, ys }` or columns chosen by `features`/`label`. */
function toTensors(data: unknown, { features, label, preprocess }: ColumnChoice, where: string, part: string): { xs: tf.Tensor; ys: tf.Tensor; owned: tf.Tensor[]; names: { xs: string; ys: string } } {
  if (typeof data !== 'object' || data === null) {
    fail(where, `${part} must be { xs, ys }, an arquero table or rows with \`features\` and \`label\`, a split() result or an InputSpace. Received: ${part}=${formatValue(data)}.`);
  }
  const record = data as Record<string, unknown>;
  if (features === undefined && label === undefined && !isArqueroTable(data) && !Array.isArray(data)) {
    if (preprocess) fail(where, `\`preprocess\` reads the feature columns of a table or rows; ${part} has none named. Pass \`features\` and \`label\`.`);
    if (!('xs' in record) || !('ys' in record)) {
      const names = Object.keys(record);
      fail(where, `${part} has columns ${names.join(', ')}: pass { xs, ys }, or name the columns with the \`features\` and \`label\` options.`);
    }
    const owned: tf.Tensor[] = [];
    const xs = columnTensor(record.xs, where, `${part}.xs`, owned, 'feature');
    const ys = columnTensor(record.ys, where, `${part}.ys`, owned, 'value');
    return { xs, ys, owned, names: { xs: `${part}.xs`, ys: `${part}.ys` } };
  }
  if (features === undefined || label === undefined) {
    fail(where, `name the columns to train on: \`features\` (a list of column names) and \`label\` (a column name or list). Received: features=${formatValue(features)}, label=${formatValue(label)}.`);
  }
  if (preprocess && JSON.stringify(features) !== JSON.stringify(preprocess.features)) {
    fail(where, `\`features\` must be the columns \`preprocess\` was fitted on, in its order: ${formatValue(preprocess.features)}. Received: features=${formatValue(features)}.`);
  }
  const view = viewData(data as Tabular, where);
  const labels = typeof label === 'string' ? [label] : label;
  const xs = preprocess ? { values: preprocess.transform(data as Tabular, where).values, width: preprocess.width } : matrix(view.size, features.map((name) => view.column(name, 'features')), where, 'features', features);
  const ys = matrix(view.size, labels.map((name) => view.column(name, 'label')), where, 'label', labels);
  const xt = tf.tensor2d(xs.values, [view.size, xs.width]);
  const yt = tf.tensor2d(ys.values, [view.size, ys.width]);
  return { xs: xt, ys: yt, owned: [xt, yt], names: { xs: `${part} features`, ys: `${part} labels` } };
}

/**
 * The features of `data` for prediction, as the model's input tensor: a tensor as it is, nested
 * arrays of numbers, `{ xs }`, or rows / a table whose feature columns `columns` names (through its
 * preprocessing, when there is one). The caller disposes the result when it is not `data` itself.
 */
export function featureTensor(data: unknown, { features, preprocess }: ColumnChoice, where: string): tf.Tensor {
  if (isTensor(data)) return data;
  if (typeof data === 'object' && data !== null && !Array.isArray(data) && !isArqueroTable(data) && 'xs' in data) return featureTensor((data as { xs: unknown }).xs, {}, where);
  const rowsOrColumns = Array.isArray(data) ? data.length > 0 && typeof data[0] === 'object' && data[0] !== null && !Array.isArray(data[0]) : typeof data === 'object' && data !== null && !ArrayBuffer.isView(data);
  const tabular = isArqueroTable(data) || rowsOrColumns;
  if (!tabular) {
    if (preprocess) fail(where, `this run preprocesses raw rows: pass rows or an arquero table with columns ${preprocess.features.join(', ')} (or a tensor of preprocessed features). Received: ${formatValue(data)}.`);
    const owned: tf.Tensor[] = [];
    return columnTensor(data, where, 'data', owned, 'feature');
  }
  if (preprocess) return preprocess.transformTensor(data as Tabular, where);
  if (features === undefined) fail(where, 'the run was trained on { xs, ys }: pass features as a tensor or nested arrays of numbers (or { xs }).');
  const view = viewData(data as Tabular, where);
  const xs = matrix(view.size, features.map((name) => view.column(name, 'features')), where, 'features', features);
  return tf.tensor2d(xs.values, [view.size, xs.width]);
}

function columnTensor(value: unknown, where: string, name: string, owned: tf.Tensor[], what: 'feature' | 'value'): tf.Tensor {
  if (isTensor(value)) return value;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    // tf.tensor() reads null as 0: a missing value would train silently.
    const missing = Array.isArray(value) ? firstNonNumber(value) : undefined;
    if (missing) {
      const position = missing.position >= 0 ? ` (${what} ${missing.position})` : '';
      fail(where, `${name} holds ${formatValue(missing.value)} in row ${missing.row}${position}. Impute or drop missing values before training (preprocess() imputes them from the training part).`);
    }
    try {
      const tensor = ArrayBuffer.isView(value) ? tf.tensor(value as Float32Array) : tf.tensor(value as number[]);
      owned.push(tensor);
      return tensor;
    } catch (error) {
      fail(where, `${name} must be numbers (or nested arrays of numbers of one shape). ${(error as Error).message}`);
    }
  }
  return fail(where, `${name} must be a tensor, an array or a typed array. Received: ${name}=${formatValue(value)}.`);
}

/** Columns of numbers (or of equal-length number arrays) side by side as a row-major matrix. */
function matrix(rows: number, columns: readonly (readonly unknown[])[], where: string, option: string, names: readonly string[]): { values: Float32Array; width: number } {
  const widths = columns.map((column, c) => {
    // The first present value sets the width; a missing one is named where it is met below.
    let row = 0;
    while (row + 1 < rows && (column[row] === null || column[row] === undefined)) row++;
    const first = column[row];
    if (first === null || first === undefined) return 1;
    if (typeof first === 'number' || typeof first === 'boolean') return 1;
    if (Array.isArray(first) || ArrayBuffer.isView(first)) return (first as ArrayLike<number>).length;
    return badCell(where, option, names[c], row, first);
  });
  const width = widths.reduce((sum, w) => sum + w, 0);
  const values = new Float32Array(rows * width);
  let offset = 0;
  columns.forEach((column, c) => {
    for (let r = 0; r < rows; r++) {
      const cell = column[r];
      if (widths[c] === 1) {
        const number = typeof cell === 'boolean' ? Number(cell) : cell;
        if (typeof number !== 'number' || !Number.isFinite(number)) badCell(where, option, names[c], r, cell);
        values[r * width + offset] = number as number;
      } else {
        const cells = cell as ArrayLike<number>;
        if (!cells || cells.length !== widths[c]) fail(where, `\`${option}\` column ${formatValue(names[c])} has arrays of different lengths (row ${r}).`);
        for (let k = 0; k < widths[c]; k++) {
          const value = typeof cells[k] === 'boolean' ? Number(cells[k]) : cells[k];
          if (typeof value !== 'number' || !Number.isFinite(value)) badCell(where, option, names[c], r, value, k);
          values[r * width + offset + k] = value;
        }
      }
    }
    offset += widths[c];
  });
  return { values, width };
}

/** Names a missing, non-finite or non-number cell of a table column, and what to do about it. */
function badCell(where: string, option: string, column: string, row: number, value: unknown, position?: number): never {
  const inArray = position === undefined ? '' : ` (value ${position} of its arrays)`;
  const shown = typeof value === 'number' ? String(value) : value === null ? 'null' : value === undefined ? 'no value' : formatValue(value);
  const advice =
    value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))
      ? 'Impute or drop missing values before training: preprocess() imputes them from the training part.'
      : typeof value === 'number'
        ? 'Drop or clip the row before training.'
        : option === 'label'
          ? 'Encode the labels as numbers first: class indices 0, 1, … (or 0/1 for two classes).'
          : 'Encode categories as numbers first: preprocess() one-hot encodes columns of strings, fitted on the training part.';
  return fail(where, `\`${option}\` column ${formatValue(column)} holds ${shown} in row ${row}${inArray}. ${advice}`);
}

/** Reshapes `tensor` ([n, ...]) to the model's `[null, ...]` shape when the sizes agree. */
function shapeFor(tensor: tf.Tensor, expected: (number | null)[], where: string, name: string, what: string): tf.Tensor {
  const inner = expected.slice(1);
  const actual = tensor.shape.slice(1);
  if (inner.length === actual.length && inner.every((size, i) => size === null || size === actual[i])) return tensor;
  if (inner.every((size) => size !== null)) {
    const wanted = (inner as number[]).reduce((product, size) => product * size, 1);
    const have = actual.reduce((product, size) => product * size, 1);
    if (wanted === have && tensor.rank >= 1) return tensor.reshape([tensor.shape[0], ...(inner as number[])]);
  }
  return fail(where, `${name} have shape [${tensor.shape.join(', ')}] but ${what} expects [null, ${inner.map((size) => size ?? 'null').join(', ')}] (rows first).`);
}

/** Values per row of a [rows, ...] tensor. */
function rowWidth(tensor: tf.Tensor): number {
  return tensor.shape.slice(1).reduce((product, size) => product * size, 1);
}

/** A tensor's values as float32 (a copy when they are held as another type). */
function float32(tensor: tf.Tensor): Float32Array {
  const values = tensor.dataSync();
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

/** sha256 over the shapes, dtypes and values of `tensors`. */
function fingerprintTensors(tensors: readonly tf.Tensor[]): string {
  const hash = createHash('sha256');
  for (const tensor of tensors) hash.update(tensorDigest(tensor));
  return hash.digest('hex');
}

// Tensors never change (variables aside), so a re-executed cell training on the same tensors
// does not hash them again.
const digests = new WeakMap<tf.Tensor, string>();

function tensorDigest(tensor: tf.Tensor): string {
  const cached = tensor instanceof tf.Variable ? undefined : digests.get(tensor);
  if (cached) return cached;
  const values = tensor.dataSync() as Float32Array;
  const digest = createHash('sha256')
    .update(`${tensor.dtype}[${tensor.shape.join(',')}]`)
    .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');
  if (!(tensor instanceof tf.Variable)) digests.set(tensor, digest);
  return digest;
}
