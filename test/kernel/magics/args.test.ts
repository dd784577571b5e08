import assert from 'node:assert/strict';
import { parseWords, positiveInteger, takeOptions, words } from '../../../kernel/magics/args';
import { throwsWith } from '../../helpers';

const magic = { name: 'timeit', usage: '%timeit [-n N] CODE' };

describe('magics/args', () => {
  it('words(text) splits at spaces, keeping quoted words together', () => {
    assert.deepEqual(words(`a "b c" 'd e' "f\\"g"`), ['a', 'b c', 'd e', 'f"g']);
    assert.deepEqual(words('   '), []);
  });

  it('takeOptions(magic, args, spec) takes leading options and leaves the code untouched', () => {
    const { options, rest } = takeOptions(magic, '-n 10 -q  x  *  2', { flags: ['-q'], values: ['-n'] });
    assert.deepEqual([...options], [['-n', '10'], ['-q', true]]);
    assert.equal(rest, 'x  *  2');
    assert.equal(takeOptions(magic, '-- -n', { values: ['-n'] }).rest, '-n');
    assert.equal(takeOptions(magic, '--dir "my runs" x', { values: ['--dir'] }).options.get('--dir'), 'my runs');
  });

  it('takeOptions() names an unknown option and an option without its value', () => {
    throwsWith(() => takeOptions(magic, '-z 1', { values: ['-n'] }), '%timeit: unknown option -z. Received: args="-z 1". Usage: %timeit [-n N] CODE');
    throwsWith(() => takeOptions(magic, '-n', { values: ['-n'] }), '%timeit: option -n needs a value');
  });

  it('positiveInteger(magic, option, value, args) accepts 1, 2, … and names the option otherwise', () => {
    assert.equal(positiveInteger(magic, '-n', '3', ''), 3);
    assert.equal(positiveInteger(magic, '-n', undefined, ''), undefined);
    throwsWith(() => positiveInteger(magic, '-n', '0', '-n 0'), '%timeit: -n must be an integer ≥ 1. Received: args="-n 0".');
    throwsWith(() => positiveInteger(magic, '-r', '1.5', '-r 1.5'), '-r must be an integer ≥ 1');
    // A cell magic's line (%%sweep --trials) names it with its %% prefix; an empty value is no number.
    throwsWith(() => positiveInteger(magic, '--trials', ' ', '--trials " "', '%%'), '%%timeit: --trials must be an integer ≥ 1. Received: args="--trials \\" \\"".');
  });

  it('parseWords(magic, args, spec) takes options anywhere among the words', () => {
    const { options, positional } = parseWords(magic, 'run-1 --dir "my runs" -q', { flags: ['-q'], values: ['--dir'] });
    assert.deepEqual([...options], [['--dir', 'my runs'], ['-q', true]]);
    assert.deepEqual(positional, ['run-1']);
    throwsWith(() => parseWords(magic, 'x --dir', { values: ['--dir'] }), '%timeit: option --dir needs a value');
    throwsWith(() => parseWords(magic, 'x --nope', {}), '%timeit: unknown option --nope');
  });
});
