import assert from 'node:assert/strict';
import { ashaRungs, makePruner, prunerConfig } from '../../../lib/sweep/pruners';
import { claimForJob, claimNext, searchOf, isDone, reportEpoch, settleTrial } from '../../../lib/sweep/scheduler';
import { newTrial, type SweepRecord } from '../../../lib/sweep/state';
import { throwsWith } from '../../helpers';
import { testRecord } from './support';

/** A record over one grid parameter `k` (k = 1..n), with a pruner. */
function record(n: number, pruner: SweepRecord['pruner'], budget = n): SweepRecord {
  return testRecord({ status: 'running', space: { k: Array.from({ length: n }, (_, i) => i + 1) }, pruner, budget });
}

/**
 * Runs a sweep serially on a worker that trains each trial epoch by epoch: `curve(k, epoch)` is the
 * monitored value. Returns the order trials were claimed in and the epochs trained in all.
 */
function simulate(sweep: SweepRecord, curve: (k: number, epoch: number) => number, epochs: number): { claims: number[]; epochsTrained: number } {
  const search = searchOf(sweep);
  const claims: number[] = [];
  let epochsTrained = 0;
  for (let claim = claimNext(sweep, search, 'w'); claim; claim = claimNext(sweep, search, 'w')) {
    claims.push(claim.number);
    const trial = sweep.trials[claim.number - 1];
    let kind: 'completed' | 'paused' | 'pruned' = 'completed';
    for (let epoch = trial.values.length + 1; epoch <= epochs; epoch++) {
      epochsTrained++;
      const decision = reportEpoch(sweep, search, claim.number, epoch, curve(claim.params.k as number, epoch), epochs);
      if (decision === 'pause' || decision === 'prune') {
        kind = decision === 'pause' ? 'paused' : 'pruned';
        break;
      }
    }
    settleTrial(sweep, search, claim.number, { kind, seconds: 0 });
  }
  assert.ok(isDone(sweep, search));
  return { claims, epochsTrained };
}

describe('sweep/pruners', () => {
  it('prunerConfig() names the option at fault', () => {
    throwsWith(() => prunerConfig('hyperband' as never, 'sweep()'), "sweep(): `pruner` must be 'none', 'median' or 'asha' (or { kind: 'asha', minEpochs, reduction }). Received: pruner=\"hyperband\".");
    throwsWith(() => prunerConfig({ kind: 'asha', reduction: 1 }, 'sweep()'), "pruner 'asha': `reduction` must be an integer ≥ 2. Received: reduction=1.");
    throwsWith(() => prunerConfig({ kind: 'median', patience: 2 } as never, 'sweep()'), "pruner 'median' has no option `patience`. Options: startupTrials, warmupEpochs, intervalEpochs.");
  });

  it('ashaRungs({ minEpochs, reduction }, epochs) are minEpochs·η^k below the run’s epochs', () => {
    assert.deepEqual(ashaRungs({ minEpochs: 1, reduction: 3 }, 30), [1, 3, 9, 27]);
    assert.deepEqual(ashaRungs({ minEpochs: 2, reduction: 2 }, 16), [2, 4, 8]);
    assert.deepEqual(ashaRungs({ minEpochs: 5, reduction: 3 }, 5), []);
  });

  it("median: prunes a trial whose best value is worse than the finished trials' median at that epoch, after startupTrials and warmupEpochs", () => {
    const sweep = record(6, prunerConfig({ kind: 'median', startupTrials: 2, warmupEpochs: 1 }, 't'));
    const pruner = makePruner(sweep.pruner);
    const finished = (values: number[]) => ({ ...newTrial(sweep.trials.length + 1, { k: 1 }), status: 'finished' as const, values });
    const running = (values: number[]) => ({ ...newTrial(sweep.trials.length + 1, { k: 1 }), status: 'running' as const, values });
    sweep.trials.push(finished([1, 0.5, 0.4]));
    const late = running([2, 1]);
    sweep.trials.push(late);
    assert.equal(pruner.decide(sweep, late, 2), 'continue', 'one finished trial is fewer than startupTrials');
    sweep.trials.push(finished([1, 0.7, 0.6]));
    const cases: [number[], number, string][] = [
      [[2, 1], 2, 'prune'], // best 1 > median(0.5, 0.7) = 0.6
      [[2, 0.6], 2, 'continue'], // equal to the median: kept
      [[0.1], 1, 'continue'], // warm-up epoch
      [[2, 0.9, 0.45], 3, 'continue'], // 0.45 < median(0.4, 0.6)
    ];
    for (const [values, epoch, expected] of cases) assert.equal(pruner.decide(sweep, running(values), epoch), expected, JSON.stringify(values));
  });

  it('asha: a trial pauses at a rung until it is in the top ⌊n/η⌋ there; paused trials are promoted (resumed) before new ones start', () => {
    // Trial k's value at every epoch is k / epoch: trial 1 is the best everywhere.
    const sweep = record(9, prunerConfig({ kind: 'asha', minEpochs: 1, reduction: 3 }, 't'));
    const { claims, epochsTrained } = simulate(sweep, (k, epoch) => k / epoch, 9);
    // Trials 1, 2 pause at epoch 1 (quota 0 of 1 and 2 arrivals); trial 3 makes the quota 1: trial 1 resumes.
    assert.deepEqual(claims.slice(0, 4), [1, 2, 3, 1]);
    const status = sweep.trials.map((trial) => `${trial.status}${trial.prunedAt ? `@${trial.prunedAt}` : ''}`);
    assert.deepEqual(status, ['finished', 'paused@3', 'paused@3', 'paused@1', 'paused@1', 'paused@1', 'paused@1', 'paused@1', 'paused@1']);
    assert.deepEqual(sweep.trials[0].promoted, [1, 3]);
    // 9 trials × 1 epoch, 3 to epoch 3, 1 to epoch 9 — against 81 for the full grid.
    assert.equal(epochsTrained, 9 + 3 * 2 + 6);
  });

  it('asha: an attempt that reports a rung its trial was promoted past again (it resumed from no checkpoint) goes on: it is not judged there again (the end game’s promotion paused there again and looped forever)', () => {
    const sweep = record(2, prunerConfig({ kind: 'asha', minEpochs: 1, reduction: 3 }, 't'));
    const pruner = searchOf(sweep).pruner;
    const values = (k: number) => Array.from({ length: 9 }, (_, i) => k / (i + 1));
    // Two trials reached rung 9: its quota ⌊2/3⌋ is 0, so trial 2 was promoted past it by the end game, not by its rank.
    sweep.trials.push({ ...newTrial(1, { k: 1 }), status: 'paused', prunedAt: 9, values: values(1), promoted: [1, 3] });
    const promoted = { ...newTrial(2, { k: 2 }), status: 'running' as const, values: values(2), promoted: [1, 3, 9], attempts: 2 };
    sweep.trials.push(promoted);
    for (const epoch of [1, 3, 9]) assert.equal(pruner.decide(sweep, promoted, epoch), 'continue', `epoch ${epoch}`);
    // A trial not promoted past rung 9 is judged there as before.
    assert.equal(pruner.decide(sweep, { ...promoted, promoted: [1, 3] }, 9), 'pause');
  });

  it('asha: a trial that reaches a rung among the top goes on without pausing', () => {
    // Values improve with k: each new trial is the best so far at every rung.
    const sweep = record(6, prunerConfig({ kind: 'asha', minEpochs: 1, reduction: 2 }, 't'));
    simulate(sweep, (k, epoch) => (10 - k) / epoch, 4);
    assert.equal(sweep.trials[5].status, 'finished');
    assert.equal(sweep.trials[5].attempts, 1, 'trial 6 never paused');
  });
});

describe('sweep/scheduler', () => {
  it('claimForJob() gives a job its trial again after its worker died, and a duplicate job nothing', () => {
    const sweep = record(3, { kind: 'none' });
    const search = searchOf(sweep);
    const first = claimForJob(sweep, search, { id: 'next-1' }, 'host:1')!;
    assert.deepEqual([first.number, first.attempt, first.resume], [1, 1, false]);
    // The worker died; BullMQ hands the same job to another worker.
    const again = claimForJob(sweep, search, { id: 'next-1' }, 'host:2')!;
    assert.deepEqual([again.number, again.attempt, again.resume, sweep.trials[0].worker], [1, 2, true, 'host:2']);
    assert.equal(claimForJob(sweep, search, { id: 'resume-1', number: 1 }, 'host:3'), undefined, 'running under another job');
    settleTrial(sweep, search, 1, { kind: 'completed', value: 0.5, seconds: 1 });
    assert.equal(claimForJob(sweep, search, { id: 'next-1' }, 'host:2')?.number, 2, 'a finished job id is a new slot');
    assert.equal(claimForJob(sweep, search, { id: 'again', number: 1 }, 'host:3'), undefined, 'finished trials never run twice');
  });
});
