import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { checkpoint } from '../../../lib/checkpoint';
import { RecyclingBin, type CommitJob } from '../../../lib/checkpoint/commit';
import { readCheckpointFiles } from '../../../lib/checkpoint/format';
import { nodeFs, writerFs, type CheckpointFs } from '../../../lib/checkpoint/fs';
import { COMMIT_INTERVAL_MS, MAX_UNWRITTEN, MAX_UNWRITTEN_BYTES, TrainingCheckpoints, type CheckpointPayload } from '../../../lib/checkpoint/training';
import { Monitor } from '../../../lib/monitor';
import { tmpDir } from '../train/support';

/**
 * A disk that holds every file write until the test releases it, recording the order in which
 * checkpoints are renamed into place and how many commits ended (run directory fsyncs).
 */
function heldDisk(runDir: string): { fs: CheckpointFs; committed: string[]; commits: () => number; held: () => number; release: () => void } {
  let gates: (() => void)[] = [];
  const committed: string[] = [];
  let commits = 0;
  const disk: CheckpointFs = {
    ...nodeFs,
    async createFile(file, bytes) {
      await new Promise<void>((resolve) => gates.push(resolve));
      return nodeFs.createFile(file, bytes);
    },
    async rename(from, to) {
      if (path.basename(from).startsWith('.tmp-epoch-')) committed.push(path.basename(to));
      return nodeFs.rename(from, to);
    },
    async syncAll(paths) {
      if (paths.length === 1 && paths[0] === runDir) commits++;
      return nodeFs.syncAll(paths);
    },
  };
  return {
    fs: disk,
    committed,
    commits: () => commits,
    held: () => gates.length,
    release() {
      const open = gates;
      gates = [];
      for (const resolve of open) resolve();
    },
  };
}

/** A snapshot of epoch `epoch` with validation loss `value`. */
function payload(epoch: number, value: number): CheckpointPayload {
  const id = `epoch-${String(epoch).padStart(4, '0')}`;
  const optimizer = { className: 'Adam', config: {}, iterations: epoch, learningRate: 0.01, scalars: {}, slots: [] };
  return {
    id,
    modelJson: { modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] }] },
    weights: { specs: [{ name: 'w', shape: [1], dtype: 'float32' }], data: new Uint8Array(new Float32Array([epoch]).buffer) },
    optimizer: { meta: optimizer, data: new Uint8Array(0) },
    state: { format: 'cellfit-state', position: { epoch, batch: 0, step: epoch }, metrics: { val_loss: value }, optimizer, time: new Date().toISOString() },
    run: { status: 'running', epoch },
  };
}

/** The compiled library, for the scripts some tests run in processes of their own. */
const LIB = path.join(__dirname, '..', '..', '..', 'lib');

/**
 * Skips `test` unless this machine lets it mount file systems (tmpfs, read-only remounts) in a
 * mount namespace of its own: that needs root and unshare, and the machine's own mounts stay as
 * they are.
 */
function needMountNamespace(test: Mocha.Context): void {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['-m', 'true']).status !== 0) test.skip();
}

/** Runs `commands`, one after another while they succeed, in a shell in a mount namespace of its own (see needMountNamespace). */
function inMountNamespace(commands: readonly string[]): { stdout: string; stderr: string } {
  return spawnSync('unshare', ['-m', 'sh', '-c', commands.join(' && ')], { encoding: 'utf8' });
}

/** Lets the writer's fs calls reach the held gates. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Checks that commitBeforeStop() with a stop point sooner than a commit ends starts no commit, and
 * with one much later starts one at once, on `disk` (see heldDisk), holding waiting snapshots.
 */
async function committedAheadOfStop(session: TrainingCheckpoints, disk: ReturnType<typeof heldDisk>): Promise<void> {
  session.commitBeforeStop(0);
  await settle();
  assert.equal(disk.held(), 0, 'a commit started although the stop point comes sooner than a commit ends');
  session.commitBeforeStop(60_000);
  await settle();
  assert.ok(disk.held() > 0, 'the waiting snapshots were not committed ahead of the stop point');
}

/** Flushes `session`, letting the held disk go on each time it is still waiting on it. */
async function flushReleasing(session: TrainingCheckpoints, disk: { release: () => void }): Promise<void> {
  const flushed = session.flush();
  while (!(await Promise.race([flushed.then(() => true), settle().then(() => false)]))) disk.release();
}

/** A snapshot of epoch `epoch` half of MAX_UNWRITTEN_BYTES large (two exceed the byte budget together). */
function largePayload(epoch: number): CheckpointPayload {
  const small = payload(epoch, 1);
  return { ...small, weights: { ...small.weights, data: new Uint8Array(MAX_UNWRITTEN_BYTES / 2 + 4) } };
}

describe('TrainingCheckpoints (the write side while training)', function () {
  this.timeout(60000);

  it('save() queues snapshots while the disk is busy and commits them as one group; the snapshot after MAX_UNWRITTEN waits; every kept checkpoint is written, in order, and retention is exact', async () => {
    const runDir = path.join(tmpDir('back-pressure'), 'run');
    const disk = heldDisk(runDir);
    const store = checkpoint({ dir: runDir, fs: disk.fs, keep: 2, keepBest: 1 });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run', 0);
    // Epoch 3 has the best value.
    const value = (epoch: number) => (epoch === 3 ? 0.1 : 1 + epoch / 100_000);
    try {
      // Epoch 1 starts writing, epochs 2..MAX_UNWRITTEN wait in memory: no save() waits for the disk.
      for (let epoch = 1; epoch <= MAX_UNWRITTEN; epoch++) await session.save(payload(epoch, value(epoch)));
      // Retention is decided when a checkpoint is saved, not when the disk gets to it.
      assert.deepEqual(session.plannedIds, ['epoch-0003', `epoch-${String(MAX_UNWRITTEN - 1).padStart(4, '0')}`, `epoch-${String(MAX_UNWRITTEN).padStart(4, '0')}`]);
      let queued = false;
      const last = MAX_UNWRITTEN + 1;
      const saving = session.save(payload(last, value(last))).then(() => (queued = true));
      await settle();
      assert.equal(queued, false, `a snapshot was queued while ${MAX_UNWRITTEN} were unwritten`);
      assert.deepEqual(disk.committed, []);
      // The disk commits epoch 1; epochs 2..MAX_UNWRITTEN go to the disk together, and the next one is queued.
      while (!queued) {
        disk.release();
        await settle();
      }
      await saving;
      assert.deepEqual(disk.committed, ['epoch-0001']);
      assert.equal(session.queuedId, `epoch-${String(last).padStart(4, '0')}`);
      await flushReleasing(session, disk);
      // Three commits: epoch 1, the group, the last. Of the group, only what its newest snapshot's
      // retention keeps was written (the others would have been deleted by the same commit), in order.
      assert.equal(disk.commits(), 3);
      const id = (epoch: number) => `epoch-${String(epoch).padStart(4, '0')}`;
      assert.deepEqual(disk.committed, [id(1), id(3), id(MAX_UNWRITTEN - 1), id(MAX_UNWRITTEN), id(last)]);
      // keep: 2 newest + keepBest: 1 (epoch 3).
      assert.deepEqual(store.ids(), [id(3), id(MAX_UNWRITTEN), id(last)]);
      assert.deepEqual(session.ids, session.plannedIds);
      assert.equal(store.best()!.id, 'epoch-0003');
      assert.deepEqual(fs.readdirSync(runDir).filter((name) => name.startsWith('.') || name.includes('.tmp-')), []);
      assert.ok(!fs.existsSync(path.join(runDir, 'latest.json')), 'latest.json is no longer written: run.json names the newest checkpoint');
      assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).checkpoint, id(last));
    } finally {
      disk.release();
      await session.close();
    }
  });

  it(`snapshots taken within ${COMMIT_INTERVAL_MS} ms (COMMIT_INTERVAL_MS) of a commit go to the disk together, even when the disk is idle`, async () => {
    const runDir = path.join(tmpDir('interval'), 'run');
    const disk = heldDisk(runDir);
    const counting: CheckpointFs = { ...disk.fs, createFile: nodeFs.createFile };
    const store = checkpoint({ dir: runDir, fs: counting, keep: 10 });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run', 0);
    try {
      // The first snapshot is committed at once; the next ones, taken right after, wait for the interval.
      for (let epoch = 1; epoch <= 4; epoch++) await session.save(payload(epoch, 1));
      await session.flush();
      assert.equal(disk.commits(), 2);
      assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0004']);
      assert.deepEqual(store.ids(), ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0004']);
    } finally {
      await session.close();
    }
  });

  it(`a run's first commit starts ${COMMIT_INTERVAL_MS} ms after it opens, with every snapshot taken meanwhile that retention keeps; a stop point before that commits at once`, async () => {
    for (const stopEarly of [false, true]) {
      const runDir = path.join(tmpDir('first-commit'), 'run');
      const disk = heldDisk(runDir);
      const store = checkpoint({ dir: runDir, fs: disk.fs, keep: 2, keepBest: 0 });
      const opened = performance.now();
      const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run');
      try {
        // Epoch 0 (a new run's initial weights) and two more, taken at once: none starts a commit.
        for (let epoch = 0; epoch <= 2; epoch++) await session.save(payload(epoch, 1));
        await settle();
        assert.equal(disk.held(), 0, 'a commit started before the interval');
        assert.deepEqual(session.plannedIds, ['epoch-0001', 'epoch-0002']);
        if (stopEarly) {
          await flushReleasing(session, disk);
          assert.ok(performance.now() - opened < COMMIT_INTERVAL_MS, 'the stop point waited for the interval');
        } else {
          while (disk.held() === 0) await settle();
          assert.ok(performance.now() - opened >= COMMIT_INTERVAL_MS - 5, 'the first commit started before the interval');
          await flushReleasing(session, disk);
        }
        // One commit, of what retention keeps: epoch 0 was pushed out before it was ever written.
        assert.equal(disk.commits(), 1);
        assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0002']);
        assert.deepEqual(store.ids(), ['epoch-0001', 'epoch-0002']);
      } finally {
        disk.release();
        await session.close();
      }
    }
  });

  it("before a run's first commit, commitBeforeStop(ms) goes by how long the process's latest commit took (a short run, such as a sweep's trial, then commits ahead of its stop point too)", async () => {
    const monitor = new Monitor('test', { monitor: 'val_loss' });
    const earlierDir = path.join(tmpDir('before-stop-earlier'), 'run');
    const earlierDisk = heldDisk(earlierDir);
    const earlier = await TrainingCheckpoints.open(checkpoint({ dir: earlierDir, fs: earlierDisk.fs }), monitor, 'test', 'run', 0);
    try {
      await earlier.save(payload(1, 1));
      await flushReleasing(earlier, earlierDisk);
    } finally {
      earlierDisk.release();
      await earlier.close();
    }
    const runDir = path.join(tmpDir('before-stop-first'), 'run');
    const disk = heldDisk(runDir);
    const store = checkpoint({ dir: runDir, fs: disk.fs, keep: 10 });
    // Its first commit would start a second after it opens.
    const session = await TrainingCheckpoints.open(store, monitor, 'test', 'run');
    try {
      await session.save(payload(1, 1));
      await session.save(payload(2, 1));
      await committedAheadOfStop(session, disk);
      await flushReleasing(session, disk);
      await session.save(payload(3, 1));
      await flushReleasing(session, disk);
      assert.equal(disk.commits(), 2);
      assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0002', 'epoch-0003']);
    } finally {
      // After a failed check, the commit that close() starts needs the held disk to go on too.
      await flushReleasing(session, disk).catch(() => undefined);
      await session.close();
    }
  });

  it('the buffers of snapshots come back for reuse once written (after the commit) or let go unwritten, never before', async () => {
    const runDir = path.join(tmpDir('buffers'), 'run');
    const disk = heldDisk(runDir);
    const store = checkpoint({ dir: runDir, fs: disk.fs, keep: 1, keepBest: 0 });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run', 0);
    /** A snapshot of `epoch` whose weights and optimizer values are in buffers of the session's. */
    const pooled = (epoch: number) => {
      const small = payload(epoch, 1);
      const weights = new Float32Array(session.buffers.take(8)).fill(epoch);
      const slots = new Float32Array(session.buffers.take(16)).fill(-epoch);
      return { snapshot: { ...small, weights: { ...small.weights, data: new Uint8Array(weights.buffer) }, optimizer: { ...small.optimizer, data: new Uint8Array(slots.buffer) } }, buffers: [weights.buffer, slots.buffer] };
    };
    try {
      const first = pooled(1);
      await session.save(first.snapshot);
      await settle();
      // Epoch 1 is being written (the disk holds it): its buffers are not handed out.
      const second = pooled(2);
      assert.ok(!first.buffers.includes(second.buffers[0]) && !first.buffers.includes(second.buffers[1]));
      await session.save(second.snapshot);
      const third = pooled(3);
      await session.save(third.snapshot);
      // Epoch 3 took epoch 2's place among the `keep` newest: epoch 2 is let go, its buffers come back.
      assert.equal(session.buffers.take(8), second.buffers[0]);
      assert.equal(session.buffers.take(16), second.buffers[1]);
      await flushReleasing(session, disk);
      assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0003']);
      const back = [session.buffers.take(8), session.buffers.take(8), session.buffers.take(16), session.buffers.take(16)];
      assert.deepEqual(new Set(back), new Set([...first.buffers, ...third.buffers]));
      const { files } = readCheckpointFiles(runDir, 'epoch-0003');
      assert.deepEqual(Array.from(new Float32Array(Uint8Array.from(files.get('weights.bin')!).buffer)), [3, 3]);
      assert.deepEqual(Array.from(new Float32Array(Uint8Array.from(files.get('optimizer.bin')!).buffer)), [-3, -3, -3, -3]);
    } finally {
      disk.release();
      await session.close();
    }
  });

  it('commitBeforeStop(ms) commits the waiting snapshots at once only when a commit takes less than ms, so that the stop point then commits alone', async () => {
    const runDir = path.join(tmpDir('before-stop'), 'run');
    const disk = heldDisk(runDir);
    const store = checkpoint({ dir: runDir, fs: disk.fs, keep: 10 });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run', 0);
    try {
      await session.save(payload(1, 1));
      await flushReleasing(session, disk);
      assert.equal(disk.commits(), 1);
      // Taken right after a commit: they wait for COMMIT_INTERVAL_MS.
      await session.save(payload(2, 1));
      await session.save(payload(3, 1));
      await committedAheadOfStop(session, disk);
      while (disk.commits() < 2) {
        disk.release();
        await settle();
      }
      await session.save(payload(4, 1));
      await flushReleasing(session, disk);
      assert.equal(disk.commits(), 3);
      assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0004']);
    } finally {
      disk.release();
      await session.close();
    }
  });

  it('save() lets at most two snapshots wait when they are larger than MAX_UNWRITTEN_BYTES together', async () => {
    const runDir = path.join(tmpDir('back-pressure-bytes'), 'run');
    const disk = heldDisk(runDir);
    const store = checkpoint({ dir: runDir, fs: disk.fs });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run', 0);
    try {
      await session.save(largePayload(1));
      await session.save(largePayload(2));
      let queued = false;
      const saving = session.save(largePayload(3)).then(() => (queued = true));
      await settle();
      assert.equal(queued, false, 'a third snapshot was queued beyond the byte budget');
      while (!queued) {
        disk.release();
        await settle();
      }
      await saving;
      await flushReleasing(session, disk);
      assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0002', 'epoch-0003']);
    } finally {
      disk.release();
      await session.close();
    }
  });

  it('a waiting snapshot that retention drops is let go at once: with keep 1, snapshots larger than MAX_UNWRITTEN_BYTES together never wait, and only the newest is written', async () => {
    const runDir = path.join(tmpDir('let-go'), 'run');
    const disk = heldDisk(runDir);
    const store = checkpoint({ dir: runDir, fs: disk.fs, keep: 1, keepBest: 0 });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run', 0);
    try {
      // Epoch 1 is being committed (the disk holds it); each later one replaces the one waiting.
      for (let epoch = 1; epoch <= 5; epoch++) await session.save(largePayload(epoch));
      await flushReleasing(session, disk);
      assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0005']);
      assert.deepEqual(store.ids(), ['epoch-0005']);
    } finally {
      disk.release();
      await session.close();
    }
  });

  it('a failure amid a group of checkpoints names the first that did not land and the newest that did; nothing is retired', async () => {
    const runDir = path.join(tmpDir('group-failure'), 'run');
    const held = heldDisk(runDir);
    const disk: CheckpointFs = {
      ...held.fs,
      async rename(from, to) {
        if (path.basename(from).startsWith('.tmp-epoch-0003-')) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
        return held.fs.rename(from, to);
      },
    };
    const store = checkpoint({ dir: runDir, fs: disk, keep: 10 });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'train()', 'run', 0);
    try {
      for (let epoch = 1; epoch <= 4; epoch++) await session.save(payload(epoch, 1));
      const flushed = session.flush().then(
        () => undefined,
        (error: Error) => error,
      );
      let error: Error | undefined;
      while (!(error = await Promise.race([flushed, settle().then(() => undefined)]))) held.release();
      assert.ok(error.message.startsWith(`train(): could not write checkpoint epoch-0003 to ${runDir}: `), error.message);
      assert.ok(error.message.includes('the newest checkpoint on disk, epoch-0002, is intact'), error.message);
      assert.deepEqual(held.committed, ['epoch-0001', 'epoch-0002']);
      assert.deepEqual(store.ids(), ['epoch-0001', 'epoch-0002']);
      assert.deepEqual(session.ids, ['epoch-0001', 'epoch-0002']);
      assert.deepEqual(fs.readdirSync(runDir).filter((name) => name.startsWith('.') || name.includes('.tmp-')), []);
      await assert.rejects(() => session.save(payload(5, 1)), /could not write checkpoint epoch-0003/);
    } finally {
      held.release();
      await session.close();
    }
  });

  it('a failing write is reported by the next save() and by flush(), naming the newest checkpoint on disk; nothing after it is written', async () => {
    let manifests = 0;
    const failing: CheckpointFs = {
      ...nodeFs,
      async createFile(file, bytes) {
        if (path.basename(file) === 'manifest.json' && ++manifests === 2) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        return nodeFs.createFile(file, bytes);
      },
    };
    const dir = path.join(tmpDir('failing'), 'run');
    const store = checkpoint({ dir, fs: failing });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'train()', 'run', 0);
    try {
      await session.save(payload(1, 1));
      await session.flush();
      await session.save(payload(2, 1));
      await session.save(payload(3, 1));
      await assert.rejects(() => session.flush(), (error: Error) => error.message.startsWith(`train(): could not write checkpoint epoch-0002 to ${dir}: `) && error.message.includes('the newest checkpoint on disk, epoch-0001, is intact'));
      await assert.rejects(() => session.save(payload(4, 1)), /could not write checkpoint epoch-0002/);
      assert.deepEqual(store.ids(), ['epoch-0001']);
    } finally {
      await session.close();
    }
  });

  it('train() into a read-only run directory, or a new directory on a read-only mount, says which directory and what to do (no raw EROFS/ENOENT)', function () {
    needMountNamespace(this);
    const mount = tmpDir('readonly-mount');
    const script = path.join(tmpDir('readonly-script'), 'train.js');
    fs.writeFileSync(
      script,
      `const { train, tf, setSeed } = require(${JSON.stringify(LIB)});
const [dir, epochs] = [process.argv[2], Number(process.argv[3])];
setSeed(1);
const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
const data = { xs: tf.tensor2d([[0, 1], [1, 0], [1, 1], [0, 0]]), ys: tf.tensor2d([[1], [1], [2], [0]]) };
train(model, data, { epochs, checkpoint: dir, plot: false, progress: false, name: 'ro' }).then(
  (run) => console.log('ok', run.status),
  (error) => console.log(error.message),
);`,
    );
    const result = inMountNamespace([
      `mount -t tmpfs none ${mount}`,
      `node ${script} ${mount}/checkpoints 1 >/dev/null`,
      `mount -o remount,ro ${mount}`,
      `node ${script} ${mount}/checkpoints 3`,
      `node ${script} ${mount}/new/checkpoints 1`,
    ]);
    const [existing, created] = result.stdout.trim().split('\n');
    const runDir = `${mount}/checkpoints/ro`;
    assert.equal(
      existing,
      `train(): cannot write to the run directory ${runDir}: the file system is read-only (EROFS). Its checkpoints are untouched and can still be read (checkpoint('${runDir}').list(), .export()). ` +
        'To train it, make the directory writable (or copy it to a writable place and pass that `dir`); or train with checkpoint: false.',
      result.stderr,
    );
    assert.equal(
      created,
      `train(): cannot create the checkpoint directory ${mount}/new/checkpoints/ro: ${mount}, where it would be created, is not writable: the file system is read-only (EROFS). Choose a writable \`dir\`, or train with checkpoint: false.`,
      result.stderr,
    );
  });

  it("the writer's file system names a read-only mount as EROFS when a checkpoint's directory cannot be created (a recursive mkdir says ENOENT)", function () {
    needMountNamespace(this);
    const mount = tmpDir('mkdir-read-only');
    const script = path.join(tmpDir('mkdir-read-only-script'), 'mkdir.js');
    fs.writeFileSync(
      script,
      `const { writerFs, nodeFs } = require(${JSON.stringify(path.join(LIB, 'checkpoint', 'fs.js'))});
const mount = process.argv[2];
(async () => {
  for (const fs of [writerFs, nodeFs]) {
    await fs.mkdir(mount + '/run/.tmp-epoch-0001');
    await fs.mkdir(mount + '/run/.tmp-epoch-0001');
  }
  require('node:child_process').execSync('mount -o remount,ro ' + mount);
  for (const fs of [writerFs, nodeFs]) {
    await fs.mkdir(mount + '/run/.tmp-epoch-0002').then(() => console.log('created'), (error) => console.log(error.code));
  }
})();`,
    );
    const result = inMountNamespace([`mount -t tmpfs -o size=1m none ${mount}`, `node ${script} ${mount}`]);
    assert.equal(result.stdout, 'EROFS\nEROFS\n', result.stderr);
  });

  for (const fault of ['full', 'read-only'] as const) {
    it(`a real disk that becomes ${fault} in the middle of train(): the error names the directory and the newest checkpoint on disk, which verifies; once the disk is writable again train() resumes from it and ends bit for bit as a run never stopped`, function () {
      // A small tmpfs of its own.
      needMountNamespace(this);
      const mount = tmpDir(`${fault}-mount`);
      const reference = tmpDir(`${fault}-reference`);
      const script = path.join(tmpDir(`${fault}-script`), 'train.js');
      // At the end of epoch 5, once epoch 4's checkpoint is on disk (the callback waits for it; epoch
      // 5's is taken after the callback), the disk fills up (a file takes every free page) or is
      // remounted read-only; training goes on until the writer's failure stops it.
      fs.writeFileSync(
        script,
        `const fs = require('node:fs');
const { execSync } = require('node:child_process');
const { train, tf, setSeed, checkpoint, listRuns } = require(${JSON.stringify(LIB)});
const [root, mode] = [process.argv[2], process.argv[3]];
const runDir = root + '/checkpoints/faulty';
function fault() {
  if (mode === 'full') {
    const fd = fs.openSync(root + '/filler', 'w');
    const chunk = Buffer.alloc(4096, 1);
    try { for (;;) fs.writeSync(fd, chunk); } catch (error) { if (error.code !== 'ENOSPC') throw error; } finally { fs.closeSync(fd); }
  } else if (mode === 'read-only') {
    execSync('mount -o remount,ro ' + root);
  }
}
const onDisk = () => { try { return checkpoint(runDir).list().map((info) => info.id); } catch { return []; } };
const callbacks = [{ async onEpochEnd(epoch) {
  if (epoch !== 5 || mode === 'reference' || mode === 'resume') return;
  const deadline = Date.now() + 30000;
  while (!onDisk().includes('epoch-0004')) {
    if (Date.now() > deadline) throw new Error('epoch-0004 never reached the disk');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  fault();
} }];
setSeed(1);
const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }), tf.layers.dense({ units: 1 })] });
model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
const xs = tf.randomUniform([64, 2], -1, 1, 'float32', 2);
const data = { xs, ys: tf.sum(tf.sin(xs), 1, true) };
train(model, data, { epochs: 12, batchSize: 8, checkpoint: root + '/checkpoints', name: 'faulty', seed: 3, callbacks, plot: false, progress: false }).then(
  (run) => {
    const weights = Buffer.concat(model.getWeights().map((w) => Buffer.from(w.dataSync().buffer))).toString('base64');
    console.log(JSON.stringify({ status: run.status, resumedFrom: run.resumedFrom?.checkpoint, weights }));
  },
  (error) => {
    const ids = onDisk();
    const newest = ids.length ? checkpoint(runDir).read(ids[ids.length - 1]) : undefined;
    console.log(JSON.stringify({ error: error.message, ids, verified: newest?.info.id, status: listRuns(root + '/checkpoints')[0]?.status }));
  },
);`,
      );
      const writable = fault === 'full' ? `rm ${mount}/filler` : `mount -o remount,rw ${mount}`;
      const result = inMountNamespace([`mount -t tmpfs -o size=2m none ${mount}`, `node ${script} ${mount} ${fault}`, writable, `node ${script} ${mount} resume`]);
      const [failed, resumed] = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(failed && resumed, `${result.stdout}\n${result.stderr}`);
      const runDir = `${mount}/checkpoints/faulty`;
      const reason = fault === 'full' ? 'no space left on the device \\(ENOSPC\\)' : 'the file system is read-only \\(EROFS\\)';
      const escaped = runDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const message = new RegExp(
        `^train\\(\\): could not write checkpoint epoch-\\d{4} to ${escaped}: ${reason}\\. Training stopped there; the newest checkpoint on disk, (epoch-\\d{4}), is intact, .* re-run the same train\\(\\) call to resume from \\1\\.`,
      );
      const match = message.exec(String(failed.error));
      assert.ok(match, String(failed.error));
      const newest = match[1];
      assert.equal(newest, 'epoch-0004');
      // What the error names is what is on disk, and its files match their hashes.
      assert.equal((failed.ids as string[]).at(-1), newest);
      assert.equal(failed.verified, newest);
      // run.json says the run failed, or, when the disk refused that too, the error says so and the run reads as crashed (resumable).
      const unrecorded = String(failed.error).includes('run.json could not be updated either');
      assert.equal(failed.status, unrecorded ? 'crashed' : 'failed', String(failed.error));
      assert.equal(resumed.status, 'completed', JSON.stringify(resumed));
      assert.equal(resumed.resumedFrom, newest);
      const uninterrupted = spawnSync('node', [script, reference, 'reference'], { encoding: 'utf8' });
      const expected = JSON.parse(uninterrupted.stdout.trim()) as Record<string, unknown>;
      assert.equal(expected.status, 'completed', uninterrupted.stderr);
      assert.equal(resumed.weights, expected.weights);
    });
  }
});

describe('RecyclingBin (the writer thread reuses retired checkpoint directories)', function () {
  this.timeout(60000);

  const bytes = (text: string) => new TextEncoder().encode(text);
  // model.json and best.bin carry content identities, as train()'s do.
  const files = (epoch: number, { best, weights }: { best: boolean; weights: number }) => [
    { name: 'model.json', data: bytes('{"modelTopology":{}}'), content: 'model' },
    { name: 'weights.bin', data: new Uint8Array(weights).fill(epoch) },
    ...(best ? [{ name: 'best.bin', data: new Uint8Array(8).fill(1), content: 'best-1' }] : []),
    { name: 'state.json', data: bytes(JSON.stringify({ epoch })) },
  ];
  const id = (epoch: number) => `epoch-${String(epoch).padStart(4, '0')}`;
  const job = (runDir: string, epochs: number[], retire: number[], recycle: boolean, shape = { best: true, weights: 64 }): CommitJob => ({
    runDir,
    checkpoints: epochs.map((epoch) => ({ id: id(epoch), files: files(epoch, shape) })),
    run: bytes('{}'),
    retire: retire.map(id),
    recycle,
  });
  const commit = async (bin: RecyclingBin, request: CommitJob) => {
    let failure: Error | undefined;
    await bin.commit(request, (error) => (failure = error));
    if (failure) throw failure;
  };
  const hidden = (runDir: string) => fs.readdirSync(runDir).filter((name) => name.startsWith('.'));

  it('writes a new checkpoint into a retired directory: changed files overwritten (shorter ones cut), identical ones kept, absent ones removed; every checkpoint verifies', async () => {
    const runDir = path.join(tmpDir('recycle'), 'run');
    fs.mkdirSync(runDir, { recursive: true });
    const bin = new RecyclingBin(writerFs);
    await commit(bin, job(runDir, [1, 2], [], true));
    await commit(bin, job(runDir, [3, 4], [1, 2], true));
    // Epochs 1 and 2 are kept aside, invisible to listings, for the next commit.
    assert.equal(hidden(runDir).length, 2);
    assert.deepEqual(checkpoint(runDir).ids(), [id(3), id(4)]);
    const kept = hidden(runDir).map((name) => fs.statSync(path.join(runDir, name, 'model.json')).ino);
    await commit(bin, job(runDir, [5], [3], true, { best: false, weights: 16 }));
    assert.deepEqual(checkpoint(runDir).ids(), [id(4), id(5)]);
    // Epoch 5 went into one of the retired directories; its model.json (the same bytes) was not rewritten.
    assert.ok(kept.includes(fs.statSync(path.join(runDir, id(5), 'model.json')).ino));
    assert.deepEqual(fs.readdirSync(path.join(runDir, id(5))).sort(), ['manifest.json', 'model.json', 'state.json', 'weights.bin']);
    for (const checkpointId of [id(4), id(5)]) readCheckpointFiles(runDir, checkpointId);
    const weights = readCheckpointFiles(runDir, id(5)).files.get('weights.bin')!;
    assert.deepEqual([...weights], new Array(16).fill(5));
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, id(5), 'state.json'), 'utf8')).epoch, 5);
    // Released (train() ends): what it kept waits, hidden, for the next run.
    await bin.release(runDir);
    assert.equal(hidden(runDir).length, bin.spareDirs.length);
  });

  it('fsyncs a reused directory only when its entries change (a file added or removed): overwriting its files in place leaves them as they were made durable', async () => {
    const synced: string[] = [];
    const disk = { ...writerFs, syncAll: async (paths: readonly string[]) => (synced.push(...paths), writerFs.syncAll(paths)) };
    const bin = new RecyclingBin(disk);
    /** How many checkpoint directories (`.tmp-epoch-…`) the commit synced. */
    const dirsSynced = async (request: CommitJob) => {
      synced.length = 0;
      await commit(bin, request);
      return synced.filter((file) => path.basename(file).startsWith('.tmp-epoch-')).length;
    };
    const runDir = path.join(tmpDir('recycle-sync'), 'run');
    fs.mkdirSync(runDir, { recursive: true });
    assert.equal(await dirsSynced(job(runDir, [1, 2], [], true)), 2, 'new directories are synced');
    assert.equal(await dirsSynced(job(runDir, [3, 4], [1, 2], true)), 2);
    assert.equal(await dirsSynced(job(runDir, [5], [3], true)), 0, 'the same files, overwritten in place');
    assert.equal(await dirsSynced(job(runDir, [6], [4], true, { best: false, weights: 64 })), 1, 'best.bin removed');
    for (const checkpointId of [id(5), id(6)]) readCheckpointFiles(runDir, checkpointId);
    const grown = path.join(tmpDir('recycle-sync-grown'), 'run');
    fs.mkdirSync(grown, { recursive: true });
    const lean = { best: false, weights: 64 };
    assert.equal(await dirsSynced(job(grown, [1], [], true, lean)), 1);
    assert.equal(await dirsSynced(job(grown, [2], [1], true, lean)), 1);
    assert.equal(await dirsSynced(job(grown, [3], [2], true)), 1, 'best.bin created');
    assert.ok(fs.existsSync(path.join(grown, id(3), 'best.bin')));
    readCheckpointFiles(grown, id(3));
  });

  it('keeps a file of a reused directory only when its content identity is the new one: a file of the same size and CRC-32 but other bytes is written', async () => {
    // Two 8-byte files with the same CRC-32 (0853e3c3): a checksum cannot tell them apart.
    const first = Buffer.from('b108010061abd999', 'hex');
    const second = Buffer.from('15a2010085fd3f8f', 'hex');
    assert.equal(crc32(first), crc32(second));
    assert.notDeepEqual(first, second);
    const synced: string[] = [];
    const bin = new RecyclingBin({ ...writerFs, syncAll: async (paths: readonly string[]) => (synced.push(...paths), writerFs.syncAll(paths)) });
    const runDir = path.join(tmpDir('recycle-content'), 'run');
    fs.mkdirSync(runDir, { recursive: true });
    const withBest = (epoch: number, retire: number[], data: Uint8Array, content: string): CommitJob => {
      const request = job(runDir, [epoch], retire, true);
      const [checkpointFiles] = request.checkpoints;
      return { ...request, checkpoints: [{ ...checkpointFiles, files: checkpointFiles.files.map((file) => (file.name === 'best.bin' ? { name: 'best.bin', data, content } : file)) }] };
    };
    /** The files of checkpoint `epoch` that its commit wrote (each written file is synced). */
    const written = async (request: CommitJob) => {
      synced.length = 0;
      await commit(bin, request);
      return synced.filter((file) => path.basename(path.dirname(file)).startsWith(`.tmp-${request.checkpoints[0].id}-`)).map((file) => path.basename(file)).sort();
    };
    await written(withBest(1, [], first, 'first'));
    await written(withBest(2, [1], first, 'first'));
    // Epoch 3 goes into epoch 1's directory, whose best.bin has the same size and CRC-32, under another identity.
    assert.deepEqual(await written(withBest(3, [2], second, 'second')), ['best.bin', 'manifest.json', 'state.json', 'weights.bin']);
    assert.deepEqual(readCheckpointFiles(runDir, id(3)).files.get('best.bin'), second);
    // Epoch 4 goes into epoch 2's, whose best.bin and model.json have the identities of epoch 4's: kept as they are.
    assert.deepEqual(await written(withBest(4, [3], first, 'first')), ['manifest.json', 'state.json', 'weights.bin']);
    assert.deepEqual(readCheckpointFiles(runDir, id(4)).files.get('best.bin'), first);
    const manifest = JSON.parse(fs.readFileSync(path.join(runDir, id(4), 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.files['best.bin'], { crc32: '0853e3c3', bytes: 8, content: 'first' });
    assert.equal(manifest.version, 2);
  });

  it('a kept directory that is gone by the next commit (removed from outside) is replaced by a new one', async () => {
    const runDir = path.join(tmpDir('recycle-gone'), 'run');
    fs.mkdirSync(runDir, { recursive: true });
    const bin = new RecyclingBin(writerFs);
    await commit(bin, job(runDir, [1], [], true));
    await commit(bin, job(runDir, [2], [1], true));
    for (const name of hidden(runDir)) fs.rmSync(path.join(runDir, name), { recursive: true });
    await commit(bin, job(runDir, [3], [2], true));
    assert.deepEqual(checkpoint(runDir).ids(), [id(3)]);
    readCheckpointFiles(runDir, id(3));
  });

  it('a stop point (recycle: false) writes into what the run kept; what is left and what it retires become spares, which the next run under the same root writes into', async () => {
    const root = tmpDir('recycle-stop');
    const [first, second] = [path.join(root, 'first'), path.join(root, 'second')];
    for (const runDir of [first, second]) fs.mkdirSync(runDir, { recursive: true });
    const bin = new RecyclingBin(writerFs);
    await commit(bin, job(first, [1, 2], [], true));
    await commit(bin, job(first, [3], [1], true));
    const keptInode = fs.statSync(path.join(first, hidden(first)[0], 'model.json')).ino;
    await commit(bin, job(first, [4], [2], false));
    assert.deepEqual(checkpoint(first).ids(), [id(3), id(4)]);
    for (const checkpointId of [id(3), id(4)]) readCheckpointFiles(first, checkpointId);
    // Epoch 4 went into the directory epoch 1 left; epoch 2's is a spare now.
    assert.equal(fs.statSync(path.join(first, id(4), 'model.json')).ino, keptInode);
    assert.equal(hidden(first).length, 1);
    assert.deepEqual(bin.spareDirs, [path.join(first, hidden(first)[0])]);
    const spareInode = fs.statSync(path.join(first, hidden(first)[0], 'model.json')).ino;
    // The next run's first checkpoint is written into the spare: no new directory, model.json (the same bytes) kept.
    await commit(bin, job(second, [1], [], true, { best: false, weights: 16 }));
    assert.deepEqual(hidden(first), []);
    assert.deepEqual(bin.spareDirs, []);
    assert.equal(fs.statSync(path.join(second, id(1), 'model.json')).ino, spareInode);
    assert.deepEqual(fs.readdirSync(path.join(second, id(1))).sort(), ['manifest.json', 'model.json', 'state.json', 'weights.bin']);
    assert.deepEqual([...readCheckpointFiles(second, id(1)).files.get('weights.bin')!], new Array(16).fill(1));
    assert.deepEqual(checkpoint(first).ids(), [id(3), id(4)]);
  });

  it('spares stay within their limits and on their device, and are deleted when no run takes them in time', async () => {
    // Spares wait 2 s for a run to take them: long enough for the commits below on a loaded disk
    // (at 100 ms, the 16 MiB commit once outlasted it in CI and the spares were gone before the
    // counts), short enough to wait for at the end.
    const bin = new RecyclingBin(writerFs, 2000);
    const hiddenDirs = (runs: string[]) => runs.flatMap((runDir) => hidden(runDir).map((name) => path.join(runDir, name)));
    // Ten runs, each in its own checkpoint root: their stop points each take one spare and retire two.
    const runs = Array.from({ length: 10 }, (_, i) => path.join(tmpDir(`spares-${i}`), 'run'));
    for (const runDir of runs) {
      fs.mkdirSync(runDir, { recursive: true });
      await commit(bin, job(runDir, [1, 2], [], true));
    }
    for (const runDir of runs) await commit(bin, job(runDir, [3], [1, 2], false));
    assert.equal(bin.spareDirs.length, RecyclingBin.SPARES);
    assert.deepEqual(hiddenDirs(runs).sort(), [...bin.spareDirs].sort());
    // Large ones are not kept.
    const large = path.join(tmpDir('spares-large'), 'run');
    fs.mkdirSync(large, { recursive: true });
    const spares = bin.spareDirs;
    await commit(bin, job(large, [1], [], true, { best: false, weights: RecyclingBin.SPARE_BYTES }));
    await commit(bin, job(large, [2], [1], false, { best: false, weights: 16 }));
    assert.deepEqual(hidden(large), []);
    assert.equal(bin.spareDirs.length, spares.length - 2);
    // A run on another device (a tmpfs) takes none of them.
    const shm = '/dev/shm';
    if (fs.existsSync(shm) && fs.statSync(shm).dev !== fs.statSync(runs[0]).dev) {
      const elsewhere = fs.mkdtempSync(path.join(shm, 'cellfit-spares-'));
      try {
        await commit(bin, job(elsewhere, [1], [], true));
        assert.equal(bin.spareDirs.length, spares.length - 2);
        readCheckpointFiles(elsewhere, id(1));
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    }
    // No run takes them within 2 s: they are deleted.
    while (hiddenDirs(runs).length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(bin.spareDirs, []);
    for (const runDir of runs) assert.deepEqual(checkpoint(runDir).ids(), [id(3)]);
  });
});
