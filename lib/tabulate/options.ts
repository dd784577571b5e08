/** The checks of `tabulateInputSpace()`'s arguments. */
import { fail, formatValue } from '../errors';
import { checkBoolean, checkKeys, type OptionKeys } from '../util/options';
import type { AxisSpec } from './axis';
import type { Axes, TabulateOptions } from './types';

/** Names `tabulateInputSpace()` in errors about its arguments. */
export const WHERE = 'tabulateInputSpace()';

const TABULATE_KEYS = { label: true, labelBatch: true, labels: true, categorical: true, normalize: true } as const satisfies OptionKeys<TabulateOptions>;

/** Refuses unknown options and options of the wrong kind, naming the option and the value. */
export function checkOptions(options: TabulateOptions): void {
  if (typeof options !== 'object' || options === null) fail(WHERE, `options must be an object. Received: ${formatValue(options)}.`);
  checkKeys(WHERE, options, TABULATE_KEYS);
  for (const key of ['label', 'labelBatch'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      fail(WHERE, `\`${key}\` must be a function. Received: ${key}=${formatValue(options[key])}.`);
    }
  }
  const { labels, categorical, normalize } = options;
  const labelList = typeof labels === 'string' ? [labels] : labels;
  if (labelList !== undefined && (!Array.isArray(labelList) || labelList.length === 0 || labelList.some((name) => typeof name !== 'string' || name === ''))) {
    fail(WHERE, `\`labels\` must be a name or a non-empty list of names. Received: labels=${formatValue(labels)}.`);
  }
  if (labelList && new Set(labelList).size !== labelList.length) fail(WHERE, `option \`labels\` repeats a name. Received: labels=${formatValue(labels)}.`);
  if (categorical !== undefined && categorical !== 'onehot' && categorical !== 'index') {
    fail(WHERE, `\`categorical\` must be 'onehot' or 'index'. Received: categorical=${formatValue(categorical)}.`);
  }
  if (normalize !== undefined) checkBoolean(WHERE, 'normalize', normalize);
}

/** The axes as `[name, spec]` pairs, in order, whichever form they were given in. */
export function axisEntries(axes: Axes): (readonly [string, AxisSpec])[] {
  if (axes instanceof Map) return [...axes.entries()];
  if (Array.isArray(axes)) {
    return axes.map((entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2) fail(WHERE, `axes given as a list must hold [name, spec] pairs. Received: axes[${i}]=${formatValue(entry)}.`);
      return entry as unknown as readonly [string, AxisSpec];
    });
  }
  if (typeof axes !== 'object' || axes === null) fail(WHERE, `axes must be an object such as { temperature: { min: 60, max: 80, step: 0.01 } }. Received: ${formatValue(axes)}.`);
  return Object.entries(axes as Record<string, AxisSpec>);
}
