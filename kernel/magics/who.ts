/** `%who [TYPE …]`: the notebook's variables, optionally only those of the given types. */
import type { Magic } from './types';
import { words } from './args';

/** `typeof` for primitives and functions, the constructor name for objects (`Tensor`, `Array`). */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'Object';
}

export const who: Magic = {
  name: 'who',
  kind: 'line',
  usage: '%who [TYPE …]   e.g. %who number Tensor',
  summary: "Lists the notebook's variables (of the given types: typeof names or class names).",
  run(context) {
    const types = words(context.args);
    const names = Object.keys(context.locals)
      .filter((name) => !/^tsLastExpr\d*$/.test(name))
      .filter((name) => types.length === 0 || types.includes(typeName(context.locals[name])))
      .sort();
    if (names.length > 0) context.print(names.join('\t'));
    else context.print(types.length === 0 ? 'Interactive namespace is empty.' : 'No variables match your requested type.');
    return undefined;
  },
};
