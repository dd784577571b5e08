/**
 * This machine's WebAssembly SIMD128 multiply-add peak on one thread: independent chains of
 * f32x4 mul + add (the fused engine's kernels have no FMA: standard SIMD128 only), in GFLOP/s
 * per wall second and per CPU-second (other processes on a shared machine stretch the first far
 * more than the second).
 */
import { instantiate, sharedMemory, type Kernels } from '../lib/engines/fused/kernels';

let kernels: Kernels | undefined;

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** Flops per iteration of the peak kernel: 6 chains × (mul + add) × 4 lanes. */
const FLOPS_PER_ITERATION = 48;

/** The peak over `repeats` runs of `iterations` iterations each (after a warm-up). */
export function simdPeak(repeats: number, iterations = 3e7): { wall: number[]; cpu: number[] } {
  kernels ??= instantiate(sharedMemory(1));
  kernels.peak(1e6, 1);
  const rates = { wall: [] as number[], cpu: [] as number[] };
  for (let r = 0; r < repeats; r++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    kernels.peak(iterations, 1);
    rates.wall.push((iterations * FLOPS_PER_ITERATION) / seconds(start) / 1e9);
    const used = process.cpuUsage(cpu);
    rates.cpu.push((iterations * FLOPS_PER_ITERATION) / ((used.user + used.system) / 1e6) / 1e9);
  }
  return rates;
}

/** `min–max` of values divided by `scale`, with `digits` decimals: how the bench quotes a range. */
export function range(values: readonly number[], scale = 1, digits = 1): string {
  return `${(Math.min(...values) / scale).toFixed(digits)}–${(Math.max(...values) / scale).toFixed(digits)}`;
}
