/**
 * Charts end to end: a notebook that trains (live charts updated in place) and draws every kind of
 * cellfit chart is executed by `cellfit run` and by Jupyter's nbclient; both exported HTML pages
 * are opened in headless Chromium, where every chart must draw, offline, with the traces its
 * figure holds. Screenshots are kept in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { installKernelSpec } from '../../../kernel/install';
import { COPY_TYPE } from '../../../lib/plots/library';
import { PLOTLY_MIME } from '../../../lib/plots/plotly';
import { ARTIFACTS, renderCharts } from '../../support/chromium';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../../..');
const FIXTURE = path.join(REPO, 'test', 'lib', 'plots', 'notebooks', 'charts.ipynb');
const JUPYTER = '/usr/bin/jupyter';

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
}
interface Notebook {
  cells: { cell_type: string; outputs?: Output[] }[];
}

/** Trace counts of every chart output of an executed notebook, in order. */
function chartTraces(notebook: Notebook): number[] {
  return notebook.cells
    .flatMap((cell) => cell.outputs ?? [])
    .filter((output) => output.data?.[PLOTLY_MIME])
    .map((output) => (output.data![PLOTLY_MIME] as { data: unknown[] }).data.length);
}

describe('charts in an executed notebook, in a real browser', function () {
  this.timeout(600_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-charts-'));
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  let byCellfit: Notebook;

  before(async () => {
    await run(process.execPath, [path.join(REPO, 'dist', 'kernel', 'cli.js'), 'run', FIXTURE, '-p', `dir=${JSON.stringify(path.join(work, 'checkpoints'))}`, '--output', path.join(work, 'cellfit.ipynb'), '--html', path.join(work, 'cellfit.html')], {
      cwd: path.dirname(FIXTURE),
    });
    byCellfit = JSON.parse(fs.readFileSync(path.join(work, 'cellfit.ipynb'), 'utf8')) as Notebook;
  });

  it('the live training chart holds its final state: every epoch, the best epoch, the checkpoints', () => {
    const live = byCellfit.cells[4].outputs!.filter((output) => output.data?.[PLOTLY_MIME]);
    assert.equal(live.length, 2, 'one chart per train() call');
    for (const output of live) {
      const figure = output.data![PLOTLY_MIME] as { data: { name: string; x: number[] }[] };
      assert.deepEqual(figure.data.find((trace) => trace.name === 'train loss')!.x, Array.from({ length: 12 }, (_, i) => i + 1));
      assert.ok(figure.data.some((trace) => trace.name.startsWith('best (epoch')));
      assert.ok(figure.data.some((trace) => trace.name === 'checkpoint'));
    }
  });

  it('the exported page draws the live charts in their final state, not their first', () => {
    const page = fs.readFileSync(path.join(work, 'cellfit.html'), 'utf8');
    const figures = [...page.matchAll(/var figure = (\{.*\});\n/g)].map((match) => JSON.parse(match[1]) as { data: { name: string; x: number[] }[] });
    const live = figures.slice(0, 2).map((figure) => figure.data.find((trace) => trace.name === 'train loss')!.x.length);
    assert.deepEqual(live, [12, 12]);
  });

  it('cellfit run --html: every chart draws offline with all its traces', () => {
    const expected = chartTraces(byCellfit);
    assert.equal(expected.length, 6, 'two live charts, run.plot(), plotRuns(), plotSpace(), plotSplit()');
    const charts = renderCharts(path.join(work, 'cellfit.html'), { screenshot: path.join(ARTIFACTS, 'notebook-cellfit-run.png') });
    assert.deepEqual(
      charts.map(({ drawn, traces }) => ({ drawn, traces })),
      expected.map((traces) => ({ drawn: true, traces })),
    );
  });

  it('jupyter nbconvert --execute then --to html: the same charts draw offline', async () => {
    const prefix = path.join(work, 'kernelspec');
    installKernelSpec({ prefix, jupyter: JUPYTER });
    const env = { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter'), CELLFIT_CHARTS_DIR: path.join(work, 'nbclient-checkpoints') };
    const executed = path.join(work, 'nbclient.ipynb');
    // nbclient runs the kernel in the notebook's directory, where `cellfit` resolves.
    await run(JUPYTER, ['nbconvert', '--to', 'notebook', '--execute', FIXTURE, '--output', executed], { env });
    await run(JUPYTER, ['nbconvert', '--to', 'html', executed, '--output', path.join(work, 'nbclient.html')], { env });
    const byNbclient = JSON.parse(fs.readFileSync(executed, 'utf8')) as Notebook;
    const expected = chartTraces(byNbclient);
    assert.deepEqual(expected, chartTraces(byCellfit));
    const charts = renderCharts(path.join(work, 'nbclient.html'), { screenshot: path.join(ARTIFACTS, 'notebook-nbconvert.png') });
    assert.deepEqual(
      charts.map(({ drawn, traces }) => ({ drawn, traces })),
      expected.map((traces) => ({ drawn: true, traces })),
    );
  });

  it('a notebook with five trained runs stays under 2.3 MB, of which plotly.js is 1.9 MB once', async () => {
    const output = path.join(work, 'five.ipynb');
    await run(process.execPath, [path.join(REPO, 'dist', 'kernel', 'cli.js'), 'run', FIXTURE, '-p', `dir=${JSON.stringify(path.join(work, 'five'))}`, '-p', 'runs=5', '--output', output], {
      cwd: path.dirname(FIXTURE),
    });
    const notebook = JSON.parse(fs.readFileSync(output, 'utf8')) as Notebook;
    assert.equal(notebook.cells[4].outputs!.filter((o) => o.data?.[PLOTLY_MIME]).length, 5);
    const libraries = notebook.cells.flatMap((cell) => cell.outputs ?? []).filter((o) => String(o.data?.['text/html'] ?? '').includes(`<script type="${COPY_TYPE}"`));
    assert.equal(libraries.length, 1, 'plotly.js is embedded once');
    const size = fs.statSync(output).size;
    console.log(`      (five trained runs: notebook ${(size / 1e6).toFixed(2)} MB)`);
    assert.ok(size < 2.3e6, `notebook is ${size} bytes`);
  });
});
