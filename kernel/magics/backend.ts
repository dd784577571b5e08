/**
 * `%backend [NAME]`: shows the tfjs backends and the training engines (which one the latest
 * train() call ran on, and why `auto` fell back when it did), or switches the tfjs backend.
 */
import { BACKENDS, backendInfo, setBackend, type BackendName } from '../../lib/backend';
import { fusedUnavailable, lastEngine } from '../../lib/engines';
import { describeEngine } from '../../lib/train/run';
import { JUPYTER_DISPLAY } from '../../lib/session';
import { tableBundle } from '../display/table';
import { words } from './args';
import { usageError } from './registry';
import type { Magic } from './types';

export const backend: Magic = {
  name: 'backend',
  kind: 'line',
  usage: `%backend [${BACKENDS.join(' | ')}]`,
  summary: 'Shows the TensorFlow.js backends and the training engines; with a name, switches the backend.',
  async run(context) {
    const args = words(context.args);
    if (args.length > 1) usageError(backend, 'expected at most one backend name', context.args);
    if (args.length === 1) {
      const name = args[0];
      if (!(BACKENDS as readonly string[]).includes(name)) usageError(backend, `unknown backend ${JSON.stringify(name)}; expected one of ${BACKENDS.join(', ')}`, context.args);
      const active = await setBackend(name as BackendName);
      context.print(`backend: ${active}`);
      return undefined;
    }
    const info = backendInfo();
    const unavailable = fusedUnavailable();
    const last = lastEngine();
    const bundle = tableBundle({
      columns: ['kind', 'name', 'status'],
      rows: [
        ...BACKENDS.map((name) => ({
          kind: 'tf.js backend',
          name,
          status: name === info.active ? 'active' : info.backends[name].available ? 'available' : `unavailable: ${info.backends[name].reason ?? ''}`,
        })),
        { kind: 'training engine', name: 'fused', status: unavailable ?? "train()'s choice for dense networks (engine: 'auto'): WebAssembly SIMD128" },
        { kind: 'training engine', name: 'tfjs', status: 'every other model, and engine: \'tfjs\'' },
      ],
      caption: `active backend: ${info.active}${info.forced ? ` (forced: ${info.forced})` : ''}; latest train() ran on ${last ? describeEngine(last) : 'nothing yet'}`,
    });
    return { [JUPYTER_DISPLAY]: () => bundle, toString: () => String(bundle['text/plain']) };
  },
};
