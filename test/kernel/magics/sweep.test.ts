import assert from 'node:assert/strict';
import { combinations, paramsType, parseAxes, trialsTable } from '../../../kernel/magics/sweep';
import { throwsWith } from '../../helpers';

const magic = { name: 'sweep', usage: '%%sweep name=[…]' };

describe('magics/sweep', () => {
  it('parseAxes(magic, "lr=[…] act=[…]") reads numbers, quoted strings and booleans', () => {
    assert.deepEqual(parseAxes(magic, `lr=[0.1, 1e-2, -3] act=['relu', "tan, h"] bias = [true,false]`), [
      { name: 'lr', values: [0.1, 0.01, -3] },
      { name: 'act', values: ['relu', 'tan, h'] },
      { name: 'bias', values: [true, false] },
    ]);
  });

  it('parseAxes() names the axis at fault', () => {
    throwsWith(() => parseAxes(magic, 'lr=[0.1, relu]'), '%%sweep: axis lr: "relu" is not a number, a quoted string, true or false.');
    throwsWith(() => parseAxes(magic, 'lr=[]'), '%%sweep: axis lr: the list is empty.');
    throwsWith(() => parseAxes(magic, 'lr=[1, 2'), 'axis lr: the list has no closing ]');
    throwsWith(() => parseAxes(magic, 'lr=[1] lr=[2]'), 'axis lr is given twice');
    throwsWith(() => parseAxes(magic, ''), 'expected at least one axis, e.g. lr=[0.1, 0.01]', 'Usage: %%sweep name=[…]');
    throwsWith(() => parseAxes(magic, 'lr 0.1'), 'expected name=[values] at "lr 0.1"');
  });

  it('combinations(axes) is the cartesian product, the last axis varying fastest', () => {
    assert.deepEqual(combinations([{ name: 'a', values: [1, 2] }, { name: 'b', values: ['x', 'y'] }]), [
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('paramsType(axes) is the TypeScript type the cell sees `params` as', () => {
    assert.equal(paramsType([{ name: 'lr', values: [0.1] }, { name: 'x', values: ['a', 1] }]), '{ readonly lr: number; readonly x: string | number }');
  });

  it('trialsTable(trials, axes) lists params, trial state, run, epochs and best metric', () => {
    const bundle = trialsTable(
      [
        { params: { lr: 0.1 }, status: 'finished', runs: [{ id: 'r1', status: 'completed', epoch: 5, epochs: 5, best: { epoch: 4, monitor: 'val_loss', value: 0.25 } }] },
        { params: { lr: 0.01 }, status: 'skipped', runs: [] },
      ],
      [{ name: 'lr', values: [0.1, 0.01] }],
    );
    const text = String(bundle['text/plain']);
    assert.match(text, /^sweep of 2 trials over lr\n/);
    assert.match(text, /0\.1 +finished +r1 \(completed\) +5\/5 +val_loss 0\.25 @ epoch 4/);
    assert.match(String(bundle['text/html']), /<td[^>]*>r1 \(completed\)<\/td>/);
  });
});
