import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../../../lib/backend';
import { checkpoint, fileHandler } from '../../../lib/checkpoint';
import { nodeFs, type CheckpointFs } from '../../../lib/checkpoint/fs';
import { compareCheckpointIds } from '../../../lib/checkpoint/format';
import { captureWarnings } from '../../../lib/errors';
import { train } from '../../../lib/train';
import { rejectsWith, throwsWith } from '../../helpers';
import { until } from '../../support/until';
import { buildModel, QUIET, regression, tmpDir, weightBytes } from '../train/support';

/**
 * Resolves once the only run in checkpoint directory `dir` holds checkpoint `id` (for a callback to
 * wait in until a commit lands: a run's first commit starts a second after it does).
 */
function checkpointOnDisk(dir: string, id: string): Promise<void> {
  const onDisk = () => {
    const runs = fs.readdirSync(dir);
    return runs.length === 1 && fs.existsSync(path.join(dir, runs[0], id));
  };
  return until(onDisk, `${id} reached the disk in ${dir}`, 30_000, 20);
}

describe('checkpoint()', function () {
  this.timeout(60000);
  const data = regression(64);

  /**
   * A run of 4 epochs (checkpoints epoch-0002..0004 kept, plus the best). Its epochs are shorter
   * than a durable commit: the writer lags behind training, and still writes every checkpoint.
   */
  async function trainedRun(label: string, extra: Record<string, unknown> = {}) {
    const dir = tmpDir(label);
    const run = await train(buildModel(), data, { epochs: 4, batchSize: 16, validation: 0.25, checkpoint: { dir, ...extra }, ...QUIET });
    return run;
  }

  const damages: [string, (dir: string) => void, string][] = [
    ['a bit flipped in weights.bin', (dir) => flip(path.join(dir, 'weights.bin')), 'weights.bin does not match its CRC-32 checksum (corrupted)'],
    ['a truncated optimizer.bin', (dir) => truncate(path.join(dir, 'optimizer.bin')), 'optimizer.bin has 100 bytes, the manifest says'],
    ['a missing state.json', (dir) => fs.rmSync(path.join(dir, 'state.json')), 'state.json is missing'],
    ['a missing manifest.json', (dir) => fs.rmSync(path.join(dir, 'manifest.json')), 'manifest.json is missing'],
    ['a garbled manifest.json', (dir) => fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format": "cellfit-checkpoint", "files": '), 'manifest.json is unreadable'],
  ];
  for (const [label, damage, reason] of damages) {
    it(`store.latest() with ${label} in the newest checkpoint warns naming it and falls back to the previous one`, async () => {
      const run = await trainedRun('damage');
      const store = checkpoint({ dir: run.dir! });
      assert.deepEqual(store.ids(), ['epoch-0002', 'epoch-0003', 'epoch-0004']);
      damage(path.join(run.dir!, 'epoch-0004'));
      let latest: ReturnType<typeof store.latest>;
      const warnings = await captureWarnings(() => {
        latest = store.latest();
      });
      assert.equal(latest!.id, 'epoch-0003');
      assert.equal(warnings.length, 1);
      assert.ok(warnings[0].startsWith(`CheckpointStore.latest(): skipping ${run.dir}/epoch-0004: ${reason}`), warnings[0]);
      const listed = await captureWarnings(() => assert.deepEqual(store.list().map((info) => info.id).includes('epoch-0004'), false));
      assert.equal(listed.length, 1);
      await rejectsWith(() => store.restore(buildModel(), 'epoch-0004'), `CheckpointStore.restore(): checkpoint epoch-0004 is damaged: ${reason}`);
    });
  }

  it('checkpoints of format version 1 (sha256 checksums) still load, and their damage is found; a newer version is named', async () => {
    const run = await trainedRun('format-v1');
    const store = checkpoint({ dir: run.dir! });
    const manifestOf = (id: string) => path.join(run.dir!, id, 'manifest.json');
    const restored = async () => {
      const model = buildModel();
      await store.restore(model, 'epoch-0004');
      return weightBytes(model);
    };
    const expected = await restored();
    // As cellfit wrote them before version 2: sha256 and size of each file, no content identities.
    for (const id of store.ids()) {
      const manifest = JSON.parse(fs.readFileSync(manifestOf(id), 'utf8'));
      assert.equal(manifest.version, 2);
      for (const [name, entry] of Object.entries(manifest.files as Record<string, { crc32: string; bytes: number }>)) {
        assert.match(entry.crc32, /^[0-9a-f]{8}$/);
        manifest.files[name] = { sha256: createHash('sha256').update(fs.readFileSync(path.join(run.dir!, id, name))).digest('hex'), bytes: entry.bytes };
      }
      fs.writeFileSync(manifestOf(id), JSON.stringify({ ...manifest, version: 1 }, null, 1));
    }
    assert.deepEqual(await restored(), expected);
    assert.deepEqual(store.list().map((info) => info.id), ['epoch-0002', 'epoch-0003', 'epoch-0004']);
    flip(path.join(run.dir!, 'epoch-0004', 'weights.bin'));
    await rejectsWith(() => store.restore(buildModel(), 'epoch-0004'), 'checkpoint epoch-0004 is damaged: weights.bin does not match its sha256 checksum (corrupted)');
    const newer = JSON.parse(fs.readFileSync(manifestOf('epoch-0003'), 'utf8'));
    fs.writeFileSync(manifestOf('epoch-0003'), JSON.stringify({ ...newer, version: 3 }));
    await rejectsWith(() => store.restore(buildModel(), 'epoch-0003'), 'checkpoint epoch-0003 is damaged: it was written by a newer cellfit (format version 3; this one reads 2)');
    // A manifest entry without a checksum is damage too.
    const bare = JSON.parse(fs.readFileSync(manifestOf('epoch-0002'), 'utf8'));
    fs.writeFileSync(manifestOf('epoch-0002'), JSON.stringify({ ...bare, files: { ...bare.files, 'state.json': { bytes: bare.files['state.json'].bytes } } }));
    await rejectsWith(() => store.restore(buildModel(), 'epoch-0002'), 'checkpoint epoch-0002 is damaged: manifest.json gives no checksum for state.json');
  });

  it("a run's directory holds run.json (naming the newest checkpoint) and no latest.json; a latest.json an earlier cellfit left is removed by the run's next train()", async () => {
    const run = await trainedRun('no-latest');
    const runDir = run.dir!;
    assert.ok(!fs.existsSync(path.join(runDir, 'latest.json')));
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).checkpoint, 'epoch-0004');
    // As cellfit wrote it until issue 15's twelfth round: the newest checkpoint, which a resumed run would leave stale.
    fs.writeFileSync(path.join(runDir, 'latest.json'), '{"id": "epoch-0004"}\n');
    const resumed = await train(buildModel(), data, { epochs: 6, batchSize: 16, validation: 0.25, checkpoint: { dir: path.dirname(runDir) }, ...QUIET });
    assert.equal(resumed.dir, runDir);
    assert.equal(resumed.resumedFrom?.checkpoint, 'epoch-0004');
    assert.ok(!fs.existsSync(path.join(runDir, 'latest.json')), 'the stale latest.json was left');
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).checkpoint, 'epoch-0006');
  });

  it('store.list() while another process retires a checkpoint: one listed and gone before it is read is left out without a warning', async () => {
    const run = await trainedRun('retired-meanwhile');
    const store = checkpoint({ dir: run.dir! });
    // As a training process's writer does between this reader's readdir and its read: epoch-0002 renamed aside.
    const ids = store.ids.bind(store);
    store.ids = () => {
      const listed = ids();
      fs.renameSync(path.join(run.dir!, 'epoch-0002'), path.join(run.dir!, '.retired-epoch-0002'));
      return listed;
    };
    let infos: ReturnType<typeof store.list> = [];
    const warnings = await captureWarnings(() => {
      infos = store.list();
    });
    assert.deepEqual(infos.map((info) => info.id), ['epoch-0003', 'epoch-0004']);
    assert.deepEqual(warnings, []);
  });

  it("store.export('best', dir) writes a model that tf.loadLayersModel loads and that predicts like the checkpoint", async () => {
    const run = await trainedRun('export');
    const out = tmpDir('exported');
    const file = await run.checkpoints!.export('best', out);
    assert.equal(file, path.join(out, 'model.json'));
    assert.deepEqual(fs.readdirSync(out).sort(), ['model.json', 'weights.bin']);
    const loaded = await tf.loadLayersModel(fileHandler(out));
    const model = buildModel();
    const info = await run.checkpoints!.restore(model, 'best');
    assert.equal(info.id, run.checkpoints!.best()!.id);
    const probe = tf.tensor2d([[0.1, -0.2, 0.3]]);
    assert.deepEqual(Array.from((loaded.predict(probe) as tf.Tensor).dataSync()), Array.from((model.predict(probe) as tf.Tensor).dataSync()));
    // A checkpoint directory itself is in the layers format too.
    const direct = await tf.loadLayersModel(fileHandler(path.join(run.dir!, 'epoch-0004')));
    assert.equal(direct.weights.length, model.weights.length);
  });

  it('store.best(monitor) picks the best epoch-end checkpoint by that metric; keepBest keeps it past `keep`', async () => {
    const run = await trainedRun('best', { keep: 1, keepBest: 1, monitor: 'loss', mode: 'max' });
    // Watched in max mode, the (falling) loss is best at epoch 1, so that checkpoint survives keep: 1.
    assert.deepEqual(run.checkpoints!.list().map((info) => info.id), ['epoch-0001', 'epoch-0004']);
    assert.equal(run.checkpoints!.best()!.id, 'epoch-0001');
    assert.equal(run.checkpoints!.best('val_loss')!.id, 'epoch-0004');
    throwsWith(() => run.checkpoints!.best('val_acc'), 'CheckpointStore.best(): `monitor` names metric "val_acc", which training does not report. Available metrics: loss, mae, val_loss, val_mae.');
  });

  it("checkpoint({ every: { epochs: 2 } }) saves every other epoch and the last; { batches: 2 } and { seconds } save mid-epoch", async () => {
    const data12 = regression(48);
    const everyOther = await train(buildModel(), data12, { epochs: 5, batchSize: 16, checkpoint: { dir: tmpDir('every-2'), every: { epochs: 2 }, keep: 10 }, ...QUIET });
    assert.deepEqual(everyOther.checkpoints!.ids(), ['epoch-0000', 'epoch-0002', 'epoch-0004', 'epoch-0005']);
    const batches = await train(buildModel(), data12, { epochs: 2, batchSize: 16, checkpoint: { dir: tmpDir('every-b'), every: { batches: 2 }, keep: 10 }, ...QUIET });
    // Every 2 optimisation steps, across epoch boundaries (3 batches per epoch), and the end.
    assert.deepEqual(batches.checkpoints!.ids(), ['epoch-0000', 'epoch-0000-batch-000002', 'epoch-0001-batch-000001', 'epoch-0002']);
    const seconds = await train(buildModel(), data12, { epochs: 1, batchSize: 16, checkpoint: { dir: tmpDir('every-s'), every: { seconds: 1e-6 }, keep: 10 }, ...QUIET });
    assert.deepEqual(seconds.checkpoints!.ids(), ['epoch-0000', 'epoch-0000-batch-000001', 'epoch-0000-batch-000002', 'epoch-0001']);
    // keep: 2 keeps the two newest (and keepBest: 0 no others).
    const kept = await train(buildModel(), data12, { epochs: 4, batchSize: 16, checkpoint: { dir: tmpDir('keep'), keep: 2, keepBest: 0 }, ...QUIET });
    assert.deepEqual(kept.checkpoints!.ids(), ['epoch-0003', 'epoch-0004']);
  });

  it('checkpoint ids and run names cannot climb out of the checkpoint directory', async () => {
    const run = await trainedRun('escape');
    await rejectsWith(() => run.checkpoints!.restore(buildModel(), '../epoch-0001'), "CheckpointStore.restore(): `which` must be 1–128 letters, digits, '.', '_' or '-'");
    await rejectsWith(() => run.checkpoints!.restore(buildModel(), 'manifest.json'), "`which` must be 'latest', 'best' or a checkpoint id such as 'epoch-0003'. Received: which=\"manifest.json\".");
    throwsWith(() => checkpoint('x').forRun('../../etc'), 'would be outside the checkpoint directory');
    fs.writeFileSync(path.join(run.dir!, 'epoch-0004', 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../../secret.bin'], weights: [] }] }));
    await rejectsWith(() => fileHandler(path.join(run.dir!, 'epoch-0004')).load!(), 'fileHandler(): model.json names weight file "../../secret.bin" outside');
  });

  it('checkpoint(bad options) throws naming the option', () => {
    throwsWith(() => checkpoint({ dir: '' }), 'checkpoint(): `dir` must be a directory path. Received: dir="".');
    throwsWith(() => checkpoint({ dir: 'x', keep: 0 }), '`keep` must be an integer ≥ 1 (the newest checkpoint is always kept). Received: keep=0.');
    throwsWith(() => checkpoint({ dir: 'x', keepBest: -1 }), '`keepBest` must be an integer ≥ 0. Received: keepBest=-1.');
    throwsWith(() => checkpoint({ dir: 'x', every: { epochs: 0 } }), "`every` must be 'epoch', { epochs: n }, { batches: n } or { seconds: s } with n an integer ≥ 1 and s > 0. Received: every={ epochs: 0 }.");
    throwsWith(() => checkpoint({ dir: 'x', mode: 'high' as never }), "checkpoint(): `mode` must be 'min', 'max' or 'auto'. Received: mode=\"high\".");
    throwsWith(() => checkpoint({ dir: 'x', keepEvery: 2 } as never), 'checkpoint(): unknown option `keepEvery`.');
  });

  /**
   * A file system whose writes fail with `code` once `commits` commits have written their files (a
   * commit's run.json draft comes after its checkpoints'): on a full disk only the checkpoints'
   * files (a small run.json still fits), on a read-only one every write.
   */
  function failingAfter(commits: number, code: 'ENOSPC' | 'EROFS'): CheckpointFs {
    let runDrafts = 0;
    const refused = (file: string) => runDrafts >= commits && (code === 'EROFS' || file.includes(`${path.sep}.tmp-epoch-`));
    const failure = (file: string) => Object.assign(new Error(`${code}: ${code === 'ENOSPC' ? 'no space left on device' : 'read-only file system'}, write '${file}'`), { code });
    return {
      ...nodeFs,
      async createFile(file, bytes) {
        if (refused(file)) throw failure(file);
        if (path.basename(file).startsWith('run.json.tmp-')) runDrafts++;
        return nodeFs.createFile(file, bytes);
      },
      async writeFile(file, bytes) {
        if (refused(file)) throw failure(file);
        return nodeFs.writeFile(file, bytes);
      },
    };
  }

  for (const [code, reason] of [
    ['ENOSPC', 'no space left on the device (ENOSPC)'],
    ['EROFS', 'the file system is read-only (EROFS)'],
  ] as const) {
    it(`train() whose checkpoint directory fails mid-run with ${code} stops at the newest checkpoint on disk, says which, marks the run failed, and resumes from it`, async () => {
      const dir = tmpDir(`full-${code}`);
      const model = buildModel();
      const initial = weightBytes(model);
      const options = { epochs: 40, batchSize: 16, ...QUIET };
      // Training waits at the end of epoch 3 for the run's first commit (a second after it starts): epochs 0–2.
      const waitAtEpoch3 = { onEpochEnd: (epoch: number) => (epoch === 3 ? checkpointOnDisk(dir, 'epoch-0002') : undefined) };
      const error = await rejectsWith(() => train(model, data, { ...options, checkpoint: { dir, fs: failingAfter(1, code), keep: 10 }, callbacks: [waitAtEpoch3] }), 'train(): could not write checkpoint epoch-', `: ${reason}.`);
      assert.equal(error.name, 'CellfitError');
      const runDir = path.join(dir, fs.readdirSync(dir)[0]);
      const store = checkpoint({ dir: runDir });
      // The disk fails after the first commit (epochs 0–2); the next one (a second later, or the stop
      // point) fails at its first checkpoint, whichever epoch training had reached by then.
      const durable = store.latest()!.id;
      assert.equal(durable, 'epoch-0002');
      assert.deepEqual(store.ids(), ['epoch-0000', 'epoch-0001', 'epoch-0002']);
      const failed = /could not write checkpoint (epoch-\d+)/.exec(error.message)![1];
      assert.ok(compareCheckpointIds(failed, durable) > 0, `${failed} failed after ${durable}`);
      assert.ok(error.message.startsWith(`train(): could not write checkpoint ${failed} to ${runDir}: ${reason}.`), error.message);
      // The message names the checkpoint a re-run resumes from, and only advice that works here.
      assert.ok(error.message.includes(`to ${runDir}: ${reason}. Training stopped there; the newest checkpoint on disk, ${durable}, is intact`), error.message);
      assert.ok(error.message.includes(`re-run the same train() call to resume from ${durable}`), error.message);
      assert.ok(error.message.includes(`checkpoint('${runDir}').export('latest', 'another-dir')`), error.message);
      assert.ok(!error.message.includes('model.save'), error.message);
      const record = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
      if (code === 'ENOSPC') {
        // run.json says what happened, at that checkpoint.
        assert.equal(record.status, 'failed');
        assert.equal(record.checkpoint, durable);
        assert.equal(record.epoch, store.latest()!.epoch);
        assert.ok(record.failure.startsWith('could not write checkpoint'), record.failure);
      } else {
        // Nothing can be written: the message says run.json could not record it.
        assert.ok(error.message.endsWith('(run.json could not be updated either: listRuns() shows the run as crashed, and it resumes the same way.)'), error.message);
        assert.equal(record.checkpoint, durable);
      }
      assert.deepEqual(fs.readdirSync(runDir).filter((name) => name.startsWith('.') || name.includes('.tmp-')), []);
      assert.ok(!weightBytes(model).equals(initial), 'the model lost its training');
      // The disk works again: the re-run resumes from that very checkpoint.
      const resumed = await train(buildModel(), data, { ...options, checkpoint: { dir, keep: 10 } });
      assert.equal(resumed.resumedFrom?.checkpoint, durable);
      assert.equal(resumed.status, 'completed');
    });
  }

  it('a checkpoint write that fails after its directory landed names that checkpoint as the one on disk (and the resume agrees)', async () => {
    const dir = tmpDir('landed');
    let renames = 0;
    let failedCommit!: () => void;
    const firstCommit = new Promise<void>((resolve) => (failedCommit = resolve));
    const failing: CheckpointFs = {
      ...nodeFs,
      async rename(from, to) {
        // The first commit's checkpoint directories land; the rename of run.json after them fails.
        if (path.basename(from).startsWith('run.json.tmp-') && ++renames === 1) {
          failedCommit();
          throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
        }
        return nodeFs.rename(from, to);
      },
    };
    // Training waits at epoch 50 for the run's first commit (it starts a second after the run): it fails mid-run.
    const waitAtEpoch50 = { onEpochEnd: (epoch: number) => (epoch === 50 ? firstCommit : undefined) };
    const error = await rejectsWith(() => train(buildModel(), data, { epochs: 100, batchSize: 16, checkpoint: { dir, fs: failing, keep: 10 }, callbacks: [waitAtEpoch50], ...QUIET }), 'train(): could not write checkpoint epoch-');
    const runDir = path.join(dir, fs.readdirSync(dir)[0]);
    const failed = /could not write checkpoint (epoch-\d+)/.exec(error.message)![1];
    // The first commit failed after its checkpoints landed (those of epochs up to 50 that retention
    // keeps): the newest of them is on disk, and the re-run resumes from it.
    assert.notEqual(failed, 'epoch-0000');
    assert.ok(Number(failed.slice('epoch-'.length)) <= 50, failed);
    assert.equal(checkpoint(runDir).latest()!.id, failed);
    assert.ok(error.message.includes(`Checkpoint ${failed} itself is on disk and intact`), error.message);
    assert.ok(error.message.includes(`resume from ${failed}`), error.message);
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).status, 'failed');
    const resumed = await train(buildModel(), data, { epochs: 100, batchSize: 16, checkpoint: { dir, keep: 10 }, ...QUIET });
    assert.equal(resumed.resumedFrom?.checkpoint, failed);
  });

  it('train() into a directory that cannot be created says so before training', async () => {
    const file = path.join(tmpDir('notdir'), 'a-file');
    fs.writeFileSync(file, 'x');
    const model = buildModel();
    const initial = weightBytes(model);
    await rejectsWith(
      () => train(model, data, { epochs: 1, checkpoint: path.join(file, 'checkpoints'), ...QUIET }),
      `train(): cannot create the checkpoint directory ${path.join(file, 'checkpoints')}`,
      'a part of the path is a file, not a directory (ENOTDIR). Choose a writable `dir`, or train with checkpoint: false.',
    );
    assert.ok(weightBytes(model).equals(initial));
  });

  it('a crash between writing a checkpoint and renaming it into place leaves the previous one as latest', async () => {
    const dir = tmpDir('crash-rename');
    let crashed = false;
    const crashing: CheckpointFs = {
      ...nodeFs,
      async rename(from, to) {
        if (!crashed && path.basename(from).startsWith('.tmp-epoch-') && !path.basename(from).startsWith('.tmp-epoch-0000-')) {
          crashed = true;
          throw Object.assign(new Error('EIO: simulated power cut'), { code: 'EIO' });
        }
        return nodeFs.rename(from, to);
      },
    };
    // Training waits at the end of epoch 1 for the run's first commit: epoch-0000 alone.
    const waitAtEpoch1 = { onEpochEnd: (epoch: number) => (epoch === 1 ? checkpointOnDisk(dir, 'epoch-0000') : undefined) };
    await rejectsWith(
      () => train(buildModel(), data, { epochs: 3, batchSize: 16, checkpoint: { dir, fs: crashing }, callbacks: [waitAtEpoch1], ...QUIET }),
      'could not write checkpoint epoch-',
      'the newest checkpoint on disk, epoch-0000, is intact',
    );
    const runDir = path.join(dir, fs.readdirSync(dir)[0]);
    assert.equal(checkpoint(runDir).latest()!.id, 'epoch-0000');
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')).checkpoint, 'epoch-0000');
  });
});

function flip(file: string): void {
  const bytes = fs.readFileSync(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  fs.writeFileSync(file, bytes);
}

function truncate(file: string): void {
  fs.truncateSync(file, 100);
}
