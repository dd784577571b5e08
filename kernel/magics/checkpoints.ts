/** `%checkpoints RUN [--dir DIR]`: the checkpoints of one run, marking the latest and the best. */
import { formatValue } from '../../lib/errors';
import { JUPYTER_DISPLAY } from '../../lib/session';
import { tableBundle } from '../display/table';
import { parseWords } from './args';
import { toolkitRunReader, type RunReader, type RunInfoLike } from './run-reader';
import { usageError } from './registry';
import type { Magic } from './types';

/** The run `query` names: its id, its name, or a prefix of exactly one id. */
export function findRun(runs: readonly RunInfoLike[], query: string): RunInfoLike | undefined {
  const exact = runs.find((run) => run.id === query) ?? runs.find((run) => run.name === query);
  if (exact) return exact;
  const prefixed = runs.filter((run) => run.id.startsWith(query));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/**
 * @param reader Reads the runs and their checkpoints; defaults to the toolkit's (tests pass fakes).
 */
export function checkpointsMagic(reader: () => RunReader = () => toolkitRunReader('%checkpoints')): Magic {
  const magic: Magic = {
    name: 'checkpoints',
    kind: 'line',
    usage: '%checkpoints RUN [--dir DIR]   (RUN: a run id, name or id prefix, as %runs lists them)',
    summary: 'Lists the checkpoints of a run: epoch, batch, metrics, time; marks the latest and the best.',
    run(context) {
      const { options, positional: args } = parseWords(magic, context.args, { values: ['--dir'] });
      if (args.length !== 1) usageError(magic, 'expected one run', context.args);
      const dir = (options.get('--dir') as string | undefined) ?? 'checkpoints';
      const { listRuns, checkpoint } = reader();
      const runs = listRuns(dir);
      const run = findRun(runs, args[0]);
      if (!run) {
        const known = runs.slice(0, 5).map((r) => r.id).join(', ');
        usageError(magic, `no run ${formatValue(args[0])} in ${dir}/${runs.length ? `; runs there: ${known}${runs.length > 5 ? ', …' : ''}` : ' (it holds no runs)'}`, context.args);
      }
      const store = checkpoint(run.dir);
      const infos = store.list();
      if (infos.length === 0) {
        context.print(`Run ${run.id} has no checkpoints.`);
        return undefined;
      }
      const latest = store.latest()?.id;
      const best = store.best()?.id;
      const metrics = [...new Set(infos.flatMap((info) => Object.keys(info.metrics)))];
      const bundle = tableBundle({
        columns: ['checkpoint', 'epoch', 'batch', ...metrics, 'saved', 'note'],
        rows: infos.map((info) => ({
          checkpoint: info.id,
          epoch: info.epoch,
          batch: info.batch,
          ...Object.fromEntries(metrics.map((name) => [name, info.metrics[name]])),
          saved: info.time,
          note: [info.id === latest ? 'latest' : '', info.id === best ? 'best' : ''].filter(Boolean).join(', '),
        })),
        caption: `${infos.length} checkpoint${infos.length === 1 ? '' : 's'} of run ${run.id} (${run.status}, ${run.epoch}/${run.epochs} epochs)`,
      });
      return { [JUPYTER_DISPLAY]: () => bundle, toString: () => String(bundle['text/plain']) };
    },
  };
  return magic;
}
