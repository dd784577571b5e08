import assert from 'node:assert/strict';
import { earlyStop, evaluateStopping, type EarlyStopOptions, type EarlyStopState, type StopReason } from '../../lib/earlystop';
import { throwsWith } from '../helpers';

/** Feeds `values` (epochs 1, 2, ...) to a stopper; returns where and why it stopped, if it did. */
function stopsAt(values: number[], options: EarlyStopOptions): { epoch: number; reason: StopReason; message: string } | undefined {
  const stopper = earlyStop(options);
  let state: EarlyStopState = stopper.initialState();
  for (const [i, value] of values.entries()) {
    const step = evaluateStopping(stopper, state, i + 1, value);
    state = step.state;
    if (step.stop) return { epoch: step.stop.epoch, reason: step.stop.reason, message: step.stop.message };
  }
  return undefined;
}

describe('earlyStop', () => {
  // Lightning-style table: monitored values per epoch, options → stop epoch, reason, message.
  const cases: { values: number[]; options: EarlyStopOptions; epoch?: number; reason?: StopReason; message?: string }[] = [
    {
      // The seed's rule: stop at the first epoch whose validation error is above the best so far.
      values: [0.5, 0.4, 0.45, 0.3],
      options: {},
      epoch: 3,
      reason: 'patience-exhausted',
      message: 'val_loss did not improve for 1 epoch (patience 0): best 0.4 at epoch 2, 0.45 at epoch 3.',
    },
    {
      // Checkpoint selection: a bump in val_loss is tolerated with patience.
      values: [0.5, 0.4, 0.45, 0.3, 0.31, 0.32, 0.33],
      options: { patience: 2 },
      epoch: 7,
      reason: 'patience-exhausted',
      message: 'val_loss did not improve for 3 epochs (patience 2): best 0.3 at epoch 4, 0.33 at epoch 7.',
    },
    { values: [0.5, 0.4, 0.3, 0.2, 0.1], options: { patience: 0 } },
    {
      values: [0.5, 0.499, 0.498, 0.497],
      options: { minDelta: 0.01, patience: 1 },
      epoch: 3,
      reason: 'patience-exhausted',
      message: 'val_loss did not improve for 2 epochs (patience 1): best 0.5 at epoch 1, 0.498 at epoch 3.',
    },
    {
      values: [0.6, 0.7, 0.8, 0.75, 0.79],
      options: { monitor: 'val_acc', patience: 1 },
      epoch: 5,
      reason: 'patience-exhausted',
      message: 'val_acc did not improve for 2 epochs (patience 1): best 0.8 at epoch 3, 0.79 at epoch 5.',
    },
    { values: [5, 4, 3, 2], options: { monitor: 'val_loss', mode: 'max', patience: 5 } },
    {
      values: [5, 4, 3, 2],
      options: { monitor: 'val_loss', mode: 'max', patience: 1 },
      epoch: 3,
      reason: 'patience-exhausted',
      message: 'val_loss did not improve for 2 epochs (patience 1): best 5 at epoch 1, 3 at epoch 3.',
    },
    {
      // Improving, but never below the baseline: it counts against the patience.
      values: [0.9, 0.8, 0.7],
      options: { baseline: 0.5, patience: 1 },
      epoch: 2,
      reason: 'baseline-not-reached',
      message: 'val_loss did not reach the baseline 0.5 in 2 epochs (patience 1): best 0.8 at epoch 2.',
    },
    { values: [0.9, 0.4, 0.3, 0.2], options: { baseline: 0.5, patience: 1 } },
    {
      // Baseline reached, then no improvement: that is plain patience, not the baseline.
      values: [0.9, 0.4, 0.45, 0.46],
      options: { baseline: 0.5, patience: 1 },
      epoch: 4,
      reason: 'patience-exhausted',
      message: 'val_loss did not improve for 2 epochs (patience 1): best 0.4 at epoch 2, 0.46 at epoch 4.',
    },
    {
      // Warm-up epochs are ignored: the bump at epoch 2 does not count.
      values: [0.5, 0.9, 0.4, 0.3, 0.35],
      options: { startFromEpoch: 2 },
      epoch: 5,
      reason: 'patience-exhausted',
      message: 'val_loss did not improve for 1 epoch (patience 0): best 0.3 at epoch 4, 0.35 at epoch 5.',
    },
    { values: [0.5, 0.4, NaN], options: { patience: 10 }, epoch: 3, reason: 'diverged', message: 'val_loss is NaN at epoch 3.' },
    { values: [0.5, Infinity], options: { patience: 10 }, epoch: 2, reason: 'diverged', message: 'val_loss is Infinity at epoch 2.' },
    { values: [0.5, 0.5], options: {}, epoch: 2, reason: 'patience-exhausted', message: 'val_loss did not improve for 1 epoch (patience 0): best 0.5 at epoch 1, 0.5 at epoch 2.' },
  ];

  for (const { values, options, epoch, reason, message } of cases) {
    const expected = epoch === undefined ? 'never stops' : `stops at epoch ${epoch} (${reason})`;
    it(`earlyStop(${JSON.stringify(options)}) on [${values.join(', ')}] ${expected}`, () => {
      const result = stopsAt(values, options);
      if (epoch === undefined) assert.equal(result, undefined);
      else assert.deepEqual(result, { epoch, reason, message });
    });
  }

  it('evaluateStopping() is pure: the same state and value give the same decision', () => {
    const stopper = earlyStop({ patience: 1 });
    const state = { best: 0.3, bestEpoch: 2, wait: 1 };
    const first = evaluateStopping(stopper, state, 4, 0.4);
    const second = evaluateStopping(stopper, state, 4, 0.4);
    assert.deepEqual(first, second);
    assert.deepEqual(state, { best: 0.3, bestEpoch: 2, wait: 1 });
  });

  it('earlyStop() defaults: val_loss, patience 0, min mode, restoreBest', () => {
    const stopper = earlyStop();
    assert.deepEqual(stopper.toJSON(), { monitor: 'val_loss', mode: 'min', minDelta: 0, patience: 0, restoreBest: true, startFromEpoch: 0, baseline: undefined });
  });

  it("earlyStop({ monitor: 'val_acc' }) infers mode max; { monitor: 'val_mae' } min", () => {
    assert.equal(earlyStop({ monitor: 'val_acc' }).monitor.mode, 'max');
    assert.equal(earlyStop({ monitor: 'binaryAccuracy' }).monitor.mode, 'max');
    assert.equal(earlyStop({ monitor: 'val_mae' }).monitor.mode, 'min');
  });

  it('earlyStop(bad options) throws when created, naming the option and the value', () => {
    throwsWith(() => earlyStop({ mode: 'foo' as never }), "earlyStop(): `mode` must be 'min', 'max' or 'auto'. Received: mode=\"foo\".");
    throwsWith(() => earlyStop({ patience: -1 }), 'earlyStop(): `patience` must be an integer ≥ 0. Received: patience=-1.');
    throwsWith(() => earlyStop({ patience: 1.5 }), '`patience` must be an integer ≥ 0. Received: patience=1.5.');
    throwsWith(() => earlyStop({ minDelta: -0.1 }), '`minDelta` must be a finite number ≥ 0. Received: minDelta=-0.1.');
    throwsWith(() => earlyStop({ baseline: NaN }), '`baseline` must be a finite number. Received: baseline=NaN.');
    throwsWith(() => earlyStop({ restoreBest: 'yes' as never }), '`restoreBest` must be true or false. Received: restoreBest="yes".');
    throwsWith(() => earlyStop({ monitor: '' }), "`monitor` must be a metric name such as 'val_loss'. Received: monitor=\"\".");
    throwsWith(() => earlyStop({ patiense: 3 } as never), 'earlyStop(): unknown option `patiense`. Expected one of monitor, patience, minDelta, mode, restoreBest, startFromEpoch, baseline.');
  });

  it('stopper.step(state, epoch, logs) names the available metrics when the monitored one is missing', () => {
    const stopper = earlyStop({ monitor: 'val_los' });
    throwsWith(
      () => stopper.step(stopper.initialState(), 1, { loss: 1, val_loss: 2 }),
      'earlyStop(): `monitor` names metric "val_los", which training does not report. Available metrics: loss, val_loss.',
    );
  });
});
