/**
 * Samplers propose the parameters of the next trial. All three are seeded and pure functions of
 * the record: the same seed and the same finished trials give the same proposal, in any process.
 *
 * - `grid`: the combinations of the space in order (the last parameter varying fastest), skipping
 *   those that already have a trial — so a space that gains values adds only the new combinations.
 * - `random`: trial n draws from a generator seeded by (seed, n) alone, so proposals do not depend
 *   on which trials finished first.
 * - `tpe`: the Tree-structured Parzen Estimator (Bergstra et al. 2011, as Optuna's TPESampler):
 *   see ./tpe.ts.
 */
import { fail, formatValue } from '../errors';
import { checkInteger, checkNumber } from '../util/options';
import { Rng } from '../random';
import type { SearchSpace, Params } from './space';
import type { SamplerConfig, SweepRecord } from './state';
import { proposeTpe, TPE_DEFAULTS, type TpeOptions } from './tpe';

/** Proposes trials; see the module comment. */
export interface Sampler {
  readonly config: SamplerConfig;
  /** Parameters for trial `number`, or undefined when there is nothing left to propose (a covered grid). */
  propose(number: number, record: SweepRecord): Params | undefined;
  /** How many trials count against the budget (grid: those on the current grid). */
  used(record: SweepRecord): number;
}

/** The sampler option: a name, or `{ kind: 'tpe', startupTrials, candidates }`. */
export type SamplerOption = 'grid' | 'random' | 'tpe' | ({ readonly kind: 'tpe' } & Partial<TpeOptions>) | { readonly kind: 'grid' | 'random' };

const KINDS = ['grid', 'random', 'tpe'];

/** Checks the `sampler` option; `seed` seeds it. */
export function samplerConfig(option: SamplerOption, seed: number | string, where: string): SamplerConfig {
  const spec = typeof option === 'string' ? { kind: option } : option;
  if (typeof spec !== 'object' || spec === null || !KINDS.includes((spec as { kind?: string }).kind ?? '')) {
    fail(where, `\`sampler\` must be 'grid', 'random' or 'tpe' (or { kind: 'tpe', startupTrials, candidates }). Received: sampler=${formatValue(option)}.`);
  }
  const { kind, ...options } = spec as { kind: SamplerConfig['kind'] } & Record<string, unknown>;
  if (kind !== 'tpe') {
    if (Object.keys(options).length > 0) fail(where, `sampler '${kind}' takes no options. Received: ${formatValue(options)}.`);
    return { kind, seed };
  }
  const checked: Record<string, number> = { ...TPE_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in TPE_DEFAULTS)) fail(where, `sampler 'tpe' has no option \`${key}\`. Options: ${Object.keys(TPE_DEFAULTS).join(', ')}.`);
    const integer = key !== 'priorWeight' && key !== 'gamma';
    const subject = { subject: `sampler 'tpe': \`${key}\`` };
    if (integer) checkInteger(where, key, value, 1, undefined, subject);
    else checkNumber(where, key, value, { min: 0, open: 'min' }, subject);
    checked[key] = value;
  }
  return { kind, seed, options: checked };
}

/** The sampler a record describes, over `space`. */
export function makeSampler(config: SamplerConfig, space: SearchSpace, where = 'sweep()'): Sampler {
  switch (config.kind) {
    case 'grid':
      return gridSampler(config, space, where);
    case 'random':
      return {
        config,
        propose: (number) => space.sample(trialRng(config.seed, number)),
        used: (record) => record.trials.length,
      };
    case 'tpe':
      return {
        config,
        propose: (number, record) => proposeTpe(space, record, { ...TPE_DEFAULTS, ...config.options } as TpeOptions, trialRng(config.seed, number), new Rng(`cellfit.sweep.tpe:${config.seed}:${number}`)),
        used: (record) => record.trials.length,
      };
  }
}

/** The generator of trial `number`'s uniform draw (random sampler, and TPE's startup trials). */
export function trialRng(seed: number | string, number: number): Rng {
  return new Rng(`cellfit.sweep:${seed}:${number}`);
}

function gridSampler(config: SamplerConfig, space: SearchSpace, where: string): Sampler {
  const grid = space.gridAxes();
  if ('continuous' in grid) {
    fail(
      where,
      `sampler 'grid' needs a list of values for every parameter, but \`${grid.continuous.name}\` is a continuous range. ` +
        `Give it a \`step\`, list its values, or use sampler: 'random' or 'tpe'.`,
    );
  }
  const size = grid.axes.reduce((product, values) => product * values.length, 1);
  const names = space.names;
  const isOnGrid = (params: Params) => names.every((name, i) => name in params && grid.axes[i].some((value) => value === params[name]));
  // Trials are only ever appended and their parameters never change: the points taken so far are
  // kept per record, and the first free point is searched from where the last search stopped.
  const seen = new WeakMap<SweepRecord, { trials: SweepRecord['trials']; known: number; taken: Set<string>; next: number }>();
  const onGrid = (record: SweepRecord) => {
    let state = seen.get(record);
    if (!state || state.trials !== record.trials || state.known > record.trials.length) {
      state = { trials: record.trials, known: 0, taken: new Set(), next: 0 };
      seen.set(record, state);
    }
    for (; state.known < record.trials.length; state.known++) {
      const params = record.trials[state.known].params;
      if (isOnGrid(params)) state.taken.add(space.key(params));
    }
    return state;
  };
  return {
    config,
    propose(_number, record) {
      const state = onGrid(record);
      for (; state.next < size; state.next++) {
        const point = space.gridPoint(state.next, grid.axes);
        if (!state.taken.has(space.key(point))) return point;
      }
      return undefined;
    },
    used: (record) => onGrid(record).taken.size,
  };
}
