/**
 * The picture of a split: rows per part, stacked by label when the split was stratified, so that
 * equal label shares across train / validation / test are visible at a glance.
 */
import { fail, formatValue } from '../errors';
import type { PartName, SplitSummary } from '../split';
import { Chart } from './chart';
import type { PlotlyFigure } from './plotly';
import { PLOTLY_COLORS, escapeTemplate } from './style';


/** The bar chart of a split's parts (pure data). */
export function splitFigure(summary: SplitSummary): PlotlyFigure {
  const parts = Object.keys(summary.sizes) as PartName[];
  const share = (count: number, total: number) => (total === 0 ? 0 : (100 * count) / total);
  const data: Record<string, unknown>[] = summary.labels
    ? [...summary.labels.entries()].map(([label, counts], i) => ({
        type: 'bar',
        name: `label ${formatValue(label)}`,
        x: parts,
        y: parts.map((part) => counts[part] ?? 0),
        customdata: parts.map((part) => share(counts[part] ?? 0, summary.sizes[part] ?? 0)),
        hovertemplate: `%{x}: %{y} rows (%{customdata:.1f}% of the part)<extra>label ${escapeTemplate(formatValue(label))}</extra>`,
        marker: { color: PLOTLY_COLORS[i % PLOTLY_COLORS.length] },
      }))
    : [
        {
          type: 'bar',
          name: 'rows',
          x: parts,
          y: parts.map((part) => summary.sizes[part]),
          text: parts.map((part) => `${share(summary.sizes[part]!, summary.rows).toFixed(1)}%`),
          textposition: 'auto',
          marker: { color: PLOTLY_COLORS[0] },
        },
      ];
  return {
    data,
    layout: {
      title: { text: `split of ${summary.rows} rows (${summary.method}${summary.seed === undefined ? '' : `, seed ${formatValue(summary.seed)}`})` },
      barmode: 'stack',
      yaxis: { title: { text: 'rows' } },
      height: 300,
      margin: { t: 40, r: 20, b: 40, l: 60 },
    },
  };
}

/** A displayable split chart (what {@link plotSplit} returns). */
export class SplitPlot extends Chart {
  constructor(readonly summary: SplitSummary) {
    super();
  }

  get figure(): PlotlyFigure {
    return splitFigure(this.summary);
  }

  override toString(): string {
    const parts = Object.entries(this.summary.sizes).map(([part, size]) => `${size} ${part}`);
    return `split of ${this.summary.rows} rows: ${parts.join(' / ')}`;
  }

  protected get pageTitle(): string {
    return 'split';
  }
}

/**
 * Charts a `split()` result: rows per part, stacked by label for a stratified split.
 *
 * @example
 * const parts = split(rows, { train: 0.8, test: 0.2, stratify: 'label' });
 * plotSplit(parts);
 */
export function plotSplit(parts: { readonly summary?: SplitSummary }): SplitPlot {
  const summary = parts?.summary;
  if (!summary || typeof summary.rows !== 'number') fail('plotSplit()', `expected the result of split(). Received: ${formatValue(parts)}.`);
  return new SplitPlot(summary);
}
