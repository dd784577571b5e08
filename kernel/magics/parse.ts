/**
 * Splits a cell into TypeScript and magics. A cell whose first non-blank line starts with `%%` is a
 * cell magic; otherwise, a line whose first non-blank character is `%` is a line magic — unless the
 * code above it is unfinished (an open bracket, block, template string or comment, a dangling
 * operator), in which case the line continues that code, as it would in a REPL.
 */
import { needsMoreInput } from '../tslab';
import { UsageError } from './registry';

/** A run of TypeScript lines. `line` is its first line in the cell (0-based). */
export interface CodeSegment {
  readonly kind: 'code';
  readonly source: string;
  readonly line: number;
}

/** `%name args` on line `line`. */
export interface LineMagicSegment {
  readonly kind: 'line-magic';
  readonly name: string;
  readonly args: string;
  readonly line: number;
  /** The whole line as written (for the trailing-`;` rule). */
  readonly text: string;
}

export type Segment = CodeSegment | LineMagicSegment;

/** A parsed cell: a cell magic with its body, or a sequence of code and line magics. */
export type ParsedCell =
  | { readonly kind: 'cell-magic'; readonly name: string; readonly args: string; readonly body: string; readonly bodyLine: number }
  | { readonly kind: 'segments'; readonly segments: readonly Segment[] };

const CELL_MAGIC = /^\s*%%([A-Za-z_][\w-]*)?(.*)$/;
const LINE_MAGIC = /^\s*%(?!%)([A-Za-z_][\w-]*)?(.*)$/;

/**
 * @example
 * parseCell('const a = 1;\n%time a * 2');
 * // { kind: 'segments', segments: [{ kind: 'code', source: 'const a = 1;', line: 0 },
 * //                                { kind: 'line-magic', name: 'time', args: 'a * 2', line: 1, ... }] }
 */
export function parseCell(cell: string): ParsedCell {
  const lines = cell.split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first >= 0) {
    const match = CELL_MAGIC.exec(lines[first]);
    if (match) {
      if (match[1] === undefined) throw new UsageError(`%%: expected a magic name after %%. Received: ${JSON.stringify(lines[first].trim())}. Run %lsmagic to list the magics.`);
      return { kind: 'cell-magic', name: match[1], args: match[2].trim(), body: lines.slice(first + 1).join('\n'), bodyLine: first + 1 };
    }
  }
  const magicLines = findMagicLines(lines);
  const segments: Segment[] = [];
  let code: string[] = [];
  let codeStart = 0;
  const flushCode = (end: number) => {
    if (code.some((line) => line.trim() !== '')) segments.push({ kind: 'code', source: code.join('\n'), line: codeStart });
    code = [];
    codeStart = end + 1;
  };
  lines.forEach((line, index) => {
    if (!magicLines.has(index)) {
      code.push(line);
      return;
    }
    flushCode(index);
    if (/^\s*%%/.test(line)) {
      throw new UsageError(`${line.trim().split(/\s/)[0]}: a cell magic must be the first line of its cell (line ${index + 1} here).`);
    }
    const match = LINE_MAGIC.exec(line)!;
    if (match[1] === undefined) throw new UsageError(`%: expected a magic name after % on line ${index + 1}. Received: ${JSON.stringify(line.trim())}. Run %lsmagic to list the magics.`);
    segments.push({ kind: 'line-magic', name: match[1], args: match[2].trim(), line: index, text: line });
  });
  flushCode(lines.length);
  return { kind: 'segments', segments };
}

/** Indexes of the lines that are magics (see the module comment). */
function findMagicLines(lines: readonly string[]): Set<number> {
  const magic = new Set<number>();
  for (const [index, line] of lines.entries()) {
    if (!/^\s*%/.test(line)) continue;
    // The code above, with the magic lines found so far left out (their arguments are not code).
    const above = lines.slice(0, index).map((text, i) => (magic.has(i) ? '' : text)).join('\n');
    if (!needsMoreInput(above)) magic.add(index);
  }
  return magic;
}

/**
 * Where a magic name ends on `line`, for completion and inspection: the `%name` token under
 * `column`, or `undefined` when the cursor is not on a magic name.
 */
export function magicAt(line: string, column: number): { prefix: '%' | '%%'; name: string; start: number; end: number } | undefined {
  const match = /^(\s*)(%%?)([\w-]*)/.exec(line);
  if (!match) return undefined;
  const start = match[1].length;
  const end = start + match[2].length + match[3].length;
  if (column < start || column > end) return undefined;
  return { prefix: match[2] as '%' | '%%', name: match[3], start, end };
}
