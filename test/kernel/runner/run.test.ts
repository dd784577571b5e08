/**
 * `cellfit run` against Jupyter's own runner: the same notebook executed by nbclient
 * (`jupyter nbconvert --execute`, through the installed kernelspec) and by `cellfit run` records
 * the same outputs. Also parameters, failures and the HTML export.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { installKernelSpec } from '../../../kernel/install';
import { JUPYTER, NOTEBOOKS, REPO, temporaryDir } from '../harness';

const run = promisify(execFile);
const CLI = path.join(REPO, 'dist', 'kernel', 'cli.js');

interface NotebookJson {
  cells: { cell_type: string; source: string | string[]; execution_count?: number | null; outputs?: Record<string, unknown>[]; metadata: Record<string, unknown> }[];
  metadata: Record<string, unknown>;
}

const joined = (value: unknown) => (Array.isArray(value) ? value.join('') : value);

/** What must agree between runners: per code cell, its execution count and outputs (streams merged). */
function comparable(notebook: NotebookJson) {
  return notebook.cells
    .filter((cell) => cell.cell_type === 'code')
    .map((cell) => {
      const outputs: Record<string, unknown>[] = [];
      for (const output of cell.outputs ?? []) {
        const normal: Record<string, unknown> = { ...output };
        if (normal.text !== undefined) normal.text = joined(normal.text);
        if (normal.data) normal.data = Object.fromEntries(Object.entries(normal.data as Record<string, unknown>).map(([k, v]) => [k, joined(v)]));
        const last = outputs[outputs.length - 1];
        if (normal.output_type === 'stream' && last?.output_type === 'stream' && last.name === normal.name) last.text = String(last.text) + String(normal.text);
        else outputs.push(normal);
      }
      return { source: joined(cell.source), execution_count: cell.execution_count, outputs };
    });
}

async function cellfitRun(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [CLI, 'run', ...args], { cwd: REPO });
    return { code: 0, stderr };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe('runner: cellfit run', function () {
  this.timeout(180_000);
  const out = temporaryDir('run');

  it('cellfit run NOTEBOOK and jupyter nbconvert --execute record the same outputs', async () => {
    const prefix = temporaryDir('kernelspec');
    installKernelSpec({ prefix, jupyter: JUPYTER });
    const env = { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') };
    const input = path.join(NOTEBOOKS, 'outputs.ipynb');
    const byJupyter = path.join(out, 'by-nbconvert.ipynb');
    const byCellfit = path.join(out, 'by-cellfit.ipynb');
    await run(JUPYTER, ['nbconvert', '--to', 'notebook', '--execute', input, '--output', byJupyter], { cwd: NOTEBOOKS, env });
    const { code, stderr } = await cellfitRun([input, '--output', byCellfit]);
    assert.equal(code, 0, stderr);

    const jupyter = JSON.parse(fs.readFileSync(byJupyter, 'utf8')) as NotebookJson;
    const cellfit = JSON.parse(fs.readFileSync(byCellfit, 'utf8')) as NotebookJson;
    assert.deepEqual(comparable(cellfit), comparable(jupyter));
    assert.deepEqual(cellfit.metadata.language_info, jupyter.metadata.language_info);
    // Written as nbformat writes it: multi-line text as lists of lines.
    assert.deepEqual(cellfit.cells[2].outputs![0].text, ['hello 0\n', 'hello 1\n']);

    // And the outputs are the ones meant: streams, results, updated displays, tables, tensors,
    // %%capture, %who, an expected error, a custom bundle.
    const cells = comparable(cellfit);
    assert.deepEqual(cells[1].outputs, [
      { output_type: 'stream', name: 'stdout', text: 'hello 0\nhello 1\n' },
      { output_type: 'stream', name: 'stderr', text: 'a warning\n' },
      { output_type: 'execute_result', execution_count: 2, data: { 'text/plain': "'hello!'" }, metadata: {} },
    ]);
    assert.deepEqual(cells[2].outputs[0], { output_type: 'display_data', data: { 'text/plain': "'step 2 of 2'" }, metadata: {} });
    assert.match(String((cells[2].outputs[1].data as Record<string, unknown>)['text/html']), /<td[^>]*>train<\/td>/);
    assert.equal((cells[3].outputs[0].data as Record<string, unknown>)['text/plain'], 'Tensor float32 [2, 2]\n[[2, 4],\n [6, 8]]');
    assert.deepEqual(cells[4].outputs, []);
    assert.deepEqual(cells[5].outputs.slice(0, 2), [
      { output_type: 'stream', name: 'stdout', text: 'kept for later\n' },
      { output_type: 'display_data', data: { 'text/plain': "'captured value'" }, metadata: {} },
    ]);
    assert.deepEqual(cells[6].outputs, [{ output_type: 'stream', name: 'stdout', text: 'greeting\n' }]);
    assert.equal(cells[7].outputs[0].ename, 'RangeError');
    assert.deepEqual(cells[8].outputs[0].data, { 'text/markdown': '**hello**', 'text/plain': 'hello' });
  });

  it('cellfit run -p NAME=VALUE injects the parameters after the cell tagged "parameters"', async () => {
    const output = path.join(out, 'with-parameters.ipynb');
    const { code, stderr } = await cellfitRun([path.join(NOTEBOOKS, 'outputs.ipynb'), '-p', 'greeting=bonjour', '-p', 'repeats=1', '--output', output]);
    assert.equal(code, 0, stderr);
    const notebook = JSON.parse(fs.readFileSync(output, 'utf8')) as NotebookJson;
    const injected = notebook.cells[2];
    assert.deepEqual(injected.metadata.tags, ['injected-parameters']);
    assert.equal(joined(injected.source), '// Parameters injected by cellfit run\nconst greeting = "bonjour";\nconst repeats = 1;');
    assert.deepEqual(notebook.cells[3].outputs![0].text, ['bonjour 0\n']);
  });

  it('cellfit run stops at the first error: exit code 1, the failing cell and its traceback on stderr, the notebook saved', async () => {
    const output = path.join(out, 'failed.ipynb');
    const { code, stderr } = await cellfitRun([path.join(NOTEBOOKS, 'failing.ipynb'), '--output', output]);
    assert.equal(code, 1);
    assert.match(stderr, /cellfit run: cell 2 failed; the notebook with its outputs is in .*failed\.ipynb\./);
    assert.match(stderr, /function failing\(n: number\) \{/);
    assert.match(stderr, /TypeError: Cannot read properties of null \(reading 'toString'\)\n {4}at failing \(In \[2\]:2:36\)\n {4}at In \[2\]:5:1/);
    const notebook = JSON.parse(fs.readFileSync(output, 'utf8')) as NotebookJson;
    assert.equal(notebook.cells[1].outputs![0].output_type, 'error');
    assert.equal(notebook.cells[2].execution_count, null);
  });

  it('cellfit run --html OUT writes one self-contained page with the outputs', async () => {
    const html = path.join(out, 'report.html');
    const { code, stderr } = await cellfitRun([path.join(NOTEBOOKS, 'outputs.ipynb'), '--output', path.join(out, 'report.ipynb'), '--html', html]);
    assert.equal(code, 0, stderr);
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /<h1>Outputs of the cellfit kernel<\/h1>/);
    assert.match(page, /<pre class="stream stdout">hello 0\nhello 1\n<\/pre>/);
    assert.match(page, /<td[^>]*>train<\/td>/);
    assert.match(page, /<pre class="error"><span style="color: red; font-weight: bold">RangeError<\/span>: no hello/);
    assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href=/, 'nothing is loaded from elsewhere');
  });

  it('cellfit run --timeout S interrupts a cell that runs longer and fails the run', async () => {
    const notebook = path.join(NOTEBOOKS, 'failing.ipynb');
    const looping = JSON.parse(fs.readFileSync(notebook, 'utf8')) as NotebookJson;
    // The looping cell alone: on a loaded machine any other cell too could take longer than 1 s.
    looping.cells = [{ ...looping.cells[1], source: ['while (true) {}'] }];
    const input = path.join(out, 'looping.ipynb');
    fs.writeFileSync(input, JSON.stringify(looping));
    const { code, stderr } = await cellfitRun([input, '--timeout', '1', '--cwd', NOTEBOOKS]);
    assert.equal(code, 1);
    assert.match(stderr, /cell 1 failed/);
    assert.match(stderr, /Interrupted: the cell was interrupted/);
  });

  it('cellfit run names bad arguments', async () => {
    const missing = await cellfitRun(['nope.ipynb']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cellfit run: no such notebook: nope\.ipynb\./);
    const badParameter = await cellfitRun([path.join(NOTEBOOKS, 'outputs.ipynb'), '-p', 'novalue']);
    assert.match(badParameter.stderr, /cellfit run: parameters are -p NAME=VALUE\. Received: -p "novalue"\./);
    const unknown = await cellfitRun([path.join(NOTEBOOKS, 'outputs.ipynb'), '--frobnicate']);
    assert.match(unknown.stderr, /cellfit run: unknown option --frobnicate\./);
  });
});
