/**
 * Draws the README's picture: one chart of an executed tutorial (after `npm start`), rendered by
 * headless Chromium from its plotly figure, offline.
 *
 *   node dist/scripts/docs-picture.js [NOTEBOOK [CHART [OUT.png [linear|log]]]]
 *
 * Defaults: the live training chart of 02-checkpoints-and-resume (the resumed run), drawn with its
 * loss axis switched to log (the chart's own linear/log toggle), into docs/training-chart.png.
 * CHART counts the notebook's plotly charts from 0.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { standalonePage, type PlotlyFigure } from '../lib/plots/plotly';
import { renderPage } from '../test/support/chromium';
import { REPO, TUTORIALS } from './tutorials';

const [name = '02-checkpoints-and-resume', chart = '0', out = path.join(REPO, 'docs', 'training-chart.png'), scale = 'log'] = process.argv.slice(2);
const executed = path.join(TUTORIALS, 'out', `${name}.ipynb`);
if (!fs.existsSync(executed)) throw new Error(`${executed} does not exist: run \`npm start\` first.`);
const notebook = JSON.parse(fs.readFileSync(executed, 'utf8')) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
const figures = notebook.cells.flatMap((cell) => (cell.outputs ?? []).map((output) => output.data?.['application/vnd.plotly.v1+json'] as PlotlyFigure | undefined)).filter((figure): figure is PlotlyFigure => figure !== undefined);
const figure = figures[Number(chart)];
if (!figure) throw new Error(`${name} has ${figures.length} charts; there is no chart ${chart}.`);

const page = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-picture-')), 'chart.html');
// The page without its heading: the chart alone, 900 px wide.
const layout = { ...figure.layout, width: 880 } as Record<string, unknown>;
if (scale === 'log') {
  layout.yaxis = { ...(layout.yaxis as object), type: 'log' };
  // As if the chart's "log" button (the second) had been pressed.
  if (Array.isArray(layout.updatemenus)) layout.updatemenus = layout.updatemenus.map((menu: Record<string, unknown>) => ({ ...menu, active: 1 }));
}
fs.writeFileSync(page, standalonePage('', [{ figure: { ...figure, layout }, text: '' }]).replace(/<h1[^>]*>.*?<\/h1>/s, '').replace('margin: 2em;', 'margin: 10px;'));
const height = Number((figure.layout as { height?: number } | undefined)?.height ?? 450) + 40;
renderPage(page, { screenshot: out, width: 900, height });
console.log(`wrote ${path.relative(process.cwd(), out)} (${name}, chart ${chart})`);
