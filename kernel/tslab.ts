/**
 * The one module that reaches into tslab's internals (`tslab/dist/...`) and the TypeScript build
 * tslab bundles (`@tslab/typescript-for-tslab`). None of this is tslab's public API (that is only
 * `display`, `newDisplay` and `versions`), which is why package.json pins tslab to one exact version.
 *
 * What cellfit takes from tslab: its converter (declarations that carry over between cells,
 * top-level `await`, capture of the last expression, completion, quick info), `isCompleteCode`,
 * `printQuickInfo`, the `require` cells get, and the hook behind tslab's `display` / `newDisplay()`.
 *
 * What it adds, by wrapping the TypeScript module tslab loads (before tslab loads it):
 * - source maps through both of tslab's compile steps (TypeScript → ES module → CommonJS), so that
 *   runtime errors point at the cell's own lines;
 * - the packages the kernel provides (cellfit, its dependencies, tf.js) for notebooks anywhere,
 *   seen in the notebook's `node_modules` when its project lacks them (lib/modules.ts), and
 *   Node's types where no project has them.
 */
import Module from 'node:module';
import path from 'node:path';
import type * as TS from '@tslab/typescript-for-tslab';
import type * as ConverterModule from 'tslab/dist/converter';
import type * as ExecutorModule from 'tslab/dist/executor';
import type * as InspectModule from 'tslab/dist/inspect';
import { KERNEL_ROOT, noticeResolved, providedPath, tslabRoot, tslabTypeScriptPath } from '../lib/modules';
import { createCellWatchProgram, type CellEmitHooks } from './program';
import { SourceMap } from './sourcemap';

const typescriptPath = tslabTypeScriptPath();
const ts: typeof TS = require(typescriptPath);

// ---------------------------------------------------------------------------------------------
// The TypeScript module as tslab sees it. Its exports are non-configurable getters, so they cannot
// be patched in place; instead a Proxy takes the module's place in require's cache before any tslab
// module requires it.

interface CompiledMaps {
  /** The emitted JavaScript → TypeScript (with tslab's one-line `export {};` prefix). */
  readonly toTypeScript: SourceMap;
  /** CommonJS → ES module JavaScript, when the CommonJS came from a second compile step. */
  readonly toModule?: SourceMap;
}

/** Maps of the latest transpile outputs, keyed by output text; drained by each conversion. */
const mapsByOutput = new Map<string, CompiledMaps>();
const INLINE_MAP = /\n?\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
const EXTERNAL_MAP_COMMENT = /\n?\/\/# sourceMappingURL=custom\.js\.map\s*$/;

/** The global Int32Array whose first element is non-zero while an interrupt is pending. */
export const INTERRUPT_FLAG = '__cellfit_interrupt_flag__';
/** The global function loop guards call to throw the interrupt. */
export const INTERRUPT_THROW = '__cellfit_interrupt__';

/**
 * Puts `if (FLAG[0] !== 0) THROW();` at the top of every loop body, so an interrupt stops loops of
 * cell code wherever they run — also after an `await`, where SIGINT cannot reach them (vm's
 * breakOnSigint only covers the synchronous start of a cell). The flag is shared memory the
 * socket thread sets; reading it costs about as much as one array read per iteration.
 */
function loopGuards(context: TS.TransformationContext): TS.Transformer<TS.SourceFile> {
  const f = context.factory;
  const guard = () =>
    f.createIfStatement(
      f.createStrictInequality(f.createElementAccessExpression(f.createIdentifier(INTERRUPT_FLAG), 0), f.createNumericLiteral(0)),
      f.createExpressionStatement(f.createCallExpression(f.createIdentifier(INTERRUPT_THROW), undefined, [])),
    );
  const guarded = (body: TS.Statement) => f.createBlock([guard(), body], true);
  const visit = (node: TS.Node): TS.Node => {
    const n = ts.visitEachChild(node, visit, context);
    if (ts.isWhileStatement(n)) return f.updateWhileStatement(n, n.expression, guarded(n.statement));
    if (ts.isDoStatement(n)) return f.updateDoStatement(n, guarded(n.statement), n.expression);
    if (ts.isForStatement(n)) return f.updateForStatement(n, n.initializer, n.condition, n.incrementor, guarded(n.statement));
    if (ts.isForInStatement(n)) return f.updateForInStatement(n, n.initializer, n.expression, guarded(n.statement));
    if (ts.isForOfStatement(n)) return f.updateForOfStatement(n, n.awaitModifier, n.initializer, n.expression, guarded(n.statement));
    return n;
  };
  return (file) => ts.visitNode(file, visit) as TS.SourceFile;
}

/** TypeScript's CommonJS module transformer (internal, exported by the build tslab bundles). */
const transformModule = (ts as unknown as { transformModule: TS.TransformerFactory<TS.SourceFile> }).transformModule;

/**
 * The CommonJS module transform, run as the last transformer of the emit that compiles a cell
 * (whose program checks cells as ES modules, for top-level `await` and imports): the emit writes
 * CommonJS straight away, where tslab printed an ES module and compiled that text again
 * (`esModuleToCommonJSModule`: a parse, a program and a transform per cell, ~20% of a cell's time,
 * profiled). It is the transform that second step ran, with the same options (module CommonJS,
 * esModuleInterop, no "use strict"), after tslab's own (which rewrites references to earlier
 * cells into `exports.x` and keeps the last expression as `export const tsLastExpr`) and the loop
 * guards; the emit's source map then maps the CommonJS to the cell in one step.
 */
function commonJsModule(context: TS.TransformationContext): TS.Transformer<TS.SourceFile> {
  const options: TS.CompilerOptions = { ...context.getCompilerOptions(), module: ts.ModuleKind.CommonJS, noImplicitUseStrict: true };
  return transformModule(Object.create(context, { getCompilerOptions: { value: () => options } }) as TS.TransformationContext);
}

/** Emit outputs already in CommonJS (see {@link commonJsModule}), which tslab's second step passes through. */
const commonJsOutputs = new Set<string>();

const emitHooks: CellEmitHooks = {
  emit: (customTransformers, writeFile) => ({
    customTransformers: { ...customTransformers, after: [...(customTransformers?.after ?? []), loopGuards, commonJsModule] },
    writeFile: (fileName, text, ...rest) => {
      if (fileName.endsWith('.js')) commonJsOutputs.add(text);
      writeFile?.(fileName, text, ...rest);
    },
  }),
};

/** What `ts.transpileModule` sets on every transpile (isolatedModules, noLib, noResolve). */
const transpileOnlyOptions: TS.CompilerOptions = Object.fromEntries(
  (ts as unknown as { transpileOptionValueCompilerOptions: readonly { name: string; transpileOptionValue: TS.CompilerOptionsValue }[] }).transpileOptionValueCompilerOptions.map(
    (option) => [option.name, option.transpileOptionValue],
  ),
);

/**
 * `ts.transpileModule` for tslab's second step (its ES module output → CommonJS), without the type
 * check TypeScript 5.0 runs before any emit: the emit resolver checks the file first, here plain
 * JavaScript checked against no lib, whose diagnostics nobody reads. Profiled, that check was half
 * of the step (the README's "Where a cell's time goes"). The CommonJS transform needs only what
 * the resolver works out on demand (which declaration a name refers to); the code it transforms was
 * already checked and lowered to the target by the first step, so nothing else reads the check.
 * The check is skipped the way TypeScript skips checking a lib file (`skipDefaultLibCheck` on a
 * file marked `no-default-lib`); the output and its source map are transpileModule's, byte for byte.
 */
export function transpileUnchecked(input: string, compilerOptions: TS.CompilerOptions, before: TS.TransformerFactory<TS.SourceFile>[]): TS.TranspileOutput {
  const fileName = 'custom.js';
  const options: TS.CompilerOptions = {
    ...ts.getDefaultCompilerOptions(),
    ...compilerOptions,
    ...transpileOnlyOptions,
    suppressOutputPathCheck: true,
    allowNonTsExtensions: true,
    skipDefaultLibCheck: true,
  };
  const internal = ts as unknown as { getImpliedNodeFormatForFile: typeof ts.getImpliedNodeFormatForFile; getSetExternalModuleIndicator(o: TS.CompilerOptions): (file: TS.SourceFile) => void; getEmitScriptTarget(o: TS.CompilerOptions): TS.ScriptTarget };
  let outputText: string | undefined;
  let sourceMapText: string | undefined;
  const host: TS.CompilerHost = {
    getSourceFile: (name) => (name === fileName ? sourceFile : undefined),
    writeFile: (name, text) => {
      if (name.endsWith('.map')) sourceMapText = text;
      else outputText = text;
    },
    getDefaultLibFileName: () => 'lib.d.ts',
    useCaseSensitiveFileNames: () => false,
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => '',
    getNewLine: () => '\n',
    fileExists: (name) => name === fileName,
    readFile: () => '',
    directoryExists: () => true,
    getDirectories: () => [],
  };
  const sourceFile = ts.createSourceFile(fileName, input, {
    languageVersion: internal.getEmitScriptTarget(options),
    impliedNodeFormat: internal.getImpliedNodeFormatForFile(fileName as TS.Path, undefined, host, options),
    setExternalModuleIndicator: internal.getSetExternalModuleIndicator(options),
  });
  (sourceFile as { hasNoDefaultLib: boolean }).hasNoDefaultLib = true;
  ts.createProgram([fileName], options, host).emit(undefined, undefined, undefined, undefined, { before });
  if (outputText === undefined) throw new Error('the CommonJS conversion of a cell emitted nothing');
  return { outputText, sourceMapText, diagnostics: [] };
}

function transpileWithMaps(input: string, options: TS.TranspileOptions): TS.TranspileOutput {
  const inline = INLINE_MAP.exec(input);
  // tslab's esModuleToCommonJSModule() is the only caller that names its input custom.js.
  if (!inline || options.fileName !== 'custom.js') return ts.transpileModule(input, options);
  if (commonJsOutputs.delete(input)) {
    // Already CommonJS (emitted with commonJsModule): only the inline source map comes off.
    const outputText = `${input.slice(0, inline.index)}\n`;
    mapsByOutput.set(outputText, { toTypeScript: SourceMap.parse(Buffer.from(inline[1], 'base64').toString('utf8')) });
    return { outputText, diagnostics: [] };
  }
  const result = transpileUnchecked(input.slice(0, inline.index), { ...options.compilerOptions, sourceMap: true }, [loopGuards]);
  const outputText = result.outputText.replace(EXTERNAL_MAP_COMMENT, '\n');
  if (result.sourceMapText) {
    mapsByOutput.set(outputText, {
      toTypeScript: SourceMap.parse(Buffer.from(inline[1], 'base64').toString('utf8')),
      toModule: SourceMap.parse(result.sourceMapText),
    });
  }
  return { ...result, outputText };
}

/**
 * tslab's watch host, with inline source maps, Node's types wherever the notebook lives, and a
 * word to the user when a notebook's tf.js is another version than cellfit's (lib/modules.ts).
 */
function watchHost(rootFiles: unknown, options: TS.CompilerOptions, ...rest: unknown[]): unknown {
  const create = ts.createWatchCompilerHost as (...args: unknown[]) => unknown;
  if (!Array.isArray(rootFiles)) return create(rootFiles, options, ...rest);
  const host = create(rootFiles, { ...options, inlineSourceMap: true, typeRoots: withNodeTypes(options.typeRoots ?? []) }, ...rest) as TS.WatchCompilerHostOfFilesAndCompilerOptions<TS.BuilderProgram>;
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (file) => file, options);
  host.getModuleResolutionCache = () => cache;
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions) =>
    literals.map((literal) => {
      const result = ts.resolveModuleName(literal.text, containingFile, compilerOptions, host, cache, redirected);
      const file = result.resolvedModule?.resolvedFileName;
      if (file !== undefined && providedPath(notebookDir(), file) === undefined) noticeResolved(file);
      return result;
    });
  return host;
}

/** `typeRoots` plus the `@types` that holds Node's types, when none of them has (a notebook outside any project). */
function withNodeTypes(typeRoots: readonly string[]): string[] {
  if (typeRoots.some((root) => ts.sys.fileExists(path.join(root, 'node', 'package.json')))) return [...typeRoots];
  try {
    const nodeTypes = require.resolve('@types/node/package.json', { paths: [tslabRoot(), KERNEL_ROOT] });
    return [...typeRoots, path.dirname(path.dirname(nodeTypes))];
  } catch {
    return [...typeRoots];
  }
}

let cwd: string | undefined;

/** The directory tslab's converter is rooted at: the notebook's. */
function notebookDir(): string {
  cwd ??= ts.sys.getCurrentDirectory();
  return cwd;
}

/** A path of the type checker's file system, with the kernel's provided packages in place (see providedPath). */
function onDisk(file: string): string {
  return providedPath(notebookDir(), file) ?? file;
}

const forwardedSys: Partial<TS.System> = {
  fileExists: (file) => ts.sys.fileExists(onDisk(file)),
  directoryExists: (dir) => ts.sys.directoryExists(onDisk(dir)),
  readFile: (file, encoding) => ts.sys.readFile(onDisk(file), encoding),
  getDirectories: (dir) => ts.sys.getDirectories(onDisk(dir)),
  readDirectory: (dir, ...rest) => ts.sys.readDirectory(onDisk(dir), ...rest),
  // A provided package keeps its notebook-side path, so that declarations name it as a package.
  realpath: (file) => (providedPath(notebookDir(), file) !== undefined ? file : ts.sys.realpath ? ts.sys.realpath(file) : file),
};

const sysProxy = new Proxy(ts.sys, {
  get: (target, key, receiver) =>
    Object.prototype.hasOwnProperty.call(forwardedSys, key) ? forwardedSys[key as keyof TS.System] : Reflect.get(target, key, receiver),
});

/** The deferred type packages of the converter {@link createCompiler} is creating (its watch program is made meanwhile). */
let deferredTypesOfNextConverter: (() => ReadonlySet<string>) | undefined;

const overrides: Record<string, unknown> = {
  transpileModule: transpileWithMaps,
  createWatchCompilerHost: watchHost,
  createWatchProgram: (host: Parameters<typeof createCellWatchProgram>[1]) => createCellWatchProgram(ts, host, emitHooks, deferredTypesOfNextConverter),
  sys: sysProxy,
};

const typescriptModule = require.cache[typescriptPath];
const tslabAlreadyLoaded = require.cache[require.resolve('tslab/dist/converter')] !== undefined;
if (typescriptModule && !tslabAlreadyLoaded) {
  typescriptModule.exports = new Proxy(ts, {
    get: (target, key, receiver) => (typeof key === 'string' && key in overrides ? overrides[key] : Reflect.get(target, key, receiver)),
  });
}

// The tslab modules load only now, so that they see the proxy above.
const converterModule: typeof ConverterModule = require('tslab/dist/converter');
const executorModule: typeof ExecutorModule = require('tslab/dist/executor');
const inspectModule: typeof InspectModule = require('tslab/dist/inspect');
const jupyterModule: { lastWriteDisplayData: unknown } = require('tslab/dist/jupyter');

// ---------------------------------------------------------------------------------------------
// The compiler

/** A TypeScript diagnostic, positioned in the cell (0-based line and column). */
export interface Diagnostic {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
  readonly code: number;
  /** Set when the diagnostic is in another file the cell imports, relative to the notebook dir. */
  readonly file?: string;
}

/** What compiling a cell gives. */
export interface Compiled {
  /** CommonJS code to run with `exports` and `require` in scope; absent for declaration-only cells. */
  readonly code?: string;
  /** Declarations (`.d.ts` text) the next cells see. */
  readonly declarations: string;
  readonly diagnostics: readonly Diagnostic[];
  /** The `exports` key that receives the value of the cell's last expression statement. */
  readonly lastExpressionKey?: string;
  readonly hasTopLevelAwait: boolean;
  /** Compiled `.ts` / `.js` files the cell imports from the notebook directory. */
  readonly sideOutputs: readonly { path: string; data: string }[];
  /** Maps from the CommonJS that runs back to the TypeScript (+1 line of prefix), applied in order. */
  readonly maps?: readonly SourceMap[];
  /** Turns a (0-based) column of what was compiled into the column in the cell's source. */
  readonly originalColumn: (line: number, column: number) => number;
}

/** tslab's converter, behind a small interface. */
export interface Compiler {
  compile(previousDeclarations: string, source: string): Compiled;
  /** Completion candidates at `position` (UTF-16 offset). */
  complete(previousDeclarations: string, source: string, position: number): { start: number; end: number; matches: string[] };
  /** Quick info (signature and docs) at `position`, or `undefined`. */
  inspect(previousDeclarations: string, source: string, position: number): string | undefined;
  /**
   * Puts Node's types into the program for good, when {@link CompilerOptions.deferNodeTypes} left
   * them out; the next compile parses them (~2 MB). Whether they were still left out.
   */
  includeNodeTypes(): boolean;
  close(): void;
}

/** Options of {@link createCompiler}. */
export interface CompilerOptions {
  /**
   * Leaves Node's types (`@types/node`, 2 MB of the 2.5 MB of declarations an empty cell's program
   * parses) out of the program until {@link Compiler.includeNodeTypes}, so that the kernel's first
   * cell waits only for TypeScript's lib. Meanwhile a cell is checked with Node's types all the
   * same when {@link needsNodeTypes} says it may reach declarations beyond the lib; and a cell
   * whose check without them reports anything is checked again with them, which then stay: its
   * errors are those the check with Node's types reports. Completion and inspection include them first.
   */
  readonly deferNodeTypes?: boolean;
}

/**
 * Whether a cell may see declarations other than TypeScript's lib and the earlier cells', so that
 * leaving Node's types out could change its check rather than only fail it: it imports, requires
 * or references something (a package's types may use Node's or web types Node declares), or
 * declares or reaches global names (Node's declarations could clash with or extend them).
 */
export function needsNodeTypes(source: string): boolean {
  return /\bimport\b|\brequire\b|\/\/\/\s*<reference|\bglobal(This)?\b|\bdeclare\b/.test(source);
}

/** The one line tslab puts before the source (`export {};`) to make it a module. */
const PREFIX_LINES = 1;

/**
 * Creates tslab's converter for Node.js code, rooted at the current directory (the notebook's).
 * Takes several hundred milliseconds: the TypeScript program is built once here.
 *
 * @example
 * const compiler = createCompiler();
 * const { code, declarations } = compiler.compile('', 'const a: number = 1;\na + 1');
 */
export function createCompiler(options: CompilerOptions = {}): Compiler {
  const deferred = new Set<string>(options.deferNodeTypes ? ['node'] : []);
  deferredTypesOfNextConverter = () => deferred;
  let converter: ReturnType<typeof converterModule.createConverter>;
  try {
    converter = converterModule.createConverter({ isJS: false, isBrowser: false });
  } finally {
    deferredTypesOfNextConverter = undefined;
  }
  const includeNodeTypes = (): boolean => {
    if (deferred.size === 0) return false;
    deferred.clear();
    return true;
  };
  return {
    compile(previousDeclarations, source) {
      mapsByOutput.clear();
      commonJsOutputs.clear();
      const expanded = expandShorthands(source);
      if (deferred.size > 0 && needsNodeTypes(expanded.source)) includeNodeTypes();
      let result = converter.convert(previousDeclarations, expanded.source);
      // Checked without Node's types and something reported: the check with them decides.
      if (result.diagnostics.length > 0 && includeNodeTypes()) {
        mapsByOutput.clear();
        commonJsOutputs.clear();
        result = converter.convert(previousDeclarations, expanded.source);
      }
      const originalColumn = (line: number, column: number) => toOriginalColumn(expanded.insertions, line, column);
      const diagnostics = result.diagnostics.map((d) => ({
        line: d.start.line,
        column: d.fileName ? d.start.character : originalColumn(d.start.line, d.start.character),
        endLine: d.end.line,
        endColumn: d.fileName ? d.end.character : originalColumn(d.end.line, d.end.character),
        message: d.messageText,
        code: d.code,
        ...(d.fileName ? { file: d.fileName } : {}),
      }));
      const maps = result.output === undefined ? undefined : mapsByOutput.get(result.output);
      mapsByOutput.clear();
      commonJsOutputs.clear();
      return {
        code: result.output,
        declarations: result.declOutput ?? '',
        diagnostics,
        lastExpressionKey: result.lastExpressionVar,
        hasTopLevelAwait: result.hasToplevelAwait === true,
        sideOutputs: result.sideOutputs ?? [],
        maps: maps ? (maps.toModule ? [maps.toModule, maps.toTypeScript] : [maps.toTypeScript]) : undefined,
        originalColumn,
      };
    },
    complete(previousDeclarations, source, position) {
      includeNodeTypes();
      const info = converter.complete(previousDeclarations, source, position);
      return { start: info.start, end: info.end, matches: info.candidates };
    },
    inspect(previousDeclarations, source, position) {
      includeNodeTypes();
      const info = converter.inspect(previousDeclarations, source, position);
      if (!info) return undefined;
      const text = inspectModule.printQuickInfo(info);
      return text === '' ? undefined : text;
    },
    includeNodeTypes,
    close() {
      converter.close();
    },
  };
}

/** Text inserted by {@link expandShorthands}: `length` characters after `column` of `line` (in the original). */
export interface Insertion {
  readonly line: number;
  readonly column: number;
  readonly length: number;
}

/**
 * Writes shorthand properties out (`{ xs }` → `{ xs: xs }`, the same meaning). tslab's converter
 * rewrites references to earlier cells' variables into `exports.xs`, but misses shorthand
 * properties, so `train(model, { xs, ys })` with `xs` from an earlier cell threw
 * "ReferenceError: xs is not defined". Only columns move; the insertions let positions be mapped back.
 */
export function expandShorthands(source: string): { source: string; insertions: Insertion[] } {
  const file = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: { at: number; text: string }[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isShorthandPropertyAssignment(node)) edits.push({ at: node.name.end, text: `: ${node.name.text}` });
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (edits.length === 0) return { source, insertions: [] };
  edits.sort((a, b) => a.at - b.at);
  let out = '';
  let last = 0;
  const insertions: Insertion[] = [];
  for (const edit of edits) {
    out += source.slice(last, edit.at) + edit.text;
    last = edit.at;
    const { line, character } = file.getLineAndCharacterOfPosition(edit.at);
    insertions.push({ line, column: character, length: edit.text.length });
  }
  return { source: out + source.slice(last), insertions };
}

/** The original column of `column` on `line` of a source expanded with `insertions`. */
export function toOriginalColumn(insertions: readonly Insertion[], line: number, column: number): number {
  let shift = 0;
  for (const insertion of insertions) {
    if (insertion.line !== line) continue;
    const at = insertion.column + shift;
    if (column < at) break;
    if (column < at + insertion.length) return insertion.column;
    shift += insertion.length;
  }
  return column - shift;
}

/** The line offset to add to a position mapped through {@link Compiled.maps}. */
export const MAPPED_LINE_OFFSET = -PREFIX_LINES;

// ---------------------------------------------------------------------------------------------
// Parsing helpers (tslab's TypeScript, so that what we parse is what tslab compiles)

/** Whether more input is needed, as Jupyter's is_complete_request asks. */
export function completeness(source: string): { status: 'complete' | 'incomplete' | 'invalid'; indent?: string } {
  const result = converterModule.isCompleteCode(source);
  if (!result.completed) return { status: 'incomplete', indent: result.indent ?? '' };
  const file = ts.createSourceFile('cell.ts', `export {};\n${source}`, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const parseDiagnostics = (file as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics ?? [];
  return { status: parseDiagnostics.length > 0 ? 'invalid' : 'complete' };
}

/**
 * Whether `source` stops in the middle of something — an open bracket, block, template string or
 * comment, a dangling operator — as a REPL decides whether to ask for another line: TypeScript's
 * parser reports "… expected." at the very end. (tslab's isCompleteCode also calls any text
 * ending in two blank lines complete, which is right for a console but not here.)
 */
export function needsMoreInput(source: string): boolean {
  const text = `export {};\n${source}`;
  const file = ts.createSourceFile('cell.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diagnostics = (file as unknown as { parseDiagnostics?: readonly TS.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  const end = text.trimEnd().length;
  return diagnostics.some((d) => {
    const message = typeof d.messageText === 'string' ? d.messageText : d.messageText.messageText;
    return d.start >= end && (message.endsWith(' expected.') || message.startsWith('Unterminated template') || message === "'*/' expected.");
  });
}

/**
 * Whether the last statement of `source` is an expression statement written with a trailing
 * semicolon — the IPython convention for "compute, but do not show the value".
 */
export function endsWithSemicolon(source: string): boolean {
  const file = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const last = file.statements[file.statements.length - 1];
  return last !== undefined && ts.isExpressionStatement(last) && last.getText(file).trimEnd().endsWith(';');
}

// ---------------------------------------------------------------------------------------------
// The `require` cells get, and tslab's display hook

/**
 * `require` for cells: resolves from `rootDir` (the notebook directory), answers `require('tslab')`
 * with the tslab this kernel runs (so its `display` reaches the kernel), and loads `.ts` files the
 * cell imported from compiled `sideOutputs`. Adapted from tslab's executor (wrapRequire).
 */
export interface CellRequire {
  readonly require: NodeJS.Require;
  /** Registers freshly compiled side files; a changed file is reloaded on its next require. */
  addSideOutputs(outputs: readonly { path: string; data: string }[]): void;
}

export function createCellRequire(rootDir: string): CellRequire {
  const sideOutputs = new Map<string, string>();
  const sideModules = new Map<string, NodeJS.Module>();

  function wrap(base: NodeJS.Require, dirname: string): NodeJS.Require {
    const fromSideOutputs = (id: string): unknown => {
      let filename = path.join(dirname, id);
      if (path.extname(filename) === '') filename += '.js';
      const cached = sideModules.get(filename);
      if (cached) return cached.exports;
      const data = sideOutputs.get(filename);
      if (data === undefined) return undefined;
      const mod = new Module(filename, module) as NodeJS.Module & { _compile(code: string, file: string): void; paths: string[] };
      mod.filename = filename;
      mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(filename));
      mod.require = wrap(mod.require as NodeJS.Require, path.dirname(filename));
      sideModules.set(filename, mod);
      mod._compile(data, filename);
      return mod.exports;
    };
    return new Proxy(base, {
      apply(target, thisArg, args: unknown[]) {
        if (args.length === 1 && typeof args[0] === 'string') {
          if (args[0] === 'tslab') return require('tslab');
          if (args[0].startsWith('.')) {
            const side = fromSideOutputs(args[0]);
            if (side !== undefined) return side;
          }
        }
        return Reflect.apply(target, thisArg, args);
      },
    });
  }

  return {
    require: wrap(executorModule.createRequire(rootDir), rootDir),
    addSideOutputs(outputs) {
      for (const output of outputs) {
        sideModules.delete(output.path);
        sideOutputs.set(output.path, output.data);
      }
    },
  };
}

/** What tslab's `display` / `newDisplay()` send: a display_data content and whether it updates. */
export type TslabDisplayWriter = (content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient?: { display_id?: string } }, update: boolean) => void;

/** Routes tslab's public `display` / `newDisplay()` to `writer`. */
export function hookTslabDisplay(writer: TslabDisplayWriter): void {
  jupyterModule.lastWriteDisplayData = writer;
}
