/** The checkpoint writers: the buffers a job hands over come back once its commit is durable. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommitJob } from '../../../lib/checkpoint/commit';
import { readCheckpointFiles } from '../../../lib/checkpoint/format';
import { InlineWriter, WorkerWriter, type CheckpointWriter } from '../../../lib/checkpoint/writer';
import { tmpDir } from '../train/support';

/** A job of one checkpoint whose weights (handed over), model.json and state.json (text) are given. */
function job(runDir: string, weights: Uint8Array): CommitJob {
  return {
    runDir,
    checkpoints: [
      {
        id: 'epoch-0001',
        files: [
          { name: 'model.json', data: '{"modelTopology": {}}\n' },
          { name: 'weights.bin', data: weights, transfer: true },
          { name: 'state.json', data: '{"text": "naïve ✓"}\n' },
        ],
      },
    ],
    run: '{"checkpoint": "epoch-0001"}\n',
    retire: [],
  };
}

describe('checkpoint writers: handed-over buffers come back once committed', function () {
  this.timeout(60000);
  const writers: [string, () => CheckpointWriter][] = [
    ['InlineWriter', () => new InlineWriter()],
    ['WorkerWriter (a thread)', () => new WorkerWriter()],
  ];
  for (const [label, make] of writers) {
    it(`${label}: committed resolves with the weights' buffer, its bytes as given; text files are written as UTF-8`, async () => {
      assert.ok(WorkerWriter.available(), 'the compiled writer script is present');
      const runDir = path.join(tmpDir('writer'), 'run');
      fs.mkdirSync(runDir);
      const weights = Uint8Array.from({ length: 4096 }, (_, i) => i % 251);
      const writer = make();
      const { committed, cleaned } = writer.write(job(runDir, weights));
      const returned = await committed;
      await cleaned;
      assert.equal(returned.length, 1);
      assert.deepEqual(new Uint8Array(returned[0]), Uint8Array.from({ length: 4096 }, (_, i) => i % 251));
      const { files } = readCheckpointFiles(runDir, 'epoch-0001');
      assert.equal(Buffer.from(files.get('state.json')!).toString('utf8'), '{"text": "naïve ✓"}\n');
      assert.equal(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'), '{"checkpoint": "epoch-0001"}\n');
      await writer.release(runDir);
    });
  }
});

describe('checkpoint writer thread: spare directories', function () {
  this.timeout(60000);

  it('the spares a stop point leaves (retired checkpoints kept for the next run) are deleted when the process exits', () => {
    const runDir = path.join(tmpDir('spares-exit'), 'run');
    fs.mkdirSync(runDir);
    const script = `
      const fs = require('fs');
      const { WorkerWriter } = require(${JSON.stringify(path.join(__dirname, '..', '..', '..', 'lib', 'checkpoint', 'writer.js'))});
      const runDir = ${JSON.stringify(runDir)};
      const checkpoint = (id) => ({ id, files: [{ name: 'weights.bin', data: new Uint8Array(64).fill(id.length) }] });
      const job = (id, retire, recycle) => ({ runDir, checkpoints: [checkpoint(id)], run: '{}', retire, recycle });
      (async () => {
        const writer = new WorkerWriter();
        await writer.write(job('epoch-0001', [], true)).cleaned;
        await writer.write(job('epoch-0002', ['epoch-0001'], false)).cleaned;
        process.stdout.write(String(fs.readdirSync(runDir).filter((name) => name.startsWith('.trash-')).length));
      })();`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, '1', 'the stop point kept the checkpoint it retired as a spare');
    assert.deepEqual(fs.readdirSync(runDir).sort(), ['epoch-0002', 'run.json']);
  });
});
