/**
 * sweep() at ASHA's own scale: the sweep's own cost per trial — proposals, pruning decisions, the
 * record — at 100, 1,000 and 10,000 trials, for every sampler × pruner, in this process and through
 * a Redis queue served by 3 `cellfit worker` processes. The trials train nothing: each reports 20
 * epochs through `context.report` (bench/sweep-scale-trial.ts). Each size runs `SWEEP_SCALE_REPEATS`
 * times (default 2); ranges are printed, since this machine is shared.
 *
 * Environment: `SWEEP_SCALE_N=100,1000,10000` (the sizes), `SWEEP_SCALE_QUEUE_N` (the queue's sizes,
 * default the same), `SWEEP_SCALE_BUDGET=300` (seconds: a size whose run is projected to take longer
 * — from the previous sizes' cost per trial and how it grew between them, as N² before two sizes
 * were measured — is skipped and says so),
 * `SWEEP_SCALE_ONLY=random+asha,tpe+none` (some combinations only), `SWEEP_SCALE_QUEUE=0` (skip the queue),
 * `SWEEP_SCALE_LOCAL=0` (skip the one-process runs). Each size's ms per trial is the whole call's
 * over its trials, and beside it apart: the steady cost per trial (first trial's start to last
 * trial's end) and the fixed milliseconds outside that (writing the record and queueing before the
 * first trial; noticing the end, writing and loading the result after the last), which weigh on 100
 * trials ten times what they weigh on 1,000. Each measured size also prints the CPU this
 * process (the sweep, or the notebook following a queued one) and each worker spent a trial, and
 * the load average.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sweep } from '../lib';
import { readRecord, recordFile } from '../lib/sweep/record';
import { startRedis, type RedisServer } from '../test/support/redis';
import type { BenchRow, BenchSection } from './report';
import { reportOnly, SCALE_SPACE } from './sweep-scale-trial';

const QUIET = { plot: false, progress: false } as const;
const MODULE = path.join(__dirname, 'sweep-scale-trial.js');
const CLI = path.join(__dirname, '..', 'kernel', 'cli.js');
const SAMPLERS = ['grid', 'random', 'tpe'] as const;
const PRUNERS = ['none', 'median', 'asha'] as const;
const GOAL_MS = 2;

const sizes = (text: string | undefined, fallback: number[]) => (text ? text.split(',').map(Number) : fallback);

/** One measured size: ms per trial over the repeats, and the record's bytes on disk. */
interface Measure {
  readonly trials: number;
  readonly ms: number[];
  /**
   * Milliseconds of each repeat that are no trial's: from the call to the first trial's start (the
   * record written, jobs queued, workers woken) and from the last trial's end to the call's return
   * (the end noticed, the record written, the result loaded) — fixed, however many trials.
   */
  readonly fixedMs: number[];
  /** Milliseconds per trial between the first trial's start and the last one's end. */
  readonly steadyMs: number[];
  readonly bytes: number;
  /** Milliseconds readRecord() took to load the record back (document and journal). */
  readonly loadMs: number[];
  readonly skipped?: string;
}

/** Bytes of a sweep's record files (the document and, while one exists, its journal). */
function recordBytes(dir: string, name: string): number {
  const folder = path.join(dir, 'sweeps');
  return fs
    .readdirSync(folder)
    .filter((file) => file === `${name}.json` || file.startsWith(`${name}.journal`))
    .reduce((sum, file) => sum + fs.statSync(path.join(folder, file)).size, 0);
}

/** CPU milliseconds process `child` has used (Linux: /proc; 0 elsewhere). */
function cpuMs(child: ChildProcess): number {
  try {
    const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** Runs one sampler × pruner at every size, skipping sizes projected beyond the budget. */
async function measure(label: string, ns: readonly number[], repeats: number, budgetSeconds: number, once: (trials: number, name: string, dir: string) => Promise<void>, workers: readonly ChildProcess[] = []): Promise<Measure[]> {
  const measures: Measure[] = [];
  let previous: Measure | undefined;
  /** The size measured before `previous`, for how the cost grew. */
  let before: Measure | undefined;
  for (const trials of ns) {
    if (previous) {
      // The cost per trial (the best repeat: the first may load the queue's modules) grows as N^k, k
      // measured between the last two measured sizes (between 0 and 1; 1, as N², before two were).
      const cost = (m: Measure) => Math.min(...m.ms);
      const k = before ? Math.min(1, Math.max(0, Math.log(cost(previous) / cost(before)) / Math.log(previous.trials / before.trials))) : 1;
      const projected = (cost(previous) * trials * (trials / previous.trials) ** k) / 1000;
      if (projected > budgetSeconds) {
        measures.push({ trials, ms: [], fixedMs: [], steadyMs: [], bytes: 0, loadMs: [], skipped: `projected ${projected.toFixed(0)} s` });
        continue;
      }
    }
    const ms: number[] = [];
    const fixedMs: number[] = [];
    const steadyMs: number[] = [];
    const loadMs: number[] = [];
    const cpuLines: string[] = [];
    let bytes = 0;
    for (let r = 0; r < repeats; r++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-bench-scale-'));
      const name = `${label.replace(/\W+/g, '-')}-${trials}-${r}`;
      try {
        const start = performance.now();
        const startedAt = Date.now();
        const cpu = process.cpuUsage();
        const workerCpu = workers.map(cpuMs);
        await once(trials, name, dir);
        const elapsed = performance.now() - start;
        const endedAt = Date.now();
        ms.push(elapsed / trials);
        const own = process.cpuUsage(cpu);
        cpuLines.push(`this process ${((own.user + own.system) / 1000 / trials).toFixed(2)}${workers.length ? `, workers ${workers.map((child, i) => ((cpuMs(child) - workerCpu[i]) / trials).toFixed(2)).join(' + ')}` : ''} ms of CPU a trial`);
        bytes = recordBytes(dir, name);
        const loading = performance.now();
        const record = readRecord(recordFile(dir, name), 'bench');
        loadMs.push(performance.now() - loading);
        if (record && !('legacy' in record)) {
          const all = record.trials;
          const times = (pick: (trial: (typeof all)[number]) => string | undefined) => all.map((trial) => Date.parse(pick(trial) ?? '')).filter(Number.isFinite);
          const fixed = Math.max(0, Math.min(...times((trial) => trial.started)) - startedAt) + Math.max(0, endedAt - Math.max(...times((trial) => trial.ended)));
          fixedMs.push(fixed);
          steadyMs.push((elapsed - fixed) / trials);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    before = previous;
    previous = { trials, ms, fixedMs, steadyMs, bytes, loadMs };
    measures.push(previous);
    process.stderr.write(`  sweep-scale: ${label} × ${trials}: ${ms.map((v) => v.toFixed(2)).join(', ')} ms/trial (steady ${steadyMs.map((v) => v.toFixed(2)).join(', ')} + fixed ${fixedMs.map((v) => v.toFixed(0)).join(', ')} ms), ${(bytes / 1024).toFixed(0)} KB (${cpuLines.join('; ')}; load ${os.loadavg()[0].toFixed(1)})\n`);
  }
  return measures;
}

/** The row of one combination: every size side by side. */
function row(label: string, measures: readonly Measure[]): BenchRow {
  const range = (values: readonly number[], digits: number) => (values.length ? `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}` : '?');
  const cells = measures.map((m) =>
    m.skipped
      ? `${m.trials}: skipped (${m.skipped})`
      : `${m.trials}: ${range(m.ms, 2)} ms (steady ${range(m.steadyMs, 2)} ms + ${range(m.fixedMs, 0)} ms fixed), ${formatBytes(m.bytes)} loaded in ${Math.max(...m.loadMs).toFixed(0)} ms`,
  );
  const worst = Math.max(...measures.filter((m) => !m.skipped).map((m) => Math.max(...m.ms)));
  const met = measures.every((m) => !m.skipped) && worst <= GOAL_MS;
  return { name: `${label}: ${cells.join(' | ')}`, value: worst, unit: 'ms/trial (worst)', goal: `≤ ${GOAL_MS}`, met };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}

const combinations = () => {
  const only = process.env.SWEEP_SCALE_ONLY?.split(',');
  return SAMPLERS.flatMap((sampler) => PRUNERS.map((pruner) => ({ sampler, pruner }))).filter(({ sampler, pruner }) => !only || only.includes(`${sampler}+${pruner}`));
};

/** Starts `count` workers on `url` and waits until each says it serves the queue. */
async function startWorkers(count: number, url: string): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ChildProcess>((resolve, reject) => {
          const child = spawn(process.execPath, [CLI, 'worker', '--queue', url], { stdio: ['ignore', 'ignore', 'pipe'] });
          // Only the start is kept (searched for the line that says it serves): the worker writes two
          // lines a trial, and searching all of them at every chunk cost this process O(N²).
          let output = '';
          const onData = (chunk: Buffer) => {
            output += chunk;
            if (output.includes(' serves ')) {
              child.stderr!.off('data', onData);
              child.stderr!.resume();
              resolve(child);
            }
          };
          child.stderr!.on('data', onData);
          child.once('exit', (code) => reject(new Error(`cellfit worker exited with ${code}:\n${output}`)));
        }),
    ),
  );
}

const section: BenchSection = {
  title: 'sweep() at scale: scheduling cost per trial (trials that only report 20 epochs) and record size, at each number of trials',
  async run(): Promise<BenchRow[]> {
    const ns = sizes(process.env.SWEEP_SCALE_N, [100, 1000, 10000]);
    const queueNs = sizes(process.env.SWEEP_SCALE_QUEUE_N, ns);
    const repeats = Number(process.env.SWEEP_SCALE_REPEATS ?? 2);
    const budget = Number(process.env.SWEEP_SCALE_BUDGET ?? 300);
    const rows: BenchRow[] = [];
    // One small untimed sweep of each kind first: the figures are the sweep's steady cost, not the JIT's first pass.
    for (const { sampler, pruner } of combinations()) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-bench-scale-'));
      await sweep(SCALE_SPACE, reportOnly as never, { name: 'warm-up', dir, sampler, pruner, trials: 30, seed: 2, ...QUIET });
      fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const { sampler, pruner } of process.env.SWEEP_SCALE_LOCAL === '0' ? [] : combinations()) {
      const label = `${sampler} + ${pruner}, one process`;
      const measures = await measure(label, ns, repeats, budget, async (trials, name, dir) => {
        await sweep(SCALE_SPACE, reportOnly as never, { name, dir, sampler, pruner, trials, seed: 1, ...QUIET });
      });
      rows.push(row(label, measures));
    }
    if (process.env.SWEEP_SCALE_QUEUE === '0') return rows;
    let redis: RedisServer | undefined;
    let workers: ChildProcess[] = [];
    try {
      redis = await startRedis();
      workers = await startWorkers(3, redis.url);
      // One small untimed queued sweep of each kind first: the figures leave out loading the queue's
      // modules and the workers' JIT's first pass (which, done in the first combination measured, made it look slower).
      for (const { sampler, pruner } of combinations()) {
        const warm = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-bench-scale-'));
        await sweep(SCALE_SPACE, { module: MODULE, export: 'reportOnly' }, { name: `warm-up-${sampler}-${pruner}`, dir: warm, sampler, pruner, trials: 60, seed: 2, queue: redis.url, ...QUIET });
        fs.rmSync(warm, { recursive: true, force: true });
      }
      for (const { sampler, pruner } of combinations()) {
        const label = `${sampler} + ${pruner}, Redis queue, 3 workers`;
        const measures = await measure(label, queueNs, repeats, budget, async (trials, name, dir) => {
          await sweep(SCALE_SPACE, { module: MODULE, export: 'reportOnly' }, { name, dir, sampler, pruner, trials, seed: 1, queue: redis!.url, ...QUIET });
        }, workers);
        rows.push(row(label, measures));
      }
    } finally {
      for (const child of workers) child.kill('SIGTERM');
      await Promise.all(workers.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
      await redis?.stop();
    }
    return rows;
  },
};

export = section;
