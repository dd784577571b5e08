/**
 * `cellfit/kernel`: what notebooks use from the kernel — rich display, clearing output, and
 * registering magics. The kernel itself starts from kernel/cli.ts.
 */
export { registerMagic, unregisterMagic, display, displayBundle, clearOutput } from './api';
export type { ValueDisplay } from './api';
export { toMimeBundle } from './display/bundle';
export { UsageError, usageError } from './magics/registry';
export { TimeitResult } from './magics/timeit';
export type { Magic, MagicContext, MagicKind, CapturedOutput, CaptureOptions, Clock } from './magics/types';
