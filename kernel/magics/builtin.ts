/** The magics every cellfit kernel starts with. */
import { backend } from './backend';
import { capture } from './capture';
import { checkpointsMagic } from './checkpoints';
import type { RunReader } from './run-reader';
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
  /** What %runs and %checkpoints read the runs and checkpoints with. Defaults to the toolkit's. */
  readonly runReader?: () => RunReader;
  /** What %%sweep runs its sweeps with. Defaults to the toolkit's sweep(). */
  readonly sweeper?: Sweeper;
  /** Where %sweeps finds sweeps. Defaults to the toolkit's listSweeps(). */
  readonly sweepLister?: SweepLister;
}

/**
 * @example
 * const registry = new MagicRegistry(builtinMagics());
 */
export function builtinMagics({ runReader, sweeper, sweepLister }: BuiltinOptions = {}): Magic[] {
  return [lsmagic, time, timeit, who, capture, seed, backend, runsMagic(runReader), checkpointsMagic(runReader), sweepMagic(sweeper), sweepsMagic(sweepLister)];
}
