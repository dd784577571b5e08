import assert from 'node:assert/strict';
import { tf } from '../../../../lib/backend';
import { captureOptimizer, resetOptimizer, restoreOptimizer } from '../../../../lib/engines/tfjs/optimizer';
import { trainableVariables } from '../../../../lib/engines/tfjs/weights';
import { optimizerDriver } from '../../../../lib/engines/tfjs/adam';
import { throwsWith } from '../../../helpers';
import { buildModel, OPTIMIZERS, trainSteps, weightBytes } from '../../train/support';

describe('optimizer state', () => {
  for (const name of Object.keys(OPTIMIZERS)) {
    it(`captureOptimizer() / restoreOptimizer() of ${name} into a fresh optimizer continues bit for bit`, () => {
      const first = buildModel({ optimizer: name, dropout: false });
      trainSteps(first, 3);
      const saved = captureOptimizer(first.optimizer);
      const weights = first.getWeights().map((weight) => weight.clone());
      // A new model and optimizer, as after a restart.
      const second = buildModel({ optimizer: name, dropout: false });
      second.setWeights(weights);
      restoreOptimizer(second.optimizer, { meta: JSON.parse(JSON.stringify(saved.meta)), data: saved.data.slice() }, trainableVariables(second), 'test');
      trainSteps(second, 3, 3);
      const continued = buildModel({ optimizer: name, dropout: false });
      trainSteps(continued, 6);
      assert.ok(weightBytes(second).equals(weightBytes(continued)), `${name} drifted after restore`);
      tf.dispose(weights);
    });
  }

  it('resetOptimizer(adam) returns it to its state before the first step', () => {
    const model = buildModel({ optimizer: 'adam', dropout: false });
    const before = captureOptimizer(model.optimizer);
    trainSteps(model, 2);
    resetOptimizer(model.optimizer);
    const after = captureOptimizer(model.optimizer);
    assert.deepEqual(after.meta, before.meta);
    assert.equal(after.data.byteLength, 0);
  });

  it('optimizerDriver(adam) writes its moments back on detach, so tfjs continues from them bit for bit', () => {
    const lean = buildModel({ optimizer: 'adam', dropout: false, hidden: [300, 300] });
    const plain = buildModel({ optimizer: 'adam', dropout: false, hidden: [300, 300] });
    const driver = optimizerDriver(lean.optimizer);
    driver.attach();
    trainSteps(lean, 3);
    const captured = driver.capture();
    driver.detach();
    trainSteps(lean, 2, 3);
    trainSteps(plain, 5);
    assert.ok(weightBytes(lean).equals(weightBytes(plain)));
    const plainState = captureOptimizer(plain.optimizer);
    assert.ok(Buffer.from(captureOptimizer(lean.optimizer).data).equals(Buffer.from(plainState.data)));
    assert.deepEqual(captured.meta.slots.map((slot) => slot.shape), plainState.meta.slots.map((slot) => slot.shape));
  });

  it('restoreOptimizer() refuses the state of another optimizer class or another architecture', () => {
    const adam = buildModel({ optimizer: 'adam', dropout: false });
    trainSteps(adam, 1);
    const saved = captureOptimizer(adam.optimizer);
    const sgd = buildModel({ optimizer: 'sgd', dropout: false });
    throwsWith(() => restoreOptimizer(sgd.optimizer, saved, trainableVariables(sgd), 'test'), 'test: the checkpoint holds the state of a Adam optimizer, but the model is compiled with SGD.');
    const wider = buildModel({ optimizer: 'adam', dropout: false, units: 9 });
    throwsWith(() => restoreOptimizer(wider.optimizer, saved, trainableVariables(wider), 'test'), 'has shape [3, 8] but trainable weight 0 of the model has shape [3, 9]: the checkpoint belongs to another model.');
  });
});
