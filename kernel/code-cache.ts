/**
 * A V8 code cache for TypeScript's module, so that a kernel's start-up does not compile its 8 MB
 * of JavaScript again: loading it took ~0.2 s of CPU more without the cache, and the warm-up check
 * compiles the parser, binder and checker functions it runs (lazily, on first call) — a cache
 * written after the warm-up holds those too. Node 20 has no built-in compile cache
 * (`module.enableCompileCache()` came in Node 22), so the module is compiled through
 * `vm.Script` with `cachedData`, as `v8-compile-cache` does.
 *
 * The cache lives in `$XDG_CACHE_HOME/cellfit` (or `~/.cache/cellfit`), one file per TypeScript
 * file (path), size, modification time, Node version and architecture; V8 rejects a cache that does not
 * match its source or flags, and the module then compiles as usual. `CELLFIT_CODE_CACHE=0` turns it off.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { kernelLog } from './output';
import { timingEnabled } from './timing';

/** Node's CommonJS loader internals used here (stable since Node 0.x, not typed). */
interface CompilingModule {
  exports: unknown;
  _compile(content: string, filename: string): unknown;
}

/** What {@link compileWithCodeCache} gives back. */
export interface CodeCache {
  /** Whether the module was compiled from a cache V8 accepted. */
  used(): boolean;
  /** Writes the cache, with every function compiled so far, when there was no usable one. Never throws. */
  save(): void;
}

/**
 * The cache file of `file`: `code-NAME-PLACE-VERSION.bin`, PLACE a hash of its path (each
 * installation of cellfit has its own cache, and never removes another's), VERSION a hash of its
 * size, modification time and Node's version and architecture.
 */
function cacheFile(file: string): { target: string; prefix: string } {
  const stat = fs.statSync(file);
  const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);
  const prefix = `code-${path.basename(file, '.js')}-${hash(file, 12)}-`;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return { target: path.join(base, 'cellfit', `${prefix}${hash(`${file}\0${stat.size}\0${stat.mtimeMs}\0${process.version}\0${process.arch}`, 24)}.bin`), prefix };
}

/**
 * Makes the next `require` of `file` compile it with the code cache. Call before requiring it.
 *
 * @example
 * const cache = compileWithCodeCache(require.resolve('@tslab/typescript-for-tslab'));
 * const ts = require('@tslab/typescript-for-tslab');
 * // … after the warm-up has run the code:
 * cache.save();
 */
export function compileWithCodeCache(file: string): CodeCache {
  const off: CodeCache = { used: () => false, save: () => undefined };
  if (process.env.CELLFIT_CODE_CACHE === '0') return off;
  let target: string;
  let prefix: string;
  try {
    ({ target, prefix } = cacheFile(file));
  } catch {
    return off;
  }
  const prototype = (Module as unknown as { prototype: CompilingModule }).prototype;
  const originalCompile = prototype._compile;
  let script: vm.Script | undefined;
  let usable = false;
  let used = false;
  prototype._compile = function compile(this: CompilingModule, content: string, filename: string) {
    if (filename !== file) return originalCompile.call(this, content, filename);
    prototype._compile = originalCompile;
    let cachedData: Buffer | undefined;
    try {
      cachedData = fs.readFileSync(target);
    } catch {
      cachedData = undefined;
    }
    script = new vm.Script((Module as unknown as { wrap(source: string): string }).wrap(content), { filename, cachedData });
    usable = used = cachedData !== undefined && !script.cachedDataRejected;
    if (timingEnabled()) kernelLog(`timing: code cache for ${path.basename(file)}: ${usable ? 'used' : cachedData ? 'rejected' : 'none yet'}`);
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, Module.createRequire(filename), this, filename, path.dirname(filename));
  };
  return {
    used: () => used,
    save() {
      if (usable || !script) return;
      usable = true;
      try {
        const data = script.createCachedData();
        fs.mkdirSync(path.dirname(target), { recursive: true });
        // Written aside, then renamed: a kernel starting meanwhile never reads half a file.
        const partial = `${target}.${process.pid}.tmp`;
        fs.writeFileSync(partial, data);
        fs.renameSync(partial, target);
        // Caches of other versions of the file (or of Node) are of no more use; those of the same
        // file name elsewhere (another installation) are left alone: two installations used in
        // turn would otherwise remove each other's cache at every start.
        for (const name of fs.readdirSync(path.dirname(target))) {
          if (name.startsWith(prefix) && name.endsWith('.bin') && name !== path.basename(target)) fs.rmSync(path.join(path.dirname(target), name), { force: true });
        }
      } catch (error) {
        if (timingEnabled()) kernelLog(`timing: code cache not written: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
