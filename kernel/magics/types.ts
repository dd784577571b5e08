/**
 * What a magic is and what it can do. A magic is a named command in a cell: a line starting with
 * `%name args` (a line magic) or a cell starting with `%%name args` (a cell magic, which gets the
 * rest of the cell as its body). Built-in magics live beside this file; users add their own with
 * `registerMagic()` from `cellfit/kernel`.
 */
import type { MimeBundle } from '../../lib/session';

/** A line magic, a cell magic, or one that is both (like `%time` / `%%time`). */
export type MagicKind = 'line' | 'cell' | 'both';

/** A magic command. */
export interface Magic {
  /** The name after `%` or `%%`: letters, digits, `_` and `-`, not starting with a digit. */
  readonly name: string;
  readonly kind: MagicKind;
  /** The usage line shown in errors and %lsmagic, e.g. `%seed N`. */
  readonly usage: string;
  /** One sentence: what it does. */
  readonly summary: string;
  /**
   * Does the work. What it returns becomes the cell's result when the magic is the last thing in
   * the cell (`undefined` shows nothing); what it throws becomes the cell's error.
   */
  run(context: MagicContext): unknown;
}

/** What a running magic is given. */
export interface MagicContext {
  readonly name: string;
  /** How it was invoked: `line` for `%name`, `cell` for `%%name`. */
  readonly kind: 'line' | 'cell';
  /** The text after the magic's name, trimmed. */
  readonly args: string;
  /** A cell magic's body (the cell without its first line); `''` for a line magic. */
  readonly body: string;
  /** The cell line (0-based) the body or, for a line magic, the magic starts on. */
  readonly line: number;
  /**
   * Runs TypeScript as part of the cell — declarations stay for later cells — and returns the value
   * of its last expression. A compile error or exception fails the cell with the code's own
   * traceback (positions counted from `lineOffset`, default: the magic's line).
   */
  run(code: string, options?: { lineOffset?: number }): Promise<unknown>;
  /**
   * Compiles `code` now and returns a function that runs it once (and returns its value, or fails
   * the cell like {@link run}) — so that a magic can time the run without the compilation.
   */
  prepare(code: string, options?: { lineOffset?: number }): Promise<() => Promise<unknown>>;
  /** Compiles `code` once as the body of a function (async when it awaits), to call many times. */
  compileFunction(code: string, options?: { lineOffset?: number }): Promise<() => unknown>;
  /**
   * Calls `body` so that an interrupt (SIGINT) breaks synchronous loops in it, as in cells; an
   * interrupt throws.
   */
  interruptible<T>(body: () => T): T;
  /** Shows `value` in the cell as the kernel shows results (tables, tensors, bundles...). */
  display(value: unknown): void;
  /** Shows a MIME bundle as is; returns a handle to replace it in place. */
  displayBundle(bundle: MimeBundle): { update(bundle: MimeBundle): void };
  /** Writes `text` to the cell's stdout. */
  print(text: string): void;
  /** Declares a notebook variable `name` of TypeScript type `type` holding `value`. */
  bind(name: string, value: unknown, type: string): Promise<void>;
  /** Aborted when the user interrupts the cell. */
  readonly signal: AbortSignal;
  /** Runs `body` with the cell's output captured (see %%capture). */
  capture<T>(body: () => Promise<T>, options?: CaptureOptions): Promise<{ result: T; output: CapturedOutput }>;
  /** Runs `body`, collecting the runs train() reports meanwhile (see %%sweep). */
  collectRuns<T>(body: () => Promise<T>): Promise<{ result: T; runs: unknown[] }>;
  /** The notebook's variables. */
  readonly locals: Readonly<Record<string, unknown>>;
  /** The magics the kernel knows. */
  readonly magics: readonly Magic[];
  /** The time sources magics measure with (tests pass fakes). */
  readonly clock: Clock;
}

/** What %%capture keeps. */
export interface CapturedOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** Rich outputs (display_data bundles and the result), in order. */
  readonly outputs: readonly MimeBundle[];
  /** Sends the captured output to the current cell. */
  show(): void;
}

/** What {@link MagicContext.capture} captures: each kind of output. Each defaults to true. */
export interface CaptureOptions {
  readonly stdout?: boolean;
  readonly stderr?: boolean;
  readonly display?: boolean;
}

/** Time sources: wall time in milliseconds with sub-millisecond resolution, and CPU time used. */
export interface Clock {
  /** Monotonic wall time in milliseconds. */
  now(): number;
  /** CPU time of the process so far, in microseconds (as `process.cpuUsage()`). */
  cpu(): { user: number; system: number };
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Number(process.hrtime.bigint()) / 1e6,
  cpu: () => process.cpuUsage(),
};
