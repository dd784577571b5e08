/** Continuing an early-stopped run on purpose, with new stopping settings (resume: 'continue'). */
import assert from 'node:assert/strict';
import { earlyStop } from '../../../lib/earlystop';
import { train } from '../../../lib/train';
import { rejectsWith } from '../../helpers';
import { buildModel, metricsOf, QUIET, regression, tmpDir } from './support';

describe("train(..., { resume: 'continue' })", function () {
  this.timeout(60_000);
  const data = regression(96);
  // Training lowers the loss, so watched in 'max' mode it never improves after epoch 1.
  const stopper = (patience: number) => earlyStop({ monitor: 'loss', mode: 'max', patience });

  it("an early-stopped run returns at once by default; with resume: 'continue' and a larger patience it trains on from its checkpoint, as if trained straight through", async () => {
    const dir = tmpDir('continue');
    const stopped = await train(buildModel(), data, { epochs: 6, batchSize: 16, checkpoint: dir, earlyStop: stopper(1), ...QUIET });
    assert.deepEqual([stopped.status, stopped.epoch], ['early-stopped', 3]);

    const asBefore = await train(buildModel(), data, { epochs: 6, batchSize: 16, checkpoint: dir, earlyStop: stopper(10), ...QUIET });
    assert.deepEqual([asBefore.reused, asBefore.status, asBefore.epoch], [true, 'early-stopped', 3], 'the default stays: a finished run returns at once');

    const continued = await train(buildModel(), data, { epochs: 6, batchSize: 16, checkpoint: dir, earlyStop: stopper(10), resume: 'continue', ...QUIET });
    assert.equal(continued.id, stopped.id);
    assert.deepEqual([continued.reused, continued.status, continued.epoch], [false, 'completed', 6]);
    assert.equal(continued.resumedFrom?.checkpoint, 'epoch-0003');

    const straight = await train(buildModel(), data, { epochs: 6, batchSize: 16, checkpoint: tmpDir('straight'), earlyStop: stopper(10), ...QUIET });
    assert.deepEqual(metricsOf(continued.history), metricsOf(straight.history));
  });

  it("resume: 'continue' with the stopping settings that stopped the run says what to change", async () => {
    const dir = tmpDir('continue-same');
    await train(buildModel(), data, { epochs: 6, batchSize: 16, checkpoint: dir, earlyStop: stopper(1), ...QUIET });
    await rejectsWith(
      () => train(buildModel(), data, { epochs: 6, batchSize: 16, checkpoint: dir, earlyStop: stopper(1), resume: 'continue', ...QUIET }),
      "train(): resume: 'continue', but run",
      'stopped at epoch 3 with these early-stopping settings, which would stop it again at once. Pass a larger patience (or earlyStop: false) to train on.',
    );
  });
});
