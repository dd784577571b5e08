/**
 * Worker threads for the fused engine: each instantiates the same wasm module on the network's
 * shared memory, waits for a job in the memory's control block, runs its share of the job with
 * the same orchestration as the caller's thread (./passes.ts), and meets the others at barriers.
 * Nothing is posted per job: a job is a few words written into shared memory and one notify.
 *
 * The threads outlive networks: dispose() hands them back to a process-wide idle list and the next
 * network binds them to its memory with one message (a thread costs tens of milliseconds to start on
 * a busy machine; binding one, well under one). They are unref'd, busy or idle: they never keep the
 * process alive.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CONTROL, CONTROL_WORDS, JobKind, type Barrier } from './passes';
import type { WasmMemory, WasmModule } from './kernels';
import type { FusedSpec } from './spec';

/** Spins before sleeping at a barrier: a step on a wide layer takes milliseconds, a wake-up ~10 µs. */
const SPINS = 4000;

/** The generation-counting barrier of `threads` threads over the control block. */
export function controlBarrier(control: Int32Array, threads: number): Barrier {
  return {
    wait() {
      const gen = Atomics.load(control, CONTROL.barrierGen);
      if (Atomics.add(control, CONTROL.barrierCount, 1) === threads - 1) {
        Atomics.store(control, CONTROL.barrierCount, 0);
        Atomics.add(control, CONTROL.barrierGen, 1);
        Atomics.notify(control, CONTROL.barrierGen);
        return;
      }
      for (let i = 0; i < SPINS; i++) if (Atomics.load(control, CONTROL.barrierGen) !== gen) return;
      while (Atomics.load(control, CONTROL.barrierGen) === gen) {
        Atomics.wait(control, CONTROL.barrierGen, gen, 50);
        if (Atomics.load(control, CONTROL.failed)) throw new Error('FusedNetwork: a worker thread failed');
      }
    },
  };
}

/** What a worker receives when it is bound to a network. */
export interface WorkerInit {
  readonly spec: FusedSpec;
  readonly memory: WasmMemory;
  readonly module: WasmModule;
  readonly index: number;
}

const WORKER_SCRIPT = path.join(__dirname, 'worker.js');

/** Threads no network uses now, ready to be bound to the next one. */
const idle: Worker[] = [];
/** More idle threads than this are let go (a process rarely trains with more threads than cores). */
const MAX_IDLE = 64;

/** The worker threads of one network, taken from the idle list (or started) and given back on dispose(). */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  readonly control: Int32Array;
  private errors: string[] = [];
  private readonly onError: (error: Error) => void;
  private readonly dead = new Set<Worker>();
  private readonly onExit = new Map<Worker, () => void>();

  constructor(
    readonly size: number,
    spec: FusedSpec,
    memory: WasmMemory,
    module: WasmModule,
  ) {
    this.control = new Int32Array(memory.buffer, 0, CONTROL_WORDS);
    Atomics.store(this.control, CONTROL.done, 0);
    this.onError = (error) => {
      this.errors.push(String(error?.stack ?? error));
      Atomics.store(this.control, CONTROL.failed, 1);
      Atomics.notify(this.control, CONTROL.barrierGen);
      Atomics.notify(this.control, CONTROL.done);
    };
    for (let index = 1; index <= size; index++) {
      const worker = idle.pop() ?? startWorker();
      worker.on('error', this.onError);
      const onExit = () => this.dead.add(worker);
      this.onExit.set(worker, onExit);
      worker.once('exit', onExit);
      worker.postMessage({ spec, memory, module, index } satisfies WorkerInit);
      this.workers.push(worker);
    }
  }
  /** Starts the job whose parameters the caller wrote into the control block. */
  start(): void {
    Atomics.store(this.control, CONTROL.failed, 0);
    Atomics.store(this.control, CONTROL.done, 0);
    Atomics.store(this.control, CONTROL.barrierCount, 0);
    Atomics.add(this.control, CONTROL.job, 1);
    Atomics.notify(this.control, CONTROL.job);
  }

  /** Waits until the `participants` workers of the job are done; throws if one failed. */
  finish(participants: number): void {
    this.waitDone(participants);
    if (Atomics.load(this.control, CONTROL.failed)) this.fail();
  }

  private waitDone(participants: number): void {
    let failedSince = 0;
    for (;;) {
      const done = Atomics.load(this.control, CONTROL.done);
      if (done >= participants) return;
      // A worker that died never reports: give the others a moment, then stop waiting.
      if (Atomics.load(this.control, CONTROL.failed)) {
        failedSince ||= Date.now();
        if (Date.now() - failedSince > 2000) return;
      }
      Atomics.wait(this.control, CONTROL.done, done, 50);
    }
  }

  /** Tells the workers the caller's share failed (they leave their barriers), and waits for them. */
  abort(participants: number): void {
    Atomics.store(this.control, CONTROL.failed, 1);
    Atomics.notify(this.control, CONTROL.barrierGen);
    this.waitDone(participants);
  }

  private fail(): never {
    throw new Error(`FusedNetwork: a worker thread failed: ${this.errors.join('; ') || 'see its error'}`);
  }

  /** Releases the workers from this network's memory and gives them back to the idle list. */
  dispose(): void {
    Atomics.store(this.control, CONTROL.kind, JobKind.Exit);
    Atomics.add(this.control, CONTROL.job, 1);
    Atomics.notify(this.control, CONTROL.job);
    for (const worker of this.workers) {
      worker.off('error', this.onError);
      worker.off('exit', this.onExit.get(worker)!);
      // A thread that failed is not reused: its state is unknown.
      if (this.dead.has(worker) || this.errors.length > 0 || idle.length >= MAX_IDLE) void worker.terminate();
      else idle.push(worker);
    }
    this.workers.length = 0;
  }
}

function startWorker(): Worker {
  const worker = new Worker(WORKER_SCRIPT);
  worker.unref();
  // An idle thread that fails or dies leaves the idle list (a busy one's pool reports the error).
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
  });
  return worker;
}
