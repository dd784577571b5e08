/** Type helpers shared by the inferred signatures. */

/**
 * Makes each key of `O` that `Allowed` lacks a type error (its type `never`), as a misspelt option
 * is: an options object inferred as a type parameter (to type the result by it) escapes
 * TypeScript's excess-property check otherwise.
 */
export type KnownOptions<O, Allowed> = { readonly [K in Exclude<keyof O, keyof Allowed>]: never };
