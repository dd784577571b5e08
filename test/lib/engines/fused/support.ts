/** Shared helpers of the fused engine's tests. */
import assert from 'node:assert/strict';
import type { FusedSpec } from '../../../../lib/engines/fused/spec';

/** A small deterministic generator (Park–Miller) for test data, uniform in [lo, hi). */
export function uniform(seed: number, lo = -1, hi = 1): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 16807) % 2147483647;
    return lo + ((state - 1) / 2147483646) * (hi - lo);
  };
}

/** `count` float32 values from `next`. */
export function floats(count: number, next: () => number): Float32Array {
  return Float32Array.from({ length: count }, next);
}

/** Whether a and b have the same float32 bits (any NaN equals any NaN). */
export function sameBits(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Object.is(Math.fround(a), Math.fround(b));
}

/** Asserts two float arrays are bit-identical, naming the first difference. */
export function assertSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  for (let i = 0; i < actual.length; i++) {
    if (!sameBits(actual[i], expected[i])) assert.fail(`${what}: element ${i} is ${actual[i]} but the reference has ${expected[i]}`);
  }
}

/** The spacing of float32 numbers at |x| (the unit in the last place). */
export function ulpOf(x: number): number {
  const a = Math.abs(x);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Error of float32 `y` against the exact value `exact`, in ulps of `exact`. */
export function ulpError(y: number, exact: number): number {
  if (Number.isNaN(exact)) return Number.isNaN(y) ? 0 : Infinity;
  if (!Number.isFinite(exact) || Math.abs(exact) > 3.4028234663852886e38) {
    const rounded = Math.fround(exact);
    return Object.is(y, rounded) ? 0 : Infinity;
  }
  if (y === exact) return 0;
  return Math.abs(y - exact) / ulpOf(exact);
}

/** erf in double precision (Taylor series below 2.5, Lentz's continued fraction for erfc above). */
export function erfDouble(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a === Infinity) return Math.sign(x);
  let result: number;
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(a) = exp(−a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...))))
    let f = a;
    let c = a;
    let d = 0;
    for (let n = 1; n < 500; n++) {
      const an = n / 2;
      d = a + an * d;
      d = 1 / d;
      c = a + an / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    result = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -result : result;
}

/** A small network spec with odd sizes (SIMD tails everywhere): 3-7-5-2. */
export function oddSpec(overrides: Partial<FusedSpec> = {}, activations: readonly string[] = ['tanh', 'relu', 'linear']): FusedSpec {
  return {
    inputs: 3,
    layers: [
      { type: 'dense', units: 7, activation: activations[0] as never },
      { type: 'dense', units: 5, activation: activations[1] as never },
      { type: 'dense', units: 2, activation: activations[2] as never },
    ],
    loss: 'meanSquaredError',
    optimizer: { className: 'Adam', config: { learningRate: 0.01 } },
    threads: 1,
    ...overrides,
  };
}
