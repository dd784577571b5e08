/**
 * Classification metrics — `auc`, `precision`, `recall`, `f1` — and the confusion matrix and ROC
 * curve behind them. Each metric is a tf.js metric function (so `model.compile({ metrics: [auc] })`
 * and cellfit's `compile(model, { metrics: ['auc'] })` take it) that also knows how to compute
 * itself over a whole set: per-batch means of AUC or F1 are not the AUC or F1 of the set, so
 * `train()` evaluates validation and test data with the whole-set formula (as scikit-learn does),
 * while the training metric stays a mean over batches (as tf.js and Keras without state report it).
 *
 * Binary classifiers (one sigmoid output, labels 0/1) count a score ≥ `threshold` (0.5) as
 * positive. Multi-class ones (k softmax outputs; labels as class indices or one-hot rows) are
 * averaged over the classes one-vs-rest ("macro" averaging), the predicted class being the argmax.
 */
import { tf } from './backend';
import { fail, formatValue } from './errors';

/** Labels and scores of a set, as the whole-set formulas read them. */
export interface ScoredRows {
  /** The true class of each row (0/1 for a binary classifier). */
  readonly classes: Int32Array;
  /** Scores per row: `width` values (1 for a binary classifier: the positive class's probability). */
  readonly scores: Float32Array;
  /** Values per row of `scores`: 1 for a binary classifier, else the number of classes. */
  readonly width: number;
}

/** The names of the classification metrics. */
export type ClassificationMetricName = 'auc' | 'precision' | 'recall' | 'f1';

/** A classification metric: a tf.js metric function named `N`, with its whole-set formula. */
export interface ClassificationMetric<N extends ClassificationMetricName = ClassificationMetricName> {
  (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar;
  /** The name tf.js reports it under (`auc`, `val_auc`). */
  readonly name: N;
  /** The metric over a whole set. */
  readonly overSet: (scored: ScoredRows) => number;
}

/** Rows' true classes and scores from label and prediction values. */
export function scoredRows(labels: ArrayLike<number>, labelWidth: number, scores: Float32Array, width: number, where = 'metrics'): ScoredRows {
  const rows = width === 0 ? 0 : scores.length / width;
  const classes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (labelWidth === 1) {
      const label = labels[r];
      classes[r] = width === 1 ? (label >= 0.5 ? 1 : 0) : label;
    } else {
      let best = 0;
      for (let k = 1; k < labelWidth; k++) if (labels[r * labelWidth + k] > labels[r * labelWidth + best]) best = k;
      classes[r] = best;
    }
    if (width > 1 && !(classes[r] >= 0 && classes[r] < width)) fail(where, `row ${r} has class ${formatValue(labels[r])}, but the model predicts ${width} classes.`);
  }
  return { classes, scores, width };
}

/** The predicted class of each row: score ≥ `threshold` for a binary classifier, else the argmax. */
export function predictedClasses({ scores, width }: Pick<ScoredRows, 'scores' | 'width'>, threshold = 0.5): Int32Array {
  const rows = scores.length / width;
  const predicted = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (width === 1) {
      predicted[r] = scores[r] >= threshold ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let k = 1; k < width; k++) if (scores[r * width + k] > scores[r * width + best]) best = k;
    predicted[r] = best;
  }
  return predicted;
}

/**
 * Counts per (true class, predicted class): `matrix[t][p]` rows of class `t` predicted as `p`.
 *
 * @example
 * confusionMatrix(scoredRows([0, 1, 1], 1, Float32Array.of(0.2, 0.7, 0.4), 1)).matrix; // [[1, 0], [1, 1]]
 */
export function confusionMatrix(scored: ScoredRows, threshold = 0.5): { readonly classes: number; readonly matrix: number[][] } {
  const classes = Math.max(2, scored.width);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const predicted = predictedClasses(scored, threshold);
  scored.classes.forEach((truth, r) => matrix[truth][predicted[r]]++);
  return { classes, matrix };
}

/** Area under the ROC curve of scores for "is `positive`" (Mann–Whitney, ties counted half); 0 when a class is absent. */
function binaryAuc(isPositive: (row: number) => boolean, score: (row: number) => number, rows: number): number {
  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => score(a) - score(b));
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < rows; ) {
    let end = start;
    while (end + 1 < rows && score(order[end + 1]) === score(order[start])) end++;
    const rank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) {
      if (isPositive(order[i])) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = rows - positives;
  if (positives === 0 || negatives === 0) return 0;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The binary or per-class (one-vs-rest) values of `perClass`, averaged over the classes. */
function macro(scored: ScoredRows, perClass: (positive: number) => number): number {
  if (scored.width === 1) return perClass(1);
  let sum = 0;
  for (let k = 0; k < scored.width; k++) sum += perClass(k);
  return sum / scored.width;
}

function aucOverSet(scored: ScoredRows): number {
  const { classes, scores, width } = scored;
  const rows = classes.length;
  if (width === 1) return binaryAuc((r) => classes[r] === 1, (r) => scores[r], rows);
  return macro(scored, (k) => binaryAuc((r) => classes[r] === k, (r) => scores[r * width + k], rows));
}

/** True positives, false positives and false negatives of class `positive`. */
function counts(scored: ScoredRows, predicted: Int32Array, positive: number): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  scored.classes.forEach((truth, r) => {
    if (predicted[r] === positive) truth === positive ? tp++ : fp++;
    else if (truth === positive) fn++;
  });
  return { tp, fp, fn };
}

// Undefined ratios (no predicted or no actual positives) count as 0, as scikit-learn's zero_division default does.
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function precisionOverSet(scored: ScoredRows): number {
  const predicted = predictedClasses(scored);
  return macro(scored, (k) => {
    const { tp, fp } = counts(scored, predicted, k);
    return ratio(tp, tp + fp);
  });
}

function recallOverSet(scored: ScoredRows): number {
  const predicted = predictedClasses(scored);
  return macro(scored, (k) => {
    const { tp, fn } = counts(scored, predicted, k);
    return ratio(tp, tp + fn);
  });
}

function f1OverSet(scored: ScoredRows): number {
  const predicted = predictedClasses(scored);
  return macro(scored, (k) => {
    const { tp, fp, fn } = counts(scored, predicted, k);
    return ratio(2 * tp, 2 * tp + fp + fn);
  });
}

/** A tf.js metric function named `name` that computes `overSet` on the batch. */
function classificationMetric<N extends ClassificationMetricName>(name: N, overSet: (scored: ScoredRows) => number): ClassificationMetric<N> {
  const metric = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar => {
    const width = yPred.shape.slice(1).reduce<number>((product, size) => product * size, 1);
    const labelWidth = yTrue.shape.slice(1).reduce<number>((product, size) => product * size, 1);
    // Read synchronously inside the training step: the value is reported, never differentiated.
    return tf.scalar(overSet(scoredRows(yTrue.dataSync() as Float32Array, labelWidth, yPred.dataSync() as Float32Array, width, name)));
  };
  Object.defineProperty(metric, 'name', { value: name });
  return Object.assign(metric, { overSet }) as unknown as ClassificationMetric<N>;
}

/**
 * Area under the ROC curve (macro one-vs-rest for several classes). A compile metric:
 *
 * @example
 * compile(model, { optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', auc] });
 * // or by name: metrics: ['accuracy', 'auc']
 */
export const auc: ClassificationMetric<'auc'> = classificationMetric('auc', aucOverSet);
/** Of the rows predicted positive, the share that are (macro-averaged over classes). @example compile(model, { loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['precision'] }); */
export const precision: ClassificationMetric<'precision'> = classificationMetric('precision', precisionOverSet);
/** Of the positive rows, the share predicted so (macro-averaged over classes). @example compile(model, { loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['recall'] }); */
export const recall: ClassificationMetric<'recall'> = classificationMetric('recall', recallOverSet);
/** The harmonic mean of precision and recall (macro-averaged over classes). @example compile(model, { loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['f1'] }); */
export const f1: ClassificationMetric<'f1'> = classificationMetric('f1', f1OverSet);

/** The classification metrics by name, for `compile()`'s string names. */
export const CLASSIFICATION_METRICS: Readonly<Record<ClassificationMetricName, ClassificationMetric>> = { auc, precision, recall, f1 };

/** True for one of cellfit's classification metrics. */
export function isClassificationMetric(value: unknown): value is ClassificationMetric {
  return typeof value === 'function' && typeof (value as Partial<ClassificationMetric>).overSet === 'function' && Object.values(CLASSIFICATION_METRICS).includes(value as ClassificationMetric);
}

/** The classification metrics `model` was compiled with, by the name tf.js reports them under. */
export function compiledClassificationMetrics(model: tf.LayersModel): Map<string, ClassificationMetric> {
  const compiled = (model as unknown as { metrics?: unknown }).metrics;
  const list = Array.isArray(compiled) ? compiled : compiled === undefined ? [] : [compiled];
  return new Map(list.filter(isClassificationMetric).map((metric) => [metric.name, metric]));
}

/**
 * Points of the ROC curve (false-positive rate, true-positive rate) of a binary classifier's
 * scores, one per distinct threshold, from (0, 0) to (1, 1); for several classes, class `positive`
 * against the rest.
 */
export function rocCurve(scored: ScoredRows, positive = 1): { readonly fpr: number[]; readonly tpr: number[]; readonly thresholds: number[]; readonly auc: number } {
  const { classes, scores, width } = scored;
  const rows = classes.length;
  const score = (r: number) => (width === 1 ? scores[r] : scores[r * width + positive]);
  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => score(b) - score(a));
  const positives = classes.reduce((count, truth) => count + (truth === positive ? 1 : 0), 0);
  const negatives = rows - positives;
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < rows; i++) {
    classes[order[i]] === positive ? tp++ : fp++;
    if (i + 1 < rows && score(order[i + 1]) === score(order[i])) continue;
    fpr.push(ratio(fp, negatives));
    tpr.push(ratio(tp, positives));
    thresholds.push(score(order[i]));
  }
  const area = binaryAuc((r) => classes[r] === positive, score, rows);
  return { fpr, tpr, thresholds, auc: area };
}
