import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sweepsMagic } from '../../../kernel/magics/sweeps';
import type { MagicContext } from '../../../kernel/magics/types';
import { listSweeps } from '../../../lib/sweep';
import { newTrial } from '../../../lib/sweep/state';
import { testRecord } from '../../lib/sweep/support';
import { tmpDir } from '../../lib/train/support';

describe('magics/sweeps', () => {
  it('%sweeps DIR shows an interrupted sweep\'s trials against its budget ("4/6"), a finished one\'s as a count', async () => {
    const dir = tmpDir('magic-sweeps');
    fs.mkdirSync(path.join(dir, 'sweeps'));
    const trials = [1, 2, 3, 4].map((number) => ({ ...newTrial(number, { k: number }), status: number < 4 ? ('finished' as const) : ('interrupted' as const), value: number }));
    const write = (name: string, fields: object) => fs.writeFileSync(path.join(dir, 'sweeps', `${name}.json`), JSON.stringify(testRecord({ name, updated: new Date().toISOString(), ...fields })));
    write('stopped', { status: 'interrupted', sampler: { kind: 'random', seed: 1 }, space: { k: { min: 1, max: 9 } }, budget: 6, trials });
    write('done', { status: 'finished', space: { k: [1, 2, 3] }, budget: 3, trials: trials.slice(0, 3) });
    assert.deepEqual(listSweeps(dir).map((info) => [info.name, info.trials.total, info.budget]).sort(), [['done', 3, 3], ['stopped', 4, 6]]);
    const result = await sweepsMagic().run({ args: dir, print: () => undefined } as unknown as MagicContext);
    const text = String(result);
    assert.match(text, /\nstopped +interrupted +random +none +4\/6 +3 +0 +0 +1 /);
    assert.match(text, /\ndone +finished +grid +none +3 +3 +0 +0 +0 /);
  });
});
