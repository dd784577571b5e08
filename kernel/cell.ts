/**
 * Runs one cell: splits it into TypeScript and magics (kernel/magics/parse.ts), runs the pieces in
 * order in the cell's scope, and returns the outcome of the last one — its value, or the first
 * error. A trailing `;` on the last statement (or magic line) hides the value, as in IPython.
 */
import { Executor, isInterruptError, type Outcome } from './executor';
import { toMimeBundle } from './display/bundle';
import { RecordingSink } from './output';
import { currentScope, runInNestedScope, newDisplayId, type CellScope } from './scope';
import { endsWithSemicolon } from './tslab';
import { interruptedError, runtimeError, type CellError } from './traceback';
import { parseCell, type Segment } from './magics/parse';
import { MagicRegistry } from './magics/registry';
import { systemClock, type CapturedOutput, type Clock, type Magic, type MagicContext } from './magics/types';

/** Thrown by a magic's `context.run()` when the code fails; the cell reports the code's own error. */
export class CellFailure extends Error {
  constructor(readonly error: CellError, readonly interrupted: boolean) {
    super(error.evalue);
    this.name = 'CellFailure';
  }
}

/** Options of {@link CellRunner}. */
export interface CellRunnerOptions {
  readonly executor: Executor;
  readonly magics: MagicRegistry;
  /** Time sources for %time / %timeit. Defaults to the system clock. */
  readonly clock?: Clock;
  /**
   * Awaited before each cell runs, given its text: the kernel loads tf.js and chooses its backend
   * there for the first cell that imports something or uses a magic (kernel/main.ts).
   */
  readonly beforeRun?: (cell: string) => Promise<unknown> | undefined;
}

const NO_VALUE: Outcome = { status: 'ok', value: undefined, hasValue: false };

/**
 * @example
 * const runner = new CellRunner({ executor, magics: new MagicRegistry(builtinMagics()) });
 * await runner.run('%time 1 + 1', 'In [1]', scope);   // { status: 'ok', value: 2, hasValue: true }
 */
export class CellRunner {
  readonly executor: Executor;
  readonly magics: MagicRegistry;
  private readonly clock: Clock;
  private readonly beforeRun: CellRunnerOptions['beforeRun'];

  constructor({ executor, magics, clock = systemClock, beforeRun }: CellRunnerOptions) {
    this.executor = executor;
    this.magics = magics;
    this.clock = clock;
    this.beforeRun = beforeRun;
  }

  /** Runs `cell`, labelled `label` in tracebacks, in `scope`. Never throws. */
  async run(cell: string, label: string, scope: CellScope): Promise<Outcome> {
    let parsed;
    try {
      const before = this.beforeRun?.(cell);
      if (before) await before;
      parsed = parseCell(cell);
    } catch (error) {
      return this.failure(error, scope);
    }
    if (parsed.kind === 'cell-magic') {
      const magic = this.magics.find(parsed.name, 'cell');
      if (!magic) return this.failure(this.magics.unknown(parsed.name, 'cell'), scope);
      const outcome = await this.runMagic(magic, { kind: 'cell', args: parsed.args, body: parsed.body, line: parsed.bodyLine }, label, scope);
      return outcome.status === 'ok' && endsWithSemicolon(parsed.body) ? NO_VALUE : outcome;
    }
    let outcome = NO_VALUE;
    for (const segment of parsed.segments) {
      outcome = await this.runSegment(segment, label, scope);
      if (outcome.status === 'error') return outcome;
    }
    const last = parsed.segments[parsed.segments.length - 1];
    if (last && hidesValue(last)) return NO_VALUE;
    return outcome;
  }

  private runSegment(segment: Segment, label: string, scope: CellScope): Promise<Outcome> {
    if (segment.kind === 'code') return this.executor.execute(segment.source, { label, lineOffset: segment.line }, scope.controller.signal);
    const magic = this.magics.find(segment.name, 'line');
    if (!magic) return Promise.resolve(this.failure(this.magics.unknown(segment.name, 'line'), scope));
    return this.runMagic(magic, { kind: 'line', args: segment.args, body: '', line: segment.line }, label, scope);
  }

  private async runMagic(
    magic: Magic,
    call: { kind: 'line' | 'cell'; args: string; body: string; line: number },
    label: string,
    scope: CellScope,
  ): Promise<Outcome> {
    const context = this.context(magic, call, label, scope);
    try {
      const value = await magic.run(context);
      if (scope.controller.signal.aborted) return { status: 'error', error: interruptedError(), interrupted: true };
      return { status: 'ok', value, hasValue: value !== undefined };
    } catch (error) {
      return this.failure(error, scope);
    }
  }

  private failure(error: unknown, scope: CellScope): Outcome {
    if (error instanceof CellFailure) return { status: 'error', error: error.error, interrupted: error.interrupted };
    if (isInterruptError(error) || scope.controller.signal.aborted) return { status: 'error', error: interruptedError(), interrupted: true };
    return { status: 'error', error: runtimeError(error, () => undefined), interrupted: false };
  }

  private context(
    magic: Magic,
    call: { kind: 'line' | 'cell'; args: string; body: string; line: number },
    label: string,
    scope: CellScope,
  ): MagicContext {
    const executor = this.executor;
    const run = async (code: string, options: { lineOffset?: number } = {}) => {
      const outcome = await executor.execute(code, { label, lineOffset: options.lineOffset ?? call.line }, scope.controller.signal);
      if (outcome.status === 'error') throw new CellFailure(outcome.error, outcome.interrupted);
      return outcome.value;
    };
    const prepare = async (code: string, options: { lineOffset?: number } = {}) => {
      const prepared = executor.prepare(code, { label, lineOffset: options.lineOffset ?? call.line });
      if (prepared.status === 'error') throw new CellFailure(prepared.error, false);
      return async () => {
        const outcome = await prepared.run(scope.controller.signal);
        if (outcome.status === 'error') throw new CellFailure(outcome.error, outcome.interrupted);
        return outcome.value;
      };
    };
    // Output goes to the scope running now: inside context.capture(), that is the recorder.
    const sink = () => currentScope()?.sink ?? scope.sink;
    const print = (text: string) => sink().stream('stdout', text.endsWith('\n') ? text : `${text}\n`);
    return {
      name: magic.name,
      kind: call.kind,
      args: call.args,
      body: call.body,
      line: call.line,
      run,
      prepare,
      compileFunction: async (code, options = {}) => {
        const isAsync = /\bawait\b/.test(code);
        const lineOffset = (options.lineOffset ?? call.line) - 1;
        const fn = await run(`(${isAsync ? 'async ' : ''}() => {\n${code}\n})`, { lineOffset });
        return fn as () => unknown;
      },
      interruptible: (body) => executor.interruptible(body),
      display: (value) => sink().display({ data: toMimeBundle(value), metadata: {} }, false),
      displayBundle: (bundle) => {
        const target = sink();
        const id = newDisplayId();
        target.display({ data: bundle, metadata: {}, transient: { display_id: id } }, false);
        return { update: (next) => target.display({ data: next, metadata: {}, transient: { display_id: id } }, true) };
      },
      print,
      bind: async (name, value, type) => {
        const slot = Symbol.for('cellfit.bind');
        (globalThis as Record<symbol, unknown>)[slot] = value;
        try {
          await run(`let ${name}: ${type} = (globalThis as any)[Symbol.for('cellfit.bind')];`);
        } finally {
          delete (globalThis as Record<symbol, unknown>)[slot];
        }
      },
      signal: scope.controller.signal,
      capture: async (body, options = {}) => {
        const recorder = new RecordingSink(scope.sink, {
          stdout: options.stdout ?? true,
          stderr: options.stderr ?? true,
          display: options.display ?? true,
        });
        const result = await runInNestedScope({ ...scope, sink: recorder }, body);
        const output: CapturedOutput = {
          stdout: recorder.stdout,
          stderr: recorder.stderr,
          outputs: [...recorder.outputs],
          show() {
            // Replays into whatever cell is running when show() is called.
            const target = currentScope()?.sink ?? scope.sink;
            if (this.stdout) target.stream('stdout', this.stdout);
            if (this.stderr) target.stream('stderr', this.stderr);
            for (const data of this.outputs) target.display({ data, metadata: {} }, false);
          },
        };
        return { result, output };
      },
      collectRuns: async (body) => {
        const runs: unknown[] = [];
        const result = await runInNestedScope({ ...scope, runs }, body);
        scope.runs.push(...runs);
        return { result, runs };
      },
      locals: executor.locals,
      magics: this.magics.list(),
      clock: this.clock,
    };
  }
}

function hidesValue(segment: Segment): boolean {
  return segment.kind === 'code' ? endsWithSemicolon(segment.source) : segment.text.trimEnd().endsWith(';');
}
