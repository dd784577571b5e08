/**
 * The search space of a sweep: one entry per hyperparameter, each a list of values (a grid axis),
 * a range `{ min, max, log?, step?, int? }`, explicit `{ choices }`, or a single value (held fixed).
 * The space validates itself once, enumerates its grid (the last parameter varying fastest, as
 * `%%sweep` always did), draws uniform samples from a seeded generator, and gives every parameter
 * combination one canonical key, so that a trial is recognised by its parameters.
 */
import { fail, formatValue } from '../errors';
import type { Rng } from '../random';
import { decimals } from '../tabulate/axis';

/** A hyperparameter value. */
export type ParamValue = number | string | boolean;

/** The parameters of one trial, e.g. `{ lr: 0.01, units: 32, activation: 'relu' }`. */
export type Params = Readonly<Record<string, ParamValue>>;

/** A numeric range. */
export interface RangeParam {
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Sample on a log scale (learning rates, weight decays); needs min > 0. Defaults to false. */
  readonly log?: boolean;
  /** Values are `min + k·step` (exactly, as in tabulateInputSpace); the grid needs it. Defaults to none (continuous). */
  readonly step?: number;
  /** Integers only (a step of 1 unless `log`). Defaults to false. */
  readonly int?: boolean;
}

/** Categorical values, never ordered (a plain list means the same). */
export interface ChoiceParam {
  readonly choices: readonly ParamValue[];
}

/** How a parameter is given: a list of values, a range, choices, or one value held fixed. */
export type ParamSpec = readonly ParamValue[] | RangeParam | ChoiceParam | ParamValue;

/** A search space, e.g. `{ lr: { min: 1e-4, max: 0.1, log: true }, units: [8, 16, 32] }`. */
export type SpaceSpec = Readonly<Record<string, ParamSpec>>;

/** The value type of a parameter given as `S`: a range is a number, a list or choices one of its values. */
export type ParamOf<S> = S extends readonly (infer V)[] ? V : S extends RangeParam ? number : S extends { readonly choices: readonly (infer V)[] } ? V : S;

/**
 * The parameters a space's trials receive, typed from the space:
 * `ParamsOf<{ lr: { min: 1e-4, max: 0.1 }, act: ['relu', 'tanh'] }>` is `{ lr: number; act: 'relu' | 'tanh' }`.
 */
export type ParamsOf<S extends SpaceSpec> = { readonly [K in keyof S]: ParamOf<S[K]> };

/** A validated parameter. */
export type Param =
  | { readonly name: string; readonly kind: 'choice'; readonly values: readonly ParamValue[] }
  | { readonly name: string; readonly kind: 'range'; readonly min: number; readonly max: number; readonly log: boolean; readonly step?: number; readonly int: boolean };

const RANGE_KEYS = ['min', 'max', 'log', 'step', 'int'];
const NAME = /^[A-Za-z_$][\w$]*$/;

/** A validated search space; see the module comment. */
export class SearchSpace {
  readonly params: readonly Param[];

  constructor(spec: SpaceSpec, where = 'sweep()') {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      fail(where, `\`space\` must be an object of parameters such as { lr: [0.1, 0.01], units: { min: 8, max: 64, int: true } }. Received: space=${formatValue(spec)}.`);
    }
    const names = Object.keys(spec);
    if (names.length === 0) fail(where, '`space` has no parameters. Give at least one, e.g. { lr: [0.1, 0.01] }.');
    this.params = names.map((name) => checkParam(name, spec[name], where));
  }

  /** The parameter names, in order. */
  get names(): string[] {
    return this.params.map((param) => param.name);
  }

  /** The space as plain JSON (what the sweep's record keeps). */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    for (const param of this.params) {
      if (param.kind === 'choice') json[param.name] = param.values;
      else json[param.name] = { min: param.min, max: param.max, ...(param.log ? { log: true } : {}), ...(param.step !== undefined ? { step: param.step } : {}), ...(param.int ? { int: true } : {}) };
    }
    return json;
  }

  /** Values of each parameter on the grid, or the first parameter that has none (a continuous range). */
  gridAxes(): { axes: readonly (readonly ParamValue[])[] } | { continuous: Param } {
    const axes: ParamValue[][] = [];
    for (const param of this.params) {
      const values = gridValues(param);
      if (!values) return { continuous: param };
      axes.push(values);
    }
    return { axes };
  }

  /** Number of grid points, or undefined when a range is continuous. */
  gridSize(): number | undefined {
    const grid = this.gridAxes();
    return 'axes' in grid ? grid.axes.reduce((product, values) => product * values.length, 1) : undefined;
  }

  /** The `index`-th grid point (the last parameter varies fastest). */
  gridPoint(index: number, axes: readonly (readonly ParamValue[])[]): Params {
    const point: Record<string, ParamValue> = {};
    let rest = index;
    for (let i = this.params.length - 1; i >= 0; i--) {
      const values = axes[i];
      point[this.params[i].name] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    return this.ordered(point);
  }

  /** A uniform draw: each parameter independently, ranges on their (log) scale. */
  sample(rng: Rng): Params {
    const point: Record<string, ParamValue> = {};
    for (const param of this.params) point[param.name] = sampleParam(param, rng);
    return point;
  }

  /** True when every parameter of the space has an admissible value in `params`. */
  contains(params: Params): boolean {
    return this.params.every((param) => param.name in params && admits(param, params[param.name]));
  }

  /** The canonical key of a parameter combination: its values in the space's order. */
  key(params: Params): string {
    return JSON.stringify(this.params.map((param) => params[param.name] ?? null));
  }

  /** `params` with its keys in the space's order. */
  ordered(params: Record<string, ParamValue>): Params {
    const result: Record<string, ParamValue> = {};
    for (const param of this.params) result[param.name] = params[param.name];
    return result;
  }
}

/** `lr=0.01, units=32, act="relu"`. */
export function describeParams(params: Params): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${typeof value === 'string' ? JSON.stringify(value) : formatNumber(value)}`)
    .join(', ');
}

/** A parameter value for tables and messages: 4 significant digits for floats drawn from a range. */
export function formatNumber(value: number | boolean): string {
  if (typeof value === 'boolean' || Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

/** The values of a parameter on a grid: choices, or a range's steps; undefined for a continuous range. */
export function gridValues(param: Param): ParamValue[] | undefined {
  if (param.kind === 'choice') return [...param.values];
  const step = param.step ?? (param.int && !param.log ? 1 : undefined);
  if (step === undefined) return undefined;
  const count = stepCount(param.min, param.max, step);
  return Array.from({ length: count }, (_, k) => stepValue(param.min, step, k));
}

function checkParam(name: string, spec: ParamSpec | undefined, where: string): Param {
  if (!NAME.test(name)) fail(where, `parameter names must be identifiers (letters, digits, _ and $, not starting with a digit). Received: ${formatValue(name)}.`);
  if (Array.isArray(spec)) return { name, kind: 'choice', values: checkChoices(name, spec, where) };
  if (typeof spec === 'number' || typeof spec === 'string' || typeof spec === 'boolean') return { name, kind: 'choice', values: checkChoices(name, [spec], where) };
  if (typeof spec !== 'object' || spec === null) {
    fail(where, `space \`${name}\` must be a list of values, a range { min, max, log?, step?, int? }, { choices: [...] } or one value. Received: ${name}=${formatValue(spec)}.`);
  }
  if ('choices' in spec) {
    const extra = Object.keys(spec).filter((key) => key !== 'choices');
    if (extra.length > 0) fail(where, `space \`${name}\` has unknown key \`${extra[0]}\` besides \`choices\`.`);
    if (!Array.isArray(spec.choices)) fail(where, `space \`${name}\`: \`choices\` must be a list. Received: choices=${formatValue(spec.choices)}.`);
    return { name, kind: 'choice', values: checkChoices(name, spec.choices, where) };
  }
  const range = spec as RangeParam;
  for (const key of Object.keys(range)) {
    if (!RANGE_KEYS.includes(key)) fail(where, `space \`${name}\` has unknown key \`${key}\`. A range is { min, max, log?, step?, int? }.`);
  }
  for (const key of ['min', 'max'] as const) {
    if (typeof range[key] !== 'number' || !Number.isFinite(range[key])) fail(where, `space \`${name}\`: \`${key}\` must be a finite number. Received: ${key}=${formatValue(range[key])}.`);
  }
  for (const key of ['log', 'int'] as const) {
    if (range[key] !== undefined && typeof range[key] !== 'boolean') fail(where, `space \`${name}\`: \`${key}\` must be true or false. Received: ${key}=${formatValue(range[key])}.`);
  }
  const { min, max, log = false, int = false, step } = range;
  if (!(min < max)) fail(where, `space \`${name}\`: \`min\` must be less than \`max\`. Received: min=${min}, max=${max}.`);
  if (log && !(min > 0)) fail(where, `space \`${name}\`: a log range needs min > 0. Received: min=${min}.`);
  if (step !== undefined) {
    if (typeof step !== 'number' || !(step > 0) || !Number.isFinite(step)) fail(where, `space \`${name}\`: \`step\` must be a number > 0. Received: step=${formatValue(step)}.`);
    if (log) fail(where, `space \`${name}\`: \`step\` and \`log\` exclude each other (steps are even on a linear scale). List the values instead, e.g. ${name}: [0.001, 0.01, 0.1].`);
    if (int && !Number.isInteger(step)) fail(where, `space \`${name}\`: an int range needs an integer \`step\`. Received: step=${step}.`);
  }
  if (int && (!Number.isInteger(min) || !Number.isInteger(max))) fail(where, `space \`${name}\`: an int range needs integer bounds. Received: min=${min}, max=${max}.`);
  return { name, kind: 'range', min, max, log, ...(step !== undefined ? { step } : {}), int };
}

function checkChoices(name: string, values: readonly unknown[], where: string): ParamValue[] {
  if (values.length === 0) fail(where, `space \`${name}\` is an empty list. Give at least one value.`);
  const seen = new Set<string>();
  return values.map((value, i) => {
    const valid = (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string' || typeof value === 'boolean';
    if (!valid) fail(where, `space \`${name}\`: values must be finite numbers, strings or booleans. Received: ${name}[${i}]=${formatValue(value)}.`);
    const key = JSON.stringify(value);
    if (seen.has(key)) fail(where, `space \`${name}\` lists ${formatValue(value)} twice. Values must be distinct.`);
    seen.add(key);
    return value as ParamValue;
  });
}

function sampleParam(param: Param, rng: Rng): ParamValue {
  if (param.kind === 'choice') return param.values[rng.int(param.values.length)];
  return snap(param, param.log ? Math.exp(Math.log(param.min) + rng.random() * (Math.log(param.max) - Math.log(param.min))) : param.min + rng.random() * (param.max - param.min));
}

/** A value of a range's scale brought onto the range: its step, integers, and the bounds. */
export function snap(param: Extract<Param, { kind: 'range' }>, x: number): number {
  const step = param.step ?? (param.int && !param.log ? 1 : undefined);
  if (step !== undefined) {
    const k = Math.min(stepCount(param.min, param.max, step) - 1, Math.max(0, Math.round((x - param.min) / step)));
    return stepValue(param.min, step, k);
  }
  const clamped = Math.min(param.max, Math.max(param.min, x));
  return param.int ? Math.min(param.max, Math.max(param.min, Math.round(clamped))) : clamped;
}

function admits(param: Param, value: ParamValue): boolean {
  if (param.kind === 'choice') return param.values.some((choice) => choice === value);
  if (typeof value !== 'number' || value < param.min || value > param.max) return false;
  return !param.int || Number.isInteger(value);
}

/** Values `min + k·step` in [min, max]: their count. */
function stepCount(min: number, max: number, step: number): number {
  const digits = Math.max(decimals(min), decimals(max), decimals(step));
  const scale = 10 ** Math.min(digits, 15);
  return Math.floor((Math.round(max * scale) - Math.round(min * scale)) / Math.round(step * scale)) + 1;
}

/** `min + k·step`, computed in scaled integers and rounded to the inputs' decimals (never accumulated). */
function stepValue(min: number, step: number, k: number): number {
  const digits = Math.min(15, Math.max(decimals(min), decimals(step)));
  const scale = 10 ** digits;
  return (Math.round(min * scale) + k * Math.round(step * scale)) / scale;
}
