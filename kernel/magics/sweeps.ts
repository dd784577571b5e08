/** `%sweeps [DIR] [--queue URL]`: the sweeps recorded in a checkpoint directory (or queued on a Redis). */
import { formatMetric } from '../../lib/monitor';
import { JUPYTER_DISPLAY } from '../../lib/session';
import type { SweepInfo } from '../../lib/sweep';
import { tableBundle } from '../display/table';
import { parseWords } from './args';
import { usageError } from './registry';
import type { Magic } from './types';

/** Where %sweeps finds sweeps (tests pass fakes). */
export interface SweepLister {
  local(dir: string): SweepInfo[];
  queued(url: string): Promise<SweepInfo[]>;
}

const toolkit: SweepLister = {
  local: (dir) => (require('../../lib/sweep') as typeof import('../../lib/sweep')).listSweeps(dir),
  queued: (url) => (require('../../lib/sweep/queue/list') as typeof import('../../lib/sweep/queue/list')).listQueuedSweeps(url),
};

/**
 * @param lister Lists sweeps; defaults to the toolkit's listSweeps() and listQueuedSweeps().
 * @example
 * registry.register(sweepsMagic());
 */
export function sweepsMagic(lister: SweepLister = toolkit): Magic {
  const magic: Magic = {
    name: 'sweeps',
    kind: 'line',
    usage: '%sweeps [DIR] [--queue redis://HOST:PORT]',
    summary: 'Lists the sweeps in DIR (default checkpoints) or on a Redis queue: status, trials, best value.',
    async run(context) {
      const { options, positional } = parseWords(magic, context.args, { values: ['--queue'] });
      if (positional.length > 1) usageError(magic, 'expected at most one directory', context.args);
      const queue = options.get('--queue') as string | undefined;
      if (queue !== undefined && positional.length > 0) usageError(magic, 'give a directory or --queue, not both', context.args);
      const dir = positional[0] ?? 'checkpoints';
      const sweeps = queue !== undefined ? await lister.queued(queue) : lister.local(dir);
      const where = queue ?? `${dir}/sweeps/`;
      if (sweeps.length === 0) {
        context.print(`No sweeps in ${where} (sweep() and %%sweep record theirs there).`);
        return undefined;
      }
      const bundle = tableBundle({
        columns: ['sweep', 'status', 'sampler', 'pruner', 'trials', 'finished', 'pruned', 'failed', 'unfinished', 'best', 'updated'],
        rows: sweeps.map((info) => ({
          sweep: info.name,
          status: info.status,
          sampler: info.sampler,
          pruner: info.pruner,
          // An unfinished sweep has trials left to propose: say how many of its budget it has.
          trials: info.status !== 'finished' && info.budget !== undefined && info.trials.total < info.budget ? `${info.trials.total}/${info.budget}` : info.trials.total,
          finished: info.trials.finished,
          pruned: info.trials.pruned,
          failed: info.trials.failed,
          unfinished: info.trials.unfinished,
          best: info.best ? `${info.monitor ?? 'value'} ${formatMetric(info.best.value)} (trial ${info.best.number})` : '',
          updated: info.updated,
        })),
        caption: `${sweeps.length} sweep${sweeps.length === 1 ? '' : 's'} in ${where}`,
      });
      return { [JUPYTER_DISPLAY]: () => bundle, toString: () => String(bundle['text/plain']) };
    },
  };
  return magic;
}
