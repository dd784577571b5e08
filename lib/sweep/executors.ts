/**
 * Where a local sweep's trials run: in this process (one at a time; the trial may be any function,
 * a notebook closure included), or in N worker processes that each load the trial module and run
 * one trial at a time with their own TensorFlow.js engine — N trials at once on N cores. Worker
 * processes outlive the sweep, idle, for the next one (see {@link processPool}).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CellfitError } from '../errors';
import type { FromChild, ToChild } from './child';
import type { ResolvedModule } from './module';
import type { TrialOutcome } from './scheduler';
import { runTrial, type TrialFunction, type TrialHooks, type TrialTask } from './trial';

/** One place a trial can run. */
export interface Slot {
  /** Names the worker in the record: `main`, `local-2`. */
  readonly label: string;
  run(task: TrialTask, hooks: TrialHooks): Promise<TrialOutcome>;
}

/** A set of slots, closed when the sweep ends. */
export interface Executor {
  readonly slots: readonly Slot[];
  close(): Promise<void>;
}

/** Runs trials in this process, one at a time. */
export function inProcess(fn: TrialFunction): Executor {
  return { slots: [{ label: 'main', run: (task, hooks) => runTrial(fn, task, hooks) }], close: async () => undefined };
}

/** Options of {@link processPool}. */
export interface PoolOptions {
  /** Where worker output goes, a line at a time, prefixed with the worker's label. Defaults to stderr. */
  readonly output?: (line: string) => void;
}

/**
 * How long a worker process waits, idle, for the next sweep before it exits. Starting one costs
 * about half a second (Node, tf.js, the trial module) and then the engine's first, slower epochs;
 * an exploratory notebook runs sweep after sweep.
 */
export const IDLE_WORKER_MS = 5 * 60_000;

/** Idle worker processes kept at most (each holds its own tf.js, ~100 MB). */
const MAX_IDLE_WORKERS = 8;

/**
 * Runs trials in `count` worker processes that load `module`. When the sweep ends they are kept,
 * idle, for the next sweep of this process ({@link IDLE_WORKER_MS}): an idle worker never keeps
 * the process alive, reloads the module only when a file of it changed, and takes the sweep's
 * environment variables as they are when the sweep starts it.
 */
export function processPool(module: ResolvedModule, count: number, { output = (line) => process.stderr.write(`${line}\n`) }: PoolOptions = {}): Executor {
  // N workers already fill N cores: each trains on one thread of the fused engine unless told otherwise.
  const threads = process.env.CELLFIT_THREADS ?? '1';
  const workers = Array.from({ length: count }, (_, i) => new Worker(`local-${i + 1}`, module, output, threads));
  return {
    slots: workers,
    close: async () => {
      await Promise.all(workers.map((worker) => worker.release()));
    },
  };
}

/** Ends the idle worker processes kept for later sweeps (they also end on their own: {@link IDLE_WORKER_MS}). */
export async function closeIdleWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((child) => child.close()));
}

const CHILD = path.join(__dirname, 'child.js');

/** Worker processes no sweep uses now, oldest first. */
const idle: WorkerProcess[] = [];

/** One worker process, over the sweeps that use it in turn. */
class WorkerProcess {
  readonly child: ChildProcess;
  /** How it ended, once it has. */
  exited?: string;
  /** Where its output goes: the sweep's output while a sweep uses it (set by whoever takes it, before any line can come). */
  output: (line: string) => void = () => undefined;
  private loads = 0;
  private idleTimer?: NodeJS.Timeout;

  constructor(readonly threads: string) {
    const env = { ...process.env, CELLFIT_THREADS: threads };
    this.child = fork(CHILD, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced', execArgv: [], env });
    for (const stream of [this.child.stdout!, this.child.stderr!]) readline.createInterface({ input: stream }).on('line', (line) => this.output(line));
    this.child.on('exit', (code, signal) => {
      this.exited = signal ? `signal ${signal}` : `exit code ${code}`;
      const index = idle.indexOf(this);
      if (index >= 0) idle.splice(index, 1);
      clearTimeout(this.idleTimer);
    });
  }

  /** Loads `module` for a sweep, with this process's environment as it is now; resolves once it is ready. */
  load(module: ResolvedModule, label: string): Promise<void> {
    const id = ++this.loads;
    const child = this.child;
    return new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromChild) => {
        if (!('id' in message) || message.id !== id) return;
        if (message.type === 'ready') resolve();
        else if (message.type === 'fatal') reject(new CellfitError('sweep()', `the trial module ${module.path} failed to load in worker process ${label}:\n${message.message}`));
        else return;
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onExit = () => reject(new CellfitError('sweep()', `worker process ${label} ended while loading ${module.path} (${this.exited}).`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'load', id, module, env: { ...process.env, CELLFIT_THREADS: this.threads } } satisfies ToChild);
    });
  }

  /** Keeps this process alive (a sweep uses it), or lets it go idle: it then never keeps this process alive. */
  hold(held: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stdout, this.child.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[];
    for (const handle of handles) (held ? handle?.ref : handle?.unref)?.call(handle);
    clearTimeout(this.idleTimer);
    if (!held) this.idleTimer = setTimeout(() => void this.close(), IDLE_WORKER_MS).unref();
  }

  /** Ends the process: asks it to exit, kills it after 10 s. */
  async close(): Promise<void> {
    const child = this.child;
    if (this.exited !== undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.send({ type: 'exit' } satisfies ToChild);
      else child.kill('SIGTERM');
    });
  }
}

/**
 * A sweep's slot on a worker process, taken on its first trial (a sweep with nothing left to run
 * starts none): a kept idle one when there is one, else a new one — and another if it dies.
 */
class Worker implements Slot {
  private process?: WorkerProcess;
  private ready: Promise<void> = Promise.resolve();
  private running = false;

  constructor(
    readonly label: string,
    private readonly module: ResolvedModule,
    private readonly output: (line: string) => void,
    private readonly threads: string,
  ) {}

  /** An idle worker process started with the same thread count, or a new one; held for this sweep. */
  private take(): WorkerProcess {
    const labelled = (line: string) => this.output(`[${this.label}] ${line}`);
    // The most recently used first: its caches are the warmest, and the oldest are left to expire.
    let index = idle.length - 1;
    while (index >= 0 && (idle[index].threads !== this.threads || idle[index].exited !== undefined)) index--;
    const taken = index >= 0 ? idle.splice(index, 1)[0] : new WorkerProcess(this.threads);
    taken.output = labelled;
    taken.hold(true);
    return taken;
  }

  async run(task: TrialTask, hooks: TrialHooks): Promise<TrialOutcome> {
    if (this.process === undefined || this.process.exited !== undefined) {
      this.process = this.take();
      this.ready = this.process.load(this.module, this.label);
    }
    const worker = this.process;
    await this.ready;
    const { child } = worker;
    this.running = true;
    return new Promise<TrialOutcome>((resolve) => {
      const began = performance.now();
      const onStop = () => child.connected && child.send({ type: 'stop' } satisfies ToChild);
      const finish = (outcome: TrialOutcome) => {
        this.running = false;
        child.off('message', onMessage);
        child.off('exit', onExit);
        hooks.signal.removeEventListener('abort', onStop);
        resolve(outcome);
      };
      const onMessage = (message: FromChild) => {
        if (message.type === 'epoch') {
          hooks.report(message.epoch, message.value, message.monitor, message.epochs).then(
            (decision) => child.connected && child.send({ type: 'decision', id: message.id, decision } satisfies ToChild),
            (error: unknown) => {
              this.output(`[${this.label}] ${error instanceof Error ? error.message : String(error)}`);
              if (child.connected) child.send({ type: 'decision', id: message.id, decision: 'interrupt' } satisfies ToChild);
            },
          );
        } else if (message.type === 'began') {
          hooks.began?.(message.run);
        } else if (message.type === 'end') {
          finish(message.outcome);
        }
      };
      const onExit = () =>
        finish({
          kind: 'failed',
          error: `worker process ${this.label} ended during trial ${task.number} (${worker.exited}); its run resumes from its last checkpoint when the sweep runs again.`,
          seconds: (performance.now() - began) / 1000,
        });
      child.on('message', onMessage);
      child.on('exit', onExit);
      if (hooks.signal.aborted) onStop();
      else hooks.signal.addEventListener('abort', onStop, { once: true });
      child.send({ type: 'run', task } satisfies ToChild);
    });
  }

  /**
   * The sweep is over: the process is kept, idle, for the next sweep — unless it is gone, still
   * runs a trial (the sweep failed around it), or enough are kept already; then it ends.
   */
  async release(): Promise<void> {
    const worker = this.process;
    if (worker === undefined || worker.exited !== undefined) return;
    await this.ready.catch(() => undefined);
    if (this.running || worker.exited !== undefined || idle.length >= MAX_IDLE_WORKERS) return worker.close();
    worker.output = (line) => process.stderr.write(`[cellfit worker] ${line}\n`);
    worker.hold(false);
    idle.push(worker);
  }
}
