/**
 * The mini-batch loop. Each epoch draws its data order from the run's seeded generator and hands
 * the batches to the engine (lib/engines/), which runs the steps; the loop keeps the run's progress
 * (lib/train/state.ts) — position, both generators, the losses of the epoch so far, history,
 * schedule and early-stop state — and reads the engine's per-batch losses only when a progress
 * line, a checkpoint or the epoch's end needs them.
 *
 * Everything that evolves goes into each checkpoint, so that a run resumed from any checkpoint,
 * mid-epoch included, continues bit for bit on the same engine.
 */
import type { CallbackList, TrainingContext } from '../callbacks';
import { checkpointId, parseCheckpointId } from '../checkpoint/format';
import { layersModelJson } from '../checkpoint/layers';
import type { CheckpointPayload, TrainingCheckpoints } from '../checkpoint/training';
import { SnapshotBuffers, type OptimizerSnapshot, type WeightsSnapshot } from '../checkpoint/snapshot';
import type { CheckpointEvery, LoadedCheckpoint } from '../checkpoint/store';
import type { EarlyStopper, EarlyStopState, StopDecision } from '../earlystop';
import type { Engine } from '../engines/engine';
import type { tf } from '../backend';
import type { Monitor } from '../monitor';
import type { LiveChart } from '../plots/training';
import type { ProgressSink } from '../progress';
import { Rng, type RngState } from '../random';
import type { LearningRateSchedule } from '../schedules';
import type { PreparedData } from './data';
import { checkpointState, runRecord, type BestEpoch, type CheckpointState, type HistoryEntry, type Outcome, type RunHeader, type RunRecord, type RunStatus, type TrainingState } from './state';

/** What stays fixed while a run trains. */
export interface LoopConfig {
  readonly where: string;
  readonly header: RunHeader;
  readonly model: tf.LayersModel;
  /** Builds the engine that runs the steps, drawing dropout masks from `dropout`. */
  readonly engine: (dropout: Rng) => Engine;
  readonly data: PreparedData;
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
  /** Names of the per-batch outputs of a step (`model.metricsNames`). */
  readonly trainNames: readonly string[];
  readonly now: () => number;
}

/** How a call to the loop ended. */
export interface LoopResult extends Outcome {
  readonly status: Exclude<RunStatus, 'running'>;
  readonly stop: StopDecision;
  readonly history: readonly HistoryEntry[];
  readonly elapsed: number;
}

/** Milliseconds of training between yields to the event loop (interrupts, progress, writer replies). */
const YIELD_EVERY_MS = 20;
/** Per-batch outputs an engine may hold before they are read in one go. */
const FOLD_EVERY = 512;

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
  /** The order generator's state at the start of the current epoch (what checkpoints save). */
  private epochStart: RngState;
  private order: Uint32Array = new Uint32Array(0);
  private partial: number[][];
  /** Steps whose outputs the engine still holds. */
  private unread = 0;
  private runningSum = 0;
  private runningCount = 0;
  private history: HistoryEntry[];
  /**
   * {@link bestByMonitor} of `history` kept as the history grows (it only grows, by push): every
   * checkpoint and chart update asks for the best epoch, and a rescan made long runs quadratic.
   */
  private bestScan: { history: readonly HistoryEntry[]; scanned: number; best?: HistoryEntry } = { history: [], scanned: 0 };
  private earlyStop: EarlyStopState;
  private bestWeights?: WeightsSnapshot;
  private readonly initialRate: number;
  private rate: number;
  private stop?: StopDecision;
  private requested?: string;
  private readonly elapsedBefore: number;
  private readonly began: number;
  private lastSave: number;
  /** How long the latest epoch took (ms), to foresee the next one. */
  private lastEpochMs = Infinity;
  /** When the loop last yielded to the event loop: kept across epochs, so epochs shorter than YIELD_EVERY_MS yield too. */
  private lastYield = -Infinity;
  private lastSaveStep: number;
  /** Without checkpoints: the state after the newest epoch that ended finite, to roll back to when training diverges. */
  private lastFinite?: { epoch: number; weights: WeightsSnapshot; optimizer: OptimizerSnapshot };
  /**
   * The buffers lastFinite is copied into, the same ones every epoch: fresh ones, allocated, zeroed
   * and collected each epoch, made that copy cost 0.26–0.54 % of a call at 2-256-256-1 (0.8 MB an
   * epoch), against 0.12–0.16 % in these.
   */
  private readonly rollbackBuffers = new SnapshotBuffers(Number.POSITIVE_INFINITY);
  private readonly size: number;
  private readonly batchesPerEpoch: number;
  private engine?: Engine;
  /** model.json of every checkpoint: the architecture and weight specs do not change while training. */
  private modelJson?: Record<string, unknown>;

  constructor(
    private readonly config: LoopConfig,
    state: TrainingState,
  ) {
    this.epoch = state.position.epoch;
    this.batch = state.position.batch;
    this.step = state.position.step;
    this.orderRng = Rng.fromState(state.rng.order);
    this.dropoutRng = Rng.fromState(state.rng.dropout);
    this.epochStart = state.rng.order;
    this.partial = state.partial.map((row) => [...row]);
    this.history = [...state.history];
    this.earlyStop = state.earlyStop;
    if (state.bestWeights) this.bestWeights = state.bestWeights;
    this.initialRate = state.learningRate.initial;
    this.rate = state.learningRate.current;
    config.schedule.setState(state.learningRate.state ?? undefined);
    this.elapsedBefore = state.elapsed;
    this.began = config.now();
    this.lastSave = this.began;
    this.lastSaveStep = this.step;
    this.size = config.data.train.size;
    this.batchesPerEpoch = Math.ceil(this.size / config.batchSize);
    for (const row of this.partial) {
      this.runningSum += row[0] * this.batchRows(this.runningCount);
      this.runningCount++;
    }
  }

  /** Trains until `epochs`, an early stop, divergence or an interrupt. */
  async run(): Promise<LoopResult> {
    const { config } = this;
    config.progress.start({ title: config.header.name ?? config.header.id, epochs: config.header.epochs, batchesPerEpoch: this.batchesPerEpoch, epoch: this.epoch, batch: this.batch });
    const engine = config.engine(this.dropoutRng);
    this.engine = engine;
    try {
      engine.setLearningRate(this.rate);
      if (config.checkpoints && config.checkpoints.ids.length === 0) await this.save('running');
      await config.callbacks.trainBegin(this.context());
      while (!this.stop && this.epoch < config.header.epochs) await this.trainEpoch();
      await config.callbacks.trainEnd(this.context());
    } catch (error) {
      if (!(error instanceof Divergence)) throw error;
      await this.diverge(error.message);
    } finally {
      engine.close();
    }
    const stop = this.stop ?? { reason: 'completed' as const, message: `trained ${this.epoch} epochs.`, epoch: this.epoch };
    config.progress.end(stop.message);
    config.chart?.update(this.history, this.marks(stop), true);
    const best = this.best();
    return { status: statusOf(stop), stop, epoch: this.epoch, history: this.history, ...(best ? { best } : {}), elapsed: this.elapsed() };
  }

  /** The run.json record for the loop's current outcome. */
  record(status: RunStatus, epoch: number): RunRecord {
    return runRecord(this.config.header, this.outcome(status, epoch));
  }

  /** The outcome run.json and checkpoints record: `status` at `epoch`, with the stop and the best epoch so far. */
  private outcome(status: RunStatus, epoch: number): Outcome {
    const best = this.best();
    return { status, epoch, ...(this.stop ? { stop: this.stop } : {}), ...(best ? { best } : {}) };
  }

  private async trainEpoch(): Promise<void> {
    const { config } = this;
    const engine = this.engine!;
    const started = config.now();
    // The run's last epoch ends in a stop point, which train() waits for: its commit should hold only it.
    if (this.epoch + 1 === config.header.epochs) config.checkpoints?.commitBeforeStop(this.lastEpochMs);
    this.epochStart = this.orderRng.getState();
    this.order = config.shuffle ? this.orderRng.permutation(this.size) : Uint32Array.from({ length: this.size }, (_, i) => i);
    engine.beginEpoch(this.order);
    if (!config.schedule.perStep) this.setRate(config.schedule.rate({ epoch: this.epoch, step: this.step, initial: this.initialRate }));
    await config.callbacks.epochBegin(this.epoch + 1, this.context());
    try {
      while (this.batch < this.batchesPerEpoch) {
        if (config.checkpoints?.failure) throw config.checkpoints.failure;
        if (config.signal?.aborted) return await this.interrupt();
        if (this.requested !== undefined) return await this.requestStop();
        await this.trainBatch();
        if (this.batch < this.batchesPerEpoch && this.saveDue()) await this.save('running');
        const time = config.now();
        if (time - this.lastYield >= YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          this.lastYield = config.now();
        }
      }
    } finally {
      engine.endEpoch();
    }
    this.lastEpochMs = config.now() - started;
    await this.endEpoch(this.lastEpochMs / 1000);
  }

  private async trainBatch(): Promise<void> {
    const { config } = this;
    const batchIndex = this.batch;
    if (config.schedule.perStep) this.setRate(config.schedule.rate({ epoch: this.epoch, step: this.step, initial: this.initialRate }));
    if (config.callbacks.hasBatchHooks) await config.callbacks.batchBegin(batchIndex, this.context());
    const stepped = this.engine!.step(batchIndex, this.batchRows(batchIndex));
    if (stepped instanceof Promise) await stepped;
    this.unread++;
    this.batch++;
    this.step++;
    if (config.callbacks.hasBatchHooks) {
      this.fold();
      const row = this.partial[this.partial.length - 1];
      const logs: Record<string, number> = {};
      config.trainNames.forEach((name, i) => (logs[name] = row[i]));
      await config.callbacks.batchEnd(batchIndex, logs, this.context());
    } else if (this.unread >= FOLD_EVERY) {
      this.fold();
    }
    config.progress.batch(this.epoch, this.batch, this.runningLoss);
  }

  /** Reads the outputs the engine still holds into `partial`. */
  private fold(): void {
    if (this.unread === 0 || !this.engine) return;
    const rows = this.engine.takeOutputs();
    this.unread = 0;
    for (const row of rows) {
      this.partial.push(row);
      this.runningSum += row[0] * this.batchRows(this.runningCount);
      this.runningCount++;
    }
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
    const engine = this.engine!;
    this.fold();
    const logs: Record<string, number> = {};
    config.trainNames.forEach((name, k) => {
      let sum = 0;
      this.partial.forEach((row, b) => (sum += row[k] * this.batchRows(b)));
      logs[name] = sum / this.size;
    });
    const evaluation = config.data.evaluation;
    if (evaluation) {
      const values = await engine.evaluate(evaluation.data, config.evaluationBatchSize);
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
      const step = config.stopper.step(this.earlyStop, this.epoch, logs);
      this.earlyStop = step.state;
      if (step.improved && config.stopper.restoreBest) this.bestWeights = engine.weights();
      if (step.stop) this.stop = step.stop;
    }
    config.schedule.onEpochEnd?.(this.epoch, logs, this.rate);
    await config.callbacks.epochEnd(this.epoch, logs, this.context());
    if (!this.stop && this.requested !== undefined) this.stop = { reason: 'requested', message: this.requested || `a callback stopped training after epoch ${this.epoch}.`, epoch: this.epoch };
    if (!this.stop && this.epoch >= config.header.epochs) this.stop = { reason: 'completed', message: `trained ${this.epoch} epochs.`, epoch: this.epoch };
    if (this.stop) this.stop = this.withHeldWeights(this.stop);
    const status: RunStatus = this.stop ? statusOf(this.stop) : 'running';
    if (config.checkpoints && (this.stop || this.epochSaveDue())) await this.save(status);
    if (!config.checkpoints) this.keepFinite(engine);
    if (this.stop) this.finishWeights();
    config.progress.epoch(entry, seconds);
    config.chart?.update(this.history, this.marks());
  }

  /** Copies the state of the epoch that just ended finite over the previous epoch's (see lastFinite). */
  private keepFinite(engine: Engine): void {
    const previous = this.lastFinite;
    if (previous) {
      this.rollbackBuffers.give(previous.weights.data.buffer as ArrayBuffer);
      this.rollbackBuffers.give(previous.optimizer.data.buffer as ArrayBuffer);
    }
    this.lastFinite = { epoch: this.epoch, weights: engine.weights(this.rollbackBuffers), optimizer: engine.optimizerState(this.rollbackBuffers) };
  }

  /** Adds what the model ends with to a stop message, e.g. "the model holds epoch 4's weights". */
  private withHeldWeights(stop: StopDecision): StopDecision {
    const { stopper } = this.config;
    if (!stopper?.restoreBest || this.earlyStop.bestEpoch === undefined) return stop;
    const bestEpoch = this.earlyStop.bestEpoch;
    const held = bestEpoch === this.epoch ? 'the last epoch is the best' : `the model holds the weights of epoch ${bestEpoch}, the best by ${stopper.monitor.metric}`;
    return { ...stop, message: `${stop.message.replace(/\.$/, '')}; ${held}.` };
  }

  /** With early stopping's `restoreBest`, ends the run holding the best epoch's weights. */
  private finishWeights(): void {
    if (!this.holdsBest()) return;
    this.engine!.setWeights(this.bestWeights!, 'the best epoch');
  }

  private holdsBest(): boolean {
    const { stopper } = this.config;
    return !!(stopper?.restoreBest && this.bestWeights && !this.bestIsCurrent() && this.stop && this.stop.reason !== 'interrupted' && this.stop.reason !== 'diverged');
  }

  /** The model's weights now are the best epoch's (its end, with no batch of the next trained). */
  private bestIsCurrent(): boolean {
    return this.earlyStop.bestEpoch === this.epoch && this.batch === 0;
  }

  private setRate(rate: number): void {
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new Error(`${this.config.where}: the learning-rate schedule gave ${rate} for epoch ${this.epoch + 1} (step ${this.step}); it must be a finite number > 0.`);
    }
    if (rate !== this.rate) this.engine!.setLearningRate(rate);
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
    const engine = this.engine!;
    this.unread = 0;
    engine.takeOutputs();
    await config.checkpoints?.flush();
    const latest = config.checkpoints?.latestId;
    let held: string;
    let loaded: LoadedCheckpoint<CheckpointState> | undefined;
    if (config.checkpoints && latest) {
      loaded = config.checkpoints.store.read<CheckpointState>(latest);
      engine.setWeights(loaded.weights, `checkpoint ${latest}`);
      engine.setOptimizerState(loaded.optimizer, `checkpoint ${latest}`);
      held = `the model holds the last finite checkpoint, ${latest} (epoch ${loaded.info.epoch})`;
      this.epoch = loaded.info.epoch;
    } else if (this.lastFinite) {
      engine.setWeights(this.lastFinite.weights, 'the last finite epoch');
      engine.setOptimizerState(this.lastFinite.optimizer, 'the last finite epoch');
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

  /**
   * Snapshots the full state (synchronously) and hands it to the writer, which waits only when two
   * earlier snapshots are still unwritten (see TrainingCheckpoints.save).
   */
  private async save(status: RunStatus): Promise<void> {
    this.fold();
    const payload = this.payload(status);
    this.lastSave = this.config.now();
    this.lastSaveStep = this.step;
    await this.config.checkpoints!.save(payload);
  }

  private payload(status: RunStatus): CheckpointPayload {
    const { config } = this;
    const engine = this.engine!;
    // Into buffers that earlier snapshots of the run were written from (config.checkpoints is set: only checkpoints take payloads).
    const buffers = config.checkpoints?.buffers;
    const weights = engine.weights(buffers);
    if (!(engine.weightsFinite ? engine.weightsFinite() : allFinite(weights))) throw new Divergence(`the weights became non-finite in epoch ${this.epoch + 1}`);
    const optimizer = engine.optimizerState(buffers);
    const holdsBest = status !== 'running' && status !== 'interrupted' && this.holdsBest();
    const best = this.bestWeights && !this.bestIsCurrent() ? this.bestWeights : undefined;
    const { schedule } = config;
    return new TakenCheckpoint({
      id: checkpointId(this.epoch, this.batch),
      modelJson: (this.modelJson ??= layersModelJson(config.model, weights.specs)),
      weights,
      optimizer,
      best,
      header: config.header,
      position: { epoch: this.epoch, batch: this.batch, step: this.step },
      rng: { order: this.epochStart, dropout: this.dropoutRng.getState() },
      partial: this.partial,
      partialLength: this.partial.length,
      history: this.history,
      historyLength: this.history.length,
      learningRate: { kind: schedule.kind, state: schedule.getState() ?? null, current: this.rate, initial: this.initialRate },
      earlyStop: this.earlyStop,
      elapsed: this.elapsed(),
      outcome: this.outcome(status, this.epoch),
      holds: holdsBest ? 'best' : 'latest',
      metrics: this.pointMetrics(),
      stopper: config.stopper,
      time: Date.now(),
    });
  }

  /** The metrics a checkpoint of this point records: the epoch's at its end, none mid-epoch. */
  private pointMetrics(): Record<string, number> {
    const metrics: Record<string, number> = {};
    const lastEntry = this.history[this.history.length - 1];
    if (this.batch === 0 && lastEntry && lastEntry.epoch === this.epoch) for (const name of this.config.header.metricNames) if (name in lastEntry) metrics[name] = lastEntry[name];
    return metrics;
  }

  /** The best epoch: early stopping's when there is a stopper, else by the run's monitor. */
  private best(): BestEpoch | undefined {
    const { stopper, monitor } = this.config;
    if (stopper && this.earlyStop.bestEpoch !== undefined) return { epoch: this.earlyStop.bestEpoch, monitor: stopper.monitor.metric, value: this.earlyStop.best! };
    if (this.bestScan.history !== this.history || this.bestScan.scanned > this.history.length) this.bestScan = { history: this.history, scanned: 0 };
    const scan = this.bestScan;
    scan.best = bestByMonitor(this.history, monitor, scan.scanned, scan.best);
    scan.scanned = this.history.length;
    const best = scan.best;
    return best ? { epoch: best.epoch, monitor: monitor.metric, value: best[monitor.metric] } : undefined;
  }

  /** What the chart marks besides the curves: best epoch, checkpointed epochs, the stop. */
  private marks(stop?: StopDecision): { best?: BestEpoch; checkpoints: number[]; stop?: StopDecision } {
    const best = this.best();
    const checkpoints = (this.config.checkpoints?.plannedIds ?? []).map((id) => parseCheckpointId(id)!).filter((position) => position.batch === 0).map((position) => position.epoch);
    return { ...(best ? { best } : {}), checkpoints, ...(stop ? { stop } : {}) };
  }

  private elapsed(): number {
    return this.elapsedBefore + (this.config.now() - this.began) / 1000;
  }

  private context(): TrainingContext {
    const loop = this;
    return {
      runId: this.config.header.id,
      epochs: this.config.header.epochs,
      epoch: this.epoch,
      batch: this.batch,
      step: this.step,
      batchesPerEpoch: this.batchesPerEpoch,
      // Read when a callback asks: the fused engine then copies its weights into the model.
      get model() {
        loop.engine?.syncModel();
        return loop.config.model;
      },
      stop: (message?: string) => {
        this.requested = message ?? '';
      },
    };
  }
}

/** What a checkpoint captures of the loop when it is taken: see {@link TakenCheckpoint}. */
interface TakenPoint {
  readonly id: string;
  readonly modelJson: Record<string, unknown>;
  readonly weights: WeightsSnapshot;
  readonly optimizer: OptimizerSnapshot;
  readonly best: WeightsSnapshot | undefined;
  readonly header: RunHeader;
  readonly position: TrainingState['position'];
  readonly rng: TrainingState['rng'];
  /** The epoch's partial outputs and the history, as the loop's own arrays, and how many of their items are the checkpoint's. */
  readonly partial: readonly (readonly number[])[];
  readonly partialLength: number;
  readonly history: readonly HistoryEntry[];
  readonly historyLength: number;
  readonly learningRate: TrainingState['learningRate'];
  readonly earlyStop: EarlyStopState;
  readonly elapsed: number;
  readonly outcome: Outcome;
  readonly holds: 'latest' | 'best';
  readonly metrics: Readonly<Record<string, number>>;
  readonly stopper: EarlyStopper | undefined;
  /** `Date.now()` when taken: state.json's `time`, run.json's `updated`. */
  readonly time: number;
}

/**
 * A checkpoint the loop took: its weights and optimizer state copied, its state.json and run.json
 * built only when read — when the checkpoint is written. Most snapshots of short epochs never are
 * (a newer one of the same commit group replaces them), and building both (the objects, two ISO
 * dates, a copy of the history) cost the training thread more than copying a small model's
 * weights. Their parts that the loop goes on changing are captured as they stand when taken: the
 * generators' and the schedule's states are fresh objects, early-stop states, stops and history
 * entries are replaced, never changed, and of the arrays the loop only appends to — the history,
 * the epoch's partial outputs (a new array each epoch) — the length is kept.
 */
class TakenCheckpoint implements CheckpointPayload {
  readonly id: string;
  readonly modelJson: Record<string, unknown>;
  readonly weights: WeightsSnapshot;
  readonly optimizer: OptimizerSnapshot;
  readonly best?: WeightsSnapshot;
  readonly point: Pick<CheckpointState, 'position' | 'metrics'>;
  private builtState?: CheckpointState;
  private builtRun?: RunRecord;

  constructor(private readonly taken: TakenPoint) {
    this.id = taken.id;
    this.modelJson = taken.modelJson;
    this.weights = taken.weights;
    this.optimizer = taken.optimizer;
    if (taken.best) this.best = taken.best;
    this.point = { position: taken.position, metrics: taken.metrics };
  }

  get state(): CheckpointState {
    const { taken } = this;
    return (this.builtState ??= checkpointState(
      taken.header,
      {
        position: taken.position,
        rng: taken.rng,
        partial: taken.partial.slice(0, taken.partialLength),
        history: taken.history.slice(0, taken.historyLength),
        learningRate: taken.learningRate,
        earlyStop: taken.earlyStop,
        elapsed: taken.elapsed,
      },
      { outcome: taken.outcome, holds: taken.holds, metrics: taken.metrics, optimizer: taken.optimizer.meta, ...(taken.stopper ? { stopper: taken.stopper } : {}), savesBest: this.best !== undefined, time: taken.time },
    ));
  }

  get run(): RunRecord {
    return (this.builtRun ??= runRecord(this.taken.header, this.taken.outcome, this.taken.time));
  }
}

/** True when every float weight in the snapshot is finite (a checkpoint never holds NaN weights). */
function allFinite({ specs, data }: WeightsSnapshot): boolean {
  // Usually all the weights are float32, back to back in an aligned buffer: one view and one pass
  // over them all (a view per weight cost more than the pass at small models).
  let floats = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32') break;
    let count = 1;
    for (const size of spec.shape) count *= size;
    floats += count;
  }
  if (data.byteOffset % 4 === 0 && floats * 4 === data.byteLength) return finiteSum(new Float32Array(data.buffer, data.byteOffset, floats));
  let offset = data.byteOffset;
  for (const spec of specs) {
    const count = spec.shape.reduce((product, size) => product * size, 1);
    if (spec.dtype === 'float32' && !finiteSum(new Float32Array(data.buffer, offset, count))) return false;
    offset += count * (spec.dtype === 'bool' ? 1 : 4);
  }
  return true;
}

/**
 * Whether every value is finite, from their sum in float64: finite float32 values cannot overflow
 * it (2¹²⁸ each, against 2¹⁰²⁴), and a NaN or an infinity makes it non-finite (+∞ and −∞ give
 * NaN). Four running sums, without a test per value, take less than half the time of one.
 */
function finiteSum(values: Float32Array): boolean {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const whole = values.length - (values.length % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    a += values[i];
    b += values[i + 1];
    c += values[i + 2];
    d += values[i + 3];
  }
  for (; i < values.length; i++) a += values[i];
  return Number.isFinite(a + b + c + d);
}

/** The status a stop reason leaves the run in. */
function statusOf(stop: StopDecision): Exclude<RunStatus, 'running'> {
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

/**
 * The entry with the best finite value of the monitored metric (the earliest on ties), from
 * `history[from]` on, given the best of the entries before it.
 */
function bestByMonitor(history: readonly HistoryEntry[], monitor: Monitor, from = 0, bestBefore?: HistoryEntry): HistoryEntry | undefined {
  let best = bestBefore;
  for (let i = from; i < history.length; i++) {
    const entry = history[i];
    const value = entry[monitor.metric];
    if (value === undefined || !Number.isFinite(value)) continue;
    if (!best || monitor.better(value, best[monitor.metric])) best = entry;
  }
  return best;
}
