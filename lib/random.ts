/**
 * The seeded random generator behind every shuffle in cellfit. Its whole state is a small JSON
 * object, so it can go into a checkpoint and a resumed run draws exactly the numbers the
 * uninterrupted run would have drawn.
 *
 * The algorithm is Alea (Johannes Baagøe) from `seedrandom`, the same generator tfjs uses for its
 * own seeded ops: fast, 32-bit state words that survive JSON exactly, and well tested.
 */
import seedrandom from 'seedrandom';
import { fail, formatValue } from './errors';
import { checkInteger } from './util/options';

/** A seed: any finite number or string. Equal seeds give equal streams in every process. */
export type Seed = number | string;

/** The JSON-serialisable state of an {@link Rng}. */
export interface RngState {
  readonly algorithm: 'alea';
  readonly c: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
}

/**
 * A seeded pseudo-random generator whose full state can be saved and restored.
 *
 * @example
 * const rng = new Rng(42);
 * const order = rng.permutation(10);   // the same order for seed 42 everywhere
 * const saved = rng.getState();
 * const again = Rng.fromState(saved);  // continues exactly where `rng` is now
 */
export class Rng {
  private readonly generator: seedrandom.StatefulPRNG<seedrandom.State.Alea>;

  constructor(seed: Seed = getSeed(), state?: RngState) {
    checkSeed(seed, 'Rng()');
    this.generator = state
      ? seedrandom.alea('', { state: toAleaState(state) })
      : seedrandom.alea(String(seed), { state: true });
  }

  /** A generator that continues from a state saved by {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    return new Rng(0, checkState(state));
  }

  /** A float in [0, 1) with 53 random bits. */
  random(): number {
    return this.generator.double();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    checkInteger('Rng.int()', 'n', n, 1);
    return Math.floor(this.generator.double() * n);
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = Math.floor(this.generator.double() * (i + 1));
      const held = array[i];
      array[i] = array[j];
      array[j] = held;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    if (!Number.isInteger(n) || n < 0) fail('Rng.permutation()', `n must be a non-negative integer. Received: n=${formatValue(n)}.`);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return this.shuffle(order);
  }

  /**
   * A new generator seeded from this one's stream: independent streams (per epoch, per split)
   * that stay reproducible from one root seed.
   */
  fork(): Rng {
    return new Rng(`fork:${this.generator.int32()}:${this.generator.int32()}`);
  }

  /** The full state, as plain JSON. */
  getState(): RngState {
    return { algorithm: 'alea', ...this.generator.state() };
  }
}

let globalSeed: Seed = 0;
const nativeMathRandom = Math.random;

/** Options of {@link setSeed}. */
export interface SetSeedOptions {
  /**
   * Also replace `Math.random` with a generator seeded from `seed`. tfjs draws the seeds of its
   * weight initialisers and dropout masks from `Math.random`, so this is what makes a model built
   * twice start from the same weights — and lets a re-run script or cell find its run again.
   * Defaults to true.
   */
  readonly mathRandom?: boolean;
}

/**
 * Seeds everything random in one call, as Keras' `set_random_seed` does for Python, NumPy and
 * TensorFlow: cellfit's default seed (used by `split`, `train`, ... when a call gives none; 0 until
 * set) and, unless `mathRandom: false`, `Math.random` itself. The kernel's `%seed N` calls this.
 *
 * @example
 * setSeed(42);
 * const model = buildModel();   // the same initial weights on every run
 */
export function setSeed(seed: Seed, { mathRandom = true }: SetSeedOptions = {}): void {
  checkSeed(seed, 'setSeed()');
  globalSeed = seed;
  if (mathRandom) {
    const rng = new Rng(`Math.random:${seed}`);
    Math.random = () => rng.random();
  }
}

/** Gives `Math.random` back its native, unseeded generator. */
export function unseedMathRandom(): void {
  Math.random = nativeMathRandom;
}

/** The seed used where a call gives none (see {@link setSeed}). */
export function getSeed(): Seed {
  return globalSeed;
}

/** Validates a user-supplied seed, naming the option in the error. */
export function checkSeed(seed: unknown, where: string, option = 'seed'): asserts seed is Seed {
  const valid = (typeof seed === 'number' && Number.isFinite(seed)) || typeof seed === 'string';
  if (!valid) {
    fail(where, `\`${option}\` must be a finite number or a string. Received: ${option}=${formatValue(seed)}.`);
  }
}

function checkState(state: RngState): RngState {
  const words = state && [state.c, state.s0, state.s1, state.s2];
  if (!state || state.algorithm !== 'alea' || !words.every((word) => typeof word === 'number' && Number.isFinite(word))) {
    fail('Rng.fromState()', `the state is not a saved Alea generator state. Received: ${formatValue(state)}.`);
  }
  return state;
}

function toAleaState({ c, s0, s1, s2 }: RngState): seedrandom.State.Alea {
  return { c, s0, s1, s2 };
}
