import assert from 'node:assert/strict';
import { magicAt, parseCell } from '../../../kernel/magics/parse';
import { throwsWith } from '../../helpers';

describe('magics/parse', () => {
  it('parseCell(code) without magics is one code segment', () => {
    assert.deepEqual(parseCell('const a = 1;\na + 1'), { kind: 'segments', segments: [{ kind: 'code', source: 'const a = 1;\na + 1', line: 0 }] });
  });

  it('parseCell() splits code around line magics, keeping each piece\'s first line', () => {
    const parsed = parseCell('const a = 1;\n%time a * 2\n\nconsole.log(a)\n  %who number');
    assert.deepEqual(parsed, {
      kind: 'segments',
      segments: [
        { kind: 'code', source: 'const a = 1;', line: 0 },
        { kind: 'line-magic', name: 'time', args: 'a * 2', line: 1, text: '%time a * 2' },
        { kind: 'code', source: '\nconsole.log(a)', line: 2 },
        { kind: 'line-magic', name: 'who', args: 'number', line: 4, text: '  %who number' },
      ],
    });
  });

  it('parseCell() leaves % lines that continue unfinished code (template, comment, block, bracket, operator) to TypeScript', () => {
    for (const cell of [
      'const s = `\n%d items`;',
      '/*\n%time x\n*/\nconst b = 2;',
      'function f() {\n%time x\n}',
      'const v = [10\n% 3]',
      'const w = 10 +\n%3',
    ]) {
      const parsed = parseCell(cell);
      assert.equal(parsed.kind, 'segments');
      assert.ok(parsed.kind === 'segments' && parsed.segments.every((s) => s.kind === 'code'), `magic found in ${JSON.stringify(cell)}`);
    }
  });

  it('parseCell() takes a % line after finished code as a magic, even where `x % who` would parse', () => {
    const parsed = parseCell('const x = 5\n%who');
    assert.ok(parsed.kind === 'segments');
    assert.deepEqual(parsed.segments.map((s) => s.kind), ['code', 'line-magic']);
  });

  it('parseCell() reads a magic line whose arguments hold an unbalanced quote or backtick without disturbing the code after it', () => {
    const parsed = parseCell("%time it's `odd\nconst c = 3;");
    assert.ok(parsed.kind === 'segments');
    assert.deepEqual(parsed.segments.map((s) => s.kind), ['line-magic', 'code']);
  });

  it('parseCell("%%name args\\nbody") is a cell magic; leading blank lines are allowed', () => {
    assert.deepEqual(parseCell('\n%%sweep lr=[1, 2]\nconst x = params.lr;\nx'), {
      kind: 'cell-magic',
      name: 'sweep',
      args: 'lr=[1, 2]',
      body: 'const x = params.lr;\nx',
      bodyLine: 2,
    });
  });

  it('parseCell() refuses a cell magic that is not first, and a bare % or %%', () => {
    throwsWith(() => parseCell('const a = 1;\n%%time\n1'), '%%time: a cell magic must be the first line of its cell (line 2 here).');
    throwsWith(() => parseCell('% 3'), '%: expected a magic name after % on line 1', '%lsmagic');
    throwsWith(() => parseCell('%%\n1'), '%%: expected a magic name after %%');
  });

  it('magicAt(line, column) finds the %name under the cursor', () => {
    assert.deepEqual(magicAt('  %tim', 6), { prefix: '%', name: 'tim', start: 2, end: 6 });
    assert.deepEqual(magicAt('%%sweep a=[1]', 3), { prefix: '%%', name: 'sweep', start: 0, end: 7 });
    assert.equal(magicAt('%time x', 7), undefined);
    assert.equal(magicAt('a % b', 3), undefined);
  });
});
