/**
 * The tutorials as a job: find the notebooks in `notebooks/`, execute each headless with the
 * cellfit runner (Node only, no Jupyter) into an executed notebook and a self-contained HTML page,
 * a few at a time, and summarise how each went. `npm start` and the notebook tests both use it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { notebookToHtml } from '../kernel/runner/html';
import { parseNotebook, serializeNotebook, sourceText, type Notebook } from '../kernel/runner/notebook';
import { runNotebook } from '../kernel/runner/run';
import { stripAnsi } from '../kernel/traceback';

/** The repository root (this file runs from `dist/scripts/`). */
export const REPO = path.resolve(__dirname, '..', '..');
/** Where the tutorials live. */
export const TUTORIALS = path.join(REPO, 'notebooks');

/** The tutorial notebooks of `dir` (`NN-name.ipynb`), in order. */
export function tutorialNotebooks(dir = TUTORIALS): string[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d\d-.+\.ipynb$/.test(file))
    .sort()
    .map((file) => path.join(dir, file));
}

/** How one tutorial went. */
export interface TutorialResult {
  /** The notebook's name, e.g. `01-useful-overfitting`. */
  readonly name: string;
  readonly status: 'ok' | 'failed';
  /** Wall-clock seconds, kernel start to shutdown. */
  readonly seconds: number;
  /** Outputs recorded, over all cells. */
  readonly outputs: number;
  /** The executed notebook and its HTML page. */
  readonly notebook: string;
  readonly html: string;
  /** The executed notebook, as recorded. */
  readonly executed: Notebook;
  /** For a failure: the cell (1-based, as `cellfit run` counts) and its error, ANSI stripped. */
  readonly failure?: { readonly cell: number; readonly source: string; readonly error: string };
}

/** Options of {@link runTutorial} and {@link runTutorials}. */
export interface TutorialOptions {
  /** Where `NAME.ipynb` and `NAME.html` go. */
  readonly outDir: string;
  /** The kernel's working directory. Defaults to the notebook's directory. */
  readonly cwd?: string;
  /** Seconds a cell may run before it counts as failed. Defaults to 600. */
  readonly timeoutSeconds?: number;
}

/** Executes one notebook into `outDir/NAME.ipynb` and `outDir/NAME.html`. */
export async function runTutorial(file: string, { outDir, cwd = path.dirname(file), timeoutSeconds = 600 }: TutorialOptions): Promise<TutorialResult> {
  const name = path.basename(file, '.ipynb');
  const notebookFile = path.join(outDir, `${name}.ipynb`);
  const htmlFile = path.join(outDir, `${name}.html`);
  fs.mkdirSync(outDir, { recursive: true });
  const started = performance.now();
  const result = await runNotebook(parseNotebook(fs.readFileSync(file, 'utf8'), file), { cwd, timeoutSeconds });
  const seconds = (performance.now() - started) / 1000;
  fs.writeFileSync(notebookFile, serializeNotebook(result.notebook));
  fs.writeFileSync(htmlFile, notebookToHtml(result.notebook, name));
  const outputs = result.notebook.cells.reduce((count, cell) => count + (cell.outputs?.length ?? 0), 0);
  const failure = result.failed && {
    cell: result.failed.index + 1,
    source: sourceText(result.failed.cell),
    error: result.failed.error ? stripAnsi(result.failed.error.traceback.join('\n')) : 'the cell did not finish',
  };
  return { name, status: failure ? 'failed' : 'ok', seconds, outputs, notebook: notebookFile, html: htmlFile, executed: result.notebook, ...(failure ? { failure } : {}) };
}

/**
 * Executes `files`, `concurrency` at a time (each in its own kernel), calling `onDone` as each
 * finishes; the results come back in the order of `files`.
 */
export async function runTutorials(
  files: readonly string[],
  options: TutorialOptions & { concurrency?: number; onDone?: (result: TutorialResult) => void },
): Promise<TutorialResult[]> {
  const { concurrency = defaultConcurrency(), onDone, ...rest } = options;
  const results: TutorialResult[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      results[index] = await runTutorial(files[index], rest);
      onDone?.(results[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, files.length)) }, worker));
  return results;
}

/** One kernel per core (tensors on wasm or cpu use one core each), at most 4. */
export function defaultConcurrency(): number {
  const fromEnv = Number(process.env.CELLFIT_JOBS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** The summary table `npm start` prints. */
export function summaryTable(results: readonly TutorialResult[]): string {
  const rows = results.map((r) => [r.name, r.status, r.seconds.toFixed(1), String(r.outputs)]);
  const header = ['notebook', 'status', 'seconds', 'outputs'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
