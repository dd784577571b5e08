/**
 * sweep(): trials per hour with 1 and 2 local workers (the same sweep, interleaved repeats; the
 * workers kept from the previous sweep, and apart started cold), and ASHA against a grid on the tutorials' problems — the epochs ASHA spends
 * before some trial comes within 2 % of the best value the full grid finds, as a share of the
 * grid's epochs (what a grid spends to know its best), over several orders of the trials. Ranges are
 * printed beside the medians: this machine is shared, and one run proves little.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, sweep, type Sweep } from '../lib';
import { closeIdleWorkers } from '../lib/sweep/executors';
import type { BenchRow, BenchSection } from './report';
import { SINE, THROUGHPUT, WAVES, type Problem } from './sweep-problems';

const QUIET = { plot: false, progress: false } as const;
const MODULE = path.join(__dirname, 'sweep-problems.js');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const range = (values: readonly number[], digits = 2) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

async function timed(body: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await body();
  return (performance.now() - start) / 1000;
}

/** Mean seconds per trial of a sweep, each worker's first trial (with its process start-up) left out. */
function steadySeconds(result: Sweep): number {
  const seen = new Set<string>();
  const later = result.trials.filter((trial) => {
    const first = !seen.has(trial.worker ?? '');
    seen.add(trial.worker ?? '');
    return !first;
  });
  return later.reduce((sum, trial) => sum + trial.seconds, 0) / later.length;
}

/** Seconds of the ceiling workload in `count` processes side by side (the slowest). */
async function sideBySide(count: number, checkpoints: boolean): Promise<number> {
  const seconds = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(__dirname, 'sweep-ceiling.js'), ...(checkpoints ? ['--checkpoints'] : [])], { stdio: ['ignore', 'pipe', 'ignore'] });
        let output = '';
        child.stdout!.on('data', (chunk) => (output += chunk));
        child.on('exit', (code) => (code === 0 ? resolve(Number(output.trim())) : reject(new Error(`sweep-ceiling.js exited with ${code}`))));
      }),
    ),
  );
  return Math.max(...seconds);
}

/**
 * Seconds for the same 10-trial sweep on 1 worker (this process) and on 2 worker processes,
 * interleaved: kept from the previous sweep (as in a notebook's second sweep on), and started cold
 * (the first sweep of a process: the kept ones ended first).
 */
async function throughput(root: string, repeats: number, trials: number, trial = 'throughputTrial'): Promise<{ one: number[]; two: number[]; cold: number[]; steady: number[] }> {
  const one: number[] = [];
  const two: number[] = [];
  const cold: number[] = [];
  const steady: number[] = [];
  // Workers kept from a sweep before the first measured one.
  await sweep({ k: [-1, -2] }, { module: MODULE, export: trial }, { dir: root, name: `${trial}-warm-up`, workers: 2, ...QUIET });
  for (let r = 0; r < repeats; r++) {
    // A fresh set of trials each time (another seed per trial), alternating which goes first.
    const space = (offset: number) => ({ k: Array.from({ length: trials }, (_, i) => offset + i + 1) });
    const results = new Map<number, Sweep>();
    const run = (workers: number, offset: number) =>
      timed(async () => results.set(workers, await sweep(space(offset), { module: MODULE, export: trial }, { dir: root, name: `${trial}-${workers}-${offset}`, workers, ...QUIET })));
    if (r % 2 === 0) {
      one.push(await run(1, 1000 * r));
      two.push(await run(2, 1000 * r + 500));
    } else {
      two.push(await run(2, 1000 * r + 500));
      one.push(await run(1, 1000 * r));
    }
    steady.push((2 * steadySeconds(results.get(1)!)) / steadySeconds(results.get(2)!));
    await closeIdleWorkers();
    cold.push(await run(2, 1000 * r + 700));
  }
  return { one, two, cold, steady };
}

/** ASHA against the full grid of `problem`, the trials in `orders` different orders. */
async function gridOf(root: string, problem: Problem): Promise<{ gridEpochs: number; gridBest: number }> {
  const grid = await sweep(problem.space, (params) => problem.trial(params as Record<string, number | string>, []), { dir: root, name: `grid-${problem.epochs}`, ...QUIET });
  return { gridBest: Math.min(...grid.trials.map((trial) => trial.value!)), gridEpochs: grid.trials.reduce((sum, trial) => sum + trial.values.length, 0) };
}

/** ASHA (`minEpochs`, η) on `problem`'s grid, the trials in `orders` orders: epochs until within 2 % of `gridBest`, and in all. */
async function ashaRuns(root: string, problem: Problem, asha: { minEpochs: number; reduction: number }, gridBest: number, orders: number): Promise<{ reached: (number | undefined)[]; spent: number[]; found: number[] }> {
  const reached: (number | undefined)[] = [];
  const found: number[] = [];
  const spent: number[] = [];
  for (let order = 0; order < orders; order++) {
    // The same configurations, enumerated in another order (each axis shuffled).
    const rng = new Rng(`bench.sweep.order:${order}`);
    const shuffled = Object.fromEntries(Object.entries(problem.space).map(([name, values]) => [name, order === 0 ? [...values] : rng.shuffle([...values])]));
    let epochs = 0;
    let within: number | undefined;
    const counter = {
      onEpochEnd(_epoch: number, logs: Record<string, number>) {
        epochs++;
        if (within === undefined && logs.val_loss <= gridBest * 1.02) within = epochs;
      },
    };
    const result = await sweep(shuffled, (params) => problem.trial(params as Record<string, number | string>, [counter]), {
      dir: root,
      name: `asha-${problem.epochs}-${asha.minEpochs}-${asha.reduction}-${order}`,
      pruner: { kind: 'asha', ...asha },
      ...QUIET,
    });
    reached.push(within);
    spent.push(epochs);
    found.push(result.best!.value! / gridBest);
  }
  return { reached, spent, found };
}

const section: BenchSection = {
  title: 'sweep(): trials per hour on 1 and 2 local workers; ASHA vs a grid on the tutorials’ problems',
  async run(): Promise<BenchRow[]> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-bench-sweep-'));
    const rows: BenchRow[] = [];
    try {
      const repeats = 3;
      const trials = 10;
      const { one, two, cold, steady } = await throughput(root, repeats, trials);
      const perHour = (seconds: number) => (trials / seconds) * 3600;
      const ratios = one.map((seconds, i) => seconds / two[i]);
      const coldRatios = one.map((seconds, i) => seconds / cold[i]);
      const sparse = await throughput(root, repeats, trials, 'sparseCheckpointTrial');
      const sparseRatios = sparse.one.map((seconds, i) => seconds / sparse.two[i]);
      const ceilings: number[] = [];
      const checkpointedCeilings: number[] = [];
      for (let r = 0; r < repeats; r++) {
        ceilings.push((2 * (await sideBySide(1, false))) / (await sideBySide(2, false)));
        checkpointedCeilings.push((2 * (await sideBySide(1, true))) / (await sideBySide(2, true)));
      }
      rows.push(
        { name: `${trials} trials (MLP 8-64-64-1, ${THROUGHPUT.rows} rows, ${THROUGHPUT.epochs} epochs), 1 worker (this process): trials/hour, median of ${repeats} (range ${range(one.map(perHour), 0)})`, value: median(one.map(perHour)), unit: 'trials/h' },
        { name: `  2 worker processes, kept from the previous sweep: trials/hour (range ${range(two.map(perHour), 0)})`, value: median(two.map(perHour)), unit: 'trials/h' },
        { name: `  speed-up 2 workers / 1 (range ${range(ratios)})`, value: median(ratios), unit: '×', goal: '≥ 1.8', met: median(ratios) >= 1.8 },
        { name: `  the first sweep of a process, its 2 workers started cold (Node, tf.js, the module, the engine's first epochs): speed-up (range ${range(coldRatios)})`, value: median(coldRatios), unit: '×' },
        { name: `  speed-up once running: each worker's first trial (process start-up) left out (range ${range(steady)})`, value: median(steady), unit: '×' },
        { name: `  this machine's ceiling: the same training in 2 processes side by side vs 1, no sweep, no checkpoints (range ${range(ceilings)})`, value: median(ceilings), unit: '×' },
        { name: `  the same with a checkpoint every epoch, as the trials write them (range ${range(checkpointedCeilings)})`, value: median(checkpointedCeilings), unit: '×' },
        { name: `  the same sweep, the trials checkpointing every 10th epoch: speed-up 2 workers / 1 (range ${range(sparseRatios)}; 1 worker ${range(sparse.one.map(perHour), 0)} trials/h)`, value: median(sparseRatios), unit: '×' },
      );
      for (const problem of [SINE, WAVES]) {
        const { gridEpochs, gridBest } = await gridOf(root, problem);
        rows.push({ name: `${problem.label}: the grid trains (best val_loss ${gridBest.toPrecision(3)})`, value: gridEpochs, unit: 'epochs' });
        for (const asha of [{ minEpochs: 1, reduction: 3 }, { minEpochs: 2, reduction: 2 }]) {
          const { reached, spent, found } = await ashaRuns(root, problem, asha, gridBest, 3);
          const shares = reached.map((epochs) => (epochs === undefined ? Infinity : epochs / gridEpochs));
          const missed = shares.filter((share) => !Number.isFinite(share)).length;
          const rungs = [asha.minEpochs, asha.minEpochs * asha.reduction, asha.minEpochs * asha.reduction ** 2].join('-');
          rows.push(
            {
              name: `  ASHA η ${asha.reduction}, rungs ${rungs}: epochs until within 2 % of the grid's best, share of the grid's, median of 3 orders (range ${range(shares)}${missed ? `; ${missed} of 3 never got there` : ''})`,
              value: median(shares),
              unit: '× grid',
              goal: '≤ 0.33',
              met: median(shares) <= 1 / 3,
            },
            { name: `    epochs in all, share of the grid's (range ${range(spent.map((epochs) => epochs / gridEpochs))})`, value: median(spent.map((epochs) => epochs / gridEpochs)), unit: '× grid' },
            { name: `    best val_loss found / the grid's best (range ${range(found)})`, value: median(found), unit: '×' },
          );
        }
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    return rows;
  },
};

export = section;
