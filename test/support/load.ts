/**
 * How loaded the machine is, for the few tests that check a latency a person notices (■ stops a
 * cell within 2 s, no browser task over 1.5 s): they scale their limit by {@link slowdown}, so that
 * they check the same thing on an idle machine and do not fail only because other work shares
 * the cores.
 */
import { performance } from 'node:perf_hooks';

/**
 * How many times longer CPU-bound work takes here now than on an idle core: the wall time of a
 * short busy loop over the CPU time it got (1 when a core is free; about 10 at a load of 20 on 2
 * cores). At least 1.
 *
 * @example
 * assert.ok(took < 2000 * slowdown(), `stopped within 2 s of an idle machine: ${took} ms`);
 */
export function slowdown(probeMs = 200): number {
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < probeMs) {
    // spin: the CPU time this loop gets over its wall time is the share a busy process gets
  }
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return Math.max(1, wall / Math.max(1, (used.user + used.system) / 1000));
}

/**
 * Averages {@link slowdown} over samples taken while something runs (`sample()` between polls), for
 * a limit that applies to the whole of it.
 *
 * @example
 * const load = new LoadSamples();
 * while (await busy(page)) load.sample();
 * assert.ok(longest < 1500 * load.factor());
 */
export class LoadSamples {
  private wall = 0;
  private cpu = 0;

  /** Spins for `probeMs` and records the CPU time it got. */
  sample(probeMs = 20): void {
    const start = performance.now();
    const cpu = process.cpuUsage();
    while (performance.now() - start < probeMs) {
      // spin (see slowdown())
    }
    this.wall += performance.now() - start;
    const used = process.cpuUsage(cpu);
    this.cpu += (used.user + used.system) / 1000;
  }

  /** Wall time over CPU time of the samples so far (at least 1; 1 before any). */
  factor(): number {
    return this.wall === 0 ? 1 : Math.max(1, this.wall / Math.max(1, this.cpu));
  }
}
