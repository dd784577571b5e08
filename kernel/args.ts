/**
 * The one argument parser of the `cellfit` command and the magics, over node:util's `parseArgs`:
 * options are spelled as the user types them (`--output`, `-o`), flags take no value, value
 * options take the next word (or `--name=value`), repeatable ones collect a list. Mistakes come
 * back as an {@link ArgumentError} that each caller words in its own usage message.
 */
import { parseArgs } from 'node:util';
import { CellfitError } from '../lib/errors';

/** The options a command accepts, spelled as typed: `['--user', '-f']`. */
export interface ArgumentSpec {
  /** Options without a value. */
  readonly flags?: readonly string[];
  /** Options that take one value (the last one given wins). */
  readonly values?: readonly string[];
  /** Options that take a value and may be given again, collecting a list. */
  readonly repeatable?: readonly string[];
}

/** The parsed arguments, keyed by the option as spelled in the spec. */
export interface ParsedArguments {
  readonly options: Map<string, string | true>;
  readonly lists: Map<string, string[]>;
  readonly positional: string[];
  /**
   * With `stopAtPositional`, the index of the first word not parsed (the first positional one, or
   * the one after `--`); `args.length` when every word was an option.
   */
  readonly rest: number;
}

/** A word the spec does not accept, or an option without its value. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

/**
 * Parses `args` by `spec`. With `stopAtPositional`, parsing ends at the first word that is not an
 * option (or after `--`), whose index is `rest` (a magic's code starts there).
 *
 * @example
 * parseArguments(['run.ipynb', '-p', 'lr=0.1', '--output=out.ipynb'], { values: ['--output', '-o'], repeatable: ['-p'] });
 * // { options: Map { '--output' => 'out.ipynb' }, lists: Map { '-p' => ['lr=0.1'] }, positional: ['run.ipynb'], rest: 4 }
 */
export function parseArguments(args: readonly string[], spec: ArgumentSpec, { stopAtPositional = false } = {}): ParsedArguments {
  const kinds = new Map<string, 'flag' | 'value' | 'repeatable'>();
  for (const name of spec.flags ?? []) kinds.set(name, 'flag');
  for (const name of spec.values ?? []) kinds.set(name, 'value');
  for (const name of spec.repeatable ?? []) kinds.set(name, 'repeatable');
  // node:util names an option without its dashes; a one-letter one is also its own short form.
  const config: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [spelled, kind] of kinds) {
    const name = spelled.replace(/^--?/, '');
    config[name] = { type: kind === 'flag' ? 'boolean' : 'string', ...(name.length === 1 ? { short: name } : {}), ...(kind === 'repeatable' ? { multiple: true } : {}) };
  }
  const { tokens } = parseArgs({ args: [...args], options: config, strict: false, allowPositionals: true, tokens: true });
  const options = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const positional: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      if (stopAtPositional) return { options, lists, positional, rest: token.index + 1 };
      continue;
    }
    if (token.kind === 'positional' || (stopAtPositional && !/^--?[A-Za-z]/.test(args[token.index]))) {
      if (stopAtPositional) return { options, lists, positional, rest: token.index };
      positional.push(token.value ?? args[token.index]);
      continue;
    }
    const spelled = kinds.has(`--${token.name}`) ? `--${token.name}` : `-${token.name}`;
    const kind = kinds.get(spelled);
    if (kind === undefined) throw new ArgumentError(`unknown option ${token.rawName}`);
    if (kind === 'flag') {
      if (token.inlineValue) throw new ArgumentError(`option ${token.rawName} takes no value`);
      options.set(spelled, true);
    } else if (token.value === undefined) {
      throw new ArgumentError(`option ${token.rawName} needs a value`);
    } else if (kind === 'repeatable') {
      lists.set(spelled, [...(lists.get(spelled) ?? []), token.value]);
    } else {
      options.set(spelled, token.value);
    }
  }
  return { options, lists, positional, rest: args.length };
}

/**
 * {@link parseArguments} for `cellfit COMMAND`: a mistake throws a CellfitError that names the
 * command and ends with the usage text.
 *
 * @example
 * commandArguments('worker', ['--queue', 'redis://localhost'], { values: ['--queue', '--dir'] }, USAGE);
 */
export function commandArguments(command: string, args: readonly string[], spec: ArgumentSpec, usage: string): ParsedArguments {
  try {
    return parseArguments(args, spec);
  } catch (error) {
    if (error instanceof ArgumentError) throw new CellfitError(`cellfit ${command}`, `${error.message}.\n\n${usage}`);
    throw error;
  }
}
