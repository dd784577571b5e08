/**
 * The TypeScript program behind tslab's converter, rebuilt for every cell at the cost of the cell
 * alone. tslab drives a watch program (`ts.createWatchProgram`) with two in-memory root files —
 * the declarations of earlier cells and the cell — and rebuilds it twice per cell. A watch program
 * with a builder (what `tsc --watch` uses) does far more than a kernel needs: the builder computes
 * the reference graph and signatures of every file in the program (the lib, Node's and tf.js's
 * hundreds of `.d.ts` files) on each rebuild, and module and type-reference resolution touch the
 * file system again. Profiled, those were ~85% of a cell's time (the bench's report, README).
 *
 * This is the same contract — `createWatchProgram(host)` calling `host.afterProgramCreate()` with
 * something that has the builder methods tslab uses — over a plain `ts.createProgram` that reuses
 * the previous program (as tsserver does for an edit): library `.d.ts` files are parsed once per
 * session, their resolutions are kept, and a cell that adds no import reuses the program's whole
 * structure. The program itself is built only when tslab asks for it: its first look at a cell
 * (to list the cell's names) needs the cell parsed and bound, nothing more.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as TS from '@tslab/typescript-for-tslab';
import { logTiming, timingEnabled } from './timing';

type Host = TS.WatchCompilerHostOfFilesAndCompilerOptions<TS.BuilderProgram>;

/** TypeScript's internal functions used here (exported by the build tslab bundles, not typed). */
interface Internals {
  toFileNameLowerCase(fileName: string): string;
  getEmitScriptTarget(options: TS.CompilerOptions): TS.ScriptTarget;
  getSetExternalModuleIndicator(options: TS.CompilerOptions): (file: TS.SourceFile) => void;
  bindSourceFile(file: TS.SourceFile, options: TS.CompilerOptions): void;
}

/** The builder methods tslab's converter calls. */
export interface CellBuilder {
  getProgram(): TS.Program;
  getSourceFile(fileName: string): TS.SourceFile | undefined;
  getAllDependencies(sourceFile: TS.SourceFile): readonly string[];
  emit(
    targetSourceFile?: TS.SourceFile,
    writeFile?: TS.WriteFileCallback,
    cancellationToken?: TS.CancellationToken,
    emitOnlyDtsFiles?: boolean,
    customTransformers?: TS.CustomTransformers,
  ): TS.EmitResult;
}

/** What the kernel adds to every emit of the cell program. */
export interface CellEmitHooks {
  /** The transformers and file writer an emit runs with, given those tslab asked for. */
  emit(customTransformers: TS.CustomTransformers | undefined, writeFile: TS.WriteFileCallback | undefined): { customTransformers: TS.CustomTransformers; writeFile?: TS.WriteFileCallback };
}

/** Files that do not change while a kernel runs: TypeScript's lib and installed packages. */
function isLibraryFile(file: string, libDir: string): boolean {
  return file.startsWith(libDir) || file.includes(`${path.sep}node_modules${path.sep}`) || file.includes('/node_modules/');
}

/**
 * How many cells one type checker checks before the next cell gets a program of its own: a
 * checker keeps the types of every cell it checked, so it is replaced now and then to let them go.
 */
const MAX_CELLS_PER_CHECKER = 100;

/** A program built with `ts.createProgram`, whose type checker later cells may reuse. */
interface CheckedProgram {
  readonly program: TS.Program;
  /** The options it was built with (the same object while no type package is installed). */
  readonly options: TS.CompilerOptions;
  /** What its root files' imports of packages resolved to, by module name. */
  readonly resolutions: ReadonlyMap<string, TS.ResolvedModuleWithFailedLookupLocations>;
  /** Cells checked with its checker since it was built. */
  cells: number;
}

/** The fields of a SourceFile that createProgram sets, which {@link cellProgram} sets itself. */
interface ProgramFields {
  path?: string;
  resolvedPath?: string;
  originalFileName?: string;
  imports?: readonly TS.StringLiteralLike[];
  moduleAugmentations?: readonly unknown[];
  ambientModuleNames?: readonly string[];
  resolvedModules?: unknown;
  /** Set on the root files of a cell program. */
  cellProgram?: true;
}

/** Undoes what {@link cellProgram} set on a root file, before createProgram sees it. */
function forgetCellProgramFields(file: TS.SourceFile): void {
  const fields = file as unknown as ProgramFields;
  if (!fields.cellProgram) return;
  for (const key of ['path', 'resolvedPath', 'originalFileName', 'imports', 'moduleAugmentations', 'ambientModuleNames', 'resolvedModules', 'cellProgram'] as const) delete fields[key];
}

/** Imports of packages by the root files of `program`, resolved (the only ones a cell program reuses). */
function libraryResolutions(program: TS.Program, rootNames: readonly string[]): Map<string, TS.ResolvedModuleWithFailedLookupLocations> {
  const resolutions = new Map<string, TS.ResolvedModuleWithFailedLookupLocations>();
  for (const name of rootNames) {
    const file = program.getSourceFile(name) as (TS.SourceFile & { resolvedModules?: TS.ModeAwareCache<TS.ResolvedModuleWithFailedLookupLocations> }) | undefined;
    file?.resolvedModules?.forEach((resolution, moduleName, mode) => {
      const target = resolution.resolvedModule;
      if (target?.isExternalLibraryImport && program.getSourceFile(target.resolvedFileName)) resolutions.set(`${mode ?? ''}:${moduleName}`, resolution);
    });
  }
  return resolutions;
}

/**
 * The module names `file` imports, as createProgram collects them — or `undefined` when the file
 * does something only a new program handles: references other files or types (`/// <reference>`),
 * or declares modules or globals (`declare module`, `declare global`, namespaces).
 */
function importsOf(ts: typeof TS, file: TS.SourceFile): TS.StringLiteralLike[] | undefined {
  const f = file as TS.SourceFile & { libReferenceDirectives?: readonly unknown[] };
  if (f.referencedFiles.length > 0 || f.typeReferenceDirectives.length > 0 || (f.libReferenceDirectives?.length ?? 0) > 0 || f.hasNoDefaultLib) return undefined;
  const imports: TS.StringLiteralLike[] = [];
  for (const statement of file.statements) {
    if (ts.isModuleDeclaration(statement)) return undefined;
    let name: TS.Expression | undefined;
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) name = statement.moduleSpecifier;
    else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) name = statement.moduleReference.expression;
    if (name && ts.isStringLiteral(name) && name.text) imports.push(name);
  }
  if (file.flags & (ts.NodeFlags as unknown as { PossiblyContainsDynamicImport: number }).PossiblyContainsDynamicImport) {
    const visit = (node: TS.Node): void => {
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0])) imports.push(node.arguments[0]);
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) imports.push(node.argument.literal);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return imports;
}

/**
 * The program of a cell that reuses the type checker of `checked` — or `undefined` when it cannot.
 *
 * A new program needs a new type checker, and a new checker measures again what the previous one
 * had worked out about the library: binding and merging the lib's, Node's and tf.js's declarations,
 * and, for a cell using tf.js types, the variance of `tf.Tensor` (a class of ~200 methods), which
 * alone took ~100 ms a cell. But a cell adds nothing to the checker's global scope: both root files
 * (the cell, and the declarations of the cells before it) are modules, which the checker binds and
 * checks when asked, and the cell sees the previous cells' names through tslab's `parent` link, not
 * through globals. So the checker of an earlier program checks and emits the new root files as
 * well, as long as everything they import is already in that program: imports of packages the
 * earlier roots imported (resolved the same way), no `/// <reference>`, no `declare module` or
 * `declare global`, no file of the notebook's folder (which may have changed since). Anything else
 * gets a program of its own, as does every {@link MAX_CELLS_PER_CHECKER}th cell.
 *
 * The checker's diagnostics are kept by file name, so those of an earlier cell with the same
 * (root) file name would come back with the new cell's — and one equal to an earlier one is not
 * even added again. When any diagnostic comes from another file of that name, or the checker has
 * global diagnostics, the cell is checked in a program of its own (`ownProgram`) instead, and the
 * rest of tslab's calls for the cell go there. Each root file gets a path of its own, so that the
 * program's per-file caches of diagnostics never answer for an earlier cell.
 */
function cellProgram(ts: typeof TS, checked: CheckedProgram, files: readonly TS.SourceFile[], serial: number, ownProgram: () => TS.Program): TS.Program | undefined {
  const base = checked.program;
  const prepared: { file: TS.SourceFile; imports: TS.StringLiteralLike[]; resolved: [string, TS.ResolvedModuleWithFailedLookupLocations, TS.ResolutionMode][] }[] = [];
  for (const file of files) {
    if ((file as unknown as ProgramFields).cellProgram) return undefined;
    const imports = importsOf(ts, file);
    if (!imports) return undefined;
    const resolved: [string, TS.ResolvedModuleWithFailedLookupLocations, TS.ResolutionMode][] = [];
    for (const literal of imports) {
      const mode = ts.getModeForUsageLocation(file, literal);
      const resolution = checked.resolutions.get(`${mode ?? ''}:${literal.text}`);
      if (!resolution) return undefined;
      resolved.push([literal.text, resolution, mode]);
    }
    prepared.push({ file, imports, resolved });
  }
  const byName = new Map<string, TS.SourceFile>();
  for (const { file, imports, resolved } of prepared) {
    const fields = file as unknown as ProgramFields;
    const own = base.getSourceFile(file.fileName) as (TS.SourceFile & ProgramFields) | undefined;
    fields.cellProgram = true;
    fields.originalFileName = file.fileName;
    fields.path = fields.resolvedPath = `${own?.path ?? file.fileName}?cell=${serial}`;
    fields.imports = imports;
    fields.moduleAugmentations = [];
    fields.ambientModuleNames = [];
    fields.resolvedModules = undefined;
    for (const [name, resolution, mode] of resolved) (ts as unknown as { setResolvedModule(f: TS.SourceFile, n: string, r: unknown, m: TS.ResolutionMode): void }).setResolvedModule(file, name, resolution, mode);
    byName.set(file.fileName, file);
  }
  const byPath = new Map([...byName.values()].map((file) => [(file as unknown as ProgramFields).path!, file]));
  let sourceFiles: readonly TS.SourceFile[] | undefined;
  let fallback: TS.Program | undefined;
  const stale = (diagnostics: readonly TS.Diagnostic[], file: TS.SourceFile | undefined) =>
    diagnostics.some((d) => d.file !== undefined && d.file !== file && byName.has(d.file.fileName));
  const cell: Partial<TS.Program> & { getSourceFileByPath(path: TS.Path): TS.SourceFile | undefined } = {
    getSourceFile: (fileName) => (fallback ? fallback.getSourceFile(fileName) : byName.get(fileName) ?? base.getSourceFile(fileName)),
    getSourceFileByPath: (path) => byPath.get(path) ?? (base as unknown as { getSourceFileByPath(p: TS.Path): TS.SourceFile | undefined }).getSourceFileByPath(path),
    getSourceFiles: () => (sourceFiles ??= base.getSourceFiles().map((file) => byName.get(file.fileName) ?? file)),
    getGlobalDiagnostics: (token) => {
      if (!fallback && base.getGlobalDiagnostics(token).length > 0) fallback = ownProgram();
      return (fallback ?? base).getGlobalDiagnostics(token);
    },
    getSyntacticDiagnostics: (file, token) => (fallback ?? base).getSyntacticDiagnostics(file, token),
    getSemanticDiagnostics: (file, token) => {
      if (fallback) return fallback.getSemanticDiagnostics(file, token);
      const diagnostics = base.getSemanticDiagnostics(file, token);
      if (!stale(diagnostics, file)) return diagnostics;
      fallback = ownProgram();
      return fallback.getSemanticDiagnostics(file, token);
    },
    getDeclarationDiagnostics: (file, token) => (fallback ?? base).getDeclarationDiagnostics(file, token),
    getTypeChecker: () => (fallback ?? base).getTypeChecker(),
    emit: (...args) => (fallback ?? base).emit(...args),
  };
  return Object.assign(Object.create(base) as TS.Program, cell);
}

/**
 * A replacement for `ts.createWatchProgram` for tslab's converter (see the module comment).
 * `ts` is the TypeScript module the converter uses; `hooks` change what its emits do.
 * `deferredTypes`, when given, names automatic type packages (`@types/NAME`) left out of each
 * program built while it lists them — the kernel leaves Node's out until the first cell has run
 * (kernel/tslab.ts, `deferNodeTypes`); the options then change, and the next cell gets a program
 * (and a type checker) of its own.
 */
export function createCellWatchProgram(ts: typeof TS, host: Host, hooks?: CellEmitHooks, deferredTypes?: () => ReadonlySet<string>): TS.WatchOfFilesAndCompilerOptions<TS.BuilderProgram> {
  const internal = ts as unknown as Internals;
  const options = host.options;
  const rootNames = [...host.rootFiles];
  const libDir = host.getDefaultLibLocation?.() ?? path.dirname(host.getDefaultLibFileName(options));
  const currentDirectory = host.getCurrentDirectory();
  const canonical = (file: string) => (host.useCaseSensitiveFileNames() ? file : file.toLowerCase());
  const moduleCache = host.getModuleResolutionCache?.() ?? ts.createModuleResolutionCache(currentDirectory, canonical, options);
  const typeReferenceCache = ts.createTypeReferenceDirectiveResolutionCache(currentDirectory, canonical, options, moduleCache.getPackageJsonInfoCache());

  /** What the program being built parsed (for timing logs). */
  const parseStats = { files: 0, ms: 0 };
  /** Parsed files by name, with the text they were parsed from. */
  const parsed = new Map<string, { text: string; file: TS.SourceFile }>();
  /** Local (non-library) files the program read; a watcher drops them from `parsed` when they change. */
  const watched = new Map<string, TS.FileWatcher>();

  /**
   * The root files of the latest rebuild, parsed anew for each: tslab edits their syntax trees
   * (it prunes the declarations file to what the next cell keeps), so they are never shared
   * between programs. A root file no program has seen is another matter: tslab rebuilds twice per
   * cell (the second time with an `export {…}` of the cell's names added to the cell, the
   * declarations file unchanged) and only looks at the first rebuild's files, so the second one
   * takes over those whose text is the same — the declarations of every earlier cell, which grow
   * with the notebook, are parsed and bound once per cell instead of twice.
   */
  let roots = new Map<string, { text: string; file: TS.SourceFile }>();
  /** The previous rebuild's root files, when no program used them. */
  let unusedRoots = new Map<string, { text: string; file: TS.SourceFile }>();
  /** Root files a program (or cell program) was given. */
  const usedRoots = new WeakSet<TS.SourceFile>();

  const parse = (fileName: string, languageVersionOrOptions: TS.ScriptTarget | TS.CreateSourceFileOptions, onError?: (message: string) => void): TS.SourceFile | undefined => {
    if (rootNames.includes(fileName)) {
      let root = roots.get(fileName);
      if (!root) {
        const text = host.readFile(fileName);
        if (text === undefined) return undefined;
        const unused = unusedRoots.get(fileName);
        root = unused && unused.text === text && !usedRoots.has(unused.file) ? unused : { text, file: ts.createSourceFile(fileName, text, languageVersionOrOptions) };
        roots.set(fileName, root);
      }
      return root.file;
    }
    const known = parsed.get(fileName);
    const library = isLibraryFile(fileName, libDir);
    if (known && library) return known.file;
    let text: string | undefined;
    try {
      text = host.readFile(fileName);
    } catch (error) {
      onError?.(error instanceof Error ? error.message : String(error));
      return undefined;
    }
    if (text === undefined) return undefined;
    if (known && known.text === text) return known.file;
    const parseStart = performance.now();
    const file = ts.createSourceFile(fileName, text, languageVersionOrOptions);
    parseStats.files++;
    parseStats.ms += performance.now() - parseStart;
    parsed.set(fileName, { text, file });
    if (!library && !watched.has(fileName)) {
      watched.set(
        fileName,
        host.watchFile(fileName, () => {
          parsed.delete(fileName);
          checked = undefined;
        }),
      );
    }
    return file;
  };

  const compilerHost: TS.CompilerHost = {
    getSourceFile: parse,
    getDefaultLibFileName: (o) => host.getDefaultLibFileName(o),
    getDefaultLibLocation: () => libDir,
    writeFile: () => {
      throw new Error('the cell program never writes files');
    },
    getCurrentDirectory: () => currentDirectory,
    getCanonicalFileName: canonical,
    useCaseSensitiveFileNames: () => host.useCaseSensitiveFileNames(),
    getNewLine: () => '\n',
    fileExists: (file) => host.fileExists(file),
    readFile: (file) => host.readFile(file),
    directoryExists: host.directoryExists ? (dir) => host.directoryExists!(dir) : undefined,
    getDirectories: host.getDirectories ? (dir) => host.getDirectories!(dir) : undefined,
    realpath: host.realpath ? (file) => host.realpath!(file) : undefined,
    getModuleResolutionCache: () => moduleCache,
    resolveModuleNameLiterals: host.resolveModuleNameLiterals
      ? (literals, containingFile, redirected, compilerOptions, containingSourceFile, reused) =>
          host.resolveModuleNameLiterals!(literals, containingFile, redirected, compilerOptions, containingSourceFile, reused)
      : (literals, containingFile, redirected, compilerOptions, containingSourceFile) =>
          literals.map((literal) =>
            ts.resolveModuleName(literal.text, containingFile, compilerOptions, compilerHost, moduleCache, redirected, ts.getModeForUsageLocation(containingSourceFile, literal)),
          ),
    // Cached for the session (a program without a cache resolves `@types/node` anew each time).
    resolveTypeReferenceDirectiveReferences: (references, containingFile, redirected, compilerOptions, containingSourceFile) =>
      references.map((reference) => {
        const name = typeof reference === 'string' ? reference : internal.toFileNameLowerCase(reference.fileName);
        const mode = typeof reference === 'string' ? undefined : ts.getModeForFileReference(reference, containingSourceFile?.impliedNodeFormat);
        return ts.resolveTypeReferenceDirective(name, containingFile, compilerOptions, compilerHost, redirected, typeReferenceCache, mode);
      }),
  };

  /**
   * The options of each program. Without `types`, TypeScript lists the `@types` packages anew for
   * every program, reading and parsing each one's package.json (~5 ms a cell); here the list is
   * made again only when the type roots' directory listing changes (a package installed meanwhile)
   * or the deferred packages change.
   */
  let automaticTypes: { listing: string; options: TS.CompilerOptions } | undefined;
  const programOptions = (): TS.CompilerOptions => {
    if (options.types !== undefined) return options;
    const roots = ts.getEffectiveTypeRoots(options, compilerHost) ?? [];
    const deferred = deferredTypes?.() ?? new Set<string>();
    const listing = `${roots.map((root) => (compilerHost.directoryExists?.(root) ? compilerHost.getDirectories!(root).join('\n') : '')).join('\0')}\0${[...deferred].join('\n')}`;
    if (automaticTypes?.listing !== listing) {
      const types = ts.getAutomaticTypeDirectiveNames(options, compilerHost).filter((name) => !deferred.has(name));
      automaticTypes = { listing, options: { ...options, types } };
    }
    return automaticTypes.options;
  };

  /** The latest program built with `ts.createProgram` (the old program of the next one). */
  let program: TS.Program | undefined;
  /** The latest program whose type checker later cells may reuse (see {@link cellProgram}). */
  let checked: CheckedProgram | undefined;
  let cellSerial = 0;
  let pending: unknown;

  const buildProgram = (opts: TS.CompilerOptions): TS.Program => {
    const start = performance.now();
    parseStats.files = 0;
    parseStats.ms = 0;
    // Root files a cell program prepared for itself go back to what createProgram expects.
    for (const { file } of roots.values()) forgetCellProgramFields(file);
    const built = ts.createProgram({ rootNames, options: opts, host: compilerHost, oldProgram: program });
    program = built;
    for (const name of rootNames) {
      const file = built.getSourceFile(name);
      if (file) usedRoots.add(file);
    }
    checked = { program: built, options: opts, resolutions: libraryResolutions(built, rootNames), cells: 0 };
    if (timingEnabled()) logTiming(`program of ${built.getSourceFiles().length} files (${parseStats.files} parsed in ${parseStats.ms.toFixed(1)} ms) built in`, start);
    return built;
  };

  /** The builder tslab sees after each rebuild: the program is made on first use. */
  const builderFor = (): CellBuilder & TS.BuilderProgram => {
    let own: TS.Program | undefined;
    const rootFile = (fileName: string) => {
      const file = parse(fileName, createOptions(fileName));
      if (file && !(file as { locals?: unknown }).locals) internal.bindSourceFile(file, options);
      return file;
    };
    /** Falls back to a program of its own (a new type checker), from then on for this rebuild. */
    const ownProgram = (): TS.Program => {
      own = buildProgram(programOptions());
      return own;
    };
    const getProgram = (): TS.Program => {
      if (own) return own;
      for (const { file } of roots.values()) usedRoots.add(file);
      const opts = programOptions();
      if (checked && checked.options === opts && checked.cells < MAX_CELLS_PER_CHECKER) {
        const start = performance.now();
        const files = rootNames.map(rootFile);
        for (const file of files) if (file) usedRoots.add(file);
        const cell = files.every((file) => file !== undefined) ? cellProgram(ts, checked, files as TS.SourceFile[], ++cellSerial, ownProgram) : undefined;
        if (cell) {
          checked.cells++;
          own = cell;
          logTiming('program reused with its type checker in', start);
          return own;
        }
      }
      return ownProgram();
    };
    const createOptions = (fileName: string): TS.CreateSourceFileOptions => ({
      languageVersion: internal.getEmitScriptTarget(options),
      impliedNodeFormat: ts.getImpliedNodeFormatForFile(fileName as TS.Path, moduleCache.getPackageJsonInfoCache(), compilerHost, options),
      setExternalModuleIndicator: internal.getSetExternalModuleIndicator(options),
    });
    const builder: CellBuilder = {
      getProgram,
      getSourceFile(fileName) {
        if (own || !rootNames.includes(fileName)) return getProgram().getSourceFile(fileName);
        // Before the program exists, a root file is parsed and bound alone (tslab reads its locals);
        // the program built later gets this same SourceFile from `roots`.
        return rootFile(fileName);
      },
      getAllDependencies(sourceFile) {
        const current = getProgram();
        const seen = new Set<string>([sourceFile.fileName]);
        const queue = [sourceFile];
        for (let file = queue.pop(); file; file = queue.pop()) {
          const resolved = (file as { resolvedModules?: TS.ModeAwareCache<TS.ResolvedModuleWithFailedLookupLocations> }).resolvedModules;
          resolved?.forEach((resolution) => {
            const target = resolution.resolvedModule;
            if (!target || target.isExternalLibraryImport || seen.has(target.resolvedFileName)) return;
            seen.add(target.resolvedFileName);
            const next = current.getSourceFile(target.resolvedFileName);
            if (next) queue.push(next);
          });
        }
        return [...seen];
      },
      emit(targetSourceFile, writeFile, cancellationToken, emitOnlyDtsFiles, customTransformers) {
        const hooked = hooks?.emit(customTransformers, writeFile) ?? { customTransformers, writeFile };
        return getProgram().emit(targetSourceFile, hooked.writeFile, cancellationToken, emitOnlyDtsFiles, hooked.customTransformers);
      },
    };
    // tslab only calls the methods above; the rest of BuilderProgram is not part of the contract.
    return builder as CellBuilder & TS.BuilderProgram;
  };

  const rebuild = () => {
    pending = undefined;
    unusedRoots = new Map([...roots].filter(([, root]) => !usedRoots.has(root.file)));
    roots = new Map();
    host.afterProgramCreate?.(builderFor());
  };
  // tslab's host turns these timers into a callback it runs itself, synchronously, per update.
  const scheduleRebuild = () => {
    if (pending !== undefined) host.clearTimeout?.(pending);
    pending = host.setTimeout?.(rebuild, 0);
  };
  const rootWatchers = rootNames.map((root) => host.watchFile(root, scheduleRebuild));
  rebuild();

  return {
    getProgram: () => {
      throw new Error('tslab reads the program from afterProgramCreate');
    },
    updateRootFileNames: () => {
      throw new Error('the cell program has fixed root files');
    },
    close: () => {
      for (const watcher of [...rootWatchers, ...watched.values()]) watcher.close();
      watched.clear();
    },
  };
}
