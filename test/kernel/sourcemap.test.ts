import assert from 'node:assert/strict';
import { chainPosition, SourceMap } from '../../kernel/sourcemap';

const map = (mappings: string) => SourceMap.parse(JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings }));

describe('SourceMap', () => {
  it('SourceMap.parse(json).originalPosition({ line, column }) finds the segment at or before the column', () => {
    // Line 0: col 0 → (0,0); col 4 → (0,6). Line 1: col 2 → (3,7) (source fields are deltas across lines).
    const m = map('AAAA,IAAM;EAGC');
    assert.deepEqual(m.originalPosition({ line: 0, column: 0 }), { line: 0, column: 0 });
    assert.deepEqual(m.originalPosition({ line: 0, column: 3 }), { line: 0, column: 0 });
    assert.deepEqual(m.originalPosition({ line: 0, column: 9 }), { line: 0, column: 6 });
    assert.deepEqual(m.originalPosition({ line: 1, column: 2 }), { line: 3, column: 7 });
  });

  it('originalPosition() on a line without mappings is undefined; before the first segment it takes the first', () => {
    const m = map(';EAGC');
    assert.equal(m.originalPosition({ line: 0, column: 5 }), undefined);
    assert.equal(m.originalPosition({ line: 7, column: 0 }), undefined);
    assert.deepEqual(m.originalPosition({ line: 1, column: 0 }), { line: 3, column: 1 });
  });

  it('SourceMap.parse() rejects a map without mappings and bad base64 digits', () => {
    assert.throws(() => SourceMap.parse('{"version":3}'), /`mappings` must be a string/);
    assert.throws(() => map('A!'), /invalid base64 digit "!"/);
  });

  it('chainPosition(maps, at, offset) maps through each map in turn, then shifts lines', () => {
    const first = map(';;AAEA'); // line 2 → line 2
    const second = map('AAAA;AACA;AACA'); // line 2 → line 2
    assert.deepEqual(chainPosition([first, second], { line: 2, column: 0 }, -1), { line: 1, column: 0 });
    assert.equal(chainPosition([first, second], { line: 0, column: 0 }), undefined);
  });
});
