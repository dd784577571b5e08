/**
 * The engine's own elementary functions: accurate to a few ulp against double precision (over
 * many points, specials included), and bit-identical to the scalar reference's.
 */
import assert from 'node:assert/strict';
import { instantiate, sharedMemory } from '../../../../lib/engines/fused/kernels';
import { UNARY } from '../../../../lib/engines/fused/reference';
import { sameBits, ulpError, erfDouble, uniform } from './support';

const SOFTPLUS_T = Math.fround(13.942385152878742);

/** id in unary(), name, exact value in double precision, domain of the sampled points. */
const FUNCTIONS: readonly { id: number; name: string; exact: (x: number) => number; ranges: [number, number][]; maxUlp: number }[] = [
  { id: 0, name: 'exp', exact: Math.exp, ranges: [[-104, 89], [-1, 1], [-1e-3, 1e-3], [-88, -80]], maxUlp: 2 },
  { id: 1, name: 'expm1', exact: Math.expm1, ranges: [[-20, 20], [-1, 1], [-1e-4, 1e-4]], maxUlp: 3 },
  { id: 2, name: 'log', exact: Math.log, ranges: [[0, 10], [0.5, 2], [1e-30, 1e-20], [1e30, 3e38], [0, 1e-38]], maxUlp: 2 },
  { id: 3, name: 'log1p', exact: Math.log1p, ranges: [[-0.999, 10], [-1e-5, 1e-5], [0, 1e6]], maxUlp: 3 },
  { id: 4, name: 'tanh', exact: Math.tanh, ranges: [[-10, 10], [-1, 1], [-1e-3, 1e-3]], maxUlp: 4 },
  { id: 5, name: 'sigmoid', exact: (x) => 1 / (1 + Math.exp(-x)), ranges: [[-90, 20], [-5, 5]], maxUlp: 3 },
  {
    id: 6,
    name: 'softplus (tf.js thresholds)',
    exact: (x) => (x > SOFTPLUS_T ? x : x < -SOFTPLUS_T ? Math.exp(x) : Math.log1p(Math.exp(x))),
    ranges: [[-30, 30], [-2, 2]],
    maxUlp: 3,
  },
  { id: 7, name: 'erf', exact: erfDouble, ranges: [[-5, 5], [-1.5, 1.5], [-1e-3, 1e-3]], maxUlp: 4 },
];

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 1, -1, 0.5, 88.72, 88.73, -87.3, -103.9, -104.5];
const PER_RANGE = 40_000;

describe('fused engine: elementary functions', () => {
  const count = SPECIALS.length + 5 * PER_RANGE;
  const memory = sharedMemory(Math.ceil((count * 8 + 1024) / 65536));
  const kernels = instantiate(memory);
  const src = 0;
  const dst = count * 4 + 64;

  for (const fn of FUNCTIONS) {
    it(`unary(${fn.id}) = ${fn.name}: ≤ ${fn.maxUlp} ulp from double precision and bit-identical to the reference`, () => {
      const next = uniform(fn.id + 7);
      const points: number[] = [...SPECIALS];
      for (const [lo, hi] of fn.ranges) for (let i = 0; i < PER_RANGE; i++) points.push(lo + (hi - lo) * (next() + 1) / 2);
      const F = new Float32Array(memory.buffer);
      F.set(points, src / 4);
      kernels.unary(fn.id, src, dst, points.length);
      let worst = 0;
      let worstAt = 0;
      for (let i = 0; i < points.length; i++) {
        const x = F[src / 4 + i];
        const y = F[dst / 4 + i];
        const reference = UNARY[fn.id](x);
        if (!sameBits(y, reference)) assert.fail(`${fn.name}(${x}): wasm ${y}, reference ${reference}`);
        const error = ulpError(y, fn.exact(x));
        if (error > worst) {
          worst = error;
          worstAt = x;
        }
      }
      assert.ok(worst <= fn.maxUlp, `${fn.name}: ${worst.toFixed(2)} ulp at x = ${worstAt}`);
    });
  }
});
