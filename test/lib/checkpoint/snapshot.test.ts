import assert from 'node:assert/strict';
import * as path from 'node:path';
import { checkpoint } from '../../../lib/checkpoint';
import { nodeFs, type CheckpointFs } from '../../../lib/checkpoint/fs';
import { holdSharedBuffers, releaseSharedBuffers, SHARED_BUFFERS_IDLE_MS, SnapshotBuffers } from '../../../lib/checkpoint/snapshot';
import { TrainingCheckpoints } from '../../../lib/checkpoint/training';
import { Monitor } from '../../../lib/monitor';
import { tmpDir } from '../train/support';

describe('SnapshotBuffers (buffers for snapshots, used again once written)', () => {
  it('take() hands out a given-back buffer of the same size, else a new one; only sizes it handed out are kept', () => {
    const buffers = new SnapshotBuffers(1024);
    const first = buffers.take(64);
    assert.equal(first.byteLength, 64);
    assert.notEqual(buffers.take(64), first);
    buffers.give(first);
    buffers.give(first);
    assert.equal(buffers.take(64), first);
    assert.notEqual(buffers.take(64), first, 'given twice, kept once');
    const stranger = new ArrayBuffer(32);
    buffers.give(stranger);
    assert.notEqual(buffers.take(32), stranger);
  });

  it('beyond its limit, give() lets go the buffers of other sizes (the oldest size first) before refusing', () => {
    const buffers = new SnapshotBuffers(300);
    const [a, b, c] = [buffers.take(100), buffers.take(100), buffers.take(100)];
    const old = buffers.take(50);
    buffers.give(old);
    buffers.give(a);
    buffers.give(b);
    // 250 held: c fits only once the 50-byte size (an earlier model's) is let go.
    buffers.give(c);
    assert.notEqual(buffers.take(50), old);
    assert.deepEqual(new Set([buffers.take(100), buffers.take(100), buffers.take(100)]), new Set([a, b, c]));
    // A size alone over the limit is refused, and keeps what is held.
    const big = buffers.take(400);
    buffers.give(a);
    buffers.give(big);
    assert.notEqual(buffers.take(400), big);
    assert.equal(buffers.take(100), a);
  });

  it('the shared buffers serve the sessions that hold them, outlive the last by SHARED_BUFFERS_IDLE_MS, then are let go', async function () {
    this.timeout(SHARED_BUFFERS_IDLE_MS + 10_000);
    const pool = holdSharedBuffers(1 << 20);
    const buffer = pool.take(16);
    pool.give(buffer);
    releaseSharedBuffers();
    // A session that starts within the idle time gets the same buffers.
    const again = holdSharedBuffers(1 << 20);
    assert.equal(again, pool);
    assert.equal(again.take(16), buffer);
    again.give(buffer);
    releaseSharedBuffers();
    await new Promise((resolve) => setTimeout(resolve, SHARED_BUFFERS_IDLE_MS + 200));
    const later = holdSharedBuffers(1 << 20);
    try {
      assert.notEqual(later, pool);
    } finally {
      releaseSharedBuffers();
    }
  });

  it('runs written by the process writer thread take over the buffers of the runs before them; a run on a file system of its own keeps its own', async function () {
    this.timeout(30_000);
    const monitor = new Monitor('test', { monitor: 'loss' });
    const open = (name: string, fs?: CheckpointFs) =>
      TrainingCheckpoints.open(checkpoint({ dir: path.join(tmpDir('shared-buffers'), name), ...(fs ? { fs } : {}) }), monitor, 'test', name);
    const first = await open('first');
    const buffer = first.buffers.take(24);
    first.buffers.give(buffer);
    await first.close();
    const second = await open('second');
    try {
      assert.equal(second.buffers, first.buffers);
      assert.equal(second.buffers.take(24), buffer);
    } finally {
      await second.close();
    }
    const own = await open('own', nodeFs);
    try {
      assert.notEqual(own.buffers, first.buffers);
    } finally {
      await own.close();
    }
  });
});
