/**
 * `checkpoint()`: where and how often training saves its full state, and the read side of a run's
 * checkpoints — list, latest, best, restore, export.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../backend';
import { CellfitError, fail, formatValue, warn } from '../errors';
import { formatMetric, Monitor, type MonitorMode } from '../monitor';
import { JUPYTER_DISPLAY, type MimeBundle } from '../session';
import { BEST_FILE, checkName, type StateHeader, childPath, compareCheckpointIds, DamagedCheckpointError, MODEL_FILE, OPTIMIZER_FILE, parseCheckpointId, parseJson, readCheckpointFiles, STATE_FILE, WEIGHTS_FILE } from './format';
import { nodeFs as realFs, writeAtomic, type CheckpointFs } from './fs';
import { restoreOptimizer } from '../engines/tfjs/optimizer';
import { applyWeights, compiledOptimizer, modelWeights, trainableVariables } from '../engines/tfjs/weights';
import { specsOfModelJson } from './layers';
import { PREPROCESSING_FILE } from '../preprocess';
import type { OptimizerSnapshot, WeightsSnapshot } from './snapshot';
import { escapeHtml } from '../util/html';
import { checkBoolean, checkInteger, checkKeys, type OptionKeys } from '../util/options';

/** When training saves a checkpoint. */
export type CheckpointEvery = 'epoch' | { readonly epochs: number } | { readonly batches: number } | { readonly seconds: number };

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /** Directory that holds one sub-directory per run (or, to read one run, that run's directory). */
  readonly dir: string;
  /** `'epoch'`, `{ epochs: n }`, `{ batches: n }` or `{ seconds: s }`. Defaults to 'epoch'. */
  readonly every?: CheckpointEvery;
  /** How many of the newest checkpoints to keep. Defaults to 3. */
  readonly keep?: number;
  /** How many of the best checkpoints (by `monitor`) to keep besides those. Defaults to 1. */
  readonly keepBest?: number;
  /** Metric that ranks checkpoints. Defaults to 'val_loss' with validation data, else 'loss'. */
  readonly monitor?: string;
  /** `min`, `max` or `auto`. Defaults to 'auto'. */
  readonly mode?: MonitorMode;
  /** Write checkpoints from a background thread so training does not wait on the disk. Defaults to true. */
  readonly background?: boolean;
  /** File operations for writing (tests pass a fake disk). Defaults to the real file system. */
  readonly fs?: CheckpointFs;
}

/** One checkpoint, as `list()` reports it. */
export interface CheckpointInfo {
  /** e.g. `epoch-0003` or `epoch-0003-batch-000120`. */
  readonly id: string;
  /** Completed epochs. */
  readonly epoch: number;
  /** Completed batches of the next epoch (0 at an epoch boundary). */
  readonly batch: number;
  /** Completed optimisation steps. */
  readonly step: number;
  /** Metrics of the epoch it closes (empty for a mid-epoch checkpoint). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly time: Date;
  readonly path: string;
}

/** A verified checkpoint, read into memory; `S` is what its state.json holds (the training loop's state). */
export interface LoadedCheckpoint<S extends StateHeader = StateHeader> {
  readonly info: CheckpointInfo;
  readonly state: S;
  readonly modelJson: Record<string, unknown>;
  readonly weights: WeightsSnapshot;
  readonly optimizer: OptimizerSnapshot;
  /** Early stopping's best weights, when the checkpoint holds them apart from its own. */
  readonly best?: WeightsSnapshot;
}

/** Which checkpoint: the newest valid one, the best by the monitor, or an id. */
export type CheckpointChoice = 'latest' | 'best' | string;

const CHECKPOINT_KEYS = { dir: true, every: true, keep: true, keepBest: true, monitor: true, mode: true, background: true, fs: true } as const satisfies OptionKeys<CheckpointOptions>;

/**
 * Configures checkpointing for `train()` — or, given a run's directory, reads its checkpoints.
 *
 * @example
 * const run = await train(model, data, { epochs: 20, checkpoint: checkpoint({ dir: 'checkpoints', every: { epochs: 2 }, keep: 5 }) });
 * run.checkpoints.list();                       // [{ id: 'epoch-0002', epoch: 2, metrics: {...} }, ...]
 * await run.checkpoints.restore(model, 'best'); // checkpoint selection
 * await run.checkpoints.export('best', 'exported');   // then: tf.loadLayersModel(...)
 */
export function checkpoint(dirOrOptions: string | CheckpointOptions): CheckpointStore {
  return new CheckpointStore(typeof dirOrOptions === 'string' ? { dir: dirOrOptions } : dirOrOptions);
}

/** A directory of checkpoints; see {@link checkpoint}. */
export class CheckpointStore {
  /** Absolute path of the directory. */
  readonly dir: string;
  readonly every: CheckpointEvery;
  readonly keep: number;
  readonly keepBest: number;
  readonly monitor?: string;
  readonly mode: MonitorMode;
  readonly background: boolean;
  readonly fs?: CheckpointFs;
  private readonly options: CheckpointOptions;

  constructor(options: CheckpointOptions) {
    const where = 'checkpoint()';
    if (typeof options !== 'object' || options === null) fail(where, `expected a directory name or options such as { dir: 'checkpoints' }. Received: ${formatValue(options)}.`);
    checkKeys(where, options, CHECKPOINT_KEYS);
    const { dir, every = 'epoch', keep = 3, keepBest = 1, monitor, mode = 'auto', background = true, fs } = options;
    if (typeof dir !== 'string' || dir === '') fail(where, `\`dir\` must be a directory path. Received: dir=${formatValue(dir)}.`);
    checkEvery(every, where);
    checkInteger(where, 'keep', keep, 1, undefined, { why: 'the newest checkpoint is always kept' });
    checkInteger(where, 'keepBest', keepBest, 0);
    if (monitor !== undefined) new Monitor(where, { monitor, mode });
    else if (!['min', 'max', 'auto'].includes(mode)) new Monitor(where, { monitor: 'loss', mode });
    checkBoolean(where, 'background', background);
    this.options = options;
    this.dir = path.resolve(dir);
    this.every = every;
    this.keep = keep;
    this.keepBest = keepBest;
    if (monitor !== undefined) this.monitor = monitor;
    this.mode = mode;
    this.background = background;
    if (fs) this.fs = fs;
  }

  /** The same settings, for the run directory `name` inside this directory. */
  forRun(name: string): CheckpointStore {
    return new CheckpointStore({ ...this.options, dir: childPath(this.dir, name, 'checkpoint()') });
  }

  /** The file operations writes go through. */
  get writeFs(): CheckpointFs {
    return this.fs ?? realFs;
  }

  /** Every valid checkpoint in this (run) directory, oldest first; damaged ones are skipped with a warning. */
  list(): CheckpointInfo[] {
    return this.validInfos('CheckpointStore.list()', true);
  }

  /** Infos of the valid checkpoints; damaged ones are warned about (with `warnDamaged`) and skipped. */
  validInfos(where: string, warnDamaged: boolean): CheckpointInfo[] {
    const infos: CheckpointInfo[] = [];
    for (const id of this.ids()) {
      const loaded = this.tryLoad(id, where, warnDamaged);
      if (loaded) infos.push(loaded.info);
    }
    return infos;
  }

  /** The newest valid checkpoint (damaged newer ones are skipped with a warning), or undefined. */
  latest(): CheckpointInfo | undefined {
    return this.loadLatest('CheckpointStore.latest()')?.info;
  }

  /** The best valid checkpoint by `monitor` (default: the store's, else val_loss or loss), or undefined. */
  best(monitor?: string): CheckpointInfo | undefined {
    return this.loadBest(monitor, 'CheckpointStore.best()')?.info;
  }

  /**
   * Restores the weights of a checkpoint into `model` — and its optimizer state, when the model is
   * compiled with an optimizer of the same kind. Returns the checkpoint restored.
   *
   * @example
   * await run.checkpoints.restore(model, 'best');
   */
  async restore(model: tf.LayersModel, which: CheckpointChoice = 'latest'): Promise<CheckpointInfo> {
    const where = 'CheckpointStore.restore()';
    const loaded = this.load(which, where);
    applyWeights(modelWeights(model), loaded.weights, where, `checkpoint ${loaded.info.id}`);
    const optimizer = compiledOptimizer(model);
    if (optimizer && optimizer.getClassName() === loaded.optimizer.meta.className) {
      restoreOptimizer(optimizer, loaded.optimizer, trainableVariables(model), where);
    }
    return loaded.info;
  }

  /**
   * Writes a prediction-only copy of a checkpoint (`model.json` + `weights.bin`, no optimizer) to
   * `dir`, loadable with `tf.loadLayersModel`. Returns the path of `model.json`.
   *
   * @example
   * const file = await run.checkpoints.export('best', 'models/flights');
   * const model = await tf.loadLayersModel(fileHandler('models/flights'));
   */
  async export(which: CheckpointChoice, dir: string): Promise<string> {
    const where = 'CheckpointStore.export()';
    if (typeof dir !== 'string' || dir === '') fail(where, `\`dir\` must be a directory path. Received: dir=${formatValue(dir)}.`);
    const loaded = this.load(which, where);
    const target = path.resolve(dir);
    const files = readCheckpointFiles(path.dirname(loaded.info.path), loaded.info.id).files;
    const fs = this.writeFs;
    try {
      await fs.mkdir(target);
      await writeAtomic(fs, path.join(target, WEIGHTS_FILE), files.get(WEIGHTS_FILE)!);
      await writeAtomic(fs, path.join(target, MODEL_FILE), files.get(MODEL_FILE)!);
      // A run trained with preprocess() keeps it beside its checkpoints; the export carries it (see loadModel()).
      const preprocessing = path.join(this.dir, PREPROCESSING_FILE);
      if (nodeFs.existsSync(preprocessing)) await writeAtomic(fs, path.join(target, PREPROCESSING_FILE), nodeFs.readFileSync(preprocessing));
    } catch (error) {
      fail(where, `could not write to ${target}: ${(error as Error).message}.`);
    }
    return path.join(target, MODEL_FILE);
  }

  /** Reads and verifies checkpoint `which`; `latest` and `best` fall back past damaged ones. */
  load<S extends StateHeader = StateHeader>(which: CheckpointChoice, where: string): LoadedCheckpoint<S> {
    let loaded: LoadedCheckpoint<S> | undefined;
    if (which === 'latest') loaded = this.loadLatest<S>(where);
    else if (which === 'best') loaded = this.loadBest<S>(undefined, where);
    else {
      const id = checkName(which, 'which', where);
      if (!parseCheckpointId(id)) fail(where, `\`which\` must be 'latest', 'best' or a checkpoint id such as 'epoch-0003'. Received: which=${formatValue(which)}.`);
      if (!this.ids().includes(id)) fail(where, `there is no checkpoint ${id} in ${this.dir}. Checkpoints: ${this.ids().join(', ') || 'none'}.`);
      try {
        loaded = this.read<S>(id);
      } catch (error) {
        if (error instanceof DamagedCheckpointError) fail(where, `${error.message}. Choose another checkpoint: ${this.ids().filter((other) => other !== id).join(', ') || 'none'}.`);
        throw error;
      }
    }
    if (!loaded) fail(where, `there is no valid checkpoint in ${this.dir}${which === 'best' ? ' that reports the monitored metric' : ''}.`);
    return loaded;
  }

  /** The newest valid checkpoint, warning about each damaged one skipped on the way. */
  loadLatest<S extends StateHeader = StateHeader>(where: string, warnDamaged = true): LoadedCheckpoint<S> | undefined {
    for (const id of this.ids().reverse()) {
      const loaded = this.tryLoad<S>(id, where, warnDamaged);
      if (loaded) return loaded;
    }
    return undefined;
  }

  private loadBest<S extends StateHeader>(monitorName: string | undefined, where: string): LoadedCheckpoint<S> | undefined {
    const candidates = this.ids()
      .map((id) => this.tryLoad<S>(id, where))
      .filter((loaded): loaded is LoadedCheckpoint<S> => loaded !== undefined && Object.keys(loaded.info.metrics).length > 0);
    if (candidates.length === 0) return undefined;
    const metric = monitorName ?? this.monitor ?? candidates[candidates.length - 1].state.best?.monitor ?? ('val_loss' in candidates[0].info.metrics ? 'val_loss' : 'loss');
    const monitor = new Monitor(where, { monitor: metric, mode: monitorName === undefined ? this.mode : 'auto' });
    const available = candidates.filter((loaded) => Number.isFinite(loaded.info.metrics[metric]));
    if (available.length === 0) monitor.check(Object.keys(candidates[0].info.metrics), where);
    return available.reduce((best, loaded) => (monitor.better(loaded.info.metrics[metric], best.info.metrics[metric]) ? loaded : best));
  }

  /** Checkpoint ids in this directory, oldest first (by name; not verified). */
  ids(): string[] {
    let names: string[];
    try {
      names = nodeFs.readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw error;
    }
    return names.filter((name) => parseCheckpointId(name) !== undefined).sort(compareCheckpointIds);
  }

  private tryLoad<S extends StateHeader>(id: string, where: string, warnDamaged = true): LoadedCheckpoint<S> | undefined {
    try {
      return this.read<S>(id);
    } catch (error) {
      if (!(error instanceof DamagedCheckpointError)) throw error;
      // Gone since ids() listed it: a training process retired it meanwhile (renamed aside, then
      // deleted or reused), which is no damage to warn about.
      if (warnDamaged && nodeFs.existsSync(path.join(this.dir, id))) warn(where, `skipping ${path.join(this.dir, id)}: ${error.reason}.`);
      return undefined;
    }
  }

  /**
   * Reads checkpoint `id` with every file verified; throws DamagedCheckpointError. `S` names what
   * state.json holds beyond the header the store checks.
   */
  read<S extends StateHeader = StateHeader>(id: string): LoadedCheckpoint<S> {
    const { files } = readCheckpointFiles(this.dir, id);
    let state: S;
    let modelJson: Record<string, unknown>;
    try {
      state = parseJson(files.get(STATE_FILE)!) as S;
      modelJson = parseJson(files.get(MODEL_FILE)!) as Record<string, unknown>;
    } catch (error) {
      throw new DamagedCheckpointError(id, `its JSON is unreadable (${(error as Error).message})`);
    }
    if (state?.format !== 'cellfit-state' || typeof state.position?.epoch !== 'number') throw new DamagedCheckpointError(id, `${STATE_FILE} is not a cellfit training state`);
    const specs = specsOfModelJson(modelJson as never, 'CheckpointStore', `checkpoint ${id}`);
    const optimizerData = files.get(OPTIMIZER_FILE) ?? new Uint8Array(0);
    const bestData = files.get(BEST_FILE);
    const info: CheckpointInfo = {
      id,
      epoch: state.position.epoch,
      batch: state.position.batch,
      step: state.position.step,
      metrics: state.metrics ?? {},
      time: new Date(state.time),
      path: path.join(this.dir, id),
    };
    return {
      info,
      state,
      modelJson,
      weights: { specs, data: files.get(WEIGHTS_FILE)! },
      optimizer: { meta: state.optimizer, data: optimizerData },
      ...(bestData ? { best: { specs, data: bestData } } : {}),
    };
  }

  toString(): string {
    const infos = this.list();
    if (infos.length === 0) return `CheckpointStore ${this.dir}: no checkpoints`;
    const lines = infos.map((info) => `  ${info.id.padEnd(24)} ${formatMetrics(info.metrics)}`);
    return `CheckpointStore ${this.dir}: ${infos.length} checkpoint${infos.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  }

  /** Shown in a notebook as a table of checkpoints. */
  [JUPYTER_DISPLAY](): MimeBundle {
    const infos = this.list();
    const names = [...new Set(infos.flatMap((info) => Object.keys(info.metrics)))];
    const head = ['checkpoint', 'epoch', 'batch', ...names, 'saved'].map((cell) => `<th>${escapeHtml(cell)}</th>`).join('');
    const rows = infos
      .map((info) => {
        const cells = [info.id, String(info.epoch), String(info.batch), ...names.map((name) => (name in info.metrics ? formatMetric(info.metrics[name]) : '')), info.time.toISOString()];
        return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
      })
      .join('');
    return {
      'text/plain': this.toString(),
      'text/html': `<table><caption>${escapeHtml(this.dir)}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`,
    };
  }
}

/**
 * An error for a checkpoint that could not be written, saying what is on disk and what to do.
 * `durable` is the newest checkpoint on disk (a re-run resumes from it); `landed` says that it is
 * the one that failed (its directory was in place before the failure, e.g. in updating run.json).
 */
export function writeFailure(where: string, runDir: string, id: string, durable: string | undefined, reason: string, landed = false): CellfitError {
  const kept = landed
    ? `Checkpoint ${id} itself is on disk and intact (what failed came after it)`
    : durable
      ? `Training stopped there; the newest checkpoint on disk, ${durable}, is intact`
      : 'Training stopped there; no earlier checkpoint was touched';
  const resume = durable ? `re-run the same train() call to resume from ${durable}` : 're-run the same train() call to start again';
  const keep = durable ? ` To keep what is on disk elsewhere: await checkpoint('${runDir}').export('latest', 'another-dir'), then tf.loadLayersModel(fileHandler('another-dir')).` : '';
  return new CellfitError(
    where,
    `could not write checkpoint ${id} to ${runDir}: ${reason}. ${kept}, and the model object you passed to train() holds everything trained up to the failure (evaluate or predict with it now). ` +
      `Free space or make the directory writable, then ${resume}.${keep}`,
  );
}

function checkEvery(every: unknown, where: string): void {
  if (every === 'epoch') return;
  const valid =
    typeof every === 'object' &&
    every !== null &&
    Object.keys(every).length === 1 &&
    (('epochs' in every && Number.isInteger(every.epochs) && (every.epochs as number) >= 1) ||
      ('batches' in every && Number.isInteger(every.batches) && (every.batches as number) >= 1) ||
      ('seconds' in every && typeof every.seconds === 'number' && every.seconds > 0));
  if (!valid) {
    fail(where, `\`every\` must be 'epoch', { epochs: n }, { batches: n } or { seconds: s } with n an integer ≥ 1 and s > 0. Received: every=${formatValue(every)}.`);
  }
}

function formatMetrics(metrics: Readonly<Record<string, number>>): string {
  return Object.entries(metrics)
    .map(([name, value]) => `${name}=${formatMetric(value)}`)
    .join(' ');
}

