/**
 * The magics a kernel knows, by name, and the errors of using one wrongly.
 */
import { formatValue } from '../../lib/errors';
import type { Magic, MagicKind } from './types';

/**
 * The error of a magic used wrongly (IPython calls it UsageError): names the magic, says what was
 * wrong, shows what was received and the usage.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Throws a {@link UsageError} for `magic`.
 *
 * @example
 * usageError(magic, 'expected one integer seed', args);
 * // UsageError: %seed: expected one integer seed. Received: args="abc". Usage: %seed N
 */
export function usageError(magic: Pick<Magic, 'name' | 'usage'>, problem: string, args?: string, prefix = '%'): never {
  const received = args === undefined ? '' : ` Received: args=${formatValue(args)}.`;
  throw new UsageError(`${prefix}${magic.name}: ${problem}.${received} Usage: ${magic.usage}`);
}

const NAME = /^[A-Za-z_][\w-]*$/;
const KINDS: readonly MagicKind[] = ['line', 'cell', 'both'];

/** The magics of one kernel. */
export class MagicRegistry {
  private readonly magics = new Map<string, Magic>();
  private pending: (() => readonly Magic[]) | undefined;

  /**
   * @param magics The magics to start with, or a function giving them, called on first use: the
   *   kernel's built-in magics load tf.js, which its first cell need not wait for.
   */
  constructor(magics: readonly Magic[] | (() => readonly Magic[]) = []) {
    if (typeof magics === 'function') this.pending = magics;
    else for (const magic of magics) this.register(magic);
  }

  /** Registers the magics given as a function, if that has not happened yet. */
  load(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) for (const magic of pending()) this.register(magic);
  }

  /**
   * Adds `magic`, replacing one of the same name. Throws naming the field when the spec is
   * malformed.
   */
  register(magic: Magic): void {
    this.load();
    const where = 'registerMagic()';
    if (typeof magic !== 'object' || magic === null) throw new TypeError(`${where}: expected a magic object { name, kind, usage, summary, run }. Received: ${formatValue(magic)}.`);
    if (typeof magic.name !== 'string' || !NAME.test(magic.name)) {
      throw new TypeError(`${where}: \`name\` must be letters, digits, _ or -, not starting with a digit. Received: name=${formatValue(magic.name)}.`);
    }
    if (!KINDS.includes(magic.kind)) throw new TypeError(`${where}: \`kind\` must be one of ${KINDS.join(', ')}. Received: kind=${formatValue(magic.kind)}.`);
    if (typeof magic.run !== 'function') throw new TypeError(`${where}: \`run\` must be a function (context) => result. Received: run=${formatValue(magic.run)}.`);
    const usage = typeof magic.usage === 'string' && magic.usage !== '' ? magic.usage : `${magic.kind === 'cell' ? '%%' : '%'}${magic.name}`;
    this.magics.set(magic.name, { ...magic, usage, summary: typeof magic.summary === 'string' ? magic.summary : '' });
  }

  /** Removes the magic called `name`; returns whether there was one. */
  unregister(name: string): boolean {
    this.load();
    return this.magics.delete(name);
  }

  /** The magic called `name`, if it can be used as a `kind` magic. */
  find(name: string, kind: 'line' | 'cell'): Magic | undefined {
    this.load();
    const magic = this.magics.get(name);
    return magic && (magic.kind === 'both' || magic.kind === kind) ? magic : undefined;
  }

  /** Every magic, by name. */
  list(): Magic[] {
    this.load();
    return [...this.magics.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The error for `%name` when no such magic exists (or not of that kind), suggesting a close name.
   */
  unknown(name: string, kind: 'line' | 'cell'): UsageError {
    this.load();
    const prefix = kind === 'line' ? '%' : '%%';
    const other = this.magics.get(name);
    if (other) {
      const otherPrefix = other.kind === 'cell' ? '%%' : '%';
      return new UsageError(`${prefix}${name}: ${name} is a ${other.kind} magic, not a ${kind} magic. Usage: ${other.usage.startsWith('%') ? other.usage : `${otherPrefix}${other.usage}`}`);
    }
    const close = this.list()
      .filter((magic) => magic.kind === 'both' || magic.kind === kind)
      .map((magic) => ({ magic, distance: editDistance(magic.name, name) }))
      .filter(({ distance }) => distance <= 2)
      .sort((a, b) => a.distance - b.distance)[0];
    const hint = close ? ` Did you mean ${prefix}${close.magic.name}?` : '';
    return new UsageError(`${prefix}${name}: unknown magic.${hint} Run %lsmagic to list the magics.`);
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
