/** loadRun(dir): a Run rebuilt from its directory, as train() returned it. */
import assert from 'node:assert/strict';
import { earlyStop } from '../../../lib/earlystop';
import { loadRun, Run, train } from '../../../lib/train';
import { buildModel, QUIET, regression, tmpDir, weightBytes } from './support';

describe('loadRun()', function () {
  this.timeout(60_000);

  it('loadRun(dir) of an early-stopped run holds the weights the run ended with (the best epoch), compiled: evaluate() gives what the run gives', async () => {
    const data = regression(96);
    const test = regression(32, 3, 9);
    const run = await train(buildModel(), data, { epochs: 6, batchSize: 16, checkpoint: tmpDir('load-run'), earlyStop: earlyStop({ monitor: 'loss', mode: 'max', patience: 1 }), ...QUIET });
    assert.equal(run.status, 'early-stopped');
    const loaded = await loadRun(run.dir!);
    assert.ok(loaded instanceof Run);
    assert.deepEqual([loaded.id, loaded.status, loaded.epoch, loaded.best, loaded.stop], [run.id, run.status, run.epoch, run.best, run.stop]);
    assert.deepEqual(loaded.history, run.history);
    assert.ok(weightBytes(loaded.model).equals(weightBytes(run.model)), 'the best epoch’s weights, as the run holds');
    assert.deepEqual(await loaded.evaluate(test), await run.evaluate(test));
  });
});
