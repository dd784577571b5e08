/**
 * `%timeit [-n N] [-r R] [-q] [-o] CODE` / `%%timeit`: IPython's timeit. Without `-n`, the loop
 * count is auto-ranged (1, 10, 100, … until one repeat takes at least 0.2 s); then `R` repeats
 * (default 7) of that many loops, reported as "mean ± std. dev. per loop".
 */
import { JUPYTER_DISPLAY } from '../../lib/session';
import { positiveInteger, takeOptions } from './args';
import { formatTime } from './format';
import { usageError } from './registry';
import type { Magic } from './types';

/** What %timeit measured (returned with `-o`). */
export class TimeitResult {
  /** Seconds per loop of each repeat. */
  readonly timings: readonly number[];
  /** Mean seconds per loop. */
  readonly average: number;
  /** Population standard deviation of `timings`, as IPython computes it. */
  readonly stdev: number;
  readonly best: number;
  readonly worst: number;

  constructor(
    readonly loops: number,
    readonly repeat: number,
    /** Seconds of each repeat (all its loops). */
    readonly allRuns: readonly number[],
  ) {
    this.timings = allRuns.map((t) => t / loops);
    this.average = exactSum(this.timings) / this.timings.length;
    const deviation = Math.sqrt(exactSum(this.timings.map((t) => (t - this.average) ** 2)) / this.timings.length);
    // Equal timings can leave a rounding residue that would print as "1e-12 ns".
    this.stdev = deviation <= Math.abs(this.average) * 1e-12 ? 0 : deviation;
    this.best = Math.min(...this.timings);
    this.worst = Math.max(...this.timings);
  }

  /** `1.23 ms ± 45.6 µs per loop (mean ± std. dev. of 7 runs, 100 loops each)`. */
  toString(): string {
    const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
    return `${formatTime(this.average)} ± ${formatTime(this.stdev)} per loop (mean ± std. dev. of ${plural(this.repeat, 'run')}, ${plural(this.loops, 'loop')} each)`;
  }

  [JUPYTER_DISPLAY]() {
    return { 'text/plain': `<TimeitResult : ${this.toString()}>` };
  }
}

/** A sum with Neumaier's compensation, like Python's math.fsum that IPython uses. */
function exactSum(values: readonly number[]): number {
  let sum = 0;
  let compensation = 0;
  for (const value of values) {
    const next = sum + value;
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
    sum = next;
  }
  return sum + compensation;
}

/**
 * IPython's auto-ranging: the first of 1, 10, 100, … loops whose total time reaches `minSeconds`.
 *
 * @param timeLoops Times `loops` calls and returns the seconds they took.
 */
export async function autorange(timeLoops: (loops: number) => Promise<number>, minSeconds = 0.2): Promise<number> {
  let loops = 1;
  for (let index = 0; index < 10; index++) {
    loops = 10 ** index;
    if ((await timeLoops(loops)) >= minSeconds) break;
  }
  return loops;
}

export const timeit: Magic = {
  name: 'timeit',
  kind: 'both',
  usage: '%timeit [-n N] [-r R] [-q] [-o] CODE  |  %%timeit [-n N] [-r R] [-q] [-o]',
  summary: 'Times code over many loops (auto-ranged) and prints the mean ± std. dev. per loop.',
  async run(context) {
    const prefix = context.kind === 'cell' ? '%%' : '%';
    const { options, rest } = takeOptions(timeit, context.args, { flags: ['-q', '-o'], values: ['-n', '-r'] });
    const number = positiveInteger(timeit, '-n', options.get('-n'), context.args);
    const repeat = positiveInteger(timeit, '-r', options.get('-r'), context.args) ?? 7;
    if (context.kind === 'cell' && rest !== '') usageError(timeit, 'takes only options on the %%timeit line (the code goes below it)', context.args, prefix);
    const code = context.kind === 'cell' ? context.body : rest;
    if (code.trim() === '') usageError(timeit, 'expected code to time', context.args, prefix);

    const fn = await context.compileFunction(code, { lineOffset: context.kind === 'cell' ? context.line : context.line });
    const { clock, signal } = context;
    const timeLoops = async (loops: number): Promise<number> => {
      const start = clock.now();
      let result = fn();
      if (result instanceof Promise) {
        // Asynchronous code: await every call (and stop at an interrupt between calls).
        await result;
        for (let i = 1; i < loops && !signal.aborted; i++) await fn();
      } else {
        context.interruptible(() => {
          for (let i = 1; i < loops; i++) result = fn();
        });
      }
      if (signal.aborted) throw new Error('%timeit: interrupted');
      return (clock.now() - start) / 1e3;
    };
    const loops = number ?? (await autorange(timeLoops));
    const allRuns: number[] = [];
    for (let r = 0; r < repeat; r++) allRuns.push(await timeLoops(loops));
    const result = new TimeitResult(loops, repeat, allRuns);
    if (options.get('-q') !== true) {
      if (result.worst > 4 * result.best && result.best > 0 && result.worst > 1e-6) {
        context.print(
          `The slowest run took ${(result.worst / result.best).toFixed(2)} times longer than the fastest. This could mean that an intermediate result is being cached.`,
        );
      }
      context.print(result.toString());
    }
    return options.get('-o') === true ? result : undefined;
  },
};
