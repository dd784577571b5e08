/** `%runs [DIR]`: the training runs saved in a checkpoint directory (default `checkpoints`). */
import { JUPYTER_DISPLAY } from '../../lib/session';
import { describeBest } from '../display/cellfit';
import { tableBundle } from '../display/table';
import { parseWords } from './args';
import { toolkitRunReader, type RunReader } from './run-reader';
import { usageError } from './registry';
import type { Magic } from './types';

/**
 * @param reader Reads the runs and their checkpoints; defaults to the toolkit's (tests pass fakes).
 * @example
 * registry.register(runsMagic());
 */
export function runsMagic(reader: () => RunReader = () => toolkitRunReader('%runs')): Magic {
  const magic: Magic = {
    name: 'runs',
    kind: 'line',
    usage: '%runs [DIR]',
    summary: 'Lists the training runs in DIR (default checkpoints): status, epochs, best metric.',
    run(context) {
      const { positional: args } = parseWords(magic, context.args, {});
      if (args.length > 1) usageError(magic, 'expected at most one directory', context.args);
      const dir = args[0] ?? 'checkpoints';
      const runs = reader().listRuns(dir);
      if (runs.length === 0) {
        context.print(`No runs in ${dir}/ (train() saves each run there).`);
        return undefined;
      }
      const bundle = tableBundle({
        columns: ['run', 'name', 'status', 'epochs', 'best', 'updated'],
        rows: runs.map((run) => ({
          run: run.id,
          name: run.name ?? '',
          status: run.status,
          epochs: `${run.epoch}/${run.epochs}`,
          best: describeBest(run.best),
          updated: run.updated,
        })),
        caption: `${runs.length} run${runs.length === 1 ? '' : 's'} in ${dir}/`,
      });
      return { [JUPYTER_DISPLAY]: () => bundle, toString: () => String(bundle['text/plain']) };
    },
  };
  return magic;
}
