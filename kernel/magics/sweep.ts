/**
 * `%%sweep [options] name=[v1, v2] other={ min, max, log } …`: sugar over `sweep()` — the cell body is
 * the trial, run with `params` bound to the trial's parameters:
 *
 * ```
 * %%sweep lr=[0.1, 0.01] units=[8, 32]
 * const model = makeModel(params.units, params.lr);
 * await train(model, data, { epochs: 20 });
 * ```
 *
 * Lists are grid axes (the last varying fastest); ranges (`{ min: 1e-4, max: 0.1, log: true }`) need
 * `--sampler random` or `tpe`. Options: `--dir DIR` (default checkpoints), `--name NAME` (default
 * `sweep-` and a hash of the cell body, so re-executing the cell continues its sweep), `--sampler`,
 * `--trials N`, `--seed S`, `--pruner none|median|asha`, `--monitor METRIC`. The body runs in the
 * kernel, one trial at a time; a trial's value is the monitored value of the runs train() trains in
 * it (or the body's value, when it ends with a number). Re-executing the cell skips finished trials,
 * resumes unfinished ones from their checkpoints, and runs new ones; the sweep shows a live table and
 * charts of its trials.
 */
import { createHash } from 'node:crypto';
import { formatValue } from '../../lib/errors';
import type { Sweep, SweepOptions } from '../../lib/sweep';
import type { ParamSpec, SpaceSpec } from '../../lib/sweep/space';
import { positiveInteger, takeOptions } from './args';
import { usageError } from './registry';
import type { Magic, MagicContext } from './types';

/** A value an axis can take. */
export type SweepValue = number | string | boolean;

/** A parameter of the magic's line: a list of values (a grid axis) or a range. */
export type SweepAxis =
  | { readonly name: string; readonly values: readonly SweepValue[] }
  | { readonly name: string; readonly range: Readonly<Record<string, number | boolean>> };

/** Runs a sweep (tests pass a fake). */
export type Sweeper = (space: SpaceSpec, trial: (params: Record<string, SweepValue>) => Promise<unknown>, options: SweepOptions) => Promise<Sweep>;

const USAGE = '%%sweep [--dir DIR] [--name NAME] [--sampler grid|random|tpe] [--trials N] [--seed S] [--pruner none|median|asha] [--monitor METRIC] name=[v1, v2, …] [other={ min, max, log? } …]   (the cell body sees `params`)';
const OPTIONS = ['--dir', '--name', '--sampler', '--trials', '--seed', '--pruner', '--monitor'];
const RANGE_KEYS = ['min', 'max', 'step', 'log', 'int'];

/**
 * Parses the parameters of a %%sweep line: `lr=[0.1, 1e-2] act=['relu', "tanh"] wd={ min: 1e-5, max: 1e-2, log: true }`.
 *
 * @example
 * parseAxes(magic, 'lr=[0.1, 0.01] units=[8, 32]');
 * // [{ name: 'lr', values: [0.1, 0.01] }, { name: 'units', values: [8, 32] }]
 */
export function parseAxes(magic: Pick<Magic, 'name' | 'usage'>, text: string): SweepAxis[] {
  const axes: SweepAxis[] = [];
  let rest = text.trim();
  while (rest !== '') {
    const head = /^([A-Za-z_$][\w$]*)\s*=\s*([[{])/.exec(rest);
    if (!head) usageError(magic, `expected name=[values] or name={ min, max } at ${formatValue(rest.slice(0, 30))}`, text, '%%');
    const name = head[1];
    if (axes.some((axis) => axis.name === name)) usageError(magic, `axis ${name} is given twice`, text, '%%');
    const open = head[2];
    const close = closingBracket(rest, head[0].length, open === '[' ? ']' : '}');
    if (close < 0) usageError(magic, `axis ${name}: the ${open === '[' ? 'list' : 'range'} has no closing ${open === '[' ? ']' : '}'}`, text, '%%');
    const items = splitItems(rest.slice(head[0].length, close));
    if (open === '[') {
      if (items.length === 0) usageError(magic, `axis ${name}: the list is empty`, text, '%%');
      const values = items.map((item) => {
        const value = parseLiteral(item);
        if (value === undefined) usageError(magic, `axis ${name}: ${formatValue(item)} is not a number, a quoted string, true or false`, text, '%%');
        return value;
      });
      axes.push({ name, values });
    } else {
      const range: Record<string, number | boolean> = {};
      for (const item of items) {
        const pair = /^([A-Za-z]+)\s*:\s*(.+)$/s.exec(item);
        const value = pair ? parseLiteral(pair[2].trim()) : undefined;
        if (!pair || !RANGE_KEYS.includes(pair[1]) || (typeof value !== 'number' && typeof value !== 'boolean')) {
          usageError(magic, `axis ${name}: ${formatValue(item)} is not one of ${RANGE_KEYS.map((key) => `${key}: …`).join(', ')}`, text, '%%');
        }
        range[pair[1]] = value;
      }
      axes.push({ name, range });
    }
    rest = rest.slice(close + 1).trim();
  }
  if (axes.length === 0) usageError(magic, 'expected at least one axis, e.g. lr=[0.1, 0.01]', text, '%%');
  return axes;
}

function closingBracket(text: string, from: number, closer: string): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === closer) {
      return i;
    }
  }
  return -1;
}

function splitItems(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      current += char;
      if (char === '\\') current += text[++i] ?? '';
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
      current += char;
    } else if (char === ',') {
      items.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim() !== '') items.push(current.trim());
  return items;
}

function parseLiteral(item: string): SweepValue | undefined {
  if (item === 'true') return true;
  if (item === 'false') return false;
  const quoted = /^(["'])(.*)\1$/s.exec(item);
  if (quoted) return quoted[2].replace(/\\(.)/g, '$1');
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(item)) return Number(item);
  return undefined;
}

/** Every combination of list axes' values, the last axis varying fastest. */
export function combinations(axes: readonly SweepAxis[]): Record<string, SweepValue>[] {
  let result: Record<string, SweepValue>[] = [{}];
  for (const axis of axes) {
    if (!('values' in axis)) throw new Error(`combinations(): axis ${axis.name} is a range, not a list.`);
    result = result.flatMap((partial) => axis.values.map((value) => ({ ...partial, [axis.name]: value })));
  }
  return result;
}

/** The TypeScript type of `params`: `{ readonly lr: number; readonly act: string }`. */
export function paramsType(axes: readonly SweepAxis[]): string {
  const fields = axes.map((axis) => `readonly ${axis.name}: ${'values' in axis ? [...new Set(axis.values.map((v) => typeof v))].join(' | ') : 'number'}`);
  return `{ ${fields.join('; ')} }`;
}

/** The search space of the axes. */
export function spaceOf(axes: readonly SweepAxis[]): SpaceSpec {
  return Object.fromEntries(axes.map((axis) => [axis.name, ('values' in axis ? axis.values : axis.range) as ParamSpec]));
}

/** The library's sweep(), loaded when first needed. */
const librarySweep: Sweeper = (space, trial, options) => (require('../../lib/sweep') as typeof import('../../lib/sweep')).sweep(space, trial, options);

/**
 * @param sweeper Runs the sweep. Defaults to the toolkit's `sweep()`.
 */
export function sweepMagic(sweeper: Sweeper = librarySweep): Magic {
  const magic: Magic = {
    name: 'sweep',
    kind: 'cell',
    usage: USAGE,
    summary: 'Runs the cell once per trial of a sweep (grid, random or TPE; optional pruning), with `params` bound; resumable, with a live table and charts.',
    run: (context) => runSweep(magic, context, sweeper),
  };
  return magic;
}

async function runSweep(magic: Magic, context: MagicContext, sweeper: Sweeper): Promise<undefined> {
  const { options, rest } = takeOptions(magic, context.args, { values: OPTIONS });
  const axes = parseAxes(magic, rest);
  if (context.body.trim() === '') usageError(magic, 'expected the code of a trial below the %%sweep line', context.args, '%%');
  const option = (name: string) => options.get(name) as string | undefined;
  const trials = positiveInteger(magic, '--trials', options.get('--trials'), context.args, '%%');
  const seed = option('--seed');
  const type = paramsType(axes);
  let failed: unknown;
  const trial = async (params: Record<string, SweepValue>) => {
    try {
      await context.bind('params', params, type);
      const { result, runs } = await context.collectRuns(() => context.run(context.body, { lineOffset: context.line }));
      return typeof result === 'number' ? result : runs[runs.length - 1];
    } catch (error) {
      failed = error;
      throw error;
    }
  };
  // The trial's code is the cell body (what sweep() compares to notice an edit), not this wrapper.
  trial.toString = () => context.body;
  const running = sweeper(spaceOf(axes), trial, {
    dir: option('--dir') ?? 'checkpoints',
    // The same cell body continues the same sweep (and finds the records of cellfit 0.1's %%sweep).
    name: option('--name') ?? `sweep-${createHash('sha256').update(context.body).digest('hex').slice(0, 12)}`,
    ...(option('--sampler') ? { sampler: option('--sampler') as SweepOptions['sampler'] } : {}),
    ...(trials !== undefined ? { trials } : {}),
    ...(seed !== undefined ? { seed: /^-?\d+$/.test(seed) ? Number(seed) : seed } : {}),
    ...(option('--pruner') ? { pruner: option('--pruner') as SweepOptions['pruner'] } : {}),
    ...(option('--monitor') ? { monitor: option('--monitor') } : {}),
    workers: 1,
  });
  try {
    await running;
  } catch (error) {
    // A trial's own error fails the cell with the trial code's traceback, as any cell's error does.
    if (failed !== undefined && /^sweep\(\): trial \d+ .* failed, so the sweep stopped/.test((error as Error).message)) throw failed;
    throw error;
  }
  return undefined;
}
