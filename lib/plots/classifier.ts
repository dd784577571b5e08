/**
 * The pictures of a classifier on held-out data: its confusion matrix (counts per true and
 * predicted class) and its ROC curve (true- against false-positive rate over all thresholds, the
 * area under it being the AUC), as scikit-learn's `ConfusionMatrixDisplay` and `RocCurveDisplay`.
 */
import { fail, formatValue } from '../errors';
import { checkNumber } from '../util/options';
import { confusionMatrix, rocCurve, type ScoredRows } from '../metrics';
import type { Run } from '../train/run';
import { Chart } from './chart';
import type { PlotlyFigure } from './plotly';
import { CATEGORY10 } from './style';

/** Options of {@link plotConfusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** A binary classifier's score from which a row counts as positive. Defaults to 0.5. */
  readonly threshold?: number;
  /** Names of the classes, in class order. Defaults to 0, 1, …. */
  readonly classNames?: readonly string[];
}

/** The confusion matrix as a heatmap with the counts written in (pure data). */
export function confusionFigure(matrix: readonly (readonly number[])[], classNames: readonly string[], title = 'confusion matrix'): PlotlyFigure {
  const total = matrix.flat().reduce((sum, count) => sum + count, 0);
  const names = classNames.map(String);
  return {
    data: [
      {
        type: 'heatmap',
        z: matrix.map((row) => [...row]),
        x: names,
        y: names,
        // Light for few rows, dark for many (plotly's named 'Blues' runs the other way).
        colorscale: [
          [0, '#f7fbff'],
          [1, '#2171b5'],
        ],
        showscale: false,
        hovertemplate: 'true %{y}, predicted %{x}: %{z} rows<extra></extra>',
      },
    ],
    layout: {
      title: { text: title, font: { size: 14 } },
      xaxis: { title: { text: 'predicted' }, type: 'category', side: 'bottom' },
      yaxis: { title: { text: 'true' }, type: 'category', autorange: 'reversed' },
      annotations: matrix.flatMap((row, t) =>
        row.map((count, p) => ({ x: names[p], y: names[t], text: `${count}<br>${total === 0 ? 0 : ((100 * count) / total).toFixed(1)}%`, showarrow: false, font: { color: count > total / (2 * names.length) ? 'white' : 'black' } })),
      ),
      height: 340,
      width: 480,
      margin: { t: 40, r: 20, b: 50, l: 70 },
    },
  };
}

/** ROC curves with the chance diagonal (pure data). */
export function rocFigure(curves: readonly { readonly name: string; readonly fpr: readonly number[]; readonly tpr: readonly number[]; readonly auc: number }[], title = 'ROC curve'): PlotlyFigure {
  return {
    data: [
      ...curves.map((curve, i) => ({
        type: 'scatter',
        mode: 'lines',
        name: `${curve.name} (AUC ${curve.auc.toFixed(3)})`,
        x: [...curve.fpr],
        y: [...curve.tpr],
        line: { color: CATEGORY10[i % CATEGORY10.length], shape: 'hv' },
        hovertemplate: 'false-positive rate %{x:.3f}, true-positive rate %{y:.3f}<extra></extra>',
      })),
      { type: 'scatter', mode: 'lines', name: 'chance', x: [0, 1], y: [0, 1], line: { color: '#999', dash: 'dot' }, hoverinfo: 'skip' },
    ],
    layout: {
      title: { text: title, font: { size: 14 } },
      xaxis: { title: { text: 'false-positive rate' }, range: [0, 1] },
      yaxis: { title: { text: 'true-positive rate' }, range: [0, 1.02] },
      height: 380,
      width: 480,
      legend: { x: 0.45, y: 0.05 },
      margin: { t: 40, r: 20, b: 50, l: 60 },
    },
  };
}

/** A displayable confusion matrix (what {@link plotConfusionMatrix} returns). */
export class ConfusionMatrixPlot extends Chart {
  constructor(
    /** Counts per true class (rows) and predicted class (columns). */
    readonly matrix: readonly (readonly number[])[],
    readonly classNames: readonly string[],
    private readonly title: string,
  ) {
    super();
  }

  get figure(): PlotlyFigure {
    return confusionFigure(this.matrix, this.classNames, this.title);
  }

  override toString(): string {
    return `${this.title} (rows true, columns predicted; ${this.classNames.join(', ')}): ${this.matrix.map((row) => `[${row.join(', ')}]`).join(' ')}`;
  }

  protected get pageTitle(): string {
    return this.title;
  }
}

/** A displayable ROC curve (what {@link plotRoc} returns). */
export class RocPlot extends Chart {
  constructor(
    readonly curve: ReturnType<typeof rocCurve>,
    private readonly title: string,
  ) {
    super();
  }

  /** The area under the curve. */
  get auc(): number {
    return this.curve.auc;
  }

  get figure(): PlotlyFigure {
    return rocFigure([{ name: 'model', ...this.curve }], this.title);
  }

  override toString(): string {
    return `${this.title}: AUC ${this.curve.auc.toFixed(4)} over ${this.curve.fpr.length} points`;
  }

  protected get pageTitle(): string {
    return this.title;
  }
}

/**
 * The confusion matrix of a classifier run on `data` (any form `train()` takes; its test part when
 * omitted).
 *
 * @example
 * await plotConfusionMatrix(run, parts.test, { classNames: ['repaid', 'defaulted'] });
 */
export async function plotConfusionMatrix(run: Run, data?: unknown, { threshold = 0.5, classNames }: ConfusionMatrixOptions = {}): Promise<ConfusionMatrixPlot> {
  const where = 'plotConfusionMatrix()';
  checkNumber(where, 'threshold', threshold, { min: 0, max: 1 });
  const scored = await scoredOf(run, data, where);
  const { classes, matrix } = confusionMatrix(scored, threshold);
  const names = classNames ?? Array.from({ length: classes }, (_, k) => String(k));
  if (names.length !== classes) fail(where, `\`classNames\` names ${names.length} classes, but the model predicts ${classes}. Received: classNames=${formatValue(classNames)}.`);
  return new ConfusionMatrixPlot(matrix, names, `confusion matrix of ${run.name ?? run.id} (${classes === 2 && scored.width === 1 ? `threshold ${threshold}, ` : ''}${scored.classes.length} rows)`);
}

/**
 * The ROC curve of a binary classifier run on `data` (its test part when omitted); for several
 * classes, of class `positive` against the rest.
 *
 * @example
 * (await plotRoc(run, parts.test)).auc;   // 0.87
 */
export async function plotRoc(run: Run, data?: unknown, { positive = 1 }: { readonly positive?: number } = {}): Promise<RocPlot> {
  const scored = await scoredOf(run, data, 'plotRoc()');
  return new RocPlot(rocCurve(scored, positive), `ROC curve of ${run.name ?? run.id} (${scored.classes.length} rows)`);
}

async function scoredOf(run: Run, data: unknown, where: string): Promise<ScoredRows> {
  if (!run || typeof run.scorer !== 'function') fail(where, `expected a run returned by train(). Received: ${formatValue(run)}.`);
  return run.scorer(data, where);
}
