/** The magics: types, registry, parsing, and the built-in set. */
export type { Magic, MagicContext, MagicKind, CapturedOutput, CaptureOptions, Clock } from './types';
export { systemClock } from './types';
export { MagicRegistry, UsageError, usageError } from './registry';
export { parseCell, magicAt } from './parse';
export type { ParsedCell, Segment } from './parse';
export { builtinMagics } from './builtin';
export { TimeitResult } from './timeit';
export { parseAxes, combinations } from './sweep';
export type { SweepAxis, Sweeper } from './sweep';
export type { SweepLister } from './sweeps';
export type { RunReader } from './run-reader';
