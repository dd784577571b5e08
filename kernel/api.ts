/**
 * What notebook code can ask of the running cellfit kernel — `import { registerMagic, display,
 * clearOutput } from 'cellfit/kernel'`. The kernel announces itself on a global symbol, so these
 * work from any copy of cellfit a notebook loads.
 */
import { fail } from '../lib/errors';
import { currentSession, type MimeBundle } from '../lib/session';
import { plainText, toMimeBundle } from './display/bundle';
import type { MagicRegistry } from './magics/registry';
import type { Magic } from './magics/types';

/** What the kernel puts on the global symbol. */
export interface KernelHandle {
  readonly magics: MagicRegistry;
  clearOutput(wait: boolean): void;
}

const KERNEL = Symbol.for('cellfit.kernel');

/** Announces (or, with `undefined`, withdraws) the running kernel. */
export function setKernelHandle(handle: KernelHandle | undefined): void {
  (globalThis as Record<symbol, KernelHandle | undefined>)[KERNEL] = handle;
}

function kernelHandle(where: string): KernelHandle {
  const handle = (globalThis as Record<symbol, KernelHandle | undefined>)[KERNEL];
  if (!handle) fail(where, 'no cellfit kernel runs in this process. Magics exist in notebooks run by the cellfit kernel (npx cellfit install).');
  return handle;
}

/**
 * Adds a magic to the running kernel (replacing one of the same name); cells run after this one
 * can use it.
 *
 * @example
 * registerMagic({
 *   name: 'hello', kind: 'line', usage: '%hello NAME', summary: 'Greets NAME.',
 *   run: ({ args }) => `hello, ${args}`,
 * });
 * // next cell:  %hello world   →  'hello, world'
 */
export function registerMagic(magic: Magic): void {
  kernelHandle('registerMagic()').magics.register(magic);
}

/**
 * Removes a magic from the running kernel; returns whether it existed.
 *
 * @example
 * unregisterMagic('hello');   // true
 */
export function unregisterMagic(name: string): boolean {
  return kernelHandle('unregisterMagic()').magics.unregister(name);
}

/** A shown output that can be replaced in place. */
export interface ValueDisplay {
  update(value: unknown): void;
}

/**
 * Shows `value` in the running cell the way the kernel shows results (tables, tensors, bundles of
 * objects with `[Symbol.for('Jupyter.display')]`), and returns a handle that replaces it in place.
 * Outside a notebook it prints the value's text form.
 *
 * @example
 * const progress = display('starting…');
 * progress.update('done');
 */
export function display(value: unknown): ValueDisplay {
  const session = currentSession();
  if (!session) {
    console.log(plainText(value));
    return { update: (next) => console.log(plainText(next)) };
  }
  const shown = session.display(toMimeBundle(value));
  return { update: (next) => shown.update(toMimeBundle(next)) };
}

/** Shows a MIME bundle as is, e.g. `displayBundle({ 'text/html': '<b>hi</b>', 'text/plain': 'hi' })`. */
export function displayBundle(bundle: MimeBundle): { update(bundle: MimeBundle): void } {
  const session = currentSession();
  if (!session) fail('displayBundle()', 'there is no notebook cell to show it in (no cellfit kernel runs in this process).');
  return session.display(bundle);
}

/**
 * Clears the running cell's output; with `wait`, only when the next output arrives (no flicker in
 * progress displays).
 *
 * @example
 * for (const step of steps) {
 *   clearOutput({ wait: true });
 *   console.log(`step ${step}`);
 * }
 */
export function clearOutput({ wait = false }: { wait?: boolean } = {}): void {
  kernelHandle('clearOutput()').clearOutput(wait);
}
