/**
 * Argument parsing shared by the built-in magics: shell-like words with quotes, then `-x VALUE` /
 * `--name VALUE` options read by the parser the `cellfit` command uses (kernel/args.ts).
 */
import { ArgumentError, parseArguments, type ArgumentSpec, type ParsedArguments } from '../args';
import type { Magic } from './types';
import { usageError } from './registry';

/**
 * Splits `text` into words at whitespace; single or double quotes group words.
 *
 * @example
 * words(`--dir "my runs" a`);   // ['--dir', 'my runs', 'a']
 */
export function words(text: string): string[] {
  return wordSpans(text).map((span) => span.word);
}

/** The words of `text` with where each starts in it. */
function wordSpans(text: string): { word: string; start: number }[] {
  const result: { word: string; start: number }[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    result.push({ word: match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3]), start: match.index });
  }
  return result;
}

/** The options a magic accepts: flags (no value) and options that take one value. */
export type OptionSpec = Pick<ArgumentSpec, 'flags' | 'values'>;

/**
 * Takes leading options off `args` (`-n 10 -r 3 code...`); stops at the first word that is not an
 * option (or after `--`) and returns the rest of the text unparsed, so code keeps its spacing.
 */
export function takeOptions(magic: Pick<Magic, 'name' | 'usage'>, args: string, spec: OptionSpec): { options: Map<string, string | true>; rest: string } {
  const spans = wordSpans(args);
  const { options, rest } = parse(magic, args, spans.map((span) => span.word), spec, true);
  return { options, rest: rest < spans.length ? args.slice(spans[rest].start).trim() : '' };
}

/**
 * A positive integer option value, or a usage error naming the option (`prefix`: `%%` for a cell
 * magic's line).
 *
 * @example
 * positiveInteger(timeit, '-n', options.get('-n'), context.args);   // 10, or "%timeit: -n must be an integer ≥ 1. …"
 */
export function positiveInteger(magic: Pick<Magic, 'name' | 'usage'>, option: string, value: string | true | undefined, args: string, prefix = '%'): number | undefined {
  if (value === undefined) return undefined;
  const n = value === true || value.trim() === '' ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 1) usageError(magic, `${option} must be an integer ≥ 1`, args, prefix);
  return n;
}

/**
 * Splits `args` into words and takes options anywhere among them (for magics whose arguments are
 * names, not code): `RUN --dir DIR` and `--dir DIR RUN` both work.
 *
 * @example
 * parseWords(magic, 'run-1 --dir out', { values: ['--dir'] });   // { options: {--dir: 'out'}, positional: ['run-1'] }
 */
export function parseWords(magic: Pick<Magic, 'name' | 'usage'>, args: string, spec: OptionSpec): { options: Map<string, string | true>; positional: string[] } {
  const { options, positional } = parse(magic, args, words(args), spec, false);
  return { options, positional };
}

/** {@link parseArguments}, its mistakes as the magic's usage error. */
function parse(magic: Pick<Magic, 'name' | 'usage'>, args: string, list: readonly string[], spec: OptionSpec, stopAtPositional: boolean): ParsedArguments {
  try {
    return parseArguments(list, spec, { stopAtPositional });
  } catch (error) {
    if (error instanceof ArgumentError) usageError(magic, error.message, args);
    throw error;
  }
}
