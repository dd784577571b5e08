import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../../../lib/random';
import { checkpoint } from '../../../lib/checkpoint';
import { MAX_UNWRITTEN } from '../../../lib/checkpoint/training';
import { listRuns } from '../../../lib/runs';
import { train } from '../../../lib/train';
import { rejectsWith } from '../../helpers';
import { CHILD_RUN } from '../../fixtures/train-child';
import { buildModel, regression, tmpDir, weightBytes } from './support';

const CHILD = path.join(__dirname, '..', '..', 'fixtures', 'train-child.js');

/** The step of a `step N` line, or -1. */
const stepOf = (line: string) => (line.startsWith('step ') ? Number(line.slice(5)) : -1);
/** The last step a child printed. */
const lastStep = (lines: string[]) => Math.max(-1, ...lines.map(stepOf));
/**
 * Where a child killed once it printed step `step` (or a later one) holds: a few steps on, so that
 * the kill lands while it trains and commits checkpoints however late it comes, and before the
 * run's end (48 steps), so that it is never killed after it finished.
 */
const holdFor = (step: number) => Math.min(step + 3, 47);

/**
 * Starts the training child; `lines` collects its stdout lines as they come. With `holdAt`, it
 * trains no further than that step until a SIGINT comes (see test/fixtures/train-child.ts).
 */
function startChild(dir: string, mode: 'train' | 'hold', engine = 'auto', every = 'batch', holdAt?: number): { child: ChildProcess; lines: string[]; exited: Promise<number | null>; waitFor: (test: (line: string) => boolean) => Promise<string> } {
  const child = spawn(process.execPath, [CHILD, dir, mode, engine, every, ...(holdAt === undefined ? [] : [String(holdAt)])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': by then every line the child wrote has been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = (test: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find(test);
      if (found !== undefined) return resolve(found);
      waiters.push({ test, resolve });
      void exited.then((code) => reject(new Error(`child exited (code ${code}) before the expected line; stderr:\n${stderr}\nstdout:\n${lines.join('\n')}`)));
    });
  return { child, lines, exited, waitFor };
}

describe('train() crash safety', function () {
  this.timeout(180000);

  for (const engine of ['fused', 'tfjs'] as const) {
    it(`train({ engine: '${engine}' }) in a process SIGKILLed at several instants resumes, run after run, to the weights of an uninterrupted run`, async () => {
      const reference = startChild(tmpDir('crash-ref'), 'train', engine);
      const expected = (await reference.waitFor((line) => line.startsWith('done '))).split(' ')[1];

      const dir = tmpDir('crash');
      const kills = [3, 14, 15, 29, 40];
      // A process resumes from where the one before was killed: the first step it prints at or
      // after the planned one is where it is killed.
      let killedAt = 0;
      let reached = 0;
      // The newest checkpoint on disk after each kill: the processes commit while they are killed
      // (every CHILD_COMMIT_MS), so it moves on between kills (with commits a second apart, none
      // of these short-lived processes would ever commit).
      const newestAfter: string[] = [];
      for (const step of kills) {
        const child = startChild(dir, 'train', engine, 'batch', holdFor(step));
        killedAt = stepOf(await child.waitFor((line) => stepOf(line) >= step));
        child.child.kill('SIGKILL');
        await child.exited;
        reached = lastStep(child.lines);
        newestAfter.push(checkpoint(listRuns(dir)[0].dir).latest()?.id ?? 'fresh');
      }
      assert.ok(new Set(newestAfter).size >= 2, `the newest checkpoint after each kill: ${newestAfter.join(', ')}`);
      // Killed while training, the run is listed as crashed (its lock names a dead process).
      assert.deepEqual(listRuns(dir).map((info) => info.status), ['crashed']);
      const newest = newestAfter[newestAfter.length - 1];
      const last = startChild(dir, 'train', engine);
      const [, hash, from, ran] = (await last.waitFor((line) => line.startsWith('done '))).split(' ');
      assert.equal(ran, engine);
      assert.equal(hash, expected);
      // It resumed from the newest checkpoint committed before the last kill (a write can be cut
      // short by the kill) and trained only the steps after it. At most MAX_UNWRITTEN checkpoints
      // are ever unwritten (being committed or waiting): the step-40 line is printed after step
      // 39's save() returned, so step 39 - MAX_UNWRITTEN's checkpoint at least was on disk; and a
      // step's checkpoint is handed over after its line is printed, so none is past the last line.
      assert.equal(from, newest);
      const position = /^epoch-(\d{4})(?:-batch-(\d{6}))?$/.exec(from);
      assert.ok(position, from);
      const resumedStep = Number(position[1]) * 12 + Number(position[2] ?? 0);
      assert.ok(resumedStep >= killedAt - 1 - MAX_UNWRITTEN && resumedStep <= reached, `resumed from step ${resumedStep}; killed once step ${killedAt} was printed, the last printed was ${reached}`);
      assert.equal(last.lines.filter((line) => line.startsWith('step ')).length, 48 - resumedStep);
    });
  }

  it("train({ engine: 'fused', checkpoint every epoch }) SIGKILLed at random steps, mid-epoch and on epoch ends, resumes to the weights of an uninterrupted run", async () => {
    const reference = startChild(tmpDir('crash-epoch-ref'), 'train', 'fused', 'epoch');
    const expected = (await reference.waitFor((line) => line.startsWith('done '))).split(' ')[1];
    // Three distinct steps of the 48 (4 epochs of 12), drawn from a seeded generator: kills land
    // anywhere in an epoch, and each process resumes from the newest epoch checkpoint.
    const rng = new Rng('crash-epoch-kills');
    const kills = [...new Set(Array.from({ length: 3 }, () => 5 + Math.floor(rng.random() * 40)))].sort((a, b) => a - b);
    const dir = tmpDir('crash-epoch');
    for (const step of kills) {
      const child = startChild(dir, 'train', 'fused', 'epoch', holdFor(step));
      await child.waitFor((line) => stepOf(line) >= step);
      child.child.kill('SIGKILL');
      await child.exited;
    }
    const newest = checkpoint(listRuns(dir)[0].dir).latest()?.id ?? 'fresh';
    const last = startChild(dir, 'train', 'fused', 'epoch');
    const [, hash, from] = (await last.waitFor((line) => line.startsWith('done '))).split(' ');
    assert.equal(hash, expected, `killed at steps ${kills.join(', ')}, resumed from ${from}`);
    assert.equal(from, newest, `killed at steps ${kills.join(', ')}`);
    assert.match(from, /^epoch-000[0-3]$/, `killed at steps ${kills.join(', ')}`);
  });

  it('train() in a terminal stops at Ctrl-C with a checkpoint of the last step, exits as interrupted, and the re-run resumes from it', async () => {
    const reference = startChild(tmpDir('sigint-ref'), 'train');
    const expected = (await reference.waitFor((line) => line.startsWith('done '))).split(' ')[1];
    const dir = tmpDir('sigint');
    // Held at step 23 at the latest, the SIGINT finds it in epoch 2 however late it lands.
    const child = startChild(dir, 'train', 'auto', 'batch', 23);
    await child.waitFor((line) => line === 'step 20');
    child.child.kill('SIGINT');
    await child.exited;
    assert.equal(child.child.signalCode, 'SIGINT');
    const steps = child.lines.filter((line) => line.startsWith('step ')).length;
    const [info] = listRuns(dir);
    assert.equal(info.status, 'interrupted');
    // The checkpoint holds the last step trained before the process exited.
    assert.equal(info.checkpoint, `epoch-0001-batch-${String(steps - 12).padStart(6, '0')}`);
    const last = startChild(dir, 'train');
    const [, hash, from] = (await last.waitFor((line) => line.startsWith('done '))).split(' ');
    assert.equal(from, info.checkpoint);
    assert.equal(hash, expected);
  });

  it('train() of a run this process is already training (another cell still running) fails fast', async () => {
    const dir = tmpDir('lock-self');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const options = { ...CHILD_RUN, checkpoint: dir };
    const first = train(buildModel(), regression(96), { ...options, callbacks: { onEpochBegin: async (epoch) => (epoch === 2 ? (started(), await gate) : undefined) } });
    await running;
    await rejectsWith(() => train(buildModel(), regression(96), options), 'is already being trained in this process (by a train() call that has not finished). Wait for it, or interrupt it first.');
    release();
    assert.equal((await first).status, 'completed');
  });

  it('train() of a run another process is training fails fast naming that process; once it is killed, the stale lock is taken over', async () => {
    const dir = tmpDir('lock');
    const holder = startChild(dir, 'hold');
    await holder.waitFor((line) => line === 'holding');
    const options = { ...CHILD_RUN, checkpoint: { dir, every: { batches: 1 } } };
    await rejectsWith(
      () => train(buildModel(), regression(96), options),
      'train(): run "run-',
      `" is being trained by another process: pid ${holder.child.pid} on ${os.hostname()}, since `,
      '. Wait for it to finish or stop it; if that process is gone, delete ',
    );
    holder.child.kill('SIGKILL');
    await holder.exited;
    const model = buildModel();
    const run = await train(model, regression(96), options);
    assert.equal(run.status, 'completed');
    assert.ok(run.resumedFrom && run.resumedFrom.epoch + run.resumedFrom.batch / 12 >= 0.5, `resumed from ${run.resumedFrom?.checkpoint}`);
    const reference = await train(buildModel(), regression(96), { ...CHILD_RUN, checkpoint: false });
    assert.ok(weightBytes(model).equals(weightBytes(reference.model)));
  });
});
