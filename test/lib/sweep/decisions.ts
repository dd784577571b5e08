/**
 * Traces of the scheduler's decisions on fixed seeds — which trial each worker claims, what every
 * reported epoch is answered, how each trial ends, the parameters every sampler proposes — for the
 * fixture that holds the scheduler to the decisions it made before its data structures changed
 * (test/fixtures/sweep-decisions.json; `node dist/test/lib/sweep/decisions.js` rewrites it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prunerConfig, type PrunerOption } from '../../../lib/sweep/pruners';
import { samplerConfig, type SamplerOption } from '../../../lib/sweep/samplers';
import { claimNext, searchOf, isDone, reportEpoch, settleTrial, type Claim } from '../../../lib/sweep/scheduler';
import type { SweepRecord } from '../../../lib/sweep/state';
import { testRecord } from './support';

export const FIXTURE = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'sweep-decisions.json');

/** One traced sweep. */
export interface Scenario {
  readonly name: string;
  readonly sampler: SamplerOption;
  readonly pruner: PrunerOption;
  readonly trials: number;
  readonly workers: number;
  /** Epochs each trial's run is asked for; undefined: trials that report through context.report. */
  readonly epochs?: number;
  readonly reported: number;
  readonly mode?: 'min' | 'max';
}

const SPACE = { lr: { min: 1e-4, max: 0.3, log: true }, units: [8, 16, 32, 64], dropout: { min: 0, max: 0.5 } };
const GRID = { lr: [0.001, 0.003, 0.01, 0.03, 0.1], units: [8, 16, 32, 64], dropout: [0, 0.25, 0.5] };

export const SCENARIOS: readonly Scenario[] = [
  { name: 'random + asha, 1 worker', sampler: 'random', pruner: 'asha', trials: 120, workers: 1, epochs: 27, reported: 27 },
  { name: 'random + asha η 2, 3 workers', sampler: 'random', pruner: { kind: 'asha', minEpochs: 2, reduction: 2 }, trials: 150, workers: 3, epochs: 20, reported: 20 },
  { name: 'random + asha, 4 workers, context.report', sampler: 'random', pruner: 'asha', trials: 150, workers: 4, reported: 20 },
  { name: 'tpe + asha, 3 workers, max', sampler: 'tpe', pruner: 'asha', trials: 80, workers: 3, epochs: 20, reported: 20, mode: 'max' },
  { name: 'grid + asha, 2 workers', sampler: 'grid', pruner: 'asha', trials: 60, workers: 2, epochs: 9, reported: 9 },
  { name: 'random + median, 2 workers', sampler: 'random', pruner: 'median', trials: 100, workers: 2, epochs: 20, reported: 20 },
  { name: 'tpe + median (startup 3, warm-up 2, every 2), 1 worker', sampler: 'tpe', pruner: { kind: 'median', startupTrials: 3, warmupEpochs: 2, intervalEpochs: 2 }, trials: 60, workers: 1, epochs: 12, reported: 12 },
  { name: 'tpe + none, 1 worker', sampler: { kind: 'tpe', startupTrials: 5 }, pruner: 'none', trials: 80, workers: 1, epochs: 5, reported: 5 },
  { name: 'tpe + none, 3 workers', sampler: 'tpe', pruner: 'none', trials: 60, workers: 3, epochs: 3, reported: 3 },
];

/** A value curve whose ranking changes with the epochs (some trials start slow and end well). */
function curve(params: Record<string, unknown>, epoch: number): number {
  const lr = Math.log10(params.lr as number);
  const units = params.units as number;
  const dropout = params.dropout as number;
  const final = (lr + 2) ** 2 + 0.3 * Math.abs(Math.log2(units) - 5) + (dropout - 0.2) ** 2;
  const slow = 1 / (1 + 10 ** (lr + 2.5)) + dropout;
  return final + (slow * 3) / epoch;
}

/** Runs `scenario` through the scheduler, workers taking turns an epoch at a time; returns its trace. */
export function trace(scenario: Scenario): { events: string[]; trials: string[]; params: unknown[] } {
  const space = scenario.sampler === 'grid' ? GRID : SPACE;
  const record: SweepRecord = testRecord({
    status: 'running',
    space,
    sampler: samplerConfig(scenario.sampler, 1, 't'),
    pruner: prunerConfig(scenario.pruner, 't'),
    budget: scenario.trials,
    mode: scenario.mode ?? 'min',
  });
  const search = searchOf(record);
  const sign = scenario.mode === 'max' ? -1 : 1;
  const events: string[] = [];
  const slots: ({ claim: Claim; epoch: number } | undefined)[] = Array.from({ length: scenario.workers }, () => undefined);
  for (let step = 0; step < 1e6; step++) {
    let busy = false;
    for (let w = 0; w < slots.length; w++) {
      let slot = slots[w];
      if (!slot) {
        const claim = claimNext(record, search, `w${w}`);
        if (!claim) continue;
        events.push(`w${w} claims ${claim.number}${claim.resume ? ` (attempt ${claim.attempt})` : ''}`);
        slot = slots[w] = { claim, epoch: record.trials[claim.number - 1].values.length };
      }
      busy = true;
      slot.epoch++;
      const number = slot.claim.number;
      const decision = reportEpoch(record, search, number, slot.epoch, sign * curve(slot.claim.params, slot.epoch), scenario.epochs);
      if (decision !== 'continue') events.push(`${number}@${slot.epoch} ${decision}`);
      const last = slot.epoch >= scenario.reported;
      if (decision === 'continue' && !last) continue;
      const kind = decision === 'pause' ? 'paused' : decision === 'prune' ? 'pruned' : 'completed';
      settleTrial(record, search, number, { kind, seconds: 0, ...(kind === 'completed' ? { value: sign * curve(slot.claim.params, slot.epoch) } : {}) });
      slots[w] = undefined;
    }
    if (!busy) break;
  }
  if (!isDone(record, search)) throw new Error(`${scenario.name}: the sweep did not finish`);
  return {
    events,
    trials: record.trials.map((trial) => `${trial.number} ${trial.status}${trial.prunedAt ? `@${trial.prunedAt}` : ''} promoted ${trial.promoted.join(',') || '-'} attempts ${trial.attempts} value ${trial.value}`),
    params: record.trials.map((trial) => trial.params),
  };
}

if (require.main === module) {
  const traces = Object.fromEntries(SCENARIOS.map((scenario) => [scenario.name, trace(scenario)]));
  fs.writeFileSync(FIXTURE, `${JSON.stringify(traces, null, 1)}\n`);
  process.stdout.write(`wrote ${FIXTURE}\n`);
}
