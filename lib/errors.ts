/**
 * Errors and warnings. Every throw in cellfit goes through {@link fail} so that messages share one
 * shape — "where: what was wrong. Received: name=value. What to do." — and every warning through
 * {@link warn} so that notebooks, scripts and tests can route them.
 */

/** The error cellfit throws for bad input or a state it cannot continue from. */
export class CellfitError extends Error {
  /** The function or object that raised it, e.g. `split()`. */
  readonly where: string;

  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'CellfitError';
    this.where = where;
  }
}

/**
 * Throws a {@link CellfitError}.
 *
 * @example
 * fail('split()', `\`test\` must be a number in [0, 1]. Received: test=${formatValue(-1)}.`);
 */
export function fail(where: string, message: string): never {
  throw new CellfitError(where, message);
}

/** Receives every warning cellfit emits. */
export type WarningHandler = (message: string) => void;

const defaultWarningHandler: WarningHandler = (message) => console.warn(`Warning: ${message}`);
let warningHandler: WarningHandler = defaultWarningHandler;

/** Emits a warning through the current handler (stderr by default). */
export function warn(where: string, message: string): void {
  warningHandler(`${where}: ${message}`);
}

/**
 * Routes warnings to `handler` (or back to stderr when `undefined`) and returns the previous
 * handler, so a caller can restore it.
 */
export function setWarningHandler(handler: WarningHandler | undefined): WarningHandler {
  const previous = warningHandler;
  warningHandler = handler ?? defaultWarningHandler;
  return previous;
}

/**
 * Runs `body` and returns the warnings it emitted instead of printing them.
 *
 * @example
 * const warnings = await captureWarnings(() => split(space, { train: 0.8, test: 0.2 }));
 */
export async function captureWarnings(body: () => unknown): Promise<string[]> {
  const warnings: string[] = [];
  const previous = setWarningHandler((message) => warnings.push(message));
  try {
    await body();
  } finally {
    setWarningHandler(previous);
  }
  return warnings;
}

/**
 * A short, unambiguous rendering of a value for error messages: strings are quoted, long arrays
 * are cut, tensors show their shape and dtype.
 */
export function formatValue(value: unknown, depth = 0): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (isTensorLike(value)) return `Tensor[${value.shape.join(', ')}] ${value.dtype}`;
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
  }
  if (Array.isArray(value)) {
    if (depth > 1) return `Array(${value.length})`;
    const shown = value.slice(0, 5).map((item) => formatValue(item, depth + 1));
    if (value.length > 5) shown.push(`... ${value.length - 5} more`);
    return `[${shown.join(', ')}]`;
  }
  const name = (value as object).constructor?.name;
  if (name && name !== 'Object') return `a ${name}`;
  if (depth > 1) return '{...}';
  const entries = Object.entries(value as object);
  const shown = entries.slice(0, 5).map(([key, item]) => `${key}: ${formatValue(item, depth + 1)}`);
  if (entries.length > 5) shown.push('...');
  return `{ ${shown.join(', ')} }`;
}

function isTensorLike(value: unknown): value is { shape: number[]; dtype: string } {
  const candidate = value as { shape?: unknown; dtype?: unknown; dataId?: unknown };
  return Array.isArray(candidate.shape) && typeof candidate.dtype === 'string' && candidate.dataId !== undefined;
}
