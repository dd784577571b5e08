/**
 * How fast the kernel answers, measured as a frontend sees it: bench/kernel-latency.py drives each
 * kernel with jupyter_client (Debian's) and times every execute_request to its `idle` status.
 * cellfit, tslab (its base), ipykernel and, when a `deno` is found, Deno's kernel run the same
 * cells one after the other in one bench run, so the figures compare under the same load:
 *
 * - start-up: process start to the first kernel_info_reply, and to the first cell's result;
 * - `let a = 1 + 1; a`, a cell using tf.js types, and a cell defining a new function (p50 of 10);
 * - a 200-cell notebook whose cells declare consts and functions later cells use (p50 and p95).
 *
 * cellfit runs with CELLFIT_TIMING=1, and its timing log says where start-up and a cell's time go
 * (the "where" rows, means over the run): loading TypeScript, building the first program (parsing
 * the lib's and Node's declarations) and checking an empty cell; then per cell the type check and
 * compile, running, the display of the value; the rest of the round trip is the protocol — the hop
 * to the socket thread and ZeroMQ both ways, and the client. TypeScript's module is compiled from
 * the code cache any earlier cellfit kernel wrote (kernel/code-cache.ts), as for a user's kernel.
 * Deno: `npm i deno` in a folder outside the repository and set CELLFIT_BENCH_DENO to its binary
 * (or have `deno` on PATH). Measured without type checking: Deno's kernel only transpiles.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchRow, BenchSection } from './report';

const REPO = path.resolve(__dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const REPEAT = 10;
const NOTEBOOK_CELLS = 200;

interface KernelSpec {
  readonly name: string;
  readonly argv: readonly string[];
  readonly language: 'typescript' | 'python';
  /** Whether the kernel can import the repository's tf.js (Deno would fetch it from npm). */
  readonly tfjs: boolean;
  readonly env?: Record<string, string>;
}

interface Measured {
  readonly startup_info_ms: number;
  readonly startup_first_cell_ms: number;
  readonly cells: Record<string, number[]>;
  /** Where the kernel failed or stopped answering, if it did. */
  readonly failed?: string;
}

function denoBinary(): string | undefined {
  const candidates = [process.env.CELLFIT_BENCH_DENO, ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'deno'))];
  return candidates.find((file): file is string => file !== undefined && file !== '' && fs.existsSync(file));
}

function kernels(): KernelSpec[] {
  const node = process.execPath;
  const list: KernelSpec[] = [
    { name: 'cellfit', argv: [node, path.join(REPO, 'dist', 'kernel', 'cli.js'), 'kernel', '--connection-file', '{connection_file}'], language: 'typescript', tfjs: true, env: { CELLFIT_TIMING: '1' } },
    { name: 'tslab', argv: [node, path.join(REPO, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'], language: 'typescript', tfjs: true },
    { name: 'ipykernel', argv: [PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'], language: 'python', tfjs: false },
  ];
  const deno = denoBinary();
  if (deno) list.push({ name: 'Deno', argv: [deno, 'jupyter', '--kernel', '--conn', '{connection_file}'], language: 'typescript', tfjs: false });
  return list;
}

/** The cells each kernel runs, in its language. */
function cellsFor(kernel: KernelSpec): { first: string; setup: string[]; cells: Record<string, string[]>; notebook: string[] } {
  const times = (n: number, cell: (i: number) => string) => Array.from({ length: n }, (_, i) => cell(i + 1));
  if (kernel.language === 'python') {
    return {
      first: 'a = 1 + 1\na',
      setup: [],
      cells: { simple: times(REPEAT, () => 'a = 1 + 1\na'), function: times(REPEAT, (i) => `def f${i}(x):\n    return x * x\nf${i}(3)`) },
      notebook: times(NOTEBOOK_CELLS, (i) => `c${i} = ${i > 1 ? `c${i - 1} + 1` : '1'}\ndef g${i}(x):\n    return x + c${i}\ng${i}(${i > 1 ? `g${i - 1}(0)` : '0'})`),
    };
  }
  return {
    first: 'let a = 1 + 1; a',
    setup: kernel.tfjs ? ["import * as tf from '@tensorflow/tfjs';"] : [],
    cells: {
      simple: times(REPEAT, () => 'let a = 1 + 1; a'),
      ...(kernel.tfjs ? { tfjs: times(REPEAT, () => 'const t: tf.Tensor = tf.ones([2, 2]); t.shape') } : {}),
      function: times(REPEAT, (i) => `function f${i}(x: number): number { return x * x; }\nf${i}(3)`),
    },
    notebook: times(NOTEBOOK_CELLS, (i) => `const c${i} = ${i > 1 ? `c${i - 1} + 1` : '1'};\nfunction g${i}(x: number): number { return x + c${i}; }\ng${i}(${i > 1 ? `g${i - 1}(0)` : '0'})`),
  };
}

function measure(kernel: KernelSpec): { measured: Measured; log: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-bench-kernel-'));
  try {
    const specFile = path.join(dir, 'spec.json');
    // A notebook folder of its own (not the repository, whose dev @types every check would
    // include), with the repository's tf.js in its node_modules so that tslab resolves it too.
    const cwd = path.join(dir, 'notebook');
    fs.mkdirSync(path.join(cwd, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(REPO, 'node_modules', '@tensorflow'), path.join(cwd, 'node_modules', '@tensorflow'), 'dir');
    fs.writeFileSync(specFile, JSON.stringify({ argv: kernel.argv, cwd, env: kernel.env ?? {}, ...cellsFor(kernel) }));
    const run = spawnSync(PYTHON, [path.join(REPO, 'bench', 'kernel-latency.py'), specFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 });
    if (run.status !== 0) throw new Error(`kernel bench: ${kernel.name} failed (exit ${run.status}): ${run.stderr.slice(-2000)}`);
    return { measured: JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Measured, log: run.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The `q` quantile (0–1) of `values`, nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Mean milliseconds of each phase in cellfit's timing log (CELLFIT_TIMING=1), per occurrence. */
function phases(log: string): Map<string, { mean: number; count: number }> {
  const sums = new Map<string, { total: number; count: number }>();
  for (const match of log.matchAll(/timing: (.+?) ([\d.]+) ms \(at/g)) {
    // "program of 170 files (0 parsed in 0.0 ms) built in" → one phase whatever the counts.
    const phase = match[1].replace(/\d+/g, 'N').replace(/N\.N/g, 'N');
    const entry = sums.get(phase) ?? { total: 0, count: 0 };
    entry.total += Number(match[2]);
    entry.count++;
    sums.set(phase, entry);
  }
  return new Map([...sums].map(([phase, { total, count }]) => [phase, { mean: total / count, count }]));
}

const section: BenchSection = {
  title: `Kernel round trips (jupyter_client, execute_request to idle): p50 of ${REPEAT} runs per cell, p50/p95 over a ${NOTEBOOK_CELLS}-cell notebook`,
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const p50s = new Map<string, Map<string, number>>();
    for (const kernel of kernels()) {
      const { measured, log } = measure(kernel);
      const ours = kernel.name === 'cellfit';
      const row = (name: string, value: number, goal?: number) =>
        rows.push({ name: `${kernel.name}: ${name}`, value, unit: 'ms', ...(ours && goal !== undefined ? { goal: `≤ ${goal}`, met: value <= goal } : {}) });
      row('start-up to kernel_info_reply', measured.startup_info_ms, 1200);
      row("start-up to the first cell's result", measured.startup_first_cell_ms, 1200);
      const medians = new Map<string, number>();
      for (const [name, times] of Object.entries(measured.cells)) {
        if (name === 'notebook' || times.length < REPEAT) continue;
        medians.set(name, quantile(times, 0.5));
        row(`${name} cell, p50`, quantile(times, 0.5), 20);
      }
      if (measured.failed) console.log(`  ${kernel.name} failed at ${measured.failed}`);
      const notebook = measured.cells.notebook ?? [];
      if (notebook.length === NOTEBOOK_CELLS) {
        row(`${NOTEBOOK_CELLS}-cell notebook, p50`, quantile(notebook, 0.5));
        row(`${NOTEBOOK_CELLS}-cell notebook, p95`, quantile(notebook, 0.95), 40);
        medians.set('notebook', quantile(notebook, 0.5));
      }
      p50s.set(kernel.name, medians);
      if (ours) {
        const timed = phases(log);
        for (const [phase, { mean, count }] of timed) rows.push({ name: `cellfit, where: ${phase} (mean of ${count})`, value: mean, unit: 'ms' });
        // The same cells on both sides: the first cell and the setup (the tf.js import) are not timed round trips.
        const all = Object.values(measured.cells).flat();
        const busy = [...log.matchAll(/timing: execute_request, busy to reply ([\d.]+) ms/g)].map((match) => Number(match[1])).slice(1 + cellsFor(kernel).setup.length);
        if (busy.length === all.length && all.length > 0) {
          const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
          rows.push({ name: 'cellfit, where: protocol, socket thread and client (mean round trip − mean busy to reply)', value: mean(all) - mean(busy), unit: 'ms' });
        }
      }
    }
    const cellfit = p50s.get('cellfit');
    const tslab = p50s.get('tslab');
    if (cellfit && tslab) {
      for (const [name, value] of cellfit) {
        const base = tslab.get(name);
        if (base !== undefined) rows.push({ name: `cellfit / tslab, ${name} p50`, value: value / base, unit: '×', goal: '≤ 1', met: value <= base });
      }
    }
    return rows;
  },
};

export = section;
