/** What cellfit's charts share: colour sequences, names of stop reasons, template escaping. */

/** Plotly's default colour sequence (categories of a space, labels of a split). */
export const PLOTLY_COLORS = ['#636efa', '#ef553b', '#00cc96', '#ab63fa', '#ffa15a', '#19d3f3', '#ff6692', '#b6e880'] as const;

/** The D3 / matplotlib "category10" sequence (runs, curves of a run). */
export const CATEGORY10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;

/** How a chart labels the way a run stopped (a run that simply completed gets no mark). */
export const STOP_LABELS: Readonly<Record<string, string>> = {
  'patience-exhausted': 'early stop',
  'baseline-not-reached': 'early stop (baseline)',
  diverged: 'diverged',
  interrupted: 'interrupted',
  requested: 'stopped',
};

/** Plotly hover templates read %{...} as a placeholder: break it up in free text. */
export function escapeTemplate(text: string): string {
  return text.replace(/%\{/g, '%\u200b{');
}
