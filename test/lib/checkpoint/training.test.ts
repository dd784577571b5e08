import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpoint } from '../../../lib/checkpoint';
import { nodeFs, type CheckpointFs } from '../../../lib/checkpoint/fs';
import { TrainingCheckpoints, type CheckpointPayload } from '../../../lib/checkpoint/training';
import { Monitor } from '../../../lib/monitor';
import { tmpDir } from '../train/support';

/** A disk that holds every write until the test releases it, recording the order of commits. */
function heldDisk(): { fs: CheckpointFs; committed: string[]; release: () => void; pending: () => number } {
  let gates: (() => void)[] = [];
  const committed: string[] = [];
  const disk: CheckpointFs = {
    ...nodeFs,
    async writeFile(file, bytes) {
      await new Promise<void>((resolve) => gates.push(resolve));
      return nodeFs.writeFile(file, bytes);
    },
    async rename(from, to) {
      if (path.basename(from).startsWith('.tmp-epoch-')) committed.push(path.basename(to));
      return nodeFs.rename(from, to);
    },
  };
  return {
    fs: disk,
    committed,
    release() {
      const open = gates;
      gates = [];
      for (const resolve of open) resolve();
    },
    pending: () => gates.length,
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

/** Lets the writer's fs calls reach the held gates. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('TrainingCheckpoints (the write side while training)', function () {
  this.timeout(60000);

  it('save() applies back-pressure: one snapshot written, one waiting, the third waits for the disk; every checkpoint is written, in order, and retention is exact', async () => {
    const disk = heldDisk();
    const store = checkpoint({ dir: path.join(tmpDir('back-pressure'), 'run'), fs: disk.fs, keep: 2, keepBest: 1 });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'test', 'run');
    try {
      // Epoch 3 has the best value.
      const values = [0.9, 0.8, 0.1, 0.5, 0.6, 0.7];
      // Epoch 1 starts writing, epoch 2 waits: neither save() waits for the disk.
      await session.save(payload(1, values[0]));
      await session.save(payload(2, values[1]));
      // Retention is decided when a checkpoint is saved, not when the disk gets to it.
      assert.deepEqual(session.plannedIds, ['epoch-0001', 'epoch-0002']);
      let third = false;
      const saving = session.save(payload(3, values[2])).then(() => (third = true));
      await settle();
      assert.equal(third, false, 'a third snapshot was queued while two were unwritten');
      assert.deepEqual(disk.committed, []);
      // The disk commits epoch 1: epoch 2 is written next, epoch 3 waits, and training goes on.
      while (!third) {
        disk.release();
        await settle();
      }
      await saving;
      assert.deepEqual(disk.committed, ['epoch-0001']);
      for (let epoch = 4; epoch <= 6; epoch++) {
        const next = session.save(payload(epoch, values[epoch - 1]));
        while (!(await Promise.race([next.then(() => true), settle().then(() => false)]))) disk.release();
      }
      assert.equal(session.queuedId, 'epoch-0006');
      assert.deepEqual(session.plannedIds, ['epoch-0003', 'epoch-0005', 'epoch-0006']);
      const flushed = session.flush();
      while (!(await Promise.race([flushed.then(() => true), settle().then(() => false)]))) disk.release();
      // Nothing dropped, nothing out of order.
      assert.deepEqual(disk.committed, ['epoch-0001', 'epoch-0002', 'epoch-0003', 'epoch-0004', 'epoch-0005', 'epoch-0006']);
      // keep: 2 newest + keepBest: 1 (epoch 3).
      assert.deepEqual(store.ids(), ['epoch-0003', 'epoch-0005', 'epoch-0006']);
      assert.deepEqual(session.ids, session.plannedIds);
      assert.equal(store.best()!.id, 'epoch-0003');
    } finally {
      disk.release();
      await session.close();
    }
  });

  it('a failing write is reported by the next save() and by flush(), naming the newest checkpoint on disk; nothing after it is written', async () => {
    let manifests = 0;
    const failing: CheckpointFs = {
      ...nodeFs,
      async writeFile(file, bytes) {
        if (path.basename(file) === 'manifest.json' && ++manifests === 2) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        return nodeFs.writeFile(file, bytes);
      },
    };
    const dir = path.join(tmpDir('failing'), 'run');
    const store = checkpoint({ dir, fs: failing });
    const session = await TrainingCheckpoints.open(store, new Monitor('test', { monitor: 'val_loss' }), 'train()', 'run');
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
    // A real read-only mount needs root and a mount namespace; elsewhere there is nothing to mount.
    const unshare = spawnSync('unshare', ['-m', 'true']);
    if (process.getuid?.() !== 0 || unshare.status !== 0) this.skip();
    const mount = tmpDir('readonly-mount');
    const lib = path.join(__dirname, '..', '..', '..', 'lib');
    const script = path.join(tmpDir('readonly-script'), 'train.js');
    fs.writeFileSync(
      script,
      `const { train, tf, setSeed } = require(${JSON.stringify(lib)});
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
    const shell = [
      `mount -t tmpfs none ${mount}`,
      `node ${script} ${mount}/checkpoints 1 >/dev/null`,
      `mount -o remount,ro ${mount}`,
      `node ${script} ${mount}/checkpoints 3`,
      `node ${script} ${mount}/new/checkpoints 1`,
    ].join(' && ');
    const result = spawnSync('unshare', ['-m', 'sh', '-c', shell], { encoding: 'utf8' });
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
});
