import assert from 'node:assert/strict';
import { makeSampler, samplerConfig } from '../../../lib/sweep/samplers';
import { SearchSpace, type Params, type SpaceSpec } from '../../../lib/sweep/space';
import { newTrial, type SweepRecord } from '../../../lib/sweep/state';
import { throwsWith } from '../../helpers';

/** A record holding finished trials with the given values. */
function recordOf(trials: { params: Params; value: number }[] = []): SweepRecord {
  return {
    mode: 'min',
    trials: trials.map(({ params, value }, i) => ({ ...newTrial(i + 1, params), status: 'finished' as const, value })),
  } as unknown as SweepRecord;
}

/** Runs `budget` trials of `objective` with a sampler and returns the best value found. */
function minimise(kind: 'random' | 'tpe', spec: SpaceSpec, objective: (params: Params) => number, budget: number, seed: number): number {
  const space = new SearchSpace(spec);
  const sampler = makeSampler(samplerConfig(kind, seed, 'test'), space);
  const record = recordOf();
  for (let number = 1; number <= budget; number++) {
    const params = sampler.propose(number, record)!;
    record.trials.push({ ...newTrial(number, params), status: 'finished', value: objective(params) });
  }
  return Math.min(...record.trials.map((trial) => trial.value!));
}

describe('sweep/space', () => {
  it('new SearchSpace(spec) names the parameter at fault', () => {
    throwsWith(() => new SearchSpace({ lr: { min: 1, max: 0.1 } }), 'sweep(): space `lr`: `min` must be less than `max`. Received: min=1, max=0.1.');
    throwsWith(() => new SearchSpace({ lr: { min: 0, max: 1, log: true } }), 'space `lr`: a log range needs min > 0. Received: min=0.');
    throwsWith(() => new SearchSpace({ units: [] }), 'space `units` is an empty list');
    throwsWith(() => new SearchSpace({ units: [8, 8] }), 'space `units` lists 8 twice');
    throwsWith(() => new SearchSpace({ lr: { min: 0, max: 1, stp: 0.1 } as never }), 'space `lr` has unknown key `stp`. A range is { min, max, log?, step?, int? }.');
    throwsWith(() => new SearchSpace({ lr: null as never }), 'space `lr` must be a list of values, a range { min, max, log?, step?, int? }, { choices: [...] } or one value. Received: lr=null.');
    throwsWith(() => new SearchSpace({}), '`space` has no parameters');
  });

  it('space.gridPoint() enumerates lists and stepped ranges, the last parameter fastest, steps exact', () => {
    const space = new SearchSpace({ a: [1, 2], b: { min: 0.1, max: 0.3, step: 0.1 }, act: 'relu' });
    const grid = space.gridAxes();
    assert.ok('axes' in grid);
    assert.equal(space.gridSize(), 6);
    assert.deepEqual(
      Array.from({ length: 6 }, (_, i) => space.gridPoint(i, grid.axes)),
      [1, 2].flatMap((a) => [0.1, 0.2, 0.3].map((b) => ({ a, b, act: 'relu' }))),
    );
  });

  it('space.sample(rng) stays in every range, on its step, integers for int, log-uniform for log', () => {
    const space = new SearchSpace({ lr: { min: 1e-4, max: 1e-1, log: true }, units: { min: 8, max: 64, int: true }, drop: { min: 0, max: 0.5, step: 0.05 } });
    const sampler = makeSampler(samplerConfig('random', 3, 'test'), space);
    const draws = Array.from({ length: 400 }, (_, i) => sampler.propose(i + 1, recordOf())!);
    for (const draw of draws) {
      assert.ok(space.contains(draw), JSON.stringify(draw));
      assert.ok(Number.isInteger(draw.units));
      assert.ok(Number.isInteger(Math.round((draw.drop as number) / 0.05)) && Math.abs((draw.drop as number) * 100 - Math.round((draw.drop as number) * 100)) < 1e-9);
    }
    const belowMilli = draws.filter((draw) => (draw.lr as number) < 1e-3).length / draws.length;
    assert.ok(belowMilli > 0.2 && belowMilli < 0.47, `a third of log-uniform draws fall in the first decade (got ${belowMilli})`);
  });
});

describe('sweep/samplers', () => {
  it("samplerConfig('grid') on a continuous range names it and says what to do", () => {
    throwsWith(
      () => makeSampler(samplerConfig('grid', 0, 'sweep()'), new SearchSpace({ units: [8], lr: { min: 0.001, max: 0.1 } })),
      "sweep(): sampler 'grid' needs a list of values for every parameter, but `lr` is a continuous range. Give it a `step`, list its values, or use sampler: 'random' or 'tpe'.",
    );
    throwsWith(() => samplerConfig('bayes' as never, 0, 'sweep()'), "`sampler` must be 'grid', 'random' or 'tpe'");
    throwsWith(() => samplerConfig({ kind: 'tpe', startup: 3 } as never, 0, 'sweep()'), "sampler 'tpe' has no option `startup`. Options: startupTrials, candidates, gamma, priorWeight, window.");
  });

  it('grid proposes the combinations without a trial, in order — a space that gains values adds only the new ones', () => {
    const before = new SearchSpace({ units: [8, 16], lr: [0.1, 0.01] });
    const record = recordOf([{ params: { units: 8, lr: 0.1 }, value: 1 }, { params: { units: 8, lr: 0.01 }, value: 2 }]);
    assert.deepEqual(makeSampler(samplerConfig('grid', 0, 't'), before).propose(3, record), { units: 16, lr: 0.1 });
    const after = new SearchSpace({ units: [8, 16], lr: [0.1, 0.01, 0.001] });
    const sampler = makeSampler(samplerConfig('grid', 0, 't'), after);
    assert.deepEqual(sampler.propose(3, record), { units: 8, lr: 0.001 });
    assert.equal(sampler.used(record), 2);
  });

  for (const kind of ['random', 'tpe'] as const) {
    it(`${kind}: the same seed proposes the same trials (after the same history); another seed does not`, () => {
      const space = new SearchSpace({ lr: { min: 1e-4, max: 0.1, log: true }, units: { min: 8, max: 64, int: true }, act: ['relu', 'tanh'] });
      const history = Array.from({ length: 12 }, (_, i) => ({ params: makeSampler(samplerConfig('random', 99, 't'), space).propose(i + 1, recordOf())!, value: (i * 7) % 5 }));
      const proposals = (seed: number) => {
        const sampler = makeSampler(samplerConfig(kind, seed, 't'), space);
        return Array.from({ length: 5 }, (_, i) => sampler.propose(13 + i, recordOf(history)));
      };
      assert.deepEqual(proposals(1), proposals(1));
      assert.notDeepEqual(proposals(1), proposals(2));
    });
  }

  it("tpe proposes the random sampler's trials until startupTrials have a value", () => {
    const space = new SearchSpace({ x: { min: -1, max: 1 } });
    const random = makeSampler(samplerConfig('random', 5, 't'), space);
    const tpe = makeSampler(samplerConfig({ kind: 'tpe', startupTrials: 4 }, 5, 't'), space);
    const history = [1, 2, 3].map((n) => ({ params: random.propose(n, recordOf())!, value: n }));
    assert.deepEqual(tpe.propose(4, recordOf(history)), random.propose(4, recordOf()));
    const more = [...history, { params: { x: 0.5 }, value: 0 }];
    assert.notDeepEqual(tpe.propose(5, recordOf(more)), random.propose(5, recordOf()));
  });

  it('tpe weighs the newest `window` bad trials only: older ones change nothing', () => {
    const space = new SearchSpace({ x: { min: -5, max: 5 }, c: ['a', 'b', 'c'] });
    const draw = makeSampler(samplerConfig('random', 3, 't'), space);
    const observed = Array.from({ length: 40 }, (_, i) => {
      const params = draw.propose(i + 1, recordOf())!;
      return { params, value: ((params.x as number) - 1) ** 2 + (params.c === 'b' ? 0 : 1) };
    });
    const tpe = (options: { window: number }, trials: typeof observed) => makeSampler(samplerConfig({ kind: 'tpe', gamma: 1, ...options }, 7, 't'), space).propose(41, recordOf(trials));
    // gamma 1: the 25 best are good whatever the count; the 15 others are bad, the newest 5 of them in the window.
    const good = new Set([...observed].sort((a, b) => a.value - b.value).slice(0, 25));
    const newestBad = observed.filter((trial) => !good.has(trial)).slice(-5);
    const kept = observed.filter((trial) => good.has(trial) || newestBad.includes(trial));
    assert.deepEqual(tpe({ window: 5 }, observed), tpe({ window: 5000 }, kept));
    assert.notDeepEqual(tpe({ window: 5 }, observed), tpe({ window: 5000 }, observed), 'the 10 older bad trials count without the window');
  });

  describe('tpe finds better optima than random search at the same budget (40 trials, seeds 1–5)', () => {
    const branin = ({ x, y }: Params) => {
      const [a, b] = [x as number, y as number];
      return (b - (5.1 / (4 * Math.PI ** 2)) * a * a + (5 / Math.PI) * a - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(a) + 10 - 0.397887;
    };
    const cases: [string, SpaceSpec, (params: Params) => number][] = [
      ['sphere on [-5, 5]²', { x: { min: -5, max: 5 }, y: { min: -5, max: 5 } }, ({ x, y }) => (x as number) ** 2 + (y as number) ** 2],
      ['Branin', { x: { min: -5, max: 10 }, y: { min: 0, max: 15 } }, branin],
      ['a learning rate (log range) and a width (int range)', { lr: { min: 1e-5, max: 1, log: true }, units: { min: 8, max: 128, int: true } }, ({ lr, units }) => (Math.log10(lr as number) + 2.5) ** 2 + ((units as number) - 48) ** 2 / 1000],
      ['a range and two categorical parameters', { x: { min: -3, max: 3 }, act: ['relu', 'tanh', 'sigmoid', 'elu'], layers: [1, 2, 3, 4] }, ({ x, act, layers }) => ((x as number) - 1) ** 2 + { relu: 0, tanh: 0.5, sigmoid: 1, elu: 0.8 }[act as string]! + 0.3 * Math.abs((layers as number) - 3)],
    ];
    for (const [name, spec, objective] of cases) {
      it(`on ${name}`, () => {
        const seeds = [1, 2, 3, 4, 5];
        const random = seeds.map((seed) => minimise('random', spec, objective, 40, seed));
        const tpe = seeds.map((seed) => minimise('tpe', spec, objective, 40, seed));
        const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
        assert.ok(mean(tpe) < mean(random), `mean best: tpe ${mean(tpe)} vs random ${mean(random)}`);
        assert.ok(tpe.filter((value, i) => value < random[i]).length >= 3, `tpe wins on most seeds: ${tpe} vs ${random}`);
      });
    }
  });
});
