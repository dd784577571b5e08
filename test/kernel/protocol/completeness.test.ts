/**
 * The socket thread's is_complete scanner (used while TypeScript loads) against the main thread's
 * answer, which comes from TypeScript's parser: they agree on every sample but the ones only a
 * parser can call invalid.
 */
import assert from 'node:assert/strict';
import { scanCompleteness } from '../../../kernel/protocol/completeness';
import { completeness } from '../../../kernel/tslab';

const COMPLETE = [
  '1 + 1',
  'const x = 1;',
  'function f() {\n  return 1;\n}',
  'let a = 1 + 1; a',
  'a++',
  'x!',
  'const s = "a(b[c{";',
  "const s = 'it\\'s (';",
  'const t = `a ${b + `c ${d}`} (`;',
  'const r = /[(]/g;',
  'const d = a / b / c;',
  '// a comment with ( and {',
  '/* ( */ 1',
  'if (a) b();',
  'for (const x of xs) f(x);',
  'const m = new Map<string, number>()',
  'import * as tf from "@tensorflow/tfjs";',
  'return',
  'const s = "a\\\nb";',
];
const INCOMPLETE = [
  'function f() {',
  'const a = [1,',
  'if (true) {\n  console.log(1);',
  'const t = `a ${b',
  '/* a comment',
  'const a = 1 +',
  'const f = (x: number) =>',
  'a.',
  'if (a)',
  'while (x > 0)',
  'import { a } from',
  'f(\n  1,\n  2',
];

describe('protocol/completeness: is_complete without TypeScript', () => {
  for (const code of COMPLETE) {
    it(`complete, as TypeScript says: ${JSON.stringify(code)}`, () => {
      assert.equal(completeness(code).status, 'complete');
      assert.deepEqual(scanCompleteness(code), { status: 'complete' });
    });
  }
  for (const code of INCOMPLETE) {
    it(`incomplete with TypeScript's indent: ${JSON.stringify(code)}`, () => {
      const expected = completeness(code);
      assert.equal(expected.status, 'incomplete');
      assert.deepEqual(scanCompleteness(code), { status: 'incomplete', indent: expected.indent });
    });
  }

  it('an unbalanced closing bracket, an unterminated string or template literal are invalid, as TypeScript says', () => {
    for (const code of ['}', '(]', 'const s = "abc', 'const s = "a\nb";', 'const s = "a\\', 'const t = `a\nb']) {
      assert.equal(completeness(code).status, 'invalid', code);
      assert.equal(scanCompleteness(code).status, 'invalid', code);
    }
  });

  it('text ending in a blank line is submitted: complete when finished, invalid when not', () => {
    assert.deepEqual(scanCompleteness('1 + 1\n\n'), { status: 'complete' });
    assert.deepEqual(scanCompleteness('f(\n\n'), { status: 'invalid' });
  });

  it('magics: line magics are skipped, a cell magic takes lines until an empty one, as kernel/kernel.ts does', () => {
    assert.deepEqual(scanCompleteness('%time 1 + 1'), { status: 'complete' });
    assert.deepEqual(scanCompleteness('%time (1 +'), { status: 'complete' });
    assert.deepEqual(scanCompleteness('const a = (\n%time'), { status: 'incomplete', indent: '' });
    assert.deepEqual(scanCompleteness('%%time\n1 + 1'), { status: 'incomplete', indent: '' });
    assert.deepEqual(scanCompleteness('%%time\n1 + 1\n'), { status: 'complete' });
    assert.deepEqual(scanCompleteness('%%time'), { status: 'incomplete', indent: '' });
    assert.deepEqual(scanCompleteness('%% time'), { status: 'invalid' });
  });

  it('what only a parser sees is called complete (the cell then reports the syntax error)', () => {
    assert.equal(completeness('const = 5;').status, 'invalid');
    assert.deepEqual(scanCompleteness('const = 5;'), { status: 'complete' });
  });
});
