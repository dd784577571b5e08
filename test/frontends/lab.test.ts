/**
 * JupyterLab 4.6 (assembled from npm, on jupyter_server 1.23: test/support/lab.ts) in headless
 * Chromium, driven as a person would, twice: with plotly's renderer installed (as `pip install
 * plotly` installs it into every JupyterLab) and without it. What the page shows is read (charts
 * and the points plotly holds for them, output text), not protocol messages. Then the saved
 * notebook exported by nbconvert, drawn in the same browser. Screenshots go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'puppeteer-core';
import { COPY_TYPE } from '../../lib/plots/library';
import { launchBrowser } from '../support/browser';
import { ARTIFACTS } from '../support/chromium';
import { slowdown } from '../support/load';
import { JUPYTER, jupyterHome, type JupyterHome, type NotebookServer } from '../support/jupyter';
import { startLabServer } from '../support/lab';
import { drawExported } from './exported';
import { assertResumed, interruptedAt } from './training';
import { appendCell, busy, hoverCharts, menu, newNotebook, notebookReady, openLab, runCell, save, setCells, shownCells, toolbar, waitForCharts, waitIdle, type LabCell } from './lab';

declare const window: any;
declare const document: any;

const run = promisify(execFile);

// Long enough (~10 s alone, more on a loaded machine) to outlast plotly.js loading into the page.
const EPOCHS = 40;
const SETUP = `const { tf, train, sweep, split, setSeed } = require('cellfit');
setSeed(1);
const xs = tf.randomUniform([2000, 4], -1, 1, 'float32', 1);
const ys = xs.sum(1, true).sin();
const parts = split({ xs, ys }, { train: 0.8, validation: 0.2, seed: 1 });
function build(units = 32, rate = 0.01) {
  const model = tf.sequential({ layers: [tf.layers.dense({ units, activation: 'tanh', inputShape: [4] }), tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: tf.train.adam(rate), loss: 'meanSquaredError' });
  return model;
}`;
// The tfjs engine trains slowly enough for a person (and the test) to watch the chart grow.
const TRAIN = `const run = await train(build(), parts, { epochs: ${EPOCHS}, batchSize: 16, name: 'live', engine: 'tfjs' });`;
const PLOT = 'run.plot()';
const SLOW = "const slow = await train(build(), parts, { epochs: 8, batchSize: 4, name: 'slow', engine: 'tfjs' });";
// The 2nd and 3rd trials wait until the test has seen the history chart show the trials before them
// (it writes sweep-seen-N beside the notebook), so the chart's growth is observed however loaded the machine.
const SWEEP = `let begun = 0;
const grid = await sweep({ rate: [0.003, 0.01, 0.03], units: [8, 16] }, async (params: { rate: number; units: number }) => {
  const before = begun++;
  while ((before === 1 || before === 2) && !require('fs').existsSync('sweep-seen-' + before)) await new Promise((resolve) => setTimeout(resolve, 50));
  return train(build(params.units, params.rate), parts, { epochs: 10, batchSize: 16, engine: 'tfjs' });
}, { name: 'grid' });`;

const log = (text: string) => console.log(`      (${text})`);

for (const plotly of [true, false]) {
  const config = plotly ? 'with plotly' : 'without plotly';
  const tag = plotly ? 'lab-plotly' : 'lab';

  describe(`JupyterLab 4.6 front end assembled from npm, on jupyter_server 1.23, ${config}'s renderer (headless Chromium)`, function () {
    this.timeout(600_000);
    let home: JupyterHome;
    let server: NotebookServer;
    let browser: Browser;
    let page: Page;
    let problems: string[];
    let notebook: string;

    before(async () => {
      home = jupyterHome(tag);
      server = await startLabServer(home, { plotly });
      browser = await launchBrowser({ height: 2400 });
      fs.mkdirSync(ARTIFACTS, { recursive: true });
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      home?.remove();
    });

    const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${tag}-${name}.png`), fullPage: true });

    it('/lab restores with no error but the known 404s of jupyter_server 2 APIs', async () => {
      ({ page, problems } = await openLab(browser, server.url));
      await shot('restored');
      const plugins = await page.evaluate(() => window.cellfitLab.listPlugins() as string[]);
      assert.equal(plugins.includes('@jupyterlab/plotly-extension:factory'), plotly, `plotly's renderer ${plotly ? 'registered' : 'absent'}`);
      assert.deepEqual(problems, []);
    });

    it('New notebook with TypeScript (cellfit), Run All: the live chart gains points while training runs', async () => {
      notebook = await newNotebook(page);
      await setCells(page, [SETUP, TRAIN, PLOT]);
      const started = Date.now();
      await menu(page, 'Run', 'runmenu:run-all');
      const samples: { at: number; points: number; running: boolean }[] = [];
      for (let idle = 0; idle < 2; idle = (await busy(page)) ? 0 : idle + 1) {
        const cells = await shownCells(page);
        const at = (Date.now() - started) / 1000;
        samples.push({ at, points: cells[1].charts[0]?.points ?? 0, running: cells[1].prompt.includes('*') });
        assert.ok(at < 540, 'Run All ends within 9 minutes (a hang guard)');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const during = samples.filter((sample) => sample.running && sample.points > 0 && sample.points < EPOCHS);
      const counts = [...new Set(during.map((sample) => sample.points))];
      log(`points while training: ${during.map((s) => `${s.points}@${s.at.toFixed(1)}s`).join(' ')}`);
      const cells = await waitForCharts(page);
      await shot('run-all');
      assert.ok(counts.length >= 3, `the chart grew during training: ${JSON.stringify(samples)}`);
      assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'points only grow');
      assert.deepEqual(cells[1].outputs, [`live: trained ${EPOCHS} epochs.`, '[chart]'], 'the trail and the embedded copy take no room');
      assert.deepEqual(cells[1].charts.map((chart) => [chart.drawn, chart.points]), [[true, EPOCHS]]);
      assert.deepEqual(cells[2].charts.map((chart) => [chart.drawn, chart.points]), [[true, EPOCHS]]);
      assert.deepEqual(problems, []);
    });

    it('re-running the finished training cell shows its summary and its chart again', async () => {
      await runCell(page, 1);
      await waitIdle(page);
      const cell = (await waitForCharts(page))[1];
      await shot('rerun-finished');
      assert.equal(cell.outputs.length, 2, JSON.stringify(cell.outputs));
      assert.match(cell.outputs[0], new RegExp(`^Run live: completed after ${EPOCHS}/${EPOCHS} epochs, best val_loss [\\d.e-]+ at epoch \\d+\\. trained ${EPOCHS} epochs\\. \\(Finished earlier: returned without training\\.\\)$`));
      assert.deepEqual(cell.charts.map((chart) => [chart.drawn, chart.points]), [[true, EPOCHS]]);
    });

    it('■ interrupts a training cell within 2 s, naming the checkpoint; running it again resumes from it', async () => {
      // Run, pressed in the last cell, adds an empty one below (as Shift+Enter does).
      const index = await appendCell(page, SLOW);
      assert.equal(index, 3);
      await runCell(page, index);
      await page.waitForFunction(() => /slow: epoch [2-7]\/8/.test(window.cellfitLab.shell.currentWidget.content.widgets[3].outputArea.node.innerText), { timeout: 120_000, polling: 100 });
      const pressed = Date.now();
      await toolbar(page, 'notebook:interrupt-kernel');
      while (await busy(page)) {
        assert.ok(Date.now() - pressed < 120_000, 'the cell stops after ■');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const stopped = Date.now() - pressed;
      // 2 s of an idle machine: on a loaded one, every process on the way (browser, server, kernel) is slower.
      const factor = slowdown();
      log(`stopped ${stopped} ms after ■ (work runs ${factor.toFixed(1)}× slower than on an idle core)`);
      assert.ok(stopped < 2000 * factor, `the cell stops within 2 s of ■ (an idle machine's; ${stopped} ms here, where work runs ${factor.toFixed(1)}× slower)`);
      let cell = (await shownCells(page))[3];
      await shot('interrupted');
      const checkpoint = interruptedAt(cell.outputs[cell.outputs.length - 1]);

      await runCell(page, 3);
      await waitIdle(page);
      cell = (await waitForCharts(page))[3];
      await shot('resumed');
      assertResumed(cell, checkpoint);
    });

    it("a sweep's live table and charts update while it runs", async () => {
      const index = await appendCell(page, SWEEP);
      assert.equal(index, 5, 'after the empty cell that running the last cell added');
      await runCell(page, index);
      const tables = new Set<string>();
      const histories = new Set<number>();
      const started = Date.now();
      for (let idle = 0; idle < 2; idle = (await busy(page)) ? 0 : idle + 1) {
        const cell = (await shownCells(page))[index];
        if (cell.prompt.includes('*')) {
          const table = cell.outputs.find((text) => text.startsWith('sweep grid'));
          if (table) tables.add(table);
          const points = cell.charts[0]?.drawn ? cell.charts[0].points : 0;
          if (cell.charts[0]?.drawn) histories.add(points);
          if (points > 0) fs.writeFileSync(path.join(home.notebooks, path.dirname(notebook), `sweep-seen-${points}`), '');
        }
        assert.ok(Date.now() - started < 540_000, 'the sweep ends within 9 minutes (a hang guard)');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const cell = (await waitForCharts(page))[index];
      await shot('sweep');
      log(`${tables.size} table states, history chart points while running: ${[...histories].join(', ')}`);
      assert.ok(tables.size >= 3, `the table changed while the sweep ran: ${[...tables].join('\n')}`);
      assert.ok([...histories].filter((points) => points > 0).length >= 2, `the history chart gained points while the sweep ran: ${[...histories]}`);
      assert.match(cell.outputs[0], /^sweep grid: grid sampler, no pruner, 6 trials — finished; 6 finished; best val_loss/);
      assert.deepEqual(cell.charts.map((chart) => chart.drawn), [true, true, true, true], 'history, intermediate values, parameters, importance');
      assert.equal(cell.charts[0].points, 6);
    });

    it('save, reload: trusted, every chart drawn; the saved file through nbconvert draws', async () => {
      await save(page);
      const file = path.join(home.notebooks, notebook);
      const saved = fs.readFileSync(file, 'utf8');
      assert.equal(saved.split(`<script type=\\"${COPY_TYPE}\\"`).length - 1, 1, 'the file holds one copy of plotly.js');
      await page.goto(`${server.url}lab/tree/${notebook}`);
      await notebookReady(page);
      // With plotly's renderer, the charts reopen as the PNG snapshots it saved, drawn when pointed at.
      if (plotly) {
        await page.waitForFunction(() => document.querySelectorAll('.jp-RenderedPlotly').length === 7, { timeout: 60_000, polling: 250 });
        await page.waitForFunction(() => [...document.querySelectorAll('.jp-RenderedPlotly img.plot-img')].every((img: any) => img.complete), { timeout: 60_000, polling: 250 });
        await shot('reopened-snapshots');
        const hovered = await hoverCharts(page);
        log(`${hovered} charts reopened as plotly's PNG snapshots`);
      }
      const cells: LabCell[] = await waitForCharts(page);
      await shot('reopened');
      log(`notebook ${(saved.length / 1e6).toFixed(2)} MB; renderers ${cells.map((cell) => cell.renderers.join('+') || '-').join(' ')}`);
      assert.deepEqual(cells.map((cell) => cell.trusted), cells.map(() => true), 'every cell reopens trusted');
      assert.deepEqual(
        cells.map((cell) => cell.charts.map((chart) => (chart.drawn ? 'drawn' : `not drawn: ${chart.note}`))),
        [[], ['drawn'], ['drawn'], ['drawn'], [], ['drawn', 'drawn', 'drawn', 'drawn'], []],
        'every chart draws after reopening',
      );
      assert.deepEqual(cells.slice(1, 4).map((cell) => cell.charts[0].points), [EPOCHS, EPOCHS, 8]);
      if (plotly) assert.ok(cells.flatMap((cell) => cell.renderers).every((renderer) => renderer === 'plotly'), "plotly's renderer draws every chart");

      const html = path.join(path.dirname(file), `${tag}.html`);
      await run(JUPYTER, ['nbconvert', '--to', 'html', file, '--output', html], { env: home.env });
      const drawn = await drawExported(browser, html, path.join(ARTIFACTS, `${tag}-nbconvert.png`));
      assert.deepEqual(drawn, Array(cells.flatMap((cell) => cell.charts).length).fill('drawn'), 'nbconvert: every chart draws');
    });

    it("a display updated from another cell's execution updates in place (the kernel connection routes display ids to every execution that showed them)", async () => {
      const shown = await appendCell(page, "const { display } = require('cellfit/kernel');\nconst note = display('first');\nnote.update('first, updated in its own cell');");
      await runCell(page, shown);
      await waitIdle(page);
      const later = await appendCell(page, "note.update('updated from another cell');\n'done'");
      await runCell(page, later);
      await waitIdle(page);
      const cells = await shownCells(page);
      log(`the display shows: ${JSON.stringify(cells[shown].outputs)}; the later cell: ${JSON.stringify(cells[later].outputs)}`);
      assert.deepEqual(cells[later].outputs, ["'done'"]);
      assert.deepEqual(cells[shown].outputs, ["'updated from another cell'"], 'the update sent by the later execution reaches the display');
    });
  });
}
