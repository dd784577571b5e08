/**
 * Turns what went wrong in a cell — TypeScript diagnostics, a thrown value, an interrupt — into the
 * `ename` / `evalue` / `traceback` triple of Jupyter's `error` message, with positions in the
 * cell's own lines (In [3], line 2) rather than in the JavaScript the cell compiled to.
 */
import { inspect } from 'node:util';
import type { Diagnostic } from './tslab';
import { chainPosition, type SourceMap } from './sourcemap';

/** The content of a Jupyter `error` message (and of an error execute_reply). */
export interface CellError {
  readonly ename: string;
  readonly evalue: string;
  readonly traceback: string[];
}

/** A piece of TypeScript the kernel compiled and ran: a cell, or the code part of a magic. */
export interface Chunk {
  /** How tracebacks name the cell: `In [3]`. */
  readonly label: string;
  /** The chunk's first line within its cell (0-based), so that positions count cell lines. */
  readonly lineOffset: number;
  /** The chunk's TypeScript. */
  readonly source: string;
  /** Maps from the code that ran back to `source` (see kernel/tslab.ts), with their line shift. */
  readonly maps?: readonly SourceMap[];
  readonly mapLineShift?: number;
  /** Turns a column of what was compiled into the column in `source` (see `expandShorthands`). */
  readonly originalColumn?: (line: number, column: number) => number;
}

const RED = '\x1b[0;31m';
const GREEN = '\x1b[0;32m';
const BOLD_RED = '\x1b[1;31m';
const RESET = '\x1b[0m';

/** The `ename` of an interrupted cell. */
export const INTERRUPTED = 'Interrupted';

/**
 * One error for all of a cell's diagnostics: the first is the `evalue`; the traceback lists each
 * with its line and the line's text.
 *
 * @example
 * diagnosticsError([{ line: 0, column: 0, endLine: 0, endColumn: 3, message: "Cannot find name 'foo'.", code: 2304 }], chunk)
 * // { ename: 'TSError', evalue: "Cannot find name 'foo'. (TS2304)", traceback: [...] }
 */
export function diagnosticsError(diagnostics: readonly Diagnostic[], chunk: Chunk): CellError {
  const [first] = diagnostics;
  const describe = (d: Diagnostic) => `${d.message} (TS${d.code})`;
  const traceback: string[] = [];
  const lines = chunk.source.split('\n');
  for (const d of diagnostics) {
    if (d.file !== undefined) {
      traceback.push(`${RED}${d.file}${RESET}, line ${d.line + 1}, column ${d.column + 1}: ${describe(d)}`);
      continue;
    }
    const line = d.line + chunk.lineOffset;
    traceback.push(`${RED}${chunk.label}${RESET}, line ${line + 1}, column ${d.column + 1}: ${describe(d)}`);
    const text = lines[d.line];
    if (text !== undefined) {
      const width = d.endLine === d.line ? Math.max(1, d.endColumn - d.column) : Math.max(1, text.length - d.column);
      traceback.push(...codeContext(text, line, d.column, width));
    }
  }
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
  return {
    ename: 'TSError',
    evalue: `${describe(first)}${more}`,
    traceback: [`${BOLD_RED}TSError${RESET}: ${describe(first)}${more}`, ...traceback],
  };
}

/**
 * The error of a cell stopped by an interrupt (interrupt_request or SIGINT). `detail` says what
 * the interrupt left behind, e.g. the checkpoint of an interrupted training run.
 */
export function interruptedError(detail?: string): CellError {
  const evalue = detail ? `the cell was interrupted. ${detail}` : 'the cell was interrupted';
  return { ename: INTERRUPTED, evalue, traceback: [`${BOLD_RED}${INTERRUPTED}${RESET}: ${evalue}`] };
}

/**
 * The error for a value a cell threw. Stack frames in cells are rewritten to cell positions
 * (`at f (In [2]:3:7)`), frames of the kernel's own machinery are dropped, and the innermost cell
 * line is shown with a caret.
 *
 * @param findChunk Looks up the chunk a stack frame's file name belongs to.
 */
export function runtimeError(thrown: unknown, findChunk: (file: string) => Chunk | undefined): CellError {
  const { ename, evalue, stack } = describeThrown(thrown);
  const frames: string[] = [];
  let context: string[] = [];
  // Below the outermost cell frame is whatever ran the cell: the kernel, not the user's business.
  const lastCellFrame = stack.reduce((last, line, i) => {
    const frame = parseFrame(line);
    return frame && findChunk(frame.file) ? i : last;
  }, -1);
  for (const line of lastCellFrame < 0 ? stack : stack.slice(0, lastCellFrame + 1)) {
    const frame = parseFrame(line);
    if (!frame) {
      frames.push(line);
      continue;
    }
    if (isMachinery(frame.file)) continue;
    const chunk = findChunk(frame.file);
    if (!chunk) {
      frames.push(line);
      continue;
    }
    const position = mapPosition(chunk, frame.line - 1, frame.column - 1);
    if (!position) {
      // Unmapped positions are the kernel's wrapper around the cell's code.
      if (!chunk.maps) frames.push(`    at ${frame.fn ? `${frame.fn} (${chunk.label})` : chunk.label}`);
      continue;
    }
    const fn = frame.fn?.replace(/^Proxy\./, '');
    const where = `${chunk.label}:${position.line + 1}:${position.column + 1}`;
    frames.push(`    at ${fn && fn !== '<anonymous>' ? `${fn} (${where})` : where}`);
    if (context.length === 0) {
      const text = chunk.source.split('\n')[position.line - chunk.lineOffset];
      if (text !== undefined) context = [`${RED}${chunk.label}${RESET}, line ${position.line + 1}:`, ...codeContext(text, position.line, position.column, 1)];
    }
  }
  return { ename, evalue, traceback: [`${BOLD_RED}${ename}${RESET}: ${evalue}`, ...frames, ...(context.length ? ['', ...context] : [])] };
}

function describeThrown(thrown: unknown): { ename: string; evalue: string; stack: string[] } {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'message' in thrown && 'stack' in thrown)) {
    const error = thrown as Error;
    const ename = typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
    const evalue = String(error.message);
    const stack = typeof error.stack === 'string' ? error.stack.split('\n') : [];
    // The stack starts with "Name: message" (possibly several lines); frames follow.
    const firstFrame = stack.findIndex((line) => /^\s+at /.test(line));
    return { ename, evalue, stack: firstFrame < 0 ? [] : stack.slice(firstFrame) };
  }
  return { ename: 'Uncaught', evalue: inspect(thrown, { depth: 2, breakLength: Infinity }), stack: [] };
}

interface Frame {
  readonly fn?: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

function parseFrame(line: string): Frame | undefined {
  const match = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/.exec(line);
  if (!match) return undefined;
  return { fn: match[1], file: match[2], line: Number(match[3]), column: Number(match[4]) };
}

const KERNEL_DIR = __dirname;

/** Node's internals and this kernel's own modules: not the user's business in a traceback. */
function isMachinery(file: string): boolean {
  return file.startsWith('node:') || file.startsWith(KERNEL_DIR + '/') || file.startsWith(KERNEL_DIR + '\\');
}

function mapPosition(chunk: Chunk, line: number, column: number): { line: number; column: number } | undefined {
  if (!chunk.maps) return undefined;
  const position = chainPosition(chunk.maps, { line, column }, chunk.mapLineShift ?? 0);
  if (!position || position.line < 0) return undefined;
  const original = chunk.originalColumn ? chunk.originalColumn(position.line, position.column) : position.column;
  return { line: position.line + chunk.lineOffset, column: original };
}

/** The numbered line and a caret under `column` (both 0-based). */
function codeContext(text: string, line: number, column: number, width: number): string[] {
  const number = String(line + 1);
  const gutter = ' '.repeat(number.length);
  return [`${GREEN}--> ${number}${RESET} | ${text}`, `    ${gutter} | ${' '.repeat(column)}${RED}${'^'.repeat(width)}${RESET}`];
}

/** Removes ANSI colour codes (tests and plain-text renderers use this). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
