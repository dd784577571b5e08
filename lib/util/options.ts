/**
 * The one checker of options objects: unknown keys, integers, numbers in a range and booleans,
 * each failing with one phrasing — "`epochs` must be an integer ≥ 1. Received: epochs=0." — that
 * names the option, the value received and what is expected.
 */
import { fail, formatValue } from '../errors';

/**
 * Every key of options interface `O`, each once. Write the list as an object typed with it, so a
 * new option cannot be left out (nor a removed one kept):
 *
 * @example
 * const EARLY_STOP_KEYS = { monitor: true, patience: true, … } as const satisfies OptionKeys<EarlyStopOptions>;
 */
export type OptionKeys<O> = { readonly [K in keyof Required<O>]: true };

/**
 * Fails on the first key of `options` that `keys` lacks, listing the known ones; `hints` says what
 * a key that belongs elsewhere (or a near miss) probably meant.
 *
 * @example
 * checkKeys('earlyStop()', options, EARLY_STOP_KEYS);
 * // earlyStop(): unknown option `patince`. Expected one of monitor, patience, ….
 */
export function checkKeys(where: string, options: object, keys: Readonly<Record<string, true>>, hints: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(keys, key)) continue;
    const hint = Object.hasOwn(hints, key) ? hints[key] : undefined;
    const meant = hint === undefined ? '.' : `: ${hint}${hint.endsWith('?') ? '' : '.'}`;
    fail(where, `unknown option \`${key}\`${meant} Expected one of ${Object.keys(keys).join(', ')}.`);
  }
}

/** How an option's value is named in a message: `` `name` `` as the user wrote it, or a label of its own (an environment variable). */
export interface OptionLabel {
  /** The subject of the sentence, e.g. "the CELLFIT_THREADS environment variable". Defaults to `` `name` ``. */
  readonly subject?: string;
  /** Why the bound, in a few words, put in parentheses after it. Defaults to none. */
  readonly why?: string;
}

/**
 * Fails with "`name` must be `expected`. Received: name=value." — the one phrasing of a wrong option.
 *
 * @example
 * failOption('train()', 'resume', 'always', "'auto', 'fresh', 'require' or 'continue'");
 */
export function failOption(where: string, name: string, value: unknown, expected: string, label: OptionLabel = {}): never {
  const why = label.why ? ` (${label.why})` : '';
  return fail(where, `${label.subject ?? `\`${name}\``} must be ${expected}${why}. Received: ${name}=${formatValue(value)}.`);
}

/**
 * Checks that `value` is an integer ≥ `min` (and ≤ `max` when given).
 *
 * @example
 * checkInteger('train()', 'epochs', epochs, 1); // train(): `epochs` must be an integer ≥ 1. Received: epochs=0.
 */
export function checkInteger(where: string, name: string, value: unknown, min: number, max?: number, label?: OptionLabel): asserts value is number {
  if (Number.isInteger(value) && (value as number) >= min && (max === undefined || (value as number) <= max)) return;
  failOption(where, name, value, max === undefined ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`, label);
}

/** The bounds of a number: `min`/`max` included unless `open` says which end is excluded. */
export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  /** Which bounds are excluded: 'min', 'max' or 'both'. Defaults to none. */
  readonly open?: 'min' | 'max' | 'both';
}

/**
 * Checks that `value` is a finite number within `range`.
 *
 * @example
 * checkNumber('reduceOnPlateau()', 'factor', factor, { min: 0, max: 1, open: 'both' }); // `factor` must be a number in (0, 1).
 */
export function checkNumber(where: string, name: string, value: unknown, range: NumberRange = {}, label?: OptionLabel): asserts value is number {
  const { min, max, open } = range;
  const minOpen = open === 'min' || open === 'both';
  const maxOpen = open === 'max' || open === 'both';
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (min === undefined || (minOpen ? value > min : value >= min)) &&
    (max === undefined || (maxOpen ? value < max : value <= max));
  if (ok) return;
  let expected = 'a finite number';
  if (min !== undefined && max !== undefined) expected = `a number in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
  else if (min !== undefined) expected = `a finite number ${minOpen ? '>' : '≥'} ${min}`;
  else if (max !== undefined) expected = `a finite number ${maxOpen ? '<' : '≤'} ${max}`;
  failOption(where, name, value, expected, label);
}

/**
 * Checks that `value` is true or false.
 *
 * @example
 * checkBoolean('split()', 'shuffle', shuffle); // split(): `shuffle` must be true or false. Received: shuffle="no".
 */
export function checkBoolean(where: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') failOption(where, name, value, 'true or false');
}
