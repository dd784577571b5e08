/**
 * arquero, loaded on first use. Loading it takes ~95 ms (acorn, flechette), which every kernel
 * start and sweep worker process would pay for tables it may never make.
 */
let loaded: typeof import('arquero') | undefined;

/**
 * The arquero module.
 *
 * @example
 * const table = arquero().table({ x: [1, 2, 3] });
 */
export function arquero(): typeof import('arquero') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('arquero') as typeof import('arquero'));
}
