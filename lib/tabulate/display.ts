/** How a space shows itself: one paragraph of text for logs, a table of its axes in the notebook. */
import type { MimeBundle } from '../session';
import { escapeHtml } from '../util/html';
import { RangeAxis } from './axis';
import type { Grid } from './grid';
import type { Labeller } from './labels';

/** A one-paragraph description of the space; see `InputSpace.toString`. */
export function describeSpace(grid: Grid, labeller: Labeller): string {
  const features = grid.featureCount;
  const labels = labeller.labelled ? `; labels: ${labeller.named ? labeller.names.join(', ') : 'yes'}` : '';
  return `InputSpace of ${grid.size.toLocaleString('en-US')} points (${features} feature${features === 1 ? '' : 's'}${labels})\n  ${grid.axisList.map((axis) => axis.describe()).join('\n  ')}`;
}

/** The space in the notebook: its axes as an HTML table, and the description as text. */
export function spaceBundle(grid: Grid, labeller: Labeller): MimeBundle {
  const rows = grid.axisList
    .map((axis) => {
      const first = escapeHtml(String(axis.value(0)));
      const last = escapeHtml(String(axis.value(axis.length - 1)));
      const step = axis instanceof RangeAxis ? String(axis.step) : '';
      return `<tr><td>${escapeHtml(axis.name)}</td><td>${axis instanceof RangeAxis ? 'range' : 'list'}</td><td>${first}</td><td>${last}</td><td>${step}</td><td>${axis.length.toLocaleString('en-US')}</td></tr>`;
    })
    .join('');
  const html =
    `<div><strong>InputSpace</strong>: ${grid.size.toLocaleString('en-US')} points, ${grid.featureCount} model input column(s)` +
    `${labeller.labelled ? ', labelled' : ''}<table><thead><tr><th>axis</th><th>kind</th><th>first</th><th>last</th><th>step</th><th>values</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div>`;
  return { 'text/plain': describeSpace(grid, labeller), 'text/html': html };
}
