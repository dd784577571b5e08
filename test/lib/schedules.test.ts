import assert from 'node:assert/strict';
import { cosineDecay, exponentialDecay, reduceOnPlateau, stepDecay, toSchedule } from '../../lib/schedules';
import { throwsWith } from '../helpers';

const at = (schedule: ReturnType<typeof stepDecay>, epoch: number, initial = 0.1) => schedule.rate({ epoch, step: epoch * 10, initial });

describe('schedules', () => {
  it('stepDecay({ factor: 0.5, every: 2 }) halves the rate every 2 epochs', () => {
    const schedule = stepDecay({ factor: 0.5, every: 2 });
    assert.deepEqual([0, 1, 2, 3, 4].map((epoch) => at(schedule, epoch)), [0.1, 0.1, 0.05, 0.05, 0.025]);
    assert.equal(stepDecay({ initial: 1, every: 1 }).rate({ epoch: 1, step: 0, initial: 0.1 }), 0.5);
  });

  it('exponentialDecay({ rate: 0.9 }) and cosineDecay({ epochs: 4 }) follow their formulas', () => {
    assert.ok(Math.abs(at(exponentialDecay({ rate: 0.9 }), 2) - 0.1 * 0.81) < 1e-15);
    const cosine = cosineDecay({ epochs: 4, alpha: 0.1 });
    assert.equal(at(cosine, 0), 0.1);
    assert.ok(Math.abs(at(cosine, 2) - 0.1 * (0.1 + 0.9 * 0.5)) < 1e-15);
    assert.ok(Math.abs(at(cosine, 9) - 0.01) < 1e-15);
  });

  it('reduceOnPlateau({ patience: 2, factor: 0.5 }) cuts the rate after 2 flat epochs, and its state round-trips', () => {
    const schedule = reduceOnPlateau({ patience: 2, factor: 0.5, minDelta: 0 });
    const rates: number[] = [];
    let rate = 0.1;
    for (const [epoch, value] of [1, 0.9, 0.95, 0.96, 0.97, 0.5].entries()) {
      schedule.onEpochEnd!(epoch + 1, { val_loss: value }, rate);
      rate = schedule.rate({ epoch: epoch + 1, step: 0, initial: 0.1 });
      rates.push(rate);
    }
    assert.deepEqual(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]);
    const copy = reduceOnPlateau({ patience: 2, factor: 0.5, minDelta: 0 });
    copy.setState(JSON.parse(JSON.stringify(schedule.getState())));
    assert.equal(copy.rate({ epoch: 6, step: 0, initial: 0.1 }), 0.05);
    schedule.reset();
    assert.equal(schedule.rate({ epoch: 0, step: 0, initial: 0.1 }), 0.1);
  });

  it('toSchedule(option) takes a number, a function of (epoch, step), or a schedule; else throws', () => {
    assert.equal(toSchedule(0.01, 'train()').rate({ epoch: 3, step: 9, initial: 1 }), 0.01);
    const fn = toSchedule((epoch, step) => epoch + step / 100, 'train()');
    assert.equal(fn.perStep, true);
    assert.equal(fn.rate({ epoch: 2, step: 50, initial: 1 }), 2.5);
    assert.match(String(fn.describe().source), /epoch \+ step \/ 100/);
    throwsWith(() => toSchedule('fast' as never, 'train()'), 'train(): `learningRate` must be a number, a function (epoch, step) => rate, or a schedule such as stepDecay({ factor: 0.5, every: 10 }). Received: learningRate="fast".');
    throwsWith(() => toSchedule(-1, 'train()'), '`learningRate` must be a finite number > 0. Received: learningRate=-1.');
  });

  it('schedule factories validate their options when created', () => {
    throwsWith(() => stepDecay({ every: 0 }), 'stepDecay(): `every` must be an integer ≥ 1. Received: every=0.');
    throwsWith(() => reduceOnPlateau({ factor: 1 }), 'reduceOnPlateau(): `factor` must be a number in (0, 1). Received: factor=1.');
    throwsWith(() => reduceOnPlateau({ mode: 'up' as never }), "reduceOnPlateau(): `mode` must be 'min', 'max' or 'auto'. Received: mode=\"up\".");
    throwsWith(() => cosineDecay({ epochs: 10, alpha: 2 }), 'cosineDecay(): `alpha` must be a number in [0, 1]. Received: alpha=2.');
  });
});
