/**
 * A worker thread of the fused engine (see ./threads.ts): the same kernels on the same shared
 * memory, running its share of each job the caller's thread starts. It is bound to one network at a
 * time by a message; the network's dispose() releases it (an Exit job) back to waiting for the next.
 */
import { parentPort } from 'node:worker_threads';
import { CONTROL, CONTROL_WORDS, PassRunner, JobKind, computeLayout, layoutParamsOf, runShare, type Layout } from './passes';
import { instantiate } from './kernels';
import { planNetwork } from './spec';
import { controlBarrier, type WorkerInit } from './threads';

parentPort!.on('message', (init: WorkerInit) => serve(init));

/** Runs the jobs of the network `init` describes until it releases this thread. */
function serve(init: WorkerInit): void {
  const plan = planNetwork(init.spec);
  const kernels = instantiate(init.memory, init.module);
  const control = new Int32Array(init.memory.buffer, 0, CONTROL_WORDS);
  let runner: PassRunner | undefined;
  let seen = 0;
  for (;;) {
    Atomics.wait(control, CONTROL.job, seen);
    seen = Atomics.load(control, CONTROL.job);
    const kind = control[CONTROL.kind] as JobKind;
    if (kind === JobKind.Exit) return;
    const threads = control[CONTROL.threads];
    if (init.index >= threads) continue;
    try {
      const params = layoutParamsOf(control);
      if (!runner || !sameParams(runner.layout, params)) runner = new PassRunner(plan, kernels, computeLayout(plan, params));
      runShare(runner, control, init.index, controlBarrier(control, threads));
    } catch (error) {
      // Leave the others' barriers, report, and stay available: the caller throws for this job.
      if (!Atomics.load(control, CONTROL.failed)) console.error(error);
      Atomics.store(control, CONTROL.failed, 1);
      Atomics.notify(control, CONTROL.barrierGen);
    }
    Atomics.add(control, CONTROL.done, 1);
    Atomics.notify(control, CONTROL.done);
  }
}

function sameParams(layout: Layout, params: ReturnType<typeof layoutParamsOf>): boolean {
  const a = layout.params;
  return a.capRows === params.capRows && a.maxSteps === params.maxSteps && a.dataRows === params.dataRows && a.stagingRows === params.stagingRows;
}
