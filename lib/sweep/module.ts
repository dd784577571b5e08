/**
 * Trial modules: the form a trial takes to run in other processes. A notebook's closure cannot
 * travel to a worker process or another machine, so — as an Optuna or W&B agent script — the trial
 * is an exported function of a file every worker loads: `{ module: './trial.ts', export: 'trial' }`
 * or the string `'./trial.ts#trial'`. `.js`/`.cjs` files load with `require`; `.ts` files are
 * transpiled on load with the TypeScript cellfit ships (tslab's, the one notebooks compile with):
 * types are not checked, as with ts-node's transpile-only mode, and a project's own `typescript`
 * cannot break it (TypeScript 7 has another JavaScript API).
 *
 * A worker process resolves `cellfit` and the packages it provides for a trial module in any
 * folder, as the kernel does for notebooks ({@link provideCellfitPackages}).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail, formatValue } from '../errors';
import { installModuleResolution, tslabTypeScriptPath } from '../modules';
import type { TrialFunction } from './trial';

/** A trial given as a module: its file and the exported function (default: `trial`, else the default export). */
export interface TrialModule {
  readonly module: string;
  readonly export?: string;
}

/** The trial option, resolved: an absolute path and an export name. */
export interface ResolvedModule {
  readonly path: string;
  readonly export: string;
}

/** Resolves a module trial (`'./trial.ts#trial'` or `{ module, export }`) against `cwd`. */
export function resolveTrialModule(trial: string | TrialModule, where: string, cwd = process.cwd()): ResolvedModule {
  const spec = typeof trial === 'string' ? { module: trial.split('#')[0], export: trial.includes('#') ? trial.slice(trial.indexOf('#') + 1) : undefined } : trial;
  if (typeof spec.module !== 'string' || spec.module === '') fail(where, `a trial module needs a file: { module: './trial.ts', export: 'trial' }. Received: ${formatValue(trial)}.`);
  if (spec.export !== undefined && (typeof spec.export !== 'string' || spec.export === '')) fail(where, `\`export\` must name an exported function. Received: export=${formatValue(spec.export)}.`);
  const file = path.resolve(cwd, spec.module);
  if (!fs.existsSync(file)) fail(where, `the trial module ${file} does not exist.`);
  return { path: file, export: spec.export ?? 'trial' };
}

/** Loads the trial function of a resolved module in this process. */
export function loadTrialFunction({ path: file, export: name }: ResolvedModule, where: string): TrialFunction {
  if (/\.[cm]?tsx?$/.test(file)) registerTypeScript(where);
  let exports: Record<string, unknown>;
  try {
    // The file as it is now: an edited module must not run its old code from require's cache
    // (a sweep executed again after an edit starts a new version with the new code).
    delete require.cache[file];
    exports = require(file) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') fail(where, `the trial module ${file} is an ES module; cellfit loads CommonJS modules and .ts files. Use a .cjs or .ts file.`);
    throw error;
  }
  return exportedTrial(exports, { path: file, export: name }, where);
}

/** The trial function `module.export` names among a loaded module's `exports`. */
function exportedTrial(exports: Record<string, unknown>, { path: file, export: name }: ResolvedModule, where: string): TrialFunction {
  const fn = name === 'trial' && typeof exports.trial !== 'function' ? (typeof exports.default === 'function' ? exports.default : exports) : exports[name];
  if (typeof fn !== 'function') {
    const functions = Object.keys(exports).filter((key) => typeof exports[key] === 'function');
    fail(where, `the trial module ${file} exports no function \`${name}\`. Its exported functions: ${functions.length ? functions.join(', ') : 'none'}.`);
  }
  return fn as TrialFunction;
}

/**
 * The TypeScript that transpiles trial modules: the build tslab bundles (a dependency of cellfit, so
 * present wherever cellfit is installed), never whatever `typescript` the project happens to have.
 */
export function trialTypeScript(where: string): typeof import('typescript') {
  try {
    return require(tslabTypeScriptPath()) as typeof import('typescript');
  } catch (error) {
    return fail(where, `cannot load the TypeScript compiler cellfit ships (@tslab/typescript-for-tslab, a dependency of tslab): ${(error as Error).message}. Reinstall cellfit, or compile the trial module to .js.`);
  }
}

/** Makes `require` load .ts files by transpiling them (once per process; an existing loader wins). */
function registerTypeScript(where: string): void {
  const extensions = require.extensions as Record<string, (module: NodeModule, filename: string) => void>;
  if (extensions['.ts']) return;
  const ts = trialTypeScript(where);
  const load = (module: NodeModule, filename: string) => {
    const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true, inlineSources: true },
    });
    (module as unknown as { _compile(code: string, file: string): void })._compile(outputText, filename);
  };
  for (const extension of ['.ts', '.cts', '.mts']) extensions[extension] ??= load;
}

let provided = false;

/**
 * Lets trial modules in any folder `require('cellfit')` and the packages cellfit provides (arquero,
 * tf.js, ...), resolved from this installation when the module's own folder has none — the rule
 * notebooks follow in the kernel (lib/modules.ts), installed in the processes that load trial
 * modules: local worker processes and `cellfit worker`. Once per process; `onForeignTfjs` hears
 * when a module loads a tf.js of another version than cellfit's.
 */
export function provideCellfitPackages(onForeignTfjs: (message: string) => void = (message) => process.stderr.write(message)): void {
  if (provided) return;
  provided = true;
  installModuleResolution({ onForeignTfjs });
}

/** cellfit's own compiled files: loaded once per process, never reloaded (a second copy would be a second tf.js). */
const CELLFIT_FILES = path.resolve(__dirname, '..', '..') + path.sep;

/**
 * The trial functions a long-lived process loads, sweep after sweep (a kept local worker process):
 * a module is loaded again — with every file of the user's it had loaded — when any of those files
 * changed since, so an edited trial or helper runs its new code; otherwise the loaded function
 * (and the module's own caches, a dataset built at load time) is reused.
 *
 * @example
 * const modules = new TrialModules();
 * const fn = modules.load({ path: '/work/trial.ts', export: 'trial' }, 'sweep() worker');
 */
export class TrialModules {
  /** What each of the user's loaded files held when it was loaded. */
  private readonly contents = new Map<string, string>();

  load(module: ResolvedModule, where: string): TrialFunction {
    if (this.changed(module.path)) {
      for (const file of this.contents.keys()) delete require.cache[file];
      this.contents.clear();
    } else if (require.cache[module.path]) {
      return exportedTrial(require.cache[module.path]!.exports as Record<string, unknown>, module, where);
    }
    const fn = loadTrialFunction(module, where);
    for (const file of [module.path, ...Object.keys(require.cache)]) {
      if (isUserFile(file) && !this.contents.has(file)) this.contents.set(file, readOrEmpty(file));
    }
    return fn;
  }

  /** Whether `file`, or any user file loaded before, differs from what was loaded (or was never loaded). */
  private changed(file: string): boolean {
    if (!this.contents.has(file)) return true;
    for (const [loaded, content] of this.contents) if (readOrEmpty(loaded) !== content) return true;
    return false;
  }
}

function isUserFile(file: string): boolean {
  return path.isAbsolute(file) && !file.startsWith(CELLFIT_FILES) && !file.includes(`${path.sep}node_modules${path.sep}`);
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
