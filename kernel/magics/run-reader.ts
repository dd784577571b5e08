/**
 * How the magics read runs and checkpoints (%runs, %checkpoints): `listRuns()` and `checkpoint()`
 * from the toolkit, loaded when first needed and described by the small interfaces below so that
 * tests can pass fakes.
 */
import { CellfitError } from '../../lib/errors';

/** A run as `listRuns()` reports it (lib/runs.ts). */
export interface RunInfoLike {
  readonly id: string;
  readonly name?: string;
  readonly dir: string;
  readonly status: string;
  readonly epoch: number;
  readonly epochs: number;
  readonly best?: { readonly epoch: number; readonly monitor: string; readonly value: number };
  readonly updated?: Date;
}

/** A checkpoint as `CheckpointStore.list()` reports it. */
export interface CheckpointInfoLike {
  readonly id: string;
  readonly epoch: number;
  readonly batch: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly time: Date;
  readonly path: string;
}

/** The read side of a run's checkpoints (lib/checkpoint/store.ts). */
export interface CheckpointStoreLike {
  readonly dir: string;
  list(): CheckpointInfoLike[];
  latest(): CheckpointInfoLike | undefined;
  best(monitor?: string): CheckpointInfoLike | undefined;
}

/** What %runs and %checkpoints need of the toolkit: its run listing and its checkpoint stores. */
export interface RunReader {
  listRuns(dir: string): RunInfoLike[];
  checkpoint(dir: string): CheckpointStoreLike;
}

/** The toolkit's run reader; throws, naming `magic`, when this build of cellfit has none. */
export function toolkitRunReader(magic: string): RunReader {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('../../lib') as Partial<RunReader>;
  if (typeof lib.listRuns !== 'function' || typeof lib.checkpoint !== 'function') {
    throw new CellfitError(magic, "this build of cellfit cannot list runs (listRuns() and checkpoint() are missing from 'cellfit').");
  }
  return { listRuns: lib.listRuns.bind(lib), checkpoint: lib.checkpoint.bind(lib) };
}
