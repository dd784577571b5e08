/**
 * ASHA's rungs (asynchronous successive halving): its options and the epochs a trial is judged at.
 * Shared by the pruner that decides (pruners.ts) and the standings that rank each rung's trials
 * (standings.ts), which must agree on them.
 */
import type { PrunerConfig } from './state';

/** Options of the `asha` pruner. */
export interface AshaOptions {
  /** Epochs of the first rung. Defaults to 1. */
  readonly minEpochs: number;
  /** η: each rung is η times the previous, and the top 1/η of a rung is promoted. Defaults to 3. */
  readonly reduction: number;
}

/** The `asha` pruner's defaults. */
export const ASHA_DEFAULTS = { minEpochs: 1, reduction: 3 } as const satisfies AshaOptions;

/** The ASHA options a record's pruner config holds, with the defaults for any it lacks (older records). */
export function ashaOptions(config: PrunerConfig): AshaOptions {
  return { ...ASHA_DEFAULTS, ...config.options } as AshaOptions;
}

/** The rung epochs of a trial whose run trains `epochs` epochs: minEpochs·η^k < epochs. */
export function ashaRungs({ minEpochs, reduction }: AshaOptions, epochs: number | undefined, upTo = Infinity): number[] {
  const rungs: number[] = [];
  for (let rung = minEpochs; rung < (epochs ?? Infinity) && rung <= upTo; rung *= reduction) rungs.push(rung);
  return rungs;
}
