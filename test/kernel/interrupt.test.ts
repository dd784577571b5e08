/**
 * Interrupts over the real protocol: interrupt_request on control (the kernelspec's
 * interrupt_mode "message") and SIGINT, against synchronous loops, loops after an await, awaited
 * work, and a running train() — which must stop for real and resume when the cell runs again.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { listRuns } from '../../lib';
import type { KernelClient } from '../../kernel/runner/client';
import { failure, holdUntilInterruptedCell, plain, sharedKernel, streamText, summarize, temporaryDir } from './harness';
import { until } from '../support/until';

const executeRequest = (code: string) => ({ code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });

/** Starts `code`, waits until `started` is printed, and returns the running execution. */
async function startRunning(kernel: KernelClient, code: string) {
  let started = false;
  const stop = kernel.onIopub((m) => {
    if (m.header.msg_type === 'stream' && String(m.content.text).includes('started')) started = true;
  });
  const running = kernel.send('shell', 'execute_request', executeRequest(code));
  let finished: string | undefined;
  void running.done.then((exchange) => (finished = summarize(exchange)));
  await until(() => {
    if (finished !== undefined && !started) assert.fail(`the cell ended before it printed "started": ${finished}`);
    return started;
  }, 'the cell printed "started"');
  stop();
  return running;
}

describe('interrupts', function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  before(async () => {
    kernel = await sharedKernel();
  });

  it('interrupt_request stops a synchronous infinite loop; the kernel and its variables survive', async () => {
    await kernel.execute('let survivor = "still here";');
    const running = await startRunning(kernel, 'console.log("started");\nwhile (true) {}');
    const { reply } = await kernel.interrupt();
    assert.equal(reply.header.msg_type, 'interrupt_reply');
    assert.deepEqual(reply.content, { status: 'ok' });
    const error = failure(await running.done);
    assert.equal(error.ename, 'Interrupted');
    assert.equal(error.evalue, 'the cell was interrupted');
    assert.equal(plain(await kernel.execute('survivor')), "'still here'");
  });

  it('interrupt_request stops a loop that runs after an await (where SIGINT cannot reach it)', async () => {
    const running = await startRunning(kernel, 'await null;\nconsole.log("started");\nlet spins = 0;\nwhile (true) { spins++; }');
    await kernel.interrupt();
    assert.equal(failure(await running.done).ename, 'Interrupted');
    assert.equal(plain(await kernel.execute('1 + 1')), '2');
  });

  it('interrupt_request stops a loop inside a function defined in an earlier cell', async () => {
    await kernel.execute('function spin() { for (;;) {} }');
    const running = await startRunning(kernel, 'console.log("started");\nspin();');
    await kernel.interrupt();
    assert.equal(failure(await running.done).ename, 'Interrupted');
  });

  it('interrupt_request stops synchronous code without loop guards (library code) by SIGINT when the main thread stays stuck', async () => {
    // Code compiled outside the kernel has no loop guards; only vm's breakOnSigint reaches it.
    const running = await startRunning(kernel, "console.log('started');\nrequire('node:vm').runInThisContext('while (true) {}');");
    await kernel.interrupt();
    assert.equal(failure(await running.done).ename, 'Interrupted');
    assert.equal(plain(await kernel.execute('"after"')), "'after'");
  });

  it("interrupt_request aborts the cell's signal: awaited work that listens stops at once", async () => {
    const running = await startRunning(
      kernel,
      "import { currentSession } from 'cellfit';\nconst signal = currentSession()!.signal!;\nconsole.log('started');\n" +
        "await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped by the signal'))));",
    );
    await kernel.interrupt();
    const error = failure(await running.done);
    assert.equal(error.ename, 'Interrupted');
    assert.equal(plain(await kernel.execute('signal.aborted')), 'true');
  });

  it('awaited work that ignores the signal is abandoned after the grace period, and the kernel goes on', async () => {
    const running = await startRunning(kernel, 'console.log("started");\nawait new Promise(() => {});');
    await kernel.interrupt();
    assert.equal(failure(await running.done).ename, 'Interrupted');
    assert.equal(plain(await kernel.execute('"next"')), "'next'");
  });

  it('cells queued behind an interrupted cell are aborted', async () => {
    const running = await startRunning(kernel, 'console.log("started");\nwhile (true) {}');
    const queued = kernel.send('shell', 'execute_request', executeRequest('"queued"'));
    await kernel.interrupt();
    assert.equal(failure(await running.done).ename, 'Interrupted');
    assert.equal((await queued.done).reply.content.status, 'aborted');
  });

  it('SIGINT (interrupt_mode "signal") stops a synchronous loop and awaited work too', async () => {
    const pid = kernel.kernelProcess!.pid!;
    const looping = await startRunning(kernel, 'console.log("started");\nwhile (true) {}');
    process.kill(pid, 'SIGINT');
    assert.equal(failure(await looping.done).ename, 'Interrupted');
    const waiting = await startRunning(
      kernel,
      "import { currentSession as session } from 'cellfit';\nconst sig = session()!.signal!;\nconsole.log('started');\nawait new Promise((resolve) => sig.addEventListener('abort', resolve));",
    );
    process.kill(pid, 'SIGINT');
    assert.equal(failure(await waiting.done).ename, 'Interrupted');
    // An idle kernel ignores SIGINT (it does not die).
    process.kill(pid, 'SIGINT');
    assert.equal(plain(await kernel.execute('"alive"')), "'alive'");
  });

  it('an interrupt during train() stops the training loop for real; running the cell again resumes the run', async () => {
    const dir = temporaryDir('interrupt-train');
    await kernel.execute(`import { train, tf, setSeed, currentSession } from 'cellfit';
const trainDir = ${JSON.stringify(dir)};
function makeModel() {
  setSeed(7);
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: 'relu', inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })] });
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  return m;
}
const trainXs = tf.randomUniform([512, 4], 0, 1, 'float32', 3);
const trainYs = trainXs.sum(1, true);
// The first execution holds at the end of epoch 2 until it is interrupted.
${holdUntilInterruptedCell('holdOnce', 2)}`);
    const cell = "console.log('started');\nconst run = await train(makeModel(), { xs: trainXs, ys: trainYs }, { name: 'resumable', epochs: 40, batchSize: 8, seed: 1, checkpoint: trainDir, plot: false, callbacks: holdOnce });\n[run.status, run.epoch, run.resumedFrom?.epoch]";
    const running = kernel.send('shell', 'execute_request', executeRequest(cell));
    // Interrupt once the run has saved a checkpoint.
    await until(() => listRuns(dir).some((run) => run.epoch >= 1), 'the run saved its first checkpoint');
    await kernel.interrupt();
    const error = failure(await running.done);
    assert.equal(error.ename, 'Interrupted');
    // The loop itself stopped: the run recorded its interruption (an abandoned loop would still be "running").
    const [stopped] = listRuns(dir);
    assert.equal(stopped.status, 'interrupted');
    assert.ok(stopped.epoch >= 1 && stopped.epoch < 40, `stopped at epoch ${stopped.epoch}`);
    assert.equal(path.basename(stopped.dir), 'resumable');

    const resumed = await kernel.execute(cell);
    const [status, epoch, resumedFrom] = JSON.parse(plain(resumed).replace(/'/g, '"')) as [string, number, number];
    assert.deepEqual([status, epoch], ['completed', 40]);
    assert.ok(resumedFrom >= stopped.epoch, `resumed from epoch ${resumedFrom}, stopped at ${stopped.epoch}`);
    assert.equal(streamText(resumed, 'stderr'), '');
    assert.equal(listRuns(dir)[0].status, 'completed');
  });
});
