/**
 * Fixtures for "cellfit anywhere": notebook files in temporary folders, and projects that hold
 * their own copy of tf.js — made offline from the packages in this repository's node_modules.
 */
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';

/** The repository root (tests run from dist/test/support). */
const REPO = path.resolve(__dirname, '..', '..', '..');

/** The tf.js packages `@tensorflow/tfjs` is made of (what a project installing it gets). */
export const TFJS_PACKAGES = ['tfjs', 'tfjs-core', 'tfjs-layers', 'tfjs-converter', 'tfjs-data', 'tfjs-backend-cpu', 'tfjs-backend-webgl'].map((base) => `@tensorflow/${base}`);

/**
 * Gives `project` its own copy of tf.js: the repository's packages as separate files (hard links,
 * so Node loads them as another copy), their other dependencies as symlinks. With `version`, the
 * copy's package.json files claim that version (a project on another release).
 */
export function installOwnTfjs(project: string, version?: string): void {
  const modules = path.join(project, 'node_modules');
  const linked = new Set<string>();
  for (const name of TFJS_PACKAGES) {
    const source = packageDir(name, REPO);
    const target = path.join(modules, name);
    copyTree(source, target);
    if (version !== undefined) {
      const manifest = path.join(target, 'package.json');
      const json = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, unknown>;
      fs.unlinkSync(manifest); // a hard link: writing in place would change the repository's copy
      fs.writeFileSync(manifest, JSON.stringify({ ...json, version }, null, 2));
    }
    const { dependencies = {} } = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(dependencies)) {
      if (TFJS_PACKAGES.includes(dependency) || linked.has(dependency)) continue;
      linked.add(dependency);
      const link = path.join(modules, dependency);
      fs.mkdirSync(path.dirname(link), { recursive: true });
      if (!fs.existsSync(link)) fs.symlinkSync(packageDir(dependency, source), link, 'dir');
    }
  }
}

/** The directory of package `name` as Node would find it from `from`. */
function packageDir(name: string, from: string): string {
  const paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(from);
  for (const dir of paths) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
  }
  throw new Error(`package ${name} not found from ${from}`);
}

/** Copies a directory tree as hard links (falling back to copies across file systems). */
function copyTree(source: string, target: string): void {
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) copyTree(from, to);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}

/** A code cell's outputs as `cellfit run` or nbconvert saved them. */
export interface SavedOutput {
  readonly output_type: string;
  readonly name?: string;
  readonly text?: string | string[];
  readonly data?: Record<string, unknown>;
  readonly ename?: string;
  readonly evalue?: string;
}

/** Writes a notebook of code cells (TypeScript, for the cellfit kernel) and returns its path. */
export function writeNotebook(dir: string, name: string, cells: readonly string[]): string {
  const file = path.join(dir, name);
  const notebook = {
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `cell-${i}`, metadata: {}, source, outputs: [], execution_count: null })),
    metadata: { kernelspec: { name: 'cellfit', display_name: 'TypeScript (cellfit)', language: 'typescript' }, language_info: { name: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(notebook, null, 1));
  return file;
}

/** The outputs of each code cell of a saved notebook. */
export function savedOutputs(file: string): SavedOutput[][] {
  const notebook = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { cell_type: string; outputs?: SavedOutput[] }[] };
  return notebook.cells.filter((cell) => cell.cell_type === 'code').map((cell) => cell.outputs ?? []);
}

/** All text of a cell's outputs: streams, plain-text results and errors. */
export function outputText(outputs: readonly SavedOutput[]): string {
  const joined = (value: unknown) => (Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '');
  return outputs.map((output) => joined(output.text) + joined(output.data?.['text/plain']) + (output.evalue ?? '')).join('\n');
}

/**
 * A notebook that uses cellfit the way the README does: typed cells (a tabulated space whose
 * label does arithmetic on its point's fields, no casts), a split, and a training run that
 * draws its live chart.
 */
export const TRAINING_NOTEBOOK: readonly string[] = [
  "import { tabulateInputSpace, train, setSeed, split, tf } from 'cellfit';\nimport * as fs from 'node:fs';\nfs.existsSync('.')",
  "const space = tabulateInputSpace(\n  { t: { min: 0, max: 1, step: 0.05 }, fluid: ['water', 'glycol'] },\n  { label: (p) => Math.sin(p.t / 2) + (p.fluid === 'water' ? 0 : 1) },\n);\nspace.size",
  "const { train: rows, test } = split(Array.from({ length: 20 }, (_, i) => ({ x: i / 20, y: 2 * i / 20 })), { train: 0.8, test: 0.2, seed: 1 });\n[rows.length, test.length, rows[0].x + rows[0].y >= 0]",
  "setSeed(1);\nconst model = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [3], activation: 'tanh' }), tf.layers.dense({ units: 1 })] });\nmodel.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });\nconst run = await train(model, space, { epochs: 3, checkpoint: false });\nrun.status",
];
