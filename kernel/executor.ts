/**
 * Runs TypeScript cells: compiles them with tslab's converter (kernel/tslab.ts), runs the result in
 * this process's global context, and reports the value of the last expression or a
 * {@link CellError} positioned in the cell.
 *
 * Interrupts, the three ways in:
 * - Loops in cell code check a shared interrupt flag (see `loopGuards` in kernel/tslab.ts) that the
 *   socket thread raises on interrupt_request, so `while (true) {}` stops even when it runs after
 *   an `await`, with the main thread blocked.
 * - The synchronous part of a cell runs under `vm`'s `breakOnSigint`, so a SIGINT (sent by
 *   Jupyter, or by the socket thread when the main thread stays stuck) also stops loops inside
 *   library code it calls.
 * - Asynchronous work is told through the AbortSignal passed to {@link Executor.execute} — the
 *   same signal the toolkit sees as `currentSession().signal`, on which `train()` stops. The cell
 *   then gets `interruptGraceMs` to settle (a training loop finishing its step and checkpoint)
 *   before the kernel stops waiting for it.
 */
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';
import type { CellRequire, Compiled, Compiler } from './tslab';
import { INTERRUPT_FLAG, INTERRUPT_THROW, MAPPED_LINE_OFFSET } from './tslab';
import { logTiming } from './timing';
import { diagnosticsError, interruptedError, runtimeError, type CellError, type Chunk } from './traceback';

/** What running a piece of code gave. */
export type Outcome =
  | { readonly status: 'ok'; readonly value: unknown; readonly hasValue: boolean }
  | { readonly status: 'error'; readonly error: CellError; readonly interrupted: boolean };

/** Compiled code, ready to run once — or why it did not compile. */
export type Prepared =
  | { readonly status: 'ready'; run(signal?: AbortSignal): Promise<Outcome> }
  | { readonly status: 'error'; readonly error: CellError; readonly interrupted: false };

/** Where a piece of code sits, for tracebacks. */
export interface CodeOrigin {
  /** `In [3]`. */
  readonly label: string;
  /** Line of the cell the code starts on (0-based). Defaults to 0. */
  readonly lineOffset?: number;
}

/** Options of {@link Executor}. */
export interface ExecutorOptions {
  readonly compiler: Compiler;
  readonly cellRequire: CellRequire;
  /**
   * How long an interrupted asynchronous cell may take to settle before the kernel stops waiting
   * for it. Defaults to 5000 ms.
   */
  readonly interruptGraceMs?: number;
  /**
   * The interrupt flag loop guards read: element 0 is non-zero while an interrupt is pending. Pass
   * an Int32Array over a SharedArrayBuffer to let another thread raise it. Defaults to a new one.
   */
  readonly interruptFlag?: Int32Array;
}

/** What loop guards throw when the interrupt flag is raised. */
export class InterruptError extends Error {
  constructor() {
    super('the cell was interrupted');
    this.name = 'Interrupted';
  }
}

let executorCount = 0;
const SIGINT_MESSAGE = /Script execution was interrupted by `SIGINT`/;

/**
 * Compiles and runs cells, keeping the declarations that carry over from one cell to the next.
 *
 * @example
 * const executor = new Executor({ compiler: createCompiler(), cellRequire: createCellRequire(process.cwd()) });
 * await executor.execute('const a = 20;', { label: 'In [1]' });
 * await executor.execute('a * 2 + 2', { label: 'In [2]' });   // { status: 'ok', value: 42, hasValue: true }
 */
export class Executor {
  /** The notebook's variables: every top-level declaration of every cell run so far. */
  readonly locals: Record<string, unknown>;
  private declarations = '';
  private readonly chunks = new Map<string, Chunk>();
  private chunkCount = 0;
  private readonly compiler: Compiler;
  private readonly cellRequire: CellRequire;
  private readonly interruptGraceMs: number;
  /** Element 0 is non-zero while an interrupt is pending (see {@link ExecutorOptions.interruptFlag}). */
  readonly interruptFlag: Int32Array;
  /** The global through which compiled cells reach this executor's `exports` and `require`. */
  private readonly global = `__cellfit_cells_${++executorCount}__`;

  constructor({ compiler, cellRequire, interruptGraceMs = 5000, interruptFlag = new Int32Array(new SharedArrayBuffer(4)) }: ExecutorOptions) {
    this.compiler = compiler;
    this.cellRequire = cellRequire;
    this.interruptGraceMs = interruptGraceMs;
    this.interruptFlag = interruptFlag;
    const flag = interruptFlag;
    for (const [name, value] of [
      [INTERRUPT_FLAG, flag],
      [
        INTERRUPT_THROW,
        () => {
          throw new InterruptError();
        },
      ],
    ] as const) {
      Object.defineProperty(globalThis, name, { value, configurable: true, enumerable: false, writable: true });
    }
    const { proxy, target } = createExports();
    this.locals = target;
    Object.defineProperty(globalThis, this.global, {
      value: { exports: proxy, require: cellRequire.require },
      configurable: true,
      enumerable: false,
      writable: true,
    });
  }

  /**
   * Compiles and runs `code`. Never throws: compile errors, exceptions and interrupts come back as
   * an `error` outcome. `signal` interrupts the code (see the module comment).
   */
  async execute(code: string, origin: CodeOrigin, signal?: AbortSignal): Promise<Outcome> {
    if (signal?.aborted) return { status: 'error', error: interruptedError(), interrupted: true };
    const prepared = this.prepare(code, origin);
    return prepared.status === 'ready' ? prepared.run(signal) : prepared;
  }

  /**
   * Compiles `code` without running it (so that %time can time the run alone): a compile error, or
   * a `run` to call once.
   */
  prepare(code: string, origin: CodeOrigin): Prepared {
    const compileStart = performance.now();
    const compiled = this.compiler.compile(this.declarations, code);
    logTiming('check and compile', compileStart);
    this.cellRequire.addSideOutputs(compiled.sideOutputs);
    const chunk: Chunk = {
      label: origin.label,
      lineOffset: origin.lineOffset ?? 0,
      source: code,
      maps: compiled.maps,
      mapLineShift: MAPPED_LINE_OFFSET,
      originalColumn: compiled.originalColumn,
    };
    if (compiled.diagnostics.length > 0) {
      return { status: 'error', error: diagnosticsError(compiled.diagnostics, chunk), interrupted: false };
    }
    return { status: 'ready', run: (signal) => this.run(compiled, chunk, signal) };
  }

  private async run(compiled: Compiled, chunk: Chunk, signal: AbortSignal | undefined): Promise<Outcome> {
    // Declarations made before a failure stay, as in IPython: `const a = 1; throw e` leaves `a`.
    this.declarations = compiled.declarations;
    if (compiled.code === undefined) return { status: 'ok', value: undefined, hasValue: false };
    const file = `cellfit-cell-${++this.chunkCount}.js`;
    this.chunks.set(file, chunk);
    const wrapped =
      `(${compiled.hasTopLevelAwait ? 'async ' : ''}function (exports, require) { ${compiled.code}\n})` +
      `(${this.global}.exports, ${this.global}.require)`;
    let returned: unknown;
    const runStart = performance.now();
    try {
      returned = vm.runInThisContext(wrapped, { filename: file, breakOnSigint: true });
    } catch (error) {
      return this.failure(error);
    } finally {
      logTiming('run (synchronous part)', runStart);
    }
    if (compiled.hasTopLevelAwait) {
      const settled = await this.settle(returned as Promise<unknown>, signal);
      if (settled.kind === 'interrupted') return { status: 'error', error: interruptedError(), interrupted: true };
      if (settled.kind === 'rejected') return this.failure(settled.reason);
    }
    if (signal?.aborted) return { status: 'error', error: interruptedError(), interrupted: true };
    if (compiled.lastExpressionKey === undefined) return { status: 'ok', value: undefined, hasValue: false };
    const value = this.locals[compiled.lastExpressionKey];
    delete this.locals[compiled.lastExpressionKey];
    return { status: 'ok', value, hasValue: value !== undefined };
  }

  /** Completion candidates for `code` at `position` (a UTF-16 offset). */
  complete(code: string, position: number): { start: number; end: number; matches: string[] } {
    return this.compiler.complete(this.declarations, code, position);
  }

  /** Signature and documentation of the symbol at `position`, or `undefined`. */
  inspect(code: string, position: number): string | undefined {
    return this.compiler.inspect(this.declarations, code, position);
  }

  /**
   * Runs `body` so that a SIGINT breaks synchronous loops in it, as it does in cells (for magics
   * such as %timeit that call cell code in a loop). An interrupt surfaces as an Error whose
   * message matches {@link isInterruptError}.
   */
  interruptible<T>(body: () => T): T {
    const slot = Symbol.for('cellfit.interruptible');
    (globalThis as Record<symbol, unknown>)[slot] = body;
    try {
      return vm.runInThisContext(`globalThis[Symbol.for('cellfit.interruptible')]()`, { breakOnSigint: true }) as T;
    } finally {
      delete (globalThis as Record<symbol, unknown>)[slot];
    }
  }

  /** Raises the interrupt flag: loops of cell code stop at their next iteration. */
  raiseInterrupt(): void {
    Atomics.store(this.interruptFlag, 0, 1);
  }

  /** Lowers the interrupt flag (the kernel does this before each execution). */
  clearInterrupt(): void {
    Atomics.store(this.interruptFlag, 0, 0);
  }

  /** Forgets every declaration and variable. */
  reset(): void {
    this.declarations = '';
    for (const key of Object.keys(this.locals)) delete this.locals[key];
  }

  close(): void {
    delete (globalThis as Record<string, unknown>)[this.global];
    this.compiler.close();
  }

  private failure(error: unknown): Outcome {
    if (isInterruptError(error)) return { status: 'error', error: interruptedError(), interrupted: true };
    return { status: 'error', error: runtimeError(error, (file) => this.chunks.get(file)), interrupted: false };
  }

  private async settle(
    promise: Promise<unknown>,
    signal: AbortSignal | undefined,
  ): Promise<{ kind: 'resolved' } | { kind: 'rejected'; reason: unknown } | { kind: 'interrupted' }> {
    const settled = promise.then(
      () => ({ kind: 'resolved' as const }),
      (reason: unknown) => ({ kind: 'rejected' as const, reason }),
    );
    if (!signal) return settled;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<{ kind: 'interrupted' }>((resolve) => {
      onAbort = () => resolve({ kind: 'interrupted' });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const first = await Promise.race([settled, aborted]);
    signal.removeEventListener('abort', onAbort);
    if (first.kind !== 'interrupted') return first;
    // Give well-behaved work (train() stops on the signal) the chance to finish its step.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.interruptGraceMs);
    });
    await Promise.race([settled, grace]);
    clearTimeout(timer);
    return first;
  }
}

/** Whether `error` is what `vm`'s `breakOnSigint` or a loop guard throws on an interrupt. */
export function isInterruptError(error: unknown): boolean {
  return error instanceof InterruptError || (error instanceof Error && SIGINT_MESSAGE.test(error.message));
}

/**
 * The `exports` object cells write their declarations to. TypeScript emits named imports as
 * getter definitions; they are stored as plain values so that a later cell can reassign them
 * (as tslab does).
 */
function createExports(): { proxy: Record<string, unknown>; target: Record<string, unknown> } {
  const target: Record<string, unknown> = {};
  const proxy = new Proxy(target, {
    defineProperty(object, key, attributes) {
      if (key === '__esModule') return true;
      object[key as string] = attributes.get ? attributes.get() : attributes.value;
      return true;
    },
  });
  return { proxy, target };
}
