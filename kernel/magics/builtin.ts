/** The magics every cellfit kernel starts with. */
import { backend } from './backend';
import { capture } from './capture';
import { checkpointsMagic } from './checkpoints';
import type { Engine } from './engine';
import { lsmagic } from './lsmagic';
import { runsMagic } from './runs';
import { seed } from './seed';
import { sweepMagic, type Sweeper } from './sweep';
import { sweepsMagic, type SweepLister } from './sweeps';
import { time } from './time';
import { timeit } from './timeit';
import type { Magic } from './types';
import { who } from './who';

/** Replacements for the side effects of the built-in magics (tests pass fakes). */
export interface BuiltinOptions {
  /** The training engine for %runs and %checkpoints. Defaults to the toolkit's. */
  readonly engine?: () => Engine;
  /** What %%sweep runs its sweeps with. Defaults to the toolkit's sweep(). */
  readonly sweeper?: Sweeper;
  /** Where %sweeps finds sweeps. Defaults to the toolkit's listSweeps(). */
  readonly sweepLister?: SweepLister;
}

/**
 * @example
 * const registry = new MagicRegistry(builtinMagics());
 */
export function builtinMagics({ engine, sweeper, sweepLister }: BuiltinOptions = {}): Magic[] {
  return [lsmagic, time, timeit, who, capture, seed, backend, runsMagic(engine), checkpointsMagic(engine), sweepMagic(sweeper), sweepsMagic(sweepLister)];
}
