/** `%backend [NAME]`: shows the tfjs backends, or switches to one (setBackend). */
import { BACKENDS, backendInfo, setBackend, type BackendName } from '../../lib/backend';
import { JUPYTER_DISPLAY } from '../../lib/session';
import { tableBundle } from '../display/table';
import { words } from './args';
import { usageError } from './registry';
import type { Magic } from './types';

export const backend: Magic = {
  name: 'backend',
  kind: 'line',
  usage: `%backend [${BACKENDS.join(' | ')}]`,
  summary: 'Shows the TensorFlow.js backends and which is active; with a name, switches to it.',
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
    const bundle = tableBundle({
      columns: ['backend', 'status'],
      rows: BACKENDS.map((name) => ({
        backend: name,
        status: name === info.active ? 'active' : info.backends[name].available ? 'available' : `unavailable: ${info.backends[name].reason ?? ''}`,
      })),
      caption: `active backend: ${info.active}${info.forced ? ` (forced: ${info.forced})` : ''}`,
    });
    return { [JUPYTER_DISPLAY]: () => bundle, toString: () => String(bundle['text/plain']) };
  },
};
