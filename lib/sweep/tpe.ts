/**
 * The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio & Kégl, "Algorithms for
 * Hyper-Parameter Optimization", NeurIPS 2011), independent per parameter, with the defaults and
 * estimator of Optuna's `TPESampler` (optuna/samplers/_tpe/sampler.py, parzen_estimator.py):
 *
 * 1. Until `startupTrials` trials have a value, propose uniformly (the random sampler's draw).
 * 2. Rank the scored trials — finished ones by value, then paused and pruned ones by how far they
 *    got (ranked below every finished trial, as Optuna ranks pruned trials) — and split them: the
 *    best γ(n) = min(⌈gamma·n⌉, 25) are "good", the rest "bad".
 * 3. Per parameter, fit l(x) to the good values and g(x) to the bad ones: a mixture of normals
 *    truncated to the range (on the log scale for log ranges), one per observation plus a prior
 *    centred on the range; bandwidths from the distances to neighbouring observations, clipped
 *    ("magic clip"). Categories: each observation puts weight on its own category, plus the prior.
 * 4. Draw `candidates` values from l and keep the one maximising l(x)/g(x) — the expected
 *    improvement criterion of the paper.
 *
 * Bounded cost: g(x) weighs only the newest `window` of the bad trials (default 150). Optuna's
 * estimator already fades the oldest observations (its weights ramp down beyond the newest 25), and
 * its cost grows with every trial; ours stops growing there — a proposal at 10,000 trials costs what
 * it costs at 175 — and sweeps of at most `window` scored trials propose exactly as before.
 * The good trials are still chosen from every scored trial.
 */
import type { Rng } from '../random';
import { snap, type Param, type ParamValue, type Params, type SearchSpace } from './space';
import { standingsOf } from './standings';
import { better, type SweepRecord, type TrialRecord } from './state';

/** TPE's options. */
export interface TpeOptions {
  /** Trials proposed uniformly before TPE starts. Defaults to 10. */
  readonly startupTrials: number;
  /** Candidates drawn from l(x) per parameter. Defaults to 24. */
  readonly candidates: number;
  /** Share of the scored trials that count as good (at most 25 of them). Defaults to 0.1. */
  readonly gamma: number;
  /** Weight of the prior component of each estimator. Defaults to 1. */
  readonly priorWeight: number;
  /** The newest bad trials g(x) weighs (older ones are left out, bounding a proposal's cost). Defaults to 150. */
  readonly window: number;
}

export const TPE_DEFAULTS: TpeOptions = { startupTrials: 10, candidates: 24, gamma: 0.1, priorWeight: 1, window: 150 };

/** TPE's proposal for a trial; `uniform` draws the startup trials, `rng` the candidates. */
export function proposeTpe(space: SearchSpace, record: SweepRecord, options: TpeOptions, uniform: Rng, rng: Rng): Params {
  // The standings keep the observations ranked: the good ones are the first, the bad ones the newest others.
  const standings = standingsOf(record);
  const outside = outsideSpace(space, record).filter((trial) => standings.isObserved(trial));
  const count = standings.observationCount - outside.length;
  if (count < options.startupTrials) return space.sample(uniform);
  const goodCount = Math.max(1, Math.min(Math.ceil(options.gamma * count), 25));
  const good = new Set<TrialRecord>();
  for (let i = 0; good.size < goodCount; i++) {
    const trial = standings.observation(i);
    if (contained(space, trial.params)) good.add(trial);
  }
  // Within each group, trials in the order they were proposed (older ones weigh less once there are many).
  const window = options.window ?? TPE_DEFAULTS.window;
  const bad: TrialRecord[] = [];
  for (let i = record.trials.length - 1; i >= 0 && bad.length < window; i--) {
    const trial = record.trials[i];
    if (!good.has(trial) && standings.isObserved(trial) && contained(space, trial.params)) bad.push(trial);
  }
  bad.reverse();
  const params: Record<string, ParamValue> = {};
  for (const param of space.params) {
    const l = estimator(param, [...good].sort((a, b) => a.number - b.number).map((trial) => trial.params[param.name]), options.priorWeight);
    const g = estimator(param, bad.map((trial) => trial.params[param.name]), options.priorWeight);
    let best: { x: number; score: number } | undefined;
    for (let i = 0; i < options.candidates; i++) {
      const x = l.sample(rng);
      const score = l.logPdf(x) - g.logPdf(x);
      if (!best || score > best.score) best = { x, score };
    }
    params[param.name] = param.kind === 'choice' ? param.values[best!.x] : untransform(param, best!.x);
  }
  return params;
}

/**
 * The trials TPE learns from, best first: finished trials by value, then paused and pruned trials
 * by the epochs they reached (more is better) and their value. Trials whose parameters lie outside
 * today's space (it was narrowed) are left out.
 */
export function rankedObservations(space: SearchSpace, record: SweepRecord): TrialRecord[] {
  return observations(space, record).sort(rankOrder(record));
}

/** The trials TPE learns from, in the order of their numbers. */
function observations(space: SearchSpace, record: SweepRecord): TrialRecord[] {
  return record.trials.filter((trial) => (trial.status === 'finished' || trial.status === 'pruned' || trial.status === 'paused') && trial.value !== undefined && Number.isFinite(trial.value) && contained(space, trial.params));
}

const containment = new WeakMap<SearchSpace, WeakMap<object, boolean>>();
const outsiders = new WeakMap<SearchSpace, WeakMap<SweepRecord, { trials: TrialRecord[]; known: number; outside: TrialRecord[] }>>();

/** The record's trials whose parameters lie outside `space` (its trials are only ever appended; usually none). */
function outsideSpace(space: SearchSpace, record: SweepRecord): TrialRecord[] {
  let byRecord = outsiders.get(space);
  if (!byRecord) outsiders.set(space, (byRecord = new WeakMap()));
  let state = byRecord.get(record);
  if (!state || state.trials !== record.trials || state.known > record.trials.length) byRecord.set(record, (state = { trials: record.trials, known: 0, outside: [] }));
  for (; state.known < record.trials.length; state.known++) {
    const trial = record.trials[state.known];
    if (!contained(space, trial.params)) state.outside.push(trial);
  }
  return state.outside;
}

/** `space.contains(params)`, remembered: a trial's parameters never change. */
function contained(space: SearchSpace, params: Params): boolean {
  let known = containment.get(space);
  if (!known) containment.set(space, (known = new WeakMap()));
  let inside = known.get(params);
  if (inside === undefined) known.set(params, (inside = space.contains(params)));
  return inside;
}

/** TPE's ranking, best first: finished trials by value, then stopped ones by epochs reached and value; ties by number. */
function rankOrder(record: SweepRecord): (a: TrialRecord, b: TrialRecord) => number {
  const byValue = (a: TrialRecord, b: TrialRecord) => (better(record, a.value!, b.value!) ? -1 : better(record, b.value!, a.value!) ? 1 : a.number - b.number);
  return (a, b) => {
    const finished = Number(b.status === 'finished') - Number(a.status === 'finished');
    if (finished !== 0) return finished;
    if (a.status === 'finished') return byValue(a, b);
    return b.values.length - a.values.length || byValue(a, b);
  };
}

/** A Parzen estimator over one parameter: values are category indices, or the (log) scale of a range. */
interface Estimator {
  sample(rng: Rng): number;
  logPdf(x: number): number;
}

function estimator(param: Param, values: readonly ParamValue[], priorWeight: number): Estimator {
  return param.kind === 'choice'
    ? categorical(param.values.length, values.map(choiceIndex(param.values)), priorWeight)
    : numerical(param, values.map((value) => transform(param, value as number)), priorWeight);
}

/** The index of a value among a parameter's choices (the first equal one), looked up in a map. */
function choiceIndex(choices: readonly ParamValue[]): (value: ParamValue) => number {
  const indices = new Map<ParamValue, number>();
  choices.forEach((choice, i) => {
    if (!indices.has(choice)) indices.set(choice, i);
  });
  return (value) => (Number.isNaN(value) ? -1 : (indices.get(value) ?? -1));
}

/** Optuna's `default_weights`: equal weights, with a ramp for the oldest beyond the newest 25. */
function observationWeights(n: number): number[] {
  if (n < 25) return Array.from({ length: n }, () => 1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...Array.from({ length: 25 }, () => 1)];
}

function categorical(choices: number, observed: readonly number[], priorWeight: number): Estimator {
  const kernels = observed.length + 1;
  // Each observation's row of category probabilities is the prior's share everywhere plus 1 at its
  // own category, normalised: two numbers per category observed, not a row per observation.
  const share = priorWeight / kernels;
  const rowOf = new Map<number, { base: number; peak: number }>();
  for (const index of observed) {
    if (rowOf.has(index)) continue;
    let sum = 0;
    for (let c = 0; c < choices; c++) sum += c === index ? share + 1 : share;
    rowOf.set(index, { base: share / sum, peak: (share + 1) / sum });
  }
  /** A category drawn from kernel k's row (as pick() draws from an array of it). */
  const pickFromRow = (k: number, rng: Rng): number => {
    let u = rng.random();
    const prior = k === observed.length;
    for (let c = 0; c < choices; c++) {
      u -= prior ? 1 / choices : c === observed[k] ? peaks[k] : bases[k];
      if (u < 0) return c;
    }
    return choices - 1;
  };
  const weights = normalise(observed.length === 0 ? [1] : [...observationWeights(observed.length), priorWeight]);
  const bases = Float64Array.from(observed, (index) => rowOf.get(index)!.base);
  const peaks = Float64Array.from(observed, (index) => rowOf.get(index)!.peak);
  const probabilities = Array.from({ length: choices }, (_, c) => {
    let sum = 0;
    for (let k = 0; k < observed.length; k++) sum += weights[k] * (c === observed[k] ? peaks[k] : bases[k]);
    return sum + weights[observed.length] * (1 / choices);
  });
  return {
    sample(rng) {
      return pickFromRow(pick(weights, rng), rng);
    },
    logPdf: (x) => Math.log(probabilities[x]),
  };
}

function numerical(param: Extract<Param, { kind: 'range' }>, mus: readonly number[], priorWeight: number): Estimator {
  const [low, high] = bounds(param);
  const width = high - low;
  const prior = 0.5 * (low + high);
  // Bandwidths: the larger distance to a neighbour (the range's ends count as neighbours), clipped.
  const withPrior = [...mus, prior];
  const order = withPrior.map((_, i) => i).sort((a, b) => withPrior[a] - withPrior[b]);
  const sorted = [low, ...order.map((i) => withPrior[i]), high];
  const sortedSigmas = order.map((_, i) => Math.max(sorted[i + 1] - sorted[i], sorted[i + 2] - sorted[i + 1]));
  if (sorted.length >= 4) {
    sortedSigmas[0] = sorted[2] - sorted[1];
    sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2] - sorted[sorted.length - 3];
  }
  const sigmaOf = new Array<number>(withPrior.length);
  order.forEach((index, rank) => (sigmaOf[index] = sortedSigmas[rank]));
  const minSigma = width / Math.min(100, 1 + mus.length + 1);
  const centres = [...mus, prior];
  const sigmas = [...mus.map((_, i) => Math.min(width, Math.max(minSigma, sigmaOf[i]))), width];
  const weights = normalise(mus.length === 0 ? [1] : [...observationWeights(mus.length), priorWeight]);
  const components = mus.length === 0 ? [0] : centres.map((_, i) => i);
  const mass = components.map((i) => normalCdf((high - centres[i]) / sigmas[i]) - normalCdf((low - centres[i]) / sigmas[i]));
  // The parts of each component's log density that do not depend on x, computed once.
  const logWeights = components.map((_, k) => Math.log(weights[k]));
  const logNorms = components.map((i, k) => Math.log(sigmas[i] * Math.sqrt(2 * Math.PI) * Math.max(mass[k], 1e-300)));
  const terms = new Float64Array(components.length);
  return {
    sample(rng) {
      const i = components[pick(weights, rng)];
      for (let attempt = 0; attempt < 1000; attempt++) {
        const x = centres[i] + sigmas[i] * standardNormal(rng);
        if (x >= low && x <= high) return x;
      }
      return Math.min(high, Math.max(low, centres[i]));
    },
    logPdf(x) {
      let top = -Infinity;
      for (let k = 0; k < components.length; k++) {
        const i = components[k];
        terms[k] = logWeights[k] - 0.5 * ((x - centres[i]) / sigmas[i]) ** 2 - logNorms[k];
        top = Math.max(top, terms[k]);
      }
      let sum = 0;
      for (let k = 0; k < components.length; k++) sum += Math.exp(terms[k] - top);
      return top + Math.log(sum);
    },
  };
}

/** The range on the estimator's scale; a stepped range reaches half a step beyond its ends (as Optuna's). */
function bounds(param: Extract<Param, { kind: 'range' }>): [number, number] {
  const step = param.step ?? (param.int && !param.log ? 1 : 0);
  const low = param.min - step / 2;
  const high = param.max + step / 2;
  return param.log ? [Math.log(param.int ? param.min - 0.5 : param.min), Math.log(param.int ? param.max + 0.5 : param.max)] : [low, high];
}

function transform(param: Extract<Param, { kind: 'range' }>, value: number): number {
  return param.log ? Math.log(value) : value;
}

function untransform(param: Extract<Param, { kind: 'range' }>, x: number): number {
  return snap(param, param.log ? Math.exp(x) : x);
}

function normalise(weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/** An index drawn with probabilities `weights` (which sum to 1). */
function pick(weights: readonly number[], rng: Rng): number {
  let u = rng.random();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** Box–Muller. */
function standardNormal(rng: Rng): number {
  const u = 1 - rng.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.random());
}

/** Φ(x), from Numerical Recipes' `erfcc` (a Chebyshev fit with fractional error below 1.2e-7). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

