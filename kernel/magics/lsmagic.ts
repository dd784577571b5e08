/** `%lsmagic`: the magics this kernel knows, with their usage. */
import { JUPYTER_DISPLAY } from '../../lib/session';
import { tableBundle } from '../display/table';
import { usageError } from './registry';
import type { Magic } from './types';

export const lsmagic: Magic = {
  name: 'lsmagic',
  kind: 'line',
  usage: '%lsmagic',
  summary: 'Lists the line and cell magics, with their usage.',
  run(context) {
    if (context.args !== '') usageError(lsmagic, 'takes no arguments', context.args);
    const rows = context.magics.map((magic) => ({
      magic: magic.kind === 'both' ? `%${magic.name}, %%${magic.name}` : `${magic.kind === 'cell' ? '%%' : '%'}${magic.name}`,
      usage: magic.usage,
      summary: magic.summary,
    }));
    const bundle = tableBundle({ columns: ['magic', 'usage', 'summary'], rows, caption: `${rows.length} magics (a line starting with %, a cell starting with %%)` });
    return { [JUPYTER_DISPLAY]: () => bundle, toString: () => String(bundle['text/plain']) };
  },
};
