import assert from 'node:assert/strict';
import { MagicRegistry, usageError, UsageError } from '../../../kernel/magics/registry';
import type { Magic } from '../../../kernel/magics/types';
import { throwsWith } from '../../helpers';

const magic = (name: string, kind: Magic['kind']): Magic => ({ name, kind, usage: `%${name}`, summary: '', run: () => undefined });

describe('magics/registry', () => {
  it('registry.find(name, kind) finds line, cell and both-kind magics by the way they are invoked', () => {
    const registry = new MagicRegistry([magic('time', 'both'), magic('capture', 'cell'), magic('who', 'line')]);
    assert.equal(registry.find('time', 'line')?.name, 'time');
    assert.equal(registry.find('time', 'cell')?.name, 'time');
    assert.equal(registry.find('capture', 'cell')?.name, 'capture');
    assert.equal(registry.find('capture', 'line'), undefined);
    assert.equal(registry.find('who', 'cell'), undefined);
    assert.deepEqual(registry.list().map((m) => m.name), ['capture', 'time', 'who']);
  });

  it('new MagicRegistry(() => magics) calls the function on first use, once, and a magic registered then replaces a built-in one', () => {
    let calls = 0;
    const registry = new MagicRegistry(() => {
      calls++;
      return [magic('time', 'both'), magic('who', 'line')];
    });
    assert.equal(calls, 0, 'not called by the constructor (the kernel defers loading tf.js with it)');
    registry.register({ ...magic('who', 'line'), summary: 'mine' });
    assert.equal(calls, 1);
    assert.equal(registry.find('who', 'line')?.summary, 'mine');
    assert.deepEqual(registry.list().map((m) => m.name), ['time', 'who']);
    assert.equal(calls, 1);
  });

  it('registry.register(spec) names the malformed field', () => {
    const registry = new MagicRegistry();
    throwsWith(() => registry.register({ ...magic('1x', 'line') }), 'registerMagic(): `name` must be letters', 'Received: name="1x"');
    throwsWith(() => registry.register({ ...magic('x', 'line'), kind: 'block' as never }), '`kind` must be one of line, cell, both', 'Received: kind="block"');
    throwsWith(() => registry.register({ ...magic('x', 'line'), run: 'no' as never }), '`run` must be a function');
    throwsWith(() => registry.register(null as never), 'expected a magic object');
  });

  it('registry.unknown(name, kind) names the magic, suggests a close one, and points to %lsmagic', () => {
    const registry = new MagicRegistry([magic('timeit', 'both'), magic('capture', 'cell')]);
    const error = registry.unknown('timit', 'line');
    assert.ok(error instanceof UsageError);
    assert.equal(error.message, '%timit: unknown magic. Did you mean %timeit? Run %lsmagic to list the magics.');
    assert.equal(registry.unknown('zzz', 'line').message, '%zzz: unknown magic. Run %lsmagic to list the magics.');
    assert.equal(registry.unknown('capture', 'line').message, '%capture: capture is a cell magic, not a line magic. Usage: %capture');
  });

  it('usageError(magic, problem, args) throws "%name: problem. Received: args=…. Usage: …"', () => {
    throwsWith(() => usageError({ name: 'seed', usage: '%seed N' }, 'expected an integer seed', 'abc'), '%seed: expected an integer seed. Received: args="abc". Usage: %seed N');
  });
});
