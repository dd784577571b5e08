/**
 * Worker threads for the fused engine: each instantiates the same wasm module on the network's
 * shared memory, waits for a job in the memory's control block, runs its share of the job with
 * the same orchestration as the caller's thread (./engine.ts), and meets the others at barriers.
 * Nothing is posted per job: a job is a few words written into shared memory and one notify.
 *
 * The workers are unref'd (they never keep the process alive) and exit on dispose().
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CONTROL, CONTROL_WORDS, JobKind, type Barrier } from './engine';
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

/** What a worker receives once, at start. */
export interface WorkerInit {
  readonly spec: FusedSpec;
  readonly memory: WasmMemory;
  readonly module: WasmModule;
  readonly index: number;
}

const WORKER_SCRIPT = path.join(__dirname, 'worker.js');

/** The worker threads of one network. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  readonly control: Int32Array;
  private errors: string[] = [];

  constructor(
    readonly size: number,
    spec: FusedSpec,
    memory: WasmMemory,
    module: WasmModule,
  ) {
    this.control = new Int32Array(memory.buffer, 0, CONTROL_WORDS);
    Atomics.store(this.control, CONTROL.done, 0);
    for (let index = 1; index <= size; index++) {
      const worker = new Worker(WORKER_SCRIPT, { workerData: { spec, memory, module, index } satisfies WorkerInit });
      worker.unref();
      worker.on('error', (error) => {
        this.errors.push(String(error?.stack ?? error));
        Atomics.store(this.control, CONTROL.failed, 1);
        Atomics.notify(this.control, CONTROL.barrierGen);
        Atomics.notify(this.control, CONTROL.done);
      });
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

  /** Asks the workers to exit and lets them go. */
  dispose(): void {
    Atomics.store(this.control, CONTROL.kind, JobKind.Exit);
    Atomics.add(this.control, CONTROL.job, 1);
    Atomics.notify(this.control, CONTROL.job);
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }
}
