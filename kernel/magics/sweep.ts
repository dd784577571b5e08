/**
 * `%%sweep [--dir DIR] name=[v1, v2] other=[…]`: runs the cell once per combination of the axes'
 * values (the last axis varies fastest), with `params` bound to the combination — e.g.
 *
 * ```
 * %%sweep lr=[0.1, 0.01] units=[8, 32]
 * const model = makeModel(params.units, params.lr);
 * await train(model, data, { epochs: 20 });
 * ```
 *
 * Each trial trains its own run (train() gives every configuration its own resumable run). The
 * sweep keeps a record per cell body in `DIR/sweeps/`: re-executing the cell skips the trials whose
 * runs finished and runs the others again — which resumes their runs from their checkpoints. It
 * ends with a table and a chart of the trials.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { formatValue } from '../../lib/errors';
import { showFigure } from '../../lib/plots/plotly';
import { sweepFigure } from '../../lib/plots/sweep';
import type { MimeBundle } from '../../lib/session';
import { describeBest } from '../display/cellfit';
import { tableBundle } from '../display/table';
import { takeOptions } from './args';
import { usageError } from './registry';
import type { Magic, MagicContext } from './types';

/** A value an axis can take. */
export type SweepValue = number | string | boolean;

export interface SweepAxis {
  readonly name: string;
  readonly values: readonly SweepValue[];
}

/** A run a trial trained, as the sweep records it. */
export interface TrialRun {
  readonly id: string;
  readonly status: string;
  readonly epoch?: number;
  readonly epochs?: number;
  readonly best?: { readonly epoch?: number; readonly monitor?: string; readonly value?: number };
}

/** One combination of the axes, and how it went. */
export interface Trial {
  readonly params: Readonly<Record<string, SweepValue>>;
  readonly status: 'finished' | 'unfinished' | 'skipped';
  readonly runs: readonly TrialRun[];
}

/** Shows the sweep's chart of its trials in the running cell. */
export type SweepChart = (trials: readonly Trial[], axes: readonly SweepAxis[]) => void;

const FINISHED_RUN = new Set(['completed', 'early-stopped', 'diverged']);
const USAGE = '%%sweep [--dir DIR] name=[v1, v2, …] [other=[…] …]   (the cell body sees `params`)';

/**
 * Parses the axes of a %%sweep line: `lr=[0.1, 1e-2] act=['relu', "tanh"] bias=[true, false]`.
 *
 * @example
 * parseAxes(magic, 'lr=[0.1, 0.01] units=[8, 32]');
 * // [{ name: 'lr', values: [0.1, 0.01] }, { name: 'units', values: [8, 32] }]
 */
export function parseAxes(magic: Pick<Magic, 'name' | 'usage'>, text: string): SweepAxis[] {
  const axes: SweepAxis[] = [];
  let rest = text.trim();
  while (rest !== '') {
    const head = /^([A-Za-z_$][\w$]*)\s*=\s*\[/.exec(rest);
    if (!head) usageError(magic, `expected name=[values] at ${formatValue(rest.slice(0, 30))}`, text, '%%');
    const name = head[1];
    if (axes.some((axis) => axis.name === name)) usageError(magic, `axis ${name} is given twice`, text, '%%');
    const close = closingBracket(rest, head[0].length);
    if (close < 0) usageError(magic, `axis ${name}: the list has no closing ]`, text, '%%');
    const items = splitItems(rest.slice(head[0].length, close));
    if (items.length === 0) usageError(magic, `axis ${name}: the list is empty`, text, '%%');
    const values = items.map((item) => {
      const value = parseLiteral(item);
      if (value === undefined) usageError(magic, `axis ${name}: ${formatValue(item)} is not a number, a quoted string, true or false`, text, '%%');
      return value;
    });
    axes.push({ name, values });
    rest = rest.slice(close + 1).trim();
  }
  if (axes.length === 0) usageError(magic, 'expected at least one axis, e.g. lr=[0.1, 0.01]', text, '%%');
  return axes;
}

function closingBracket(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ']') {
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

/** Every combination of the axes' values, the last axis varying fastest. */
export function combinations(axes: readonly SweepAxis[]): Record<string, SweepValue>[] {
  let result: Record<string, SweepValue>[] = [{}];
  for (const axis of axes) result = result.flatMap((partial) => axis.values.map((value) => ({ ...partial, [axis.name]: value })));
  return result;
}

/** The TypeScript type of `params`: `{ readonly lr: number; readonly act: string }`. */
export function paramsType(axes: readonly SweepAxis[]): string {
  const fields = axes.map((axis) => `readonly ${axis.name}: ${[...new Set(axis.values.map((v) => typeof v))].join(' | ')}`);
  return `{ ${fields.join('; ')} }`;
}

function trialKey(axes: readonly SweepAxis[], params: Record<string, SweepValue>): string {
  return JSON.stringify(axes.map((axis) => [axis.name, params[axis.name]]));
}

function describeParams(params: Record<string, SweepValue>): string {
  return Object.entries(params).map(([name, value]) => `${name}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`).join(', ');
}

/** What a run object reported by train() tells the sweep. */
function summarizeRun(run: unknown): TrialRun | undefined {
  const r = run as Partial<TrialRun> | null;
  if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || typeof r.status !== 'string') return undefined;
  const best = r.best && typeof r.best === 'object' ? { epoch: r.best.epoch, monitor: r.best.monitor, value: r.best.value } : undefined;
  return { id: r.id, status: r.status, epoch: r.epoch, epochs: r.epochs, ...(best ? { best } : {}) };
}

interface SweepRecord {
  readonly format: 'cellfit-sweep';
  readonly body: string;
  trials: Record<string, { params: Record<string, SweepValue>; status: 'finished' | 'unfinished'; runs: TrialRun[]; updated: string }>;
}

function readRecord(file: string, body: string): SweepRecord {
  try {
    const record = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepRecord;
    if (record.format === 'cellfit-sweep' && typeof record.trials === 'object') return record;
  } catch {
    // No record yet (or an unreadable one): start a new one.
  }
  return { format: 'cellfit-sweep', body, trials: {} };
}

function writeRecord(file: string, record: SweepRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(record, null, 2));
  fs.renameSync(temporary, file);
}

/** The table of a sweep: one row per trial, params first. */
export function trialsTable(trials: readonly Trial[], axes: readonly SweepAxis[]): MimeBundle {
  return tableBundle({
    columns: [...axes.map((axis) => axis.name), 'trial', 'run', 'epochs', 'best'],
    rows: trials.map((trial) => {
      const run = trial.runs[trial.runs.length - 1];
      return {
        ...trial.params,
        trial: trial.status,
        run: run ? `${run.id} (${run.status})` : '',
        epochs: run?.epoch === undefined ? '' : `${run.epoch}/${run.epochs ?? '?'}`,
        best: describeBest(run?.best),
      };
    }),
    caption: `sweep of ${trials.length} trial${trials.length === 1 ? '' : 's'} over ${axes.map((axis) => axis.name).join(' × ')}`,
  });
}

/**
 * The default chart: each trial's best monitored value against its parameters — a scatter for one
 * axis, parallel coordinates for more — drawn with cellfit's plotly figures (nothing when no trial
 * trained).
 */
export const bestValueChart: SweepChart = (trials, axes) => {
  const chart = sweepFigure(
    trials.map((trial) => ({ params: trial.params, best: trial.runs[trial.runs.length - 1]?.best })),
    axes.map((axis) => axis.name),
  );
  if (chart) showFigure(chart.figure, chart.text);
};

/**
 * @param chart Draws the summary chart. Defaults to {@link bestValueChart}.
 */
export function sweepMagic(chart: SweepChart = bestValueChart): Magic {
  const magic: Magic = {
    name: 'sweep',
    kind: 'cell',
    usage: USAGE,
    summary: 'Runs the cell once per combination of parameter values (params), as resumable trials; ends with a table and a chart.',
    run: (context) => runSweep(magic, context, chart),
  };
  return magic;
}

async function runSweep(magic: Magic, context: MagicContext, chart: SweepChart): Promise<undefined> {
  const { options, rest } = takeOptions(magic, context.args, { values: ['--dir'] });
  const axes = parseAxes(magic, rest);
  if (context.body.trim() === '') usageError(magic, 'expected the code of a trial below the %%sweep line', context.args, '%%');
  const dir = (options.get('--dir') as string | undefined) ?? 'checkpoints';
  const digest = createHash('sha256').update(context.body).digest('hex').slice(0, 12);
  const file = path.join(dir, 'sweeps', `sweep-${digest}.json`);
  const record = readRecord(file, context.body);
  const all = combinations(axes);
  const trials: Trial[] = [];

  for (const [index, params] of all.entries()) {
    const key = trialKey(axes, params);
    const label = `trial ${index + 1}/${all.length}: ${describeParams(params)}`;
    const previous = record.trials[key];
    if (previous?.status === 'finished') {
      context.print(`${label} — finished before${previous.runs.length ? ` (run ${previous.runs.map((r) => r.id).join(', ')})` : ''}, skipped`);
      trials.push({ params, status: 'skipped', runs: previous.runs });
      continue;
    }
    context.print(label);
    await context.bind('params', params, paramsType(axes));
    let runs: TrialRun[] = [];
    let finished = false;
    try {
      const collected = await context.collectRuns(() => context.run(context.body, { lineOffset: context.line }));
      runs = collected.runs.map(summarizeRun).filter((run): run is TrialRun => run !== undefined);
      finished = !context.signal.aborted && runs.every((run) => FINISHED_RUN.has(run.status));
    } finally {
      record.trials[key] = { params, status: finished ? 'finished' : 'unfinished', runs, updated: new Date().toISOString() };
      writeRecord(file, record);
    }
    trials.push({ params, status: finished ? 'finished' : 'unfinished', runs });
    if (context.signal.aborted) return undefined;
  }

  context.display({ [Symbol.for('Jupyter.display')]: () => trialsTable(trials, axes) });
  chart(trials, axes);
  return undefined;
}
