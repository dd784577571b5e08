import type { SweepRecord } from '../../../lib/sweep/state';

/** A sweep record for tests: a finished grid sweep named `test` with no trials, unless `fields` say otherwise. */
export function testRecord(fields: Partial<SweepRecord>): SweepRecord {
  return {
    format: 'cellfit-sweep',
    version: 2,
    protocol: 1,
    name: 'test',
    dir: '/tmp',
    cellfit: '0',
    status: 'finished',
    space: {},
    sampler: { kind: 'grid', seed: 0 },
    pruner: { kind: 'none' },
    budget: 0,
    monitor: 'val_loss',
    mode: 'min',
    trial: { kind: 'function', source: '' },
    stopOnFailure: true,
    warnings: [],
    created: '',
    updated: '',
    trials: [],
    ...fields,
  };
}
