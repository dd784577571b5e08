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

/** Files that do not change while a kernel runs: TypeScript's lib and installed packages. */
function isLibraryFile(file: string, libDir: string): boolean {
  return file.startsWith(libDir) || file.includes(`${path.sep}node_modules${path.sep}`) || file.includes('/node_modules/');
}

/**
 * A replacement for `ts.createWatchProgram` for tslab's converter (see the module comment).
 * `ts` is the TypeScript module the converter uses. `deferredTypes`, when given, names automatic
 * type packages (`@types/NAME`) left out of each program built while it lists them — the kernel
 * leaves Node's out until the first cell has run (kernel/tslab.ts, `deferNodeTypes`).
 */
export function createCellWatchProgram(ts: typeof TS, host: Host, deferredTypes?: () => ReadonlySet<string>): TS.WatchOfFilesAndCompilerOptions<TS.BuilderProgram> {
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
   * (it prunes the declarations file to what the next cell keeps), so they are never shared.
   */
  let roots = new Map<string, TS.SourceFile>();

  const parse = (fileName: string, languageVersionOrOptions: TS.ScriptTarget | TS.CreateSourceFileOptions, onError?: (message: string) => void): TS.SourceFile | undefined => {
    if (rootNames.includes(fileName)) {
      let root = roots.get(fileName);
      if (!root) {
        const text = host.readFile(fileName);
        if (text === undefined) return undefined;
        root = ts.createSourceFile(fileName, text, languageVersionOrOptions);
        roots.set(fileName, root);
      }
      return root;
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
      watched.set(fileName, host.watchFile(fileName, () => parsed.delete(fileName)));
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

  let program: TS.Program | undefined;
  let pending: unknown;

  /** The builder tslab sees after each rebuild: the program is made on first use. */
  const builderFor = (): CellBuilder & TS.BuilderProgram => {
    let own: TS.Program | undefined;
    const getProgram = () => {
      if (own) return own;
      const start = performance.now();
      parseStats.files = 0;
      parseStats.ms = 0;
      own = program = ts.createProgram({ rootNames, options: programOptions(), host: compilerHost, oldProgram: program });
      if (timingEnabled()) logTiming(`program of ${own.getSourceFiles().length} files (${parseStats.files} parsed in ${parseStats.ms.toFixed(1)} ms) built in`, start);
      return own;
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
        const file = parse(fileName, createOptions(fileName));
        if (file && !(file as { locals?: unknown }).locals) internal.bindSourceFile(file, options);
        return file;
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
        return getProgram().emit(targetSourceFile, writeFile, cancellationToken, emitOnlyDtsFiles, customTransformers);
      },
    };
    // tslab only calls the methods above; the rest of BuilderProgram is not part of the contract.
    return builder as CellBuilder & TS.BuilderProgram;
  };

  const rebuild = () => {
    pending = undefined;
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
