import assert from 'node:assert/strict';
import { formatMetric, Monitor } from '../../lib/monitor';
import { throwsWith } from '../helpers';

describe('Monitor', () => {
  it("new Monitor(where, { monitor: 'val_loss', minDelta: 0.1 }).isImprovement(current, best) needs more than minDelta", () => {
    const monitor = new Monitor('test', { monitor: 'val_loss', minDelta: 0.1 });
    assert.equal(monitor.mode, 'min');
    assert.equal(monitor.isImprovement(1, undefined), true);
    assert.equal(monitor.isImprovement(0.95, 1), false);
    assert.equal(monitor.isImprovement(0.85, 1), true);
    assert.equal(monitor.isImprovement(NaN, undefined), false);
  });

  it("new Monitor(where, { monitor: 'val_acc' }) improves upwards (mode auto → max)", () => {
    const monitor = new Monitor('test', { monitor: 'val_acc' });
    assert.equal(monitor.mode, 'max');
    assert.equal(monitor.isImprovement(0.9, 0.8), true);
    assert.equal(monitor.better(0.7, 0.8), false);
  });

  it('monitor.check(available) lists the available metrics and explains a missing validation set', () => {
    const monitor = new Monitor('train()', { monitor: 'val_loss' });
    throwsWith(
      () => monitor.check(['loss', 'mae'], 'train()', 'earlyStop.monitor'),
      'train(): `earlyStop.monitor` names metric "val_loss", which training does not report. Available metrics: loss, mae. There is no validation data: pass a split with a validation part or the `validation` option, or monitor "loss".',
    );
    throwsWith(() => monitor.check(['loss', 'test_loss'], 'train()'), '(the test part is evaluated as test_loss, but choosing epochs on the test set leaks it into model selection)');
  });

  it('formatMetric(value) gives 4 significant digits and spells out NaN', () => {
    assert.equal(formatMetric(0.123456), '0.1235');
    assert.equal(formatMetric(1234.5678), '1235');
    assert.equal(formatMetric(NaN), 'NaN');
    assert.equal(formatMetric(-Infinity), '-Infinity');
  });
});
