import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FIXTURE, SCENARIOS, trace } from './decisions';

describe('sweep/scheduler decisions on fixed seeds (recorded before the scheduler kept indexes)', function () {
  this.timeout(60_000);
  const expected = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, ReturnType<typeof trace>>;

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: the same claims, answers, outcomes and proposals`, () => {
      const actual = trace(scenario);
      const recorded = expected[scenario.name];
      assert.ok(recorded, `no recorded trace for ${scenario.name}`);
      assert.deepEqual(actual.params, recorded.params, 'proposals');
      assert.deepEqual(actual.events, recorded.events, 'claims and decisions');
      assert.deepEqual(actual.trials, recorded.trials, 'outcomes');
    });
  }
});
