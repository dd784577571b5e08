/**
 * Argument parsing shared by the built-in magics: shell-like words with quotes, `-x VALUE` /
 * `--name VALUE` options, and `name=[v1, v2]` axes (for %%sweep).
 */
import type { Magic } from './types';
import { usageError } from './registry';

/**
 * Splits `text` into words at whitespace; single or double quotes group words.
 *
 * @example
 * words(`--dir "my runs" a`);   // ['--dir', 'my runs', 'a']
 */
export function words(text: string): string[] {
  const result: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    result.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2] ?? match[3]);
  }
  return result;
}

/** The options a magic accepts: flags (no value) and options that take one value. */
export interface OptionSpec {
  readonly flags?: readonly string[];
  readonly values?: readonly string[];
}

/**
 * Takes leading options off `args` (`-n 10 -r 3 code...`); stops at the first word that is not an
 * option (or after `--`) and returns the rest of the text unparsed, so code keeps its spacing.
 */
export function takeOptions(magic: Pick<Magic, 'name' | 'usage'>, args: string, spec: OptionSpec): { options: Map<string, string | true>; rest: string } {
  const options = new Map<string, string | true>();
  let rest = args.trimStart();
  for (;;) {
    const end = /^--(?:\s+|$)/.exec(rest);
    if (end) {
      rest = rest.slice(end[0].length);
      break;
    }
    const match = /^(--?[A-Za-z][\w-]*)(?:\s+|$)/.exec(rest);
    if (!match) break;
    const option = match[1];
    rest = rest.slice(match[0].length);
    if (spec.flags?.includes(option)) {
      options.set(option, true);
      continue;
    }
    if (spec.values?.includes(option)) {
      const value = /^("(?:[^"\\]|\\.)*"|'[^']*'|\S+)\s*/.exec(rest);
      if (!value) usageError(magic, `option ${option} needs a value`, args);
      rest = rest.slice(value[0].length);
      options.set(option, words(value[1])[0]);
      continue;
    }
    usageError(magic, `unknown option ${option}`, args);
  }
  return { options, rest: rest.trim() };
}

/** A positive integer option value, or a usage error naming the option. */
export function positiveInteger(magic: Pick<Magic, 'name' | 'usage'>, option: string, value: string | true | undefined, args: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value === true || !Number.isInteger(n) || n < 1) usageError(magic, `${option} must be a positive integer`, args);
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
  const options = new Map<string, string | true>();
  const positional: string[] = [];
  const list = words(args);
  for (let i = 0; i < list.length; i++) {
    const word = list[i];
    if (!/^--?[A-Za-z]/.test(word)) {
      positional.push(word);
    } else if (spec.flags?.includes(word)) {
      options.set(word, true);
    } else if (spec.values?.includes(word)) {
      if (i + 1 >= list.length) usageError(magic, `option ${word} needs a value`, args);
      options.set(word, list[++i]);
    } else {
      usageError(magic, `unknown option ${word}`, args);
    }
  }
  return { options, positional };
}
