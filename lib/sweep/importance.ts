/**
 * Parameter importance, fANOVA-lite: for each parameter, the share of the variance of the trials'
 * ranks that the parameter's value alone explains — η², the effect size of a one-way analysis of
 * variance, which is what fANOVA's first-order terms measure (Hutter, Hoos & Leyton-Brown 2014)
 * without its random forest. Ranks rather than values, so that one diverged trial does not decide
 * everything; numeric parameters with many values are cut into up to four quantile bins (on their
 * log scale for log ranges). With random or TPE sampling the parameters vary independently enough
 * for the shares to read as importances; they need not sum to 1.
 */
import type { Param, ParamValue, Params, SearchSpace } from './space';

/** A scored trial. */
export interface Scored {
  readonly params: Params;
  readonly value: number;
}

/**
 * η² of each parameter of `space` over `trials` (finite values only), the largest first; empty
 * with fewer than 3 scored trials.
 *
 * @example
 * parameterImportance(space, [{ params: { lr: 0.1, units: 8 }, value: 0.3 }, ...]);   // { lr: 0.81, units: 0.05 }
 */
export function parameterImportance(space: SearchSpace, trials: readonly Scored[]): Record<string, number> {
  const scored = trials.filter((trial) => Number.isFinite(trial.value) && space.contains(trial.params));
  if (scored.length < 3) return {};
  const ranks = rank(scored.map((trial) => trial.value));
  const mean = ranks.reduce((a, b) => a + b, 0) / ranks.length;
  const total = ranks.reduce((sum, r) => sum + (r - mean) ** 2, 0);
  const result: [string, number][] = space.params.map((param) => {
    if (total === 0) return [param.name, 0];
    const groups = new Map<string, number[]>();
    const labels = groupLabels(param, scored.map((trial) => trial.params[param.name]));
    labels.forEach((label, i) => groups.set(label, [...(groups.get(label) ?? []), ranks[i]]));
    let between = 0;
    for (const members of groups.values()) {
      const groupMean = members.reduce((a, b) => a + b, 0) / members.length;
      between += members.length * (groupMean - mean) ** 2;
    }
    return [param.name, between / total];
  });
  result.sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(result);
}

/** Average ranks (ties share their mean rank). */
function rank(values: readonly number[]): number[] {
  const order = values.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].value === order[start].value) end++;
    for (let k = start; k <= end; k++) ranks[order[k].i] = (start + end) / 2;
    start = end + 1;
  }
  return ranks;
}

/** The group of each value: the value itself, or its quantile bin for a numeric range with many values. */
function groupLabels(param: Param, values: readonly ParamValue[]): string[] {
  const distinct = new Set(values.map((value) => JSON.stringify(value)));
  if (param.kind === 'choice' || distinct.size <= 4) return values.map((value) => JSON.stringify(value));
  const scale = (value: ParamValue) => (param.log ? Math.log(value as number) : (value as number));
  const sorted = values.map(scale).sort((a, b) => a - b);
  const cuts = [1, 2, 3].map((q) => sorted[Math.floor((q * sorted.length) / 4)]);
  return values.map((value) => String(cuts.filter((cut) => scale(value) >= cut).length));
}
