/** The magics every cellfit kernel starts with. */
import { backend } from './backend';
import { capture } from './capture';
import { checkpointsMagic } from './checkpoints';
import type { Engine } from './engine';
import { lsmagic } from './lsmagic';
import { runsMagic } from './runs';
import { seed } from './seed';
import { sweepMagic, type SweepChart } from './sweep';
import { time } from './time';
import { timeit } from './timeit';
import type { Magic } from './types';
import { who } from './who';

/** Replacements for the side effects of the built-in magics (tests pass fakes). */
export interface BuiltinOptions {
  /** The training engine for %runs and %checkpoints. Defaults to the toolkit's. */
  readonly engine?: () => Engine;
  /** The chart %%sweep ends with. Defaults to a bar chart of each trial's best metric. */
  readonly sweepChart?: SweepChart;
}

/**
 * @example
 * const registry = new MagicRegistry(builtinMagics());
 */
export function builtinMagics({ engine, sweepChart }: BuiltinOptions = {}): Magic[] {
  return [lsmagic, time, timeit, who, capture, seed, backend, runsMagic(engine), checkpointsMagic(engine), sweepMagic(sweepChart)];
}
