import assert from 'node:assert/strict';
import { checkBoolean, checkInteger, checkKeys, checkNumber, failOption, type OptionKeys } from '../../../lib/util/options';
import { throwsWith } from '../../helpers';

interface Example {
  readonly epochs: number;
  readonly shuffle?: boolean;
}

describe('option checker', () => {
  it('OptionKeys<O> needs every key of O, and no other (a type error otherwise)', () => {
    const keys = { epochs: true, shuffle: true } as const satisfies OptionKeys<Example>;
    // @ts-expect-error -- `shuffle` is missing: a new option cannot be forgotten in the list.
    const missing = { epochs: true } as const satisfies OptionKeys<Example>;
    // @ts-expect-error -- `patience` is no option of Example.
    const extra = { epochs: true, shuffle: true, patience: true } as const satisfies OptionKeys<Example>;
    assert.deepEqual(Object.keys(keys), ['epochs', 'shuffle']);
    assert.ok(missing && extra);
  });

  it("checkKeys(where, options, keys, hints) names the unknown key, what it probably meant, and the known keys", () => {
    const keys = { epochs: true, shuffle: true } as const satisfies OptionKeys<Example>;
    checkKeys('f()', { epochs: 1 }, keys);
    throwsWith(() => checkKeys('f()', { epoch: 1 }, keys), 'f(): unknown option `epoch`. Expected one of epochs, shuffle.');
    throwsWith(() => checkKeys('f()', { epoch: 1 }, keys, { epoch: 'did you mean epochs?' }), 'f(): unknown option `epoch`: did you mean epochs? Expected one of epochs, shuffle.');
    throwsWith(() => checkKeys('f()', { lr: 1 }, keys, { lr: 'pass it to the optimizer' }), 'f(): unknown option `lr`: pass it to the optimizer. Expected one of epochs, shuffle.');
  });

  const cases: [string, () => void, string][] = [
    ['checkInteger(0, min 1)', () => checkInteger('f()', 'epochs', 0, 1), 'f(): `epochs` must be an integer ≥ 1. Received: epochs=0.'],
    ['checkInteger(2.5, min 1)', () => checkInteger('f()', 'epochs', 2.5, 1), 'f(): `epochs` must be an integer ≥ 1. Received: epochs=2.5.'],
    ['checkInteger("3", min 0)', () => checkInteger('f()', 'n', '3', 0), 'f(): `n` must be an integer ≥ 0. Received: n="3".'],
    ['checkInteger(9, [1, 8])', () => checkInteger('f()', 'n', 9, 1, 8), 'f(): `n` must be an integer in [1, 8]. Received: n=9.'],
    ['checkInteger with a reason', () => checkInteger('f()', 'keep', 0, 1, undefined, { why: 'the newest is always kept' }), 'f(): `keep` must be an integer ≥ 1 (the newest is always kept). Received: keep=0.'],
    ['checkInteger of an environment variable', () => checkInteger('f()', 'THREADS', -1, 1, undefined, { subject: 'the THREADS environment variable' }), 'f(): the THREADS environment variable must be an integer ≥ 1. Received: THREADS=-1.'],
    ['checkNumber(NaN)', () => checkNumber('f()', 'x', Number.NaN), 'f(): `x` must be a finite number. Received: x=NaN.'],
    ['checkNumber(Infinity, ≥ 0)', () => checkNumber('f()', 'x', Infinity, { min: 0 }), 'f(): `x` must be a finite number ≥ 0. Received: x=Infinity.'],
    ['checkNumber(0, > 0)', () => checkNumber('f()', 'x', 0, { min: 0, open: 'min' }), 'f(): `x` must be a finite number > 0. Received: x=0.'],
    ['checkNumber(1, [0, 1))', () => checkNumber('f()', 'x', 1, { min: 0, max: 1, open: 'max' }), 'f(): `x` must be a number in [0, 1). Received: x=1.'],
    ['checkNumber(0, (0, 1))', () => checkNumber('f()', 'x', 0, { min: 0, max: 1, open: 'both' }), 'f(): `x` must be a number in (0, 1). Received: x=0.'],
    ['checkNumber(2, [0, 1])', () => checkNumber('f()', 'x', 2, { min: 0, max: 1 }), 'f(): `x` must be a number in [0, 1]. Received: x=2.'],
    ['checkBoolean("no")', () => checkBoolean('f()', 'shuffle', 'no'), 'f(): `shuffle` must be true or false. Received: shuffle="no".'],
    ['failOption', () => failOption('f()', 'mode', 'up', "'min' or 'max'"), "f(): `mode` must be 'min' or 'max'. Received: mode=\"up\"."],
  ];
  for (const [name, body, message] of cases) {
    it(`${name} fails with one phrasing: ${message}`, () => {
      throwsWith(body, message);
    });
  }

  it('values within the bounds pass', () => {
    checkInteger('f()', 'n', 0, 0);
    checkInteger('f()', 'n', 8, 1, 8);
    checkNumber('f()', 'x', 0, { min: 0, max: 1 });
    checkNumber('f()', 'x', 0.5, { min: 0, max: 1, open: 'both' });
    checkBoolean('f()', 'b', false);
  });
});
