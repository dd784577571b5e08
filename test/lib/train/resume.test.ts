import assert from 'node:assert/strict';
import { captureOptimizer } from '../../../lib/engines/tfjs/optimizer';
import type { TrainingContext } from '../../../lib/callbacks';
import { captureWarnings } from '../../../lib/errors';
import { train } from '../../../lib/train';
import { buildModel, metricsOf, OPTIMIZERS, QUIET, regression, tmpDir, weightBytes } from './support';

/** Aborts training after batch `batch` (0-based) of epoch `epoch` (1-based). */
function abortAt(epoch: number, batch: number) {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    callbacks: {
      onBatchEnd(index: number, _logs: unknown, context: TrainingContext) {
        if (context.epoch + 1 === epoch && index === batch) controller.abort();
      },
    },
  };
}

describe('train() resume', function () {
  this.timeout(120000);
  const data = regression(100);

  for (const name of Object.keys(OPTIMIZERS)) {
    it(`train(model with ${name}, ...) interrupted mid-epoch and re-run ends bit-for-bit where an uninterrupted run ends`, async () => {
      const options = { epochs: 3, batchSize: 16, validation: 0.2, ...QUIET };
      const reference = await train(buildModel({ optimizer: name }), data, { ...options, checkpoint: tmpDir('ref') });

      const dir = tmpDir('resume');
      const stop = abortAt(2, 2);
      const interrupted = await train(buildModel({ optimizer: name }), data, { ...options, checkpoint: dir, ...stop });
      assert.equal(interrupted.status, 'interrupted');
      assert.equal(interrupted.stop.reason, 'interrupted');
      assert.equal(interrupted.stop.message, 'interrupted at epoch 2, batch 3 of 5. Checkpoint epoch-0001-batch-000003 holds this point: re-run to resume from it.');

      const model = buildModel({ optimizer: name });
      const resumed = await train(model, data, { ...options, checkpoint: dir });
      assert.deepEqual(resumed.resumedFrom, { checkpoint: 'epoch-0001-batch-000003', epoch: 1, batch: 3 });
      assert.equal(resumed.status, 'completed');
      assert.equal(resumed.id, reference.id);
      assert.ok(weightBytes(model).equals(weightBytes(reference.model)), 'weights differ from the uninterrupted run');
      const optimizerNow = captureOptimizer(model.optimizer);
      const optimizerThen = captureOptimizer(reference.model.optimizer);
      // Slot names follow the variable names, which tfjs numbers per model: compare the rest.
      const unnamed = (meta: typeof optimizerNow.meta) => ({ ...meta, slots: meta.slots.map(({ name: _name, ...slot }) => slot) });
      assert.deepEqual(unnamed(optimizerNow.meta), unnamed(optimizerThen.meta));
      assert.ok(optimizerNow.meta.slots.every((slot) => slot.name.startsWith((model.trainableWeights[slot.index].read() as unknown as { name: string }).name)));
      assert.ok(Buffer.from(optimizerNow.data).equals(Buffer.from(optimizerThen.data)), 'optimizer state differs');
      assert.deepEqual(metricsOf(resumed.history), metricsOf(reference.history));
    });
  }

  it('train(model with adam and a kernel too large to fuse, ...) interrupted mid-epoch resumes bit for bit', async () => {
    const options = { epochs: 2, batchSize: 16, ...QUIET };
    const build = () => buildModel({ hidden: [300, 300] });
    const reference = await train(build(), data, { ...options, checkpoint: false });
    const dir = tmpDir('resume-large');
    await train(build(), data, { ...options, checkpoint: dir, ...abortAt(2, 1) });
    const model = build();
    const resumed = await train(model, data, { ...options, checkpoint: dir });
    assert.equal(resumed.resumedFrom?.checkpoint, 'epoch-0001-batch-000002');
    assert.ok(weightBytes(model).equals(weightBytes(reference.model)));
    assert.ok(Buffer.from(captureOptimizer(model.optimizer).data).equals(Buffer.from(captureOptimizer(reference.model.optimizer).data)));
  });

  it('train(model, data, { checkpoint: { every: { batches: 2 } } }) resumed from every saved step gives the same weights', async () => {
    const options = { epochs: 2, batchSize: 10, ...QUIET };
    const reference = await train(buildModel(), data, { ...options, checkpoint: false });
    // Mid-epoch, on a saved step and off one, and right after an epoch's last batch.
    for (const [epoch, batch] of [
      [1, 0],
      [1, 5],
      [1, 9],
      [2, 8],
    ]) {
      const dir = tmpDir('every');
      const checkpoint = { dir, every: { batches: 2 } };
      await train(buildModel(), data, { ...options, checkpoint, ...abortAt(epoch, batch) });
      const model = buildModel();
      const resumed = await train(model, data, { ...options, checkpoint });
      assert.ok(resumed.resumedFrom, 'did not resume');
      assert.ok(weightBytes(model).equals(weightBytes(reference.model)), `weights differ after resuming from epoch ${epoch} batch ${batch}`);
    }
  });

  it('train() resumes past a damaged newest checkpoint, warning with its name, to the same weights', async () => {
    const options = { epochs: 4, batchSize: 20, ...QUIET };
    const reference = await train(buildModel(), data, { ...options, checkpoint: false });
    const dir = tmpDir('damaged');
    const first = await train(buildModel(), data, { ...options, epochs: 3, checkpoint: dir });
    const fs = await import('node:fs');
    assert.deepEqual(first.checkpoints!.ids(), ['epoch-0001', 'epoch-0002', 'epoch-0003']);
    const weightsFile = `${first.dir}/epoch-0003/weights.bin`;
    const bytes = fs.readFileSync(weightsFile);
    bytes[10] ^= 0x40;
    fs.writeFileSync(weightsFile, bytes);
    const model = buildModel();
    let resumed: Awaited<ReturnType<typeof train>> | undefined;
    const warnings = await captureWarnings(async () => {
      resumed = await train(model, data, { ...options, checkpoint: dir });
    });
    assert.deepEqual(warnings, [`train(): skipping ${first.dir}/epoch-0003: weights.bin does not match its CRC-32 checksum (corrupted).`]);
    assert.equal(resumed!.resumedFrom?.checkpoint, 'epoch-0002');
    assert.ok(weightBytes(model).equals(weightBytes(reference.model)));
  });
});
