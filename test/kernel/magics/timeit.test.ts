import assert from 'node:assert/strict';
import { autorange, TimeitResult } from '../../../kernel/magics/timeit';

describe('magics/timeit', () => {
  it('autorange(timeLoops) takes the first of 1, 10, 100, … loops that lasts at least 0.2 s', async () => {
    const asked: number[] = [];
    // 3 ms per loop: 100 loops take 0.3 s.
    const loops = await autorange(async (n) => {
      asked.push(n);
      return n * 0.003;
    });
    assert.equal(loops, 100);
    assert.deepEqual(asked, [1, 10, 100]);
  });

  it('autorange() stops at 10^9 loops for code too fast to measure', async () => {
    assert.equal(await autorange(async () => 0), 1e9);
  });

  it('new TimeitResult(loops, repeat, allRuns) reports mean ± population std. dev. per loop, as IPython prints it', () => {
    const result = new TimeitResult(100, 3, [0.1, 0.2, 0.3]);
    assert.deepEqual(result.timings, [0.001, 0.002, 0.003]);
    assert.ok(Math.abs(result.average - 0.002) < 1e-15);
    assert.ok(Math.abs(result.stdev - Math.sqrt(2 / 3) * 0.001) < 1e-15);
    assert.equal(result.toString(), '2 ms ± 816 µs per loop (mean ± std. dev. of 3 runs, 100 loops each)');
    assert.equal(new TimeitResult(1, 1, [2e-6]).toString(), '2 µs ± 0 ns per loop (mean ± std. dev. of 1 run, 1 loop each)');
    assert.equal(new TimeitResult(10000, 7, Array(7).fill(0.5)).toString(), '50 µs ± 0 ns per loop (mean ± std. dev. of 7 runs, 10,000 loops each)');
  });
});
