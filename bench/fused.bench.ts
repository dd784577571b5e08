/**
 * The fused engine's core (FusedNetwork, without train()'s loop around it): this machine's wasm
 * SIMD128 multiply-add peak, then steps/s, samples/s and GFLOP/s for the MLPs of issue 9 (Adam,
 * MSE, ReLU, resident data gathered by a shuffled index list) on 1 and 2 threads, interleaved,
 * as ranges over the repeats (the machine is shared; the best repeat is the steadiest figure).
 * Goals are the issue's targets against PyTorch CPU on this machine (~700k samples/s at
 * 2-64-64-1 bs 256, ~122k at bs 32, ~31k ≈ 49 GFLOP/s at 2-512-512-1 bs 256).
 */
import { FusedNetwork } from '../lib/engines/fused/network';
import { instantiate, sharedMemory } from '../lib/engines/fused/kernels';
import type { BenchRow, BenchSection } from './report';

interface Mlp {
  readonly label: string;
  readonly hidden: readonly number[];
  readonly batchSize: number;
  readonly rows: number;
  /** Samples/s goal on one thread. */
  readonly goal: number;
  readonly goalText: string;
}

const MLPS: readonly Mlp[] = [
  { label: '2-64-64-1, batch 256', hidden: [64, 64], batchSize: 256, rows: 65536, goal: 700e3, goalText: '≥ 700k (1.0× PyTorch)' },
  { label: '2-64-64-1, batch 32', hidden: [64, 64], batchSize: 32, rows: 32768, goal: 366e3, goalText: '≥ 366k (3× PyTorch)' },
  { label: '2-512-512-1, batch 256', hidden: [512, 512], batchSize: 256, rows: 4096, goal: 15.5e3, goalText: '≥ 15.5k (0.5× PyTorch)' },
];

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** Multiply-adds per sample of a dense chain. */
function macs(mlp: Mlp): number {
  const widths = [2, ...mlp.hidden, 1];
  let total = 0;
  for (let i = 1; i < widths.length; i++) total += widths[i - 1] * widths[i];
  return total;
}

/** GFLOP/s of the SIMD128 multiply-add peak: best of `repeats` runs of 6 mul + 6 add chains. */
function peak(repeats: number): number[] {
  const kernels = instantiate(sharedMemory(1));
  const iterations = 5e7;
  kernels.peak(1e6, 1);
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint();
    kernels.peak(iterations, 1);
    rates.push((iterations * 48) / seconds(start) / 1e9);
  }
  return rates;
}

function network(mlp: Mlp, threads: number): FusedNetwork {
  const layers = [...mlp.hidden.map((units) => ({ type: 'dense' as const, units, activation: 'relu' as const })), { type: 'dense' as const, units: 1 }];
  const net = new FusedNetwork({ inputs: 2, layers, loss: 'meanSquaredError', optimizer: { className: 'Adam', config: { learningRate: 1e-3 } }, threads });
  let seed = 1;
  const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
  net.setWeights(net.weights.map((w) => Float32Array.from({ length: w.size }, next)));
  const xs = Float32Array.from({ length: mlp.rows * 2 }, () => next() * 10);
  const ys = Float32Array.from({ length: mlp.rows }, (_, i) => Math.sin(xs[2 * i]) + xs[2 * i + 1]);
  net.setData(xs, ys);
  return net;
}

/** Samples/s of one epoch (a shuffled order, resident data), per repeat, interleaving the networks. */
function epochs(mlp: Mlp, nets: readonly FusedNetwork[], repeats: number): number[][] {
  const order = Uint32Array.from({ length: mlp.rows }, (_, i) => (i * 40503) % mlp.rows);
  const out = new Float32Array(Math.ceil(mlp.rows / mlp.batchSize));
  for (const net of nets) net.train({ rows: order, batchSize: mlp.batchSize, out });
  const rates = nets.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    nets.forEach((net, i) => {
      const start = process.hrtime.bigint();
      net.train({ rows: order, batchSize: mlp.batchSize, out });
      rates[i].push(mlp.rows / seconds(start));
    });
  }
  return rates;
}

/** Forward passes only: a streamed input space (chunks of 2^20 rows), as space.evaluate() would run it. */
function predictRows(mlp: Mlp, nets: readonly FusedNetwork[]): BenchRow[] {
  const chunk = 1 << 20;
  const xs = Float32Array.from({ length: chunk * 2 }, (_, i) => (i % 1000) / 100);
  const out = new Float32Array(chunk);
  for (const net of nets) net.predict(xs, out);
  const rates = nets.map(() => [] as number[]);
  for (let r = 0; r < 5; r++) {
    nets.forEach((net, i) => {
      const start = process.hrtime.bigint();
      net.predict(xs, out);
      rates[i].push(chunk / seconds(start));
    });
  }
  const flops = 2 * macs(mlp);
  return nets.map((net, i) => ({
    name: `predict ${mlp.label.split(',')[0]}, ${net.threads} thread${net.threads > 1 ? 's' : ''} (range ${range(rates[i], 1e6, 2)}M rows/s)`,
    value: Math.max(...rates[i]) / 1e6,
    unit: `M rows/s · ${((Math.max(...rates[i]) * flops) / 1e9).toFixed(1)} GFLOP/s · 1e8 rows in ${(1e8 / Math.max(...rates[i])).toFixed(0)} s`,
  }));
}

const range = (values: readonly number[], scale: number, digits: number) => `${(Math.min(...values) / scale).toFixed(digits)}–${(Math.max(...values) / scale).toFixed(digits)}`;

const section: BenchSection = {
  title: 'fused engine core (FusedNetwork): SIMD128 peak, MLP training on 1 and 2 threads',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const peaks = peak(7);
    const best = Math.max(...peaks);
    rows.push({ name: `wasm SIMD128 mul+add peak, 1 thread (range ${range(peaks, 1, 1)})`, value: best, unit: 'GFLOP/s' });
    for (const mlp of MLPS) {
      const nets = [network(mlp, 1), network(mlp, 2)];
      const [one, two] = epochs(mlp, nets, mlp.hidden[0] > 100 ? 5 : 9);
      const flops = 6 * macs(mlp);
      const bestOne = Math.max(...one);
      const bestTwo = Math.max(...two);
      rows.push(
        { name: `${mlp.label}, 1 thread (range ${range(one, 1e3, 1)}k samples/s)`, value: bestOne / 1e3, unit: 'k samples/s', goal: mlp.goalText, met: bestOne >= mlp.goal },
        { name: `  steps/s · GFLOP/s · share of the measured peak`, value: bestOne / mlp.batchSize, unit: `steps/s · ${((bestOne * flops) / 1e9).toFixed(1)} GFLOP/s · ${(((bestOne * flops) / 1e9 / best) * 100).toFixed(0)}%` },
        { name: `${mlp.label}, 2 threads (range ${range(two, 1e3, 1)}k samples/s; threads used when they pay)`, value: bestTwo / 1e3, unit: `k samples/s · ${((bestTwo * flops) / 1e9).toFixed(1)} GFLOP/s` },
      );
      if (mlp.batchSize === 32) rows.push(...predictRows(mlp, nets));
      for (const net of nets) net.dispose();
    }
    return rows;
  },
};

export = section;
