/**
 * Where a local sweep's trials run: in this process (one at a time; the trial may be any function,
 * a notebook closure included), or in N worker processes that each load the trial module and run
 * one trial at a time with their own TensorFlow.js engine — N trials at once on N cores.
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

/** Runs trials in `count` worker processes that load `module`. */
export function processPool(module: ResolvedModule, count: number, { output = (line) => process.stderr.write(`${line}\n`) }: PoolOptions = {}): Executor {
  const workers = Array.from({ length: count }, (_, i) => new Worker(`local-${i + 1}`, module, output));
  return {
    slots: workers,
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}

const CHILD = path.join(__dirname, 'child.js');

/** One worker process, started on its first trial. */
class Worker implements Slot {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private exited?: string;

  constructor(
    readonly label: string,
    private readonly module: ResolvedModule,
    private readonly output: (line: string) => void,
  ) {}

  async run(task: TrialTask, hooks: TrialHooks): Promise<TrialOutcome> {
    await this.start();
    const child = this.child!;
    return new Promise<TrialOutcome>((resolve) => {
      const began = performance.now();
      const onStop = () => child.connected && child.send({ type: 'stop' } satisfies ToChild);
      const finish = (outcome: TrialOutcome) => {
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
          error: `worker process ${this.label} ended during trial ${task.number} (${this.exited}); its run resumes from its last checkpoint when the sweep runs again.`,
          seconds: (performance.now() - began) / 1000,
        });
      child.on('message', onMessage);
      child.on('exit', onExit);
      if (hooks.signal.aborted) onStop();
      else hooks.signal.addEventListener('abort', onStop, { once: true });
      child.send({ type: 'run', task } satisfies ToChild);
    });
  }

  private start(): Promise<void> {
    if (this.child && this.exited === undefined) return this.ready!;
    // N workers already fill N cores: each trains on one thread of the fused engine unless told otherwise.
    const env = { ...process.env, CELLFIT_THREADS: process.env.CELLFIT_THREADS ?? '1' };
    const child = fork(CHILD, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced', execArgv: [], env });
    this.child = child;
    this.exited = undefined;
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.output(`[${this.label}] ${line}`));
    }
    child.on('exit', (code, signal) => {
      this.exited = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromChild) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'fatal') reject(new CellfitError('sweep()', `the trial module ${this.module.path} failed to load in worker process ${this.label}:\n${message.message}`));
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', () => reject(new CellfitError('sweep()', `worker process ${this.label} ended while loading ${this.module.path} (${this.exited}).`)));
    });
    child.send({ type: 'load', module: this.module } satisfies ToChild);
    return this.ready;
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.exited !== undefined) return;
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
