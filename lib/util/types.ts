/** Type helpers shared by the inferred signatures. */

/**
 * Makes each key of `O` that `Allowed` lacks a type error, as a misspelt option is: an options
 * object inferred as a type parameter (to type the result by it) escapes TypeScript's
 * excess-property check otherwise. The key's type is a sentence, so the error reads
 * `Type 'number' is not assignable to type '"unknown option 'patience': …"'` rather than
 * `… to type 'never'`; `Hints` adds what was probably meant for keys often put in the wrong place.
 */
export type KnownOptions<O, Allowed, Hints extends Readonly<Record<string, string>> = {}> = {
  readonly [K in Exclude<keyof O, keyof Allowed>]: K extends keyof Hints ? `unknown option '${K & string}': ${Hints[K]}` : `unknown option '${K & string}'`;
};
