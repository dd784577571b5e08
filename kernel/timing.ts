/**
 * Timing logs for profiling the kernel: with `CELLFIT_TIMING=1` in its environment, the kernel
 * writes how long each phase of start-up and of every cell took to its log (stderr), e.g.
 * `[cellfit kernel] timing: program 3 files parsed (612 ms), built in 655 ms`. Off, they cost a
 * boolean test. `npm run bench -- kernel` and the README's kernel paragraph quote what they show.
 */
import { performance } from 'node:perf_hooks';
import { kernelLog } from './output';

const enabled = process.env.CELLFIT_TIMING === '1';

/** Whether timing logs are on. */
export function timingEnabled(): boolean {
  return enabled;
}

/**
 * Logs `what` took since `startedAt` (a `performance.now()` reading), when timing logs are on.
 *
 * @example
 * const start = performance.now();
 * compile(cell);
 * logTiming('compile', start);
 */
export function logTiming(what: string, startedAt: number): void {
  if (!enabled) return;
  kernelLog(`timing: ${what} ${(performance.now() - startedAt).toFixed(1)} ms (at ${performance.now().toFixed(0)} ms since process start)`);
}
