/**
 * The tutorials in notebooks/ as end-to-end tests: each one executed headless — twice, through the
 * same code `npm start` uses — must run to its last cell (which asserts the tutorial's claims and
 * throws if one is false), and its two executions must print identical numbers (see numbers.ts for
 * what that means): the tutorials are seeded end to end. Their HTML pages must draw every chart in
 * Chromium with no network, and Jupyter's own runner (nbclient) must execute them as `cellfit run`
 * does.
 *
 * Each execution runs in its own copy of notebooks/ under test-artifacts/ (kept as CI artifacts),
 * so tests never touch notebooks/checkpoints or notebooks/out of a developer's `npm start`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { installKernelSpec } from '../../kernel/install';
import { parseNotebook, sourceText } from '../../kernel/runner/notebook';
import { REPO, runTutorials, TUTORIALS, tutorialNotebooks, type TutorialResult } from '../../scripts/tutorials';
import { renderCharts } from '../support/chromium';
import { outputNumbers } from './numbers';

const run = promisify(execFile);
const JUPYTER = '/usr/bin/jupyter';
const WORK = path.join(REPO, 'test-artifacts', 'notebooks');

/** A fresh copy of the tutorials (notebooks and the files they use) in `dir`. */
function copyTutorials(dir: string): string[] {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of fs.readdirSync(TUTORIALS, { withFileTypes: true })) {
    if (['checkpoints', 'out', 'models'].includes(entry.name)) continue;
    fs.cpSync(path.join(TUTORIALS, entry.name), path.join(dir, entry.name), { recursive: true });
  }
  return tutorialNotebooks(dir);
}

const names = tutorialNotebooks().map((file) => path.basename(file, '.ipynb'));

describe('tutorials: the notebooks as committed', () => {
  it('notebooks/ holds the eight tutorials, numbered 01 to 08', () => {
    assert.deepEqual(names.map((name) => name.slice(0, 3)), ['01-', '02-', '03-', '04-', '05-', '06-', '07-', '08-']);
  });

  for (const file of tutorialNotebooks()) {
    it(`${path.basename(file)} is clean (no outputs), runs on the cellfit kernel, and ends by asserting its claims`, () => {
      const notebook = parseNotebook(fs.readFileSync(file, 'utf8'), file);
      assert.deepEqual(notebook.metadata.kernelspec, { display_name: 'TypeScript (cellfit)', language: 'typescript', name: 'cellfit' });
      const code = notebook.cells.filter((cell) => cell.cell_type === 'code');
      for (const cell of code) {
        assert.deepEqual(cell.outputs, [], `a cell of ${file} has outputs: ${sourceText(cell).slice(0, 80)}`);
        assert.equal(cell.execution_count, null);
      }
      assert.equal(notebook.cells[0].cell_type, 'markdown', 'the first cell says in prose what the tutorial shows');
      const last = sourceText(code[code.length - 1]);
      assert.match(last, /throw new Error\(`claim failed/, 'the last code cell asserts the claims');
    });
  }
});

describe('tutorials: executed headless, twice', function () {
  // Two executions of the eight notebooks side by side (one kernel each): about 4–5 minutes on 2 cores.
  this.timeout(20 * 60_000);
  const executions: { dir: string; results: Map<string, TutorialResult> }[] = [1, 2].map((n) => ({ dir: path.join(WORK, `run-${n}`), results: new Map() }));

  before(async () => {
    await Promise.all(
      executions.map(async ({ dir, results }) => {
        const files = copyTutorials(dir);
        for (const result of await runTutorials(files, { outDir: path.join(dir, 'out'), concurrency: 1 })) results.set(result.name, result);
      }),
    );
  });

  for (const name of names) {
    it(`${name} runs to its last cell, whose claims hold`, () => {
      const result = executions[0].results.get(name)!;
      assert.equal(result.status, 'ok', result.failure && `cell ${result.failure.cell} failed:\n${result.failure.source}\n\n${result.failure.error}`);
      const code = result.executed.cells.filter((cell) => cell.cell_type === 'code');
      const claims = code[code.length - 1].outputs ?? [];
      const shown = claims.map((output) => ('data' in output ? String(sourceOf(output.data['text/plain'])) : '')).join('');
      assert.match(shown, /✓/, 'the claims cell shows the claims it checked');
      assert.doesNotMatch(shown, /claim failed/);
    });

    it(`${name} executed twice prints identical numbers`, () => {
      const [first, second] = executions.map(({ dir, results }) => outputNumbers(results.get(name)!.executed, dir));
      for (const [i, cell] of first.entries()) {
        assert.deepEqual(second[i], cell, `cell ${cell.cell} of ${name} printed different numbers in its two executions`);
      }
      assert.equal(second.length, first.length);
    });
  }

  it('their HTML pages (what npm start writes) draw every chart in Chromium, offline', () => {
    for (const name of names) {
      const html = executions[0].results.get(name)!.html;
      const page = fs.readFileSync(html, 'utf8');
      assert.doesNotMatch(page, /<script[^>]+src="https?:/, `${name}.html loads a script from the network`);
      const charts = renderCharts(html);
      const expected = (page.match(/<div id="cellfit-chart-[\w-]+" class="cellfit-chart/g) ?? []).length;
      assert.ok(expected > 0, `${name}.html has no chart`);
      assert.equal(charts.length, expected, `${name}.html: ${charts.length} of ${expected} charts in the DOM`);
      for (const chart of charts) assert.ok(chart.drawn && chart.traces > 0, `${name}.html: chart ${chart.id} did not draw`);
    }
  });
});

describe('tutorials: executed by Jupyter (nbclient)', function () {
  this.timeout(5 * 60_000);

  it('jupyter nbconvert --execute runs 02 and 06 (a killed job; an interrupted, tagged cell) to their claims', async () => {
    const dir = path.join(WORK, 'nbconvert');
    copyTutorials(dir);
    const prefix = path.join(dir, 'kernelspec');
    installKernelSpec({ prefix, jupyter: JUPYTER });
    const env = { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') };
    for (const name of names.filter((n) => /^0[26]-/.test(n))) {
      const output = path.join(dir, `${name}.nbconvert.ipynb`);
      await run(JUPYTER, ['nbconvert', '--to', 'notebook', '--execute', `${name}.ipynb`, '--output', output], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
      const executed = parseNotebook(fs.readFileSync(output, 'utf8'), output);
      const code = executed.cells.filter((cell) => cell.cell_type === 'code');
      const claims = (code[code.length - 1].outputs ?? []).map((o) => ('data' in o ? String(sourceOf(o.data['text/plain'])) : '')).join('');
      assert.match(claims, /✓/, `${name}: the claims cell ran under nbclient`);
    }
  });
});

function sourceOf(value: unknown): string {
  return Array.isArray(value) ? value.join('') : String(value ?? '');
}
