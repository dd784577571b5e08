/**
 * The engine layer as the rest of cellfit names it from outside lib/ (the kernel's `%backend`) and
 * the public types of the `engine` option; the toolkit imports the modules it needs directly.
 */
export type { EngineChoice, EngineInfo, EngineName } from './engine';
export { fusedUnavailable, lastEngine } from './select';
