/**
 * Compile-time assertions for the type tests (`*.types.ts`), in the style of expect-type and tsd:
 * `tsc` compiles them with the rest of the tests (`npm test` builds first), so a type that drifts
 * fails the build, and `// @ts-expect-error` lines pin the errors users get for wrong calls.
 * Nothing here runs: the type tests are compiled, never executed.
 */

/** True when `A` and `B` are the same type (not merely assignable either way). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * `expectTypeOf(value).toEqualTypeOf<T>()` compiles only when `value` has exactly type `T`;
 * otherwise the call lacks an argument and the error shows both types.
 */
export function expectTypeOf<Actual>(_value: Actual): { toEqualTypeOf<Expected>(...mismatch: Equal<Actual, Expected> extends true ? [] : [expected: Expected, actual: Actual]): void } {
  return { toEqualTypeOf: () => undefined };
}

/** A value of type `T`, to write type tests with (never called). */
export declare function any<T>(): T;
