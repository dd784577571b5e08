/**
 * How the kernel shows a value: the MIME bundle of an `execute_result` or `display_data`.
 *
 * In order, the first that applies:
 * 1. an object with a `[Symbol.for('Jupyter.display')]()` method (the Deno convention) shows the
 *    bundle it returns (a `text/plain` fallback is added when it has none);
 * 2. tfjs tensors print their dtype, shape and values;
 * 3. arquero tables, arrays of records (checkpoint lists, `listRuns()`), cellfit runs, input
 *    spaces and `split()` results show as HTML tables (kernel/display/cellfit.ts);
 * 4. anything else is `util.inspect`ed, like the Node.js REPL does.
 */
import { inspect } from 'node:util';
import { JUPYTER_DISPLAY, type MimeBundle } from '../../lib/session';
import { cellfitBundle } from './cellfit';
import { isPlainObject, recordsTable, tableBundle } from './table';

/** The plain-text form of `value`, as the Node.js REPL shows it (without colours). */
export function plainText(value: unknown): string {
  return inspect(value, { depth: 4, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

/**
 * The MIME bundle for `value`.
 *
 * @example
 * toMimeBundle(42);                                          // { 'text/plain': '42' }
 * toMimeBundle({ [Symbol.for('Jupyter.display')]: () => ({ 'text/html': '<b>hi</b>' }) });
 * // { 'text/html': '<b>hi</b>', 'text/plain': '{ ... }' }
 */
export function toMimeBundle(value: unknown): MimeBundle {
  const own = ownBundle(value);
  if (own) return own;
  if (isTensor(value)) return { 'text/plain': tensorText(value) };
  const rich = cellfitBundle(value);
  if (rich) return rich;
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    return { ...tableBundle(recordsTable(value as Record<string, unknown>[])), 'text/plain': plainText(value) };
  }
  return { 'text/plain': plainText(value) };
}

function ownBundle(value: unknown): MimeBundle | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  const method = (value as Record<symbol, unknown>)[JUPYTER_DISPLAY];
  if (typeof method !== 'function') return undefined;
  const bundle = (method as () => unknown).call(value);
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) {
    throw new TypeError(
      `[Symbol.for('Jupyter.display')](): must return a MIME bundle object such as { 'text/html': '...' }. Received: ${plainText(bundle)}.`,
    );
  }
  const data = { ...(bundle as Record<string, unknown>) };
  if (typeof data['text/plain'] !== 'string') data['text/plain'] = plainText(value);
  return data;
}

interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly isDisposed?: boolean;
  toString(verbose?: boolean): string;
}

function isTensor(value: unknown): value is TensorLike {
  const candidate = value as Partial<TensorLike> & { dataId?: unknown; dataSync?: unknown };
  return (
    typeof value === 'object' && value !== null && Array.isArray(candidate.shape) && typeof candidate.dtype === 'string' &&
    candidate.dataId !== undefined && typeof candidate.dataSync === 'function'
  );
}

/** `Tensor float32 [2, 2]` then the values as tfjs prints them. */
function tensorText(tensor: TensorLike): string {
  const head = `Tensor ${tensor.dtype} [${tensor.shape.join(', ')}]`;
  if (tensor.isDisposed) return `${head} (disposed)`;
  // tfjs prints "Tensor\n    <values>"; keep the values, re-indented to the left margin.
  const lines = tensor.toString().split('\n').slice(1);
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length));
  return [head, ...lines.map((line) => line.slice(Number.isFinite(indent) ? indent : 0))].join('\n');
}
