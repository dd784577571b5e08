/**
 * The sweep-scale bench's trial, as a module queue workers can load (`{ module:
 * 'dist/bench/sweep-scale-trial.js', export: 'reportOnly' }`): it trains nothing and reports 20
 * epochs of a value computed from its parameters through `context.report`, so that a sweep of these
 * trials measures the sweep's own cost — proposals, decisions, the record — and nothing else.
 */
import type { TrialContext } from '../lib';

/** Epochs every trial reports. */
export const EPOCHS = 20;

/** The bench's space: 101 × 100 = 10,100 grid points, also drawn from by random and TPE. */
export const SCALE_SPACE = {
  x: { min: 0, max: 1, step: 0.01 },
  y: Array.from({ length: 100 }, (_, i) => Number((10 ** (-4 + (3 * i) / 99)).toPrecision(3))),
} as const;

/** A smooth bowl in x and log y that improves with the epochs, the minimum at x = 0.3, y = 0.01. */
export function scaleValue(params: { x: number; y: number }, epoch: number): number {
  return ((params.x - 0.3) ** 2 + (Math.log10(params.y) + 2) ** 2 / 4 + 0.05) * (1 + 2 / epoch);
}

/** Reports {@link EPOCHS} epochs; returns the last value, or stops when the sweep says so. */
export async function reportOnly(params: { x: number; y: number }, context: TrialContext): Promise<number | undefined> {
  let value: number | undefined;
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    value = scaleValue(params, epoch);
    if (!(await context.report(epoch, value))) return undefined;
  }
  return value;
}
