/**
 * Which copies of cellfit and of TensorFlow.js a notebook — or a sweep's trial module in a worker
 * process — gets, wherever it lives. Node module resolution only: the kernel installs it for
 * notebooks (kernel/main.ts), lib/sweep/module.ts for the processes that load trial modules.
 *
 * 1. **The notebook's own project first.** A `cellfit` installed in a `node_modules` above the
 *    notebook directory runs the whole kernel ({@link projectCli}: the kernel hands over to it, as
 *    eslint or jest hand over to a project's own copy); a `@tensorflow/tfjs` there is what the
 *    notebook imports, as Node would resolve it.
 * 2. **Else the kernel's.** `cellfit`, its dependencies (arquero, …) and the tf.js packages resolve
 *    from the kernel's installation when the notebook's project has none ({@link providedPackage}),
 *    for the type checker (kernel/tslab.ts) and at run time ({@link installModuleResolution}).
 * 3. **One tf.js engine.** tf.js keeps one engine per process (a global), but every copy of its
 *    packages brings its own classes and registers its kernels again, so a model built with a
 *    project's copy is not a `LayersModel` to cellfit. A project copy of the same version as the
 *    kernel's is therefore loaded as the kernel's (the same files, so the same classes); a copy of
 *    another version is loaded as it is, and the user is told once what to do ({@link foreignTfjsMessage}).
 */
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';

/** The root of the cellfit installation this kernel runs from (the directory of its package.json). */
export const KERNEL_ROOT = path.resolve(__dirname, '..', '..');

/** The directory of the tslab installation cellfit depends on (it bundles the TypeScript cellfit compiles with). */
export const tslabRoot = (): string => path.dirname(require.resolve('tslab/package.json'));

/**
 * The file of the TypeScript compiler cellfit compiles notebooks and trial modules with: the build
 * tslab bundles (`@tslab/typescript-for-tslab`, present wherever cellfit is installed), never
 * whatever `typescript` the project happens to have.
 *
 * @example
 * const ts = require(tslabTypeScriptPath()) as typeof import('typescript');
 */
export function tslabTypeScriptPath(): string {
  return require.resolve('@tslab/typescript-for-tslab', { paths: [tslabRoot()] });
}

/** The versions of tslab and of its TypeScript, read from their package.json files (without loading TypeScript). */
export function tslabVersions(): { readonly tslab: string; readonly typescript: string } {
  const version = (request: string) => (JSON.parse(fs.readFileSync(require.resolve(request, { paths: [tslabRoot()] }), 'utf8')) as { version: string }).version;
  return { tslab: version('tslab/package.json'), typescript: version('@tslab/typescript-for-tslab/package.json') };
}

interface Manifest {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

const kernelManifest = readManifest(KERNEL_ROOT) ?? {};
const PACKAGE_NAME = kernelManifest.name ?? 'cellfit';

/** The package a module request names (`@scope/name` or `name`), or `undefined` for paths and builtins. */
export function packageName(request: string): string | undefined {
  if (request === '' || request.startsWith('.') || path.isAbsolute(request) || request.includes(':')) return undefined;
  const parts = request.split('/');
  if (request.startsWith('@')) return parts.length >= 2 && parts[1] !== '' ? `${parts[0]}/${parts[1]}` : undefined;
  return parts[0];
}

/**
 * True when the kernel provides `request` to notebooks whose project lacks it: cellfit itself, its
 * dependencies, and every `@tensorflow/tfjs*` package (the tf.js cellfit trains with).
 */
export function providedPackage(request: string): boolean {
  const name = packageName(request);
  if (name === undefined) return false;
  return (
    name === PACKAGE_NAME ||
    name.startsWith('@tensorflow/tfjs') ||
    Object.prototype.hasOwnProperty.call(kernelManifest.dependencies ?? {}, name) ||
    Object.prototype.hasOwnProperty.call(kernelManifest.optionalDependencies ?? {}, name)
  );
}

const kernelRequire = Module.createRequire(path.join(KERNEL_ROOT, 'package.json'));

/** Resolves `request` as cellfit's own code would (Node's rules, cellfit's self-reference included); throws when absent. */
export function resolveFromKernel(request: string): string {
  return kernelRequire.resolve(request);
}

/** The directory of package `name` as Node finds it from `from` (walking up the node_modules folders). */
function findPackageDir(name: string, from: string): string | undefined {
  const paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(from);
  for (const dir of paths) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

const kernelDirs = new Map<string, string | undefined>();

/** Where the kernel's installation holds package `name` (cellfit itself: the kernel's root). */
function kernelPackageDir(name: string): string | undefined {
  if (name === PACKAGE_NAME) return KERNEL_ROOT;
  if (!kernelDirs.has(name)) kernelDirs.set(name, findPackageDir(name, KERNEL_ROOT));
  return kernelDirs.get(name);
}

const projectHas = new Map<string, boolean>();

/** True when a node_modules folder at or above `dir` holds package `name`. */
function projectHasPackage(dir: string, name: string): boolean {
  const key = `${dir}\0${name}`;
  if (!projectHas.has(key)) projectHas.set(key, findPackageDir(name, path.join(dir, 'notebook')) !== undefined);
  return projectHas.get(key)!;
}

/**
 * The type checker's view of the kernel's installation: for a notebook in `dir`, the path
 * `dir/node_modules/NAME/…` of a package the notebook's project lacks stands for the kernel's copy
 * of NAME, and this returns the real file (`undefined` for any other path). Seen there — flat,
 * cellfit's own `node_modules` hidden — the packages resolve as Node's fallback resolves them at
 * run time, and the declarations of later cells can name their types (`import("arquero").ColumnTable`),
 * which TypeScript refuses for a node_modules folder outside the notebook's ancestors (TS2742).
 * tslab fakes `node_modules/tslab` the same way. The packages' own dependencies are in the view
 * too, so that their declarations resolve; `require` falls back for {@link providedPackage}s only.
 */
export function providedPath(dir: string, file: string): string | undefined {
  const modules = path.join(dir, 'node_modules');
  if (!file.startsWith(modules + path.sep)) return undefined;
  const rest = file.slice(modules.length + 1).split(path.sep);
  if (rest[0].startsWith('@') && rest.length < 2) return undefined;
  const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  const inner = rest.slice(name.split('/').length);
  if (name === PACKAGE_NAME && inner[0] === 'node_modules') return undefined;
  if (projectHasPackage(dir, name)) return undefined;
  const kernelDir = kernelPackageDir(name);
  return kernelDir === undefined ? undefined : path.join(kernelDir, ...inner);
}

// ---------------------------------------------------------------------------------------------
// The project's own cellfit

/**
 * The CLI of the cellfit that the project holding `dir` installed, when that is another copy than
 * this one (and has been built); `undefined` when the project has none or it is this very copy.
 */
export function projectCli(dir: string): string | undefined {
  let manifestFile: string;
  try {
    // createRequire from a file in `dir`, so that Node's self-reference (a notebook inside a
    // cellfit checkout) counts as well as node_modules.
    manifestFile = Module.createRequire(path.join(dir, 'notebook.js')).resolve(`${PACKAGE_NAME}/package.json`);
  } catch {
    return undefined;
  }
  const root = path.dirname(manifestFile);
  if (realpath(root) === realpath(KERNEL_ROOT)) return undefined;
  const cli = path.join(root, 'dist', 'kernel', 'cli.js');
  return fs.existsSync(cli) ? cli : undefined;
}

function realpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

// ---------------------------------------------------------------------------------------------
// One tf.js

/** A copy of a tf.js package on disk. */
export interface TfjsCopy {
  readonly name: string;
  readonly dir: string;
  readonly version: string;
}

const TFJS_SCOPE = `${path.sep}node_modules${path.sep}@tensorflow${path.sep}`;

/** The tf.js package that `file` belongs to, and the path of `file` inside it. */
export function tfjsPackageOf(file: string): { name: string; dir: string; inner: string } | undefined {
  const at = file.lastIndexOf(TFJS_SCOPE);
  if (at < 0) return undefined;
  const start = at + TFJS_SCOPE.length;
  const end = file.indexOf(path.sep, start);
  if (end < 0) return undefined;
  const base = file.slice(start, end);
  if (!base.startsWith('tfjs')) return undefined;
  return { name: `@tensorflow/${base}`, dir: file.slice(0, end), inner: file.slice(end + 1) };
}

const versions = new Map<string, string | undefined>();

function versionOf(dir: string): string | undefined {
  if (!versions.has(dir)) versions.set(dir, readManifest(dir)?.version);
  return versions.get(dir);
}

let kernelCopies: Map<string, TfjsCopy> | undefined;

/** The tf.js packages cellfit itself loads, by name: `@tensorflow/tfjs` and the packages it resolves. */
export function kernelTfjs(): ReadonlyMap<string, TfjsCopy> {
  if (kernelCopies) return kernelCopies;
  kernelCopies = new Map();
  let umbrella: string;
  try {
    umbrella = path.dirname(kernelRequire.resolve('@tensorflow/tfjs/package.json'));
  } catch {
    return kernelCopies;
  }
  const names = ['tfjs', 'tfjs-core', 'tfjs-layers', 'tfjs-converter', 'tfjs-data', 'tfjs-backend-cpu', 'tfjs-backend-webgl', 'tfjs-backend-wasm', 'tfjs-node'];
  for (const base of names) {
    const name = `@tensorflow/${base}`;
    try {
      const dir = path.dirname(require.resolve(`${name}/package.json`, { paths: [umbrella, KERNEL_ROOT] }));
      const version = versionOf(dir);
      if (version) kernelCopies.set(name, { name, dir: realpath(dir), version });
    } catch {
      // Not installed (tfjs-node is optional).
    }
  }
  return kernelCopies;
}

/** What {@link oneTfjs} decided about a resolved file. */
export type TfjsChoice =
  /** Not in another copy of a tf.js package the kernel has: used as it is. */
  | { readonly kind: 'own'; readonly file: string }
  /** In a copy of the kernel's version: the kernel's file instead. */
  | { readonly kind: 'shared'; readonly file: string }
  /** In a copy of another version: used as it is, but models from it are not cellfit's. */
  | { readonly kind: 'foreign'; readonly file: string; readonly copy: TfjsCopy; readonly kernel: TfjsCopy };

/** Decides which file a resolved tf.js module should be, so that one version loads once (see the module comment). */
export function oneTfjs(file: string): TfjsChoice {
  const found = tfjsPackageOf(file);
  if (!found) return { kind: 'own', file };
  const kernel = kernelTfjs().get(found.name);
  if (!kernel) return { kind: 'own', file };
  const dir = realpath(found.dir);
  if (dir === kernel.dir) return { kind: 'own', file };
  const version = versionOf(found.dir);
  if (version === kernel.version) {
    const shared = path.join(kernel.dir, found.inner);
    return fs.existsSync(shared) ? { kind: 'shared', file: shared } : { kind: 'own', file };
  }
  return { kind: 'foreign', file, copy: { name: found.name, dir, version: version ?? 'unknown' }, kernel };
}

/** What the user reads when a notebook loads a tf.js of another version than cellfit's. */
export function foreignTfjsMessage(copy: TfjsCopy, kernel: TfjsCopy): string {
  return (
    `cellfit: this notebook's project has its own ${copy.name} ${copy.version} (${copy.dir}), another version than the ` +
    `${kernel.version} cellfit trains with (${kernel.dir}). Two versions are two tf.js engines: a model built with the ` +
    `project's copy is not a model cellfit can train, and tf.js warns "already registered" while the second copy loads. Either\n` +
    `  - build models with cellfit's copy: import { tf } from 'cellfit' (instead of from '${copy.name}'), or\n` +
    `  - install cellfit's version in the project: cd ${projectDirOf(copy.dir)} && npm install ${copy.name}@${kernel.version}\n` +
    `    (then the notebook and cellfit share one engine).\n`
  );
}

function projectDirOf(packageDir: string): string {
  const at = packageDir.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  return at < 0 ? packageDir : packageDir.slice(0, at);
}

// ---------------------------------------------------------------------------------------------
// Run time

type ResolveFilename = (request: string, parent: NodeJS.Module | undefined, isMain: boolean, options?: unknown) => string;
const ModuleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

/** Options of {@link installModuleResolution}. */
export interface ResolutionOptions {
  /** Told once per kernel session when a notebook loads a tf.js of another version than cellfit's. */
  readonly onForeignTfjs: (message: string) => void;
}

let onForeignTfjs: ((message: string) => void) | undefined;
let told = false;

/**
 * Tells the user (once per session) when `file`, a module the notebook resolved — for the type
 * checker or at run time — is in a tf.js copy of another version than cellfit's. The type checker
 * resolves first, so the message comes before the type errors such a model gives.
 */
export function noticeResolved(file: string): TfjsChoice {
  const choice = oneTfjs(file);
  if (choice.kind === 'foreign' && !told && onForeignTfjs) {
    told = true;
    onForeignTfjs(foreignTfjsMessage(choice.copy, choice.kernel));
  }
  return choice;
}

let installed: { original: ResolveFilename } | undefined;

/**
 * Makes `require` in this process follow the rules of the module comment: modules the kernel
 * provides resolve from it when the requiring file's project lacks them, and tf.js loads once per
 * version. Node has no public synchronous resolve hook for CommonJS before v22, so this wraps
 * `Module._resolveFilename`, as module-alias and tsconfig-paths do. Returns a function that undoes it.
 *
 * @example
 * installModuleResolution({ onForeignTfjs: (message) => process.stderr.write(message) });
 */
export function installModuleResolution(options: ResolutionOptions): () => void {
  if (installed) ModuleInternals._resolveFilename = installed.original;
  const original = ModuleInternals._resolveFilename;
  onForeignTfjs = options.onForeignTfjs;
  told = false;
  ModuleInternals._resolveFilename = function resolveFilename(this: unknown, request, parent, isMain, resolveOptions) {
    let file: string;
    try {
      file = original.call(this, request, parent, isMain, resolveOptions);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !providedPackage(request)) throw error;
      try {
        file = resolveFromKernel(request);
      } catch {
        throw error;
      }
    }
    return noticeResolved(file).file;
  };
  installed = { original };
  return () => {
    if (installed?.original === original) {
      ModuleInternals._resolveFilename = original;
      installed = undefined;
      onForeignTfjs = undefined;
    }
  };
}
