/**
 * The mini-batch loop. Each epoch draws its data order from the run's seeded generator, each step
 * runs the model's own training function (forward pass, loss with regularisation penalties,
 * gradients, optimizer update — the same function `model.fit` uses) with `Math.random` swapped for
 * the run's dropout generator, and the per-batch losses stay on the device until a progress line,
 * a checkpoint or the epoch's end needs them.
 *
 * Everything that evolves is in this class's fields and goes into each checkpoint: position, both
 * generators, the losses of the epoch so far, history, schedule and early-stop state — so that a
 * run resumed from any checkpoint, mid-epoch included, continues bit for bit.
 */
import { tf } from '../backend';
import type { CallbackList, TrainingContext } from '../callbacks';
import { checkpointId, parseCheckpointId } from '../checkpoint/format';
import { restoreOptimizer, setLearningRate } from '../checkpoint/optimizer';
import type { CheckpointPayload, TrainingCheckpoints } from '../checkpoint/session';
import type { BestEpoch, CheckpointState, HistoryEntry, ParentRef, RunRecord, RunStatus } from '../checkpoint/state';
import { trainableVariables, type CheckpointEvery, type LoadedCheckpoint } from '../checkpoint/store';
import { applyWeights, layersModelJson, modelWeights, snapshotWeights, type WeightsSnapshot } from '../checkpoint/weights';
import type { EarlyStopper, EarlyStopState, StopDecision } from '../earlystop';
import type { Monitor } from '../monitor';
import type { LiveChart } from '../plots/training';
import type { ProgressSink } from '../progress';
import { Rng, type RngState } from '../random';
import type { LearningRateSchedule } from '../schedules';
import type { Batch, PreparedData } from './data';
import type { OptimizerDriver } from './optimizer';

/** The model's training function: inputs and targets in, [loss, ...metrics] scalars out. */
export type TrainFunction = (data: tf.Tensor[]) => tf.Scalar[];

/** What stays fixed while a run trains. */
export interface LoopConfig {
  readonly where: string;
  readonly runId: string;
  readonly name?: string;
  readonly identity: string;
  readonly looseIdentity: string;
  readonly parent?: ParentRef;
  readonly created: string;
  readonly model: tf.LayersModel;
  readonly trainFunction: TrainFunction;
  readonly driver: OptimizerDriver;
  readonly data: PreparedData;
  readonly epochs: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly evaluationBatchSize: number;
  readonly schedule: LearningRateSchedule;
  readonly stopper?: EarlyStopper;
  /** Ranks epochs for `run.best` and checkpoint retention. */
  readonly monitor: Monitor;
  readonly checkpoints?: TrainingCheckpoints;
  readonly every: CheckpointEvery;
  readonly callbacks: CallbackList;
  readonly progress: ProgressSink;
  readonly chart?: LiveChart;
  readonly signal?: AbortSignal;
  /** Names of the per-batch outputs of the training function (`model.metricsNames`). */
  readonly trainNames: readonly string[];
  /** All names reported per epoch: training ones, then evaluation ones. */
  readonly metricNames: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly now: () => number;
}

/** The resumable state, as restored from a checkpoint or fresh. */
export interface LoopState {
  readonly epoch: number;
  readonly batch: number;
  readonly step: number;
  readonly orderRng: RngState;
  readonly dropoutRng: RngState;
  readonly partial: readonly (readonly number[])[];
  readonly history: readonly HistoryEntry[];
  readonly stopState: EarlyStopState;
  readonly bestWeights?: WeightsSnapshot;
  readonly scheduleState: unknown;
  readonly initialRate: number;
  readonly elapsed: number;
}

/** How a call to the loop ended. */
export interface LoopResult {
  readonly status: Exclude<RunStatus, 'running'>;
  readonly stop: StopDecision;
  readonly epoch: number;
  readonly history: readonly HistoryEntry[];
  readonly best?: BestEpoch;
  readonly elapsed: number;
}

/** Milliseconds of training between yields to the event loop (interrupts, progress, writer replies). */
const YIELD_EVERY_MS = 20;
/** Per-batch outputs kept on the device before they are read in one go. */
const FOLD_EVERY = 512;
/**
 * Values per tensor gathered in one go, to be split into batches. One gather for many batches saves
 * per-op overhead, but wasm's slice (behind split) copies its whole input each time, so the chunk
 * stays small.
 */
const CHUNK_VALUES = 16384;
/** Marks a batch already handed out from the chunk. */
const EMPTY_BATCH = {} as Batch;

/** Raised inside the loop when weights or losses stop being finite. */
class Divergence {
  constructor(readonly message: string) {}
}

/** One call's worth of training; see the module comment. */
export class TrainingLoop {
  private epoch: number;
  private batch: number;
  private step: number;
  private readonly orderRng: Rng;
  private readonly dropoutRng: Rng;
  private epochStart: RngState;
  private order: Uint32Array = new Uint32Array(0);
  private partial: number[][];
  private pending: tf.Scalar[][] = [];
  private ahead: Batch[] = [];
  private aheadFrom = 0;
  private runningSum = 0;
  private runningCount = 0;
  private history: HistoryEntry[];
  private stopState: EarlyStopState;
  private bestWeights?: WeightsSnapshot;
  private readonly initialRate: number;
  private rate: number;
  private stop?: StopDecision;
  private requested?: string;
  private readonly elapsedBefore: number;
  private readonly began: number;
  private lastSave: number;
  private lastSaveStep: number;
  private lastFinite?: { epoch: number; weights: WeightsSnapshot; optimizer: ReturnType<OptimizerDriver['capture']> };
  private readonly size: number;
  private readonly batchesPerEpoch: number;
  private readonly randomStandIn: () => number;
  /** Batches per gathered chunk (1: a gather per batch). */
  private readonly chunkBatches: number;

  constructor(
    private readonly config: LoopConfig,
    state: LoopState,
  ) {
    this.epoch = state.epoch;
    this.batch = state.batch;
    this.step = state.step;
    this.orderRng = Rng.fromState(state.orderRng);
    this.dropoutRng = Rng.fromState(state.dropoutRng);
    this.epochStart = state.orderRng;
    this.partial = state.partial.map((row) => [...row]);
    this.history = [...state.history];
    this.stopState = state.stopState;
    if (state.bestWeights) this.bestWeights = state.bestWeights;
    this.initialRate = state.initialRate;
    config.schedule.setState(state.scheduleState);
    this.rate = (config.driver.optimizer as unknown as { learningRate: number }).learningRate;
    this.elapsedBefore = state.elapsed;
    this.began = config.now();
    this.lastSave = this.began;
    this.lastSaveStep = this.step;
    this.size = config.data.train.size;
    this.batchesPerEpoch = Math.ceil(this.size / config.batchSize);
    this.randomStandIn = () => this.dropoutRng.random();
    const rowValues = Math.max(...[config.model.inputs[0].shape, config.model.outputs[0].shape].map((shape) => shape.slice(1).reduce<number>((product, size) => product * (size ?? 1), 1)));
    this.chunkBatches = Math.max(1, Math.min(64, Math.floor(CHUNK_VALUES / (config.batchSize * rowValues))));
    for (const row of this.partial) {
      this.runningSum += row[0] * this.batchRows(this.runningCount);
      this.runningCount++;
    }
  }

  /** Trains until `epochs`, an early stop, divergence or an interrupt. */
  async run(): Promise<LoopResult> {
    const { config } = this;
    config.progress.start({ title: config.name ?? config.runId, epochs: config.epochs, batchesPerEpoch: this.batchesPerEpoch, epoch: this.epoch, batch: this.batch });
    config.driver.attach();
    try {
      if (config.checkpoints && config.checkpoints.ids.length === 0) await this.save('running');
      await config.callbacks.trainBegin(this.context());
      while (!this.stop && this.epoch < config.epochs) await this.trainEpoch();
      await config.callbacks.trainEnd(this.context());
    } catch (error) {
      if (!(error instanceof Divergence)) throw error;
      await this.diverge(error.message);
    } finally {
      tf.dispose(this.pending.flat());
      this.pending = [];
      this.dropAhead();
      config.driver.detach();
    }
    const stop = this.stop ?? { reason: 'completed' as const, message: `trained ${this.epoch} epochs.`, epoch: this.epoch };
    config.progress.end(stop.message);
    config.chart?.update(this.history, this.marks(stop), true);
    return { status: statusOf(stop), stop, epoch: this.epoch, history: this.history, ...(this.best() ? { best: this.best()! } : {}), elapsed: this.elapsed() };
  }

  private async trainEpoch(): Promise<void> {
    const { config } = this;
    const started = config.now();
    this.epochStart = this.orderRng.getState();
    this.order = config.shuffle ? this.orderRng.permutation(this.size) : Uint32Array.from({ length: this.size }, (_, i) => i);
    if (!config.schedule.perStep) this.setRate(config.schedule.rate({ epoch: this.epoch, step: this.step, initial: this.initialRate }));
    await config.callbacks.epochBegin(this.epoch + 1, this.context());
    let lastYield = config.now();
    while (this.batch < this.batchesPerEpoch) {
      if (config.checkpoints?.failure) throw config.checkpoints.failure;
      if (config.signal?.aborted) return this.interrupt();
      if (this.requested !== undefined) return this.requestStop();
      await this.trainBatch();
      if (this.batch < this.batchesPerEpoch && this.saveDue()) await this.save('running');
      const time = config.now();
      if (time - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = config.now();
      }
    }
    this.dropAhead();
    await this.endEpoch((config.now() - started) / 1000);
  }

  private async trainBatch(): Promise<void> {
    const { config } = this;
    const batchIndex = this.batch;
    if (config.schedule.perStep) this.setRate(config.schedule.rate({ epoch: this.epoch, step: this.step, initial: this.initialRate }));
    if (config.callbacks.hasBatchHooks) await config.callbacks.batchBegin(batchIndex, this.context());
    const drawn = this.nextBatch(batchIndex);
    const { xs, ys } = drawn instanceof Promise ? await drawn : drawn;
    // tfjs seeds dropout masks (and any other random op) from Math.random: for this synchronous
    // step it draws from the run's own generator, whose state goes into checkpoints.
    const random = Math.random;
    Math.random = this.randomStandIn;
    let outputs: tf.Scalar[];
    try {
      outputs = config.trainFunction([xs, ys]);
    } finally {
      Math.random = random;
      tf.dispose([xs, ys]);
    }
    this.pending.push(outputs);
    this.batch++;
    this.step++;
    if (config.callbacks.hasBatchHooks) {
      this.fold();
      const row = this.partial[this.partial.length - 1];
      const logs: Record<string, number> = {};
      config.trainNames.forEach((name, i) => (logs[name] = row[i]));
      await config.callbacks.batchEnd(batchIndex, logs, this.context());
    } else if (this.pending.length >= FOLD_EVERY) {
      this.fold();
    }
    config.progress.batch(this.epoch, this.batch, this.runningLoss);
  }

  /** The batch `index` of the epoch: drawn from a chunk gathered ahead when the data allows. */
  private nextBatch(index: number): Batch | Promise<Batch> {
    const { data, batchSize } = this.config;
    if (this.ahead.length === 0 || this.aheadFrom + this.ahead.length <= index || this.aheadFrom > index) {
      this.dropAhead();
      const count = Math.min(this.chunkBatches, this.batchesPerEpoch - index);
      const sizes = Array.from({ length: count }, (_, k) => this.batchRows(index + k));
      const start = index * batchSize;
      const indices = Int32Array.from(this.order.subarray(start, start + sizes.reduce((sum, size) => sum + size, 0)));
      if (!data.train.batches || count === 1) return data.train.batch(indices.subarray(0, sizes[0]));
      this.ahead = data.train.batches(indices, sizes);
      this.aheadFrom = index;
    }
    const batch = this.ahead[index - this.aheadFrom];
    if (index - this.aheadFrom === this.ahead.length - 1) {
      this.ahead = [];
    } else {
      this.ahead[index - this.aheadFrom] = EMPTY_BATCH;
    }
    return batch;
  }

  /** Frees batches gathered ahead but not used (at an epoch's end, an interrupt or an error). */
  private dropAhead(): void {
    tf.dispose(this.ahead.filter((batch) => batch !== EMPTY_BATCH).flatMap((batch) => [batch.xs, batch.ys]));
    this.ahead = [];
  }

  /** Reads the outputs still on the device (one sync) into `partial`. */
  private fold(): void {
    if (this.pending.length === 0) return;
    const width = this.pending[0].length;
    const stacked = tf.stack(this.pending.flat());
    const values = stacked.dataSync();
    stacked.dispose();
    tf.dispose(this.pending.flat());
    for (let b = 0; b < this.pending.length; b++) {
      const row = Array.from(values.subarray(b * width, (b + 1) * width));
      this.partial.push(row);
      this.runningSum += row[0] * this.batchRows(this.runningCount);
      this.runningCount++;
    }
    this.pending = [];
    if (!Number.isFinite(this.runningSum)) {
      throw new Divergence(`loss is ${this.runningSum} in epoch ${this.epoch + 1} (batch ${this.partial.findIndex((row) => !Number.isFinite(row[0])) + 1})`);
    }
  }

  /** Rows in batch `b` of an epoch (the last one may be short). */
  private batchRows(b: number): number {
    return Math.min(this.config.batchSize, this.size - b * this.config.batchSize);
  }

  private readonly runningLoss = (): number => {
    this.fold();
    let rows = 0;
    for (let b = 0; b < this.runningCount; b++) rows += this.batchRows(b);
    return rows === 0 ? NaN : this.runningSum / rows;
  };

  private async endEpoch(seconds: number): Promise<void> {
    const { config } = this;
    this.fold();
    const logs: Record<string, number> = {};
    config.trainNames.forEach((name, k) => {
      let sum = 0;
      this.partial.forEach((row, b) => (sum += row[k] * this.batchRows(b)));
      logs[name] = sum / this.size;
    });
    const evaluation = config.data.evaluation;
    if (evaluation) {
      const values = await evaluation.data.evaluate(config.model, config.evaluationBatchSize);
      config.trainNames.forEach((name, k) => (logs[`${evaluation.prefix}${name}`] = values[k]));
    }
    this.epoch++;
    this.batch = 0;
    // The next epoch starts here: its order is drawn from this state (also after a resume).
    this.epochStart = this.orderRng.getState();
    this.partial = [];
    this.runningSum = 0;
    this.runningCount = 0;
    const entry: HistoryEntry = { epoch: this.epoch, ...logs, lr: this.rate };
    this.history.push(entry);
    const nonFinite = Object.entries(logs).find(([, value]) => !Number.isFinite(value));
    if (nonFinite) throw new Divergence(`${nonFinite[0]} is ${nonFinite[1]} at epoch ${this.epoch}`);
    if (config.stopper) {
      const step = config.stopper.step(this.stopState, this.epoch, logs);
      this.stopState = step.state;
      if (step.improved && config.stopper.restoreBest) this.bestWeights = snapshotWeights(modelWeights(config.model));
      if (step.stop) this.stop = step.stop;
    }
    config.schedule.onEpochEnd?.(this.epoch, logs, this.rate);
    await config.callbacks.epochEnd(this.epoch, logs, this.context());
    if (!this.stop && this.requested !== undefined) this.stop = { reason: 'requested', message: this.requested || `a callback stopped training after epoch ${this.epoch}.`, epoch: this.epoch };
    if (!this.stop && this.epoch >= config.epochs) this.stop = { reason: 'completed', message: `trained ${this.epoch} epochs.`, epoch: this.epoch };
    if (this.stop) this.stop = this.withHeldWeights(this.stop);
    const status: RunStatus = this.stop ? statusOf(this.stop) : 'running';
    if (config.checkpoints && (this.stop || this.epochSaveDue())) await this.save(status);
    if (!config.checkpoints) this.lastFinite = { epoch: this.epoch, weights: snapshotWeights(modelWeights(config.model)), optimizer: config.driver.capture() };
    if (this.stop) this.finishWeights();
    config.progress.epoch(entry, seconds);
    config.chart?.update(this.history, this.marks());
  }

  /** Adds what the model ends with to a stop message, e.g. "the model holds epoch 4's weights". */
  private withHeldWeights(stop: StopDecision): StopDecision {
    const { stopper } = this.config;
    if (!stopper?.restoreBest || this.stopState.bestEpoch === undefined) return stop;
    const bestEpoch = this.stopState.bestEpoch;
    const held = bestEpoch === this.epoch ? 'the last epoch is the best' : `the model holds the weights of epoch ${bestEpoch}, the best by ${stopper.monitor.metric}`;
    return { ...stop, message: `${stop.message.replace(/\.$/, '')}; ${held}.` };
  }

  /** With early stopping's `restoreBest`, ends the run holding the best epoch's weights. */
  private finishWeights(): void {
    if (!this.holdsBest()) return;
    applyWeights(modelWeights(this.config.model), this.bestWeights!, this.config.where, 'the best epoch');
  }

  private holdsBest(): boolean {
    const { stopper } = this.config;
    return !!(stopper?.restoreBest && this.bestWeights && !this.bestIsCurrent() && this.stop && this.stop.reason !== 'interrupted' && this.stop.reason !== 'diverged');
  }

  /** The model's weights now are the best epoch's (its end, with no batch of the next trained). */
  private bestIsCurrent(): boolean {
    return this.stopState.bestEpoch === this.epoch && this.batch === 0;
  }

  private setRate(rate: number): void {
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new Error(`${this.config.where}: the learning-rate schedule gave ${rate} for epoch ${this.epoch + 1} (step ${this.step}); it must be a finite number > 0.`);
    }
    if (rate !== this.rate) setLearningRate(this.config.driver.optimizer, rate);
    this.rate = rate;
  }

  private saveDue(): boolean {
    const { every } = this.config;
    if (!this.config.checkpoints || every === 'epoch') return false;
    if ('batches' in every) return this.step - this.lastSaveStep >= every.batches;
    if ('seconds' in every) return (this.config.now() - this.lastSave) / 1000 >= every.seconds;
    return false;
  }

  private epochSaveDue(): boolean {
    const { every } = this.config;
    if (every === 'epoch') return true;
    if ('epochs' in every) return this.epoch % every.epochs === 0;
    return this.saveDue();
  }

  private async interrupt(): Promise<void> {
    const where = this.batch > 0 ? `epoch ${this.epoch + 1}, batch ${this.batch} of ${this.batchesPerEpoch}` : `the start of epoch ${this.epoch + 1}`;
    const id = checkpointId(this.epoch, this.batch);
    let saved = '';
    if (this.config.checkpoints) {
      if (this.config.checkpoints.queuedId !== id) await this.save('interrupted');
      saved = ` Checkpoint ${id} holds this point: re-run to resume from it.`;
    }
    this.stop = { reason: 'interrupted', message: `interrupted at ${where}.${saved}`, epoch: this.epoch };
  }

  private async requestStop(): Promise<void> {
    const message = this.requested || `a callback stopped training in epoch ${this.epoch + 1} at batch ${this.batch}.`;
    const id = checkpointId(this.epoch, this.batch);
    this.stop = { reason: 'requested', message, epoch: this.epoch };
    if (this.config.checkpoints && this.config.checkpoints.queuedId !== id) await this.save('early-stopped');
  }

  /** Ends the run as diverged, holding the last finite checkpoint. */
  private async diverge(cause: string): Promise<void> {
    const { config } = this;
    const weights = modelWeights(config.model);
    config.driver.detach();
    tf.dispose(this.pending.flat());
    this.pending = [];
    await config.checkpoints?.flush();
    const latest = config.checkpoints?.latestId;
    let held: string;
    let loaded: LoadedCheckpoint | undefined;
    if (config.checkpoints && latest) {
      loaded = config.checkpoints.store.read(latest);
      applyWeights(weights, loaded.weights, config.where, `checkpoint ${latest}`);
      restoreOptimizer(config.driver.optimizer, loaded.optimizer, trainableVariables(config.model), config.where);
      held = `the model holds the last finite checkpoint, ${latest} (epoch ${loaded.info.epoch})`;
      this.epoch = loaded.info.epoch;
    } else if (this.lastFinite) {
      applyWeights(weights, this.lastFinite.weights, config.where, 'the last finite epoch');
      restoreOptimizer(config.driver.optimizer, this.lastFinite.optimizer, trainableVariables(config.model), config.where);
      held = `the model holds the weights of epoch ${this.lastFinite.epoch}, the last finite one`;
      this.epoch = this.lastFinite.epoch;
    } else {
      held = 'no finite checkpoint exists yet, so the model holds the diverged weights';
    }
    this.stop = { reason: 'diverged', message: `${cause}; ${held}.`, epoch: this.history.length };
    if (config.checkpoints && loaded) {
      // Re-commit the last finite checkpoint with the final status, so a re-run knows it ended.
      const state: CheckpointState = { ...loaded.state, status: 'diverged', stop: this.stop, history: this.history };
      await config.checkpoints.save({
        id: loaded.info.id,
        modelJson: loaded.modelJson,
        weights: loaded.weights,
        optimizer: loaded.optimizer,
        ...(loaded.best ? { best: loaded.best } : {}),
        state,
        run: this.record('diverged', loaded.info.epoch),
        fresh: false,
      });
    }
  }

  /** Snapshots the full state (synchronously) and queues it for writing. */
  private async save(status: RunStatus): Promise<void> {
    const checkpoints = this.config.checkpoints!;
    this.fold();
    const payload = this.payload(status);
    this.lastSave = this.config.now();
    this.lastSaveStep = this.step;
    await checkpoints.save(payload);
  }

  private payload(status: RunStatus): CheckpointPayload {
    const { config } = this;
    const weights = snapshotWeights(modelWeights(config.model));
    if (!allFinite(weights)) throw new Divergence(`the weights became non-finite in epoch ${this.epoch + 1}`);
    const optimizer = config.driver.capture();
    const midEpoch = this.batch > 0;
    const holdsBest = status !== 'running' && status !== 'interrupted' && this.holdsBest();
    const best = this.bestWeights && !this.bestIsCurrent() ? this.bestWeights : undefined;
    const lastEntry = this.history[this.history.length - 1];
    const metrics: Record<string, number> = {};
    if (!midEpoch && lastEntry && lastEntry.epoch === this.epoch) for (const name of config.metricNames) if (name in lastEntry) metrics[name] = lastEntry[name];
    const runBest = this.best();
    const state: CheckpointState = {
      format: 'cellfit-state',
      version: 1,
      run: { id: config.runId, ...(config.name ? { name: config.name } : {}), identity: config.identity, ...(config.parent ? { parent: config.parent } : {}) },
      position: { epoch: this.epoch, batch: this.batch, step: this.step },
      epochs: config.epochs,
      status,
      ...(this.stop ? { stop: this.stop } : {}),
      holds: holdsBest ? 'best' : 'latest',
      metrics,
      ...(runBest ? { best: runBest } : {}),
      rng: { order: this.epochStart, dropout: this.dropoutRng.getState() },
      // Copies: the state is serialised later, by the writer, while training goes on.
      partial: [...this.partial],
      optimizer: optimizer.meta,
      learningRate: { kind: config.schedule.kind, state: config.schedule.getState() ?? null, current: this.rate, initial: this.initialRate },
      ...(config.stopper ? { earlyStop: { options: config.stopper.toJSON(), state: this.stopState, bestWeights: best !== undefined } } : {}),
      history: [...this.history],
      options: config.options,
      metricNames: config.metricNames,
      elapsed: this.elapsed(),
      time: new Date().toISOString(),
    };
    return {
      id: checkpointId(this.epoch, this.batch),
      modelJson: layersModelJson(config.model, weights.specs),
      weights,
      optimizer,
      ...(best ? { best } : {}),
      state,
      run: this.record(status, this.epoch),
    };
  }

  /** The run.json record for the current state. */
  record(status: RunStatus, epoch: number): RunRecord {
    const { config } = this;
    const best = this.best();
    return {
      format: 'cellfit-run',
      version: 1,
      id: config.runId,
      ...(config.name ? { name: config.name } : {}),
      identity: config.identity,
      looseIdentity: config.looseIdentity,
      status,
      epoch,
      epochs: config.epochs,
      ...(best ? { best } : {}),
      ...(this.stop ? { stop: this.stop } : {}),
      ...(config.parent ? { parent: config.parent } : {}),
      created: config.created,
      updated: new Date().toISOString(),
    };
  }

  /** The best epoch: early stopping's when there is a stopper, else by the run's monitor. */
  private best(): BestEpoch | undefined {
    const { stopper, monitor } = this.config;
    if (stopper && this.stopState.bestEpoch !== undefined) return { epoch: this.stopState.bestEpoch, monitor: stopper.monitor.metric, value: this.stopState.best! };
    return bestByMonitor(this.history, monitor);
  }

  /** What the chart marks besides the curves: best epoch, checkpointed epochs, the stop. */
  private marks(stop?: StopDecision): { best?: BestEpoch; checkpoints: number[]; stop?: StopDecision } {
    const best = this.best();
    const checkpoints = (this.config.checkpoints?.ids ?? []).map((id) => parseCheckpointId(id)!).filter((position) => position.batch === 0).map((position) => position.epoch);
    return { ...(best ? { best } : {}), checkpoints, ...(stop ? { stop } : {}) };
  }

  private elapsed(): number {
    return this.elapsedBefore + (this.config.now() - this.began) / 1000;
  }

  private context(): TrainingContext {
    return {
      runId: this.config.runId,
      epochs: this.config.epochs,
      epoch: this.epoch,
      batch: this.batch,
      step: this.step,
      batchesPerEpoch: this.batchesPerEpoch,
      model: this.config.model,
      stop: (message?: string) => {
        this.requested = message ?? '';
      },
    };
  }
}

/** True when every float weight in the snapshot is finite (a checkpoint never holds NaN weights). */
function allFinite({ specs, data }: WeightsSnapshot): boolean {
  let offset = data.byteOffset;
  for (const spec of specs) {
    const count = spec.shape.reduce((product, size) => product * size, 1);
    if (spec.dtype === 'float32') {
      const values = new Float32Array(data.buffer, offset, count);
      for (let i = 0; i < count; i++) if (!Number.isFinite(values[i])) return false;
    }
    offset += count * (spec.dtype === 'bool' ? 1 : 4);
  }
  return true;
}

/** The status a stop reason leaves the run in. */
export function statusOf(stop: StopDecision): Exclude<RunStatus, 'running'> {
  switch (stop.reason) {
    case 'completed':
      return 'completed';
    case 'diverged':
      return 'diverged';
    case 'interrupted':
      return 'interrupted';
    default:
      return 'early-stopped';
  }
}

/** The epoch with the best finite value of the monitored metric (the earliest on ties). */
export function bestByMonitor(history: readonly HistoryEntry[], monitor: Monitor): BestEpoch | undefined {
  let best: HistoryEntry | undefined;
  for (const entry of history) {
    const value = entry[monitor.metric];
    if (value === undefined || !Number.isFinite(value)) continue;
    if (!best || monitor.better(value, best[monitor.metric])) best = entry;
  }
  return best ? { epoch: best.epoch, monitor: monitor.metric, value: best[monitor.metric] } : undefined;
}

