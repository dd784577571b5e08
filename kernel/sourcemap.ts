/**
 * Just enough of source maps (revision 3) to map a position in the JavaScript a cell compiled to
 * back to the cell's TypeScript: decode the `mappings` string and look a position up. A cell goes
 * through two compilations (TypeScript → ES module → CommonJS, see kernel/tslab.ts), so a lookup
 * chains two maps.
 */

/** A position: 0-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** One decoded mapping segment: generated column → source line and column. */
interface Segment {
  readonly column: number;
  readonly sourceLine: number;
  readonly sourceColumn: number;
}

/** A decoded source map that answers "where did this generated position come from?". */
export class SourceMap {
  private readonly lines: readonly (readonly Segment[])[];

  /**
   * @example
   * const map = SourceMap.parse('{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}');
   * map.originalPosition({ line: 0, column: 4 });   // { line: 0, column: 0 }
   */
  static parse(json: string): SourceMap {
    const raw = JSON.parse(json) as { mappings?: unknown };
    if (typeof raw.mappings !== 'string') throw new Error('source map: `mappings` must be a string');
    return new SourceMap(decodeMappings(raw.mappings));
  }

  private constructor(lines: Segment[][]) {
    this.lines = lines;
  }

  /**
   * The source position of the generated position `at`: the segment at or before its column on
   * its line (or, when the line starts later, the line's first segment); `undefined` for a line
   * with no mapping at all.
   */
  originalPosition(at: Position): Position | undefined {
    const segments = this.lines[at.line];
    if (!segments || segments.length === 0) return undefined;
    let found = segments[0];
    for (const segment of segments) {
      if (segment.column > at.column) break;
      found = segment;
    }
    return { line: found.sourceLine, column: found.sourceColumn };
  }
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((char, index) => [char, index]));

/** Decodes a `mappings` string into segments per generated line (fields are delta-encoded VLQs). */
function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let sourceLine = 0;
  let sourceColumn = 0;
  for (const lineText of mappings.split(';')) {
    const segments: Segment[] = [];
    let column = 0;
    for (const segmentText of lineText.split(',')) {
      if (segmentText === '') continue;
      const fields = decodeVlqs(segmentText);
      column += fields[0];
      if (fields.length >= 4) {
        sourceLine += fields[2];
        sourceColumn += fields[3];
        segments.push({ column, sourceLine, sourceColumn });
      }
    }
    segments.sort((a, b) => a.column - b.column);
    lines.push(segments);
  }
  return lines;
}

function decodeVlqs(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`source map: invalid base64 digit ${JSON.stringify(char)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/**
 * Maps through several source maps in turn (generated → intermediate → original), then shifts by
 * `offset` lines; `undefined` as soon as one step has no mapping.
 */
export function chainPosition(maps: readonly SourceMap[], at: Position, offset = 0): Position | undefined {
  let position: Position | undefined = at;
  for (const map of maps) {
    position = map.originalPosition(position);
    if (!position) return undefined;
  }
  return { line: position.line + offset, column: position.column };
}
