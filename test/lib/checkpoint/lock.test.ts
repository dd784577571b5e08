import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireRunLock, createLockFile, readLockHolder } from '../../../lib/checkpoint/lock';
import { throwsWith } from '../../helpers';
import { tmpDir } from '../train/support';

describe('run locks', function () {
  // The race test reads for up to 50 s until it has seen the lock held 50 times.
  this.timeout(120_000);

  it('createLockFile(file, content) creates the file with its content at once, refuses an existing one, and leaves no draft behind', () => {
    const dir = tmpDir('lock-create');
    const file = path.join(dir, 'run.lock');
    createLockFile(file, '{"pid":1}');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"pid":1}');
    assert.throws(() => createLockFile(file, '{"pid":2}'), { code: 'EEXIST' });
    assert.equal(fs.readFileSync(file, 'utf8'), '{"pid":1}');
    assert.deepEqual(fs.readdirSync(dir), ['run.lock']);
  });

  it('a process reading the lock while another takes and releases it in a loop never finds it empty (which would pass for stale)', async () => {
    const dir = tmpDir('lock-race');
    const file = path.join(dir, 'lock');
    // The other process takes and releases the lock as fast as it can until told to stop; this one
    // reads it until it has caught it held often enough, however loaded the machine.
    const stop = path.join(dir, 'stop');
    const script = `
      const fs = require('fs');
      const { acquireRunLock } = require(${JSON.stringify(path.join(__dirname, '..', '..', '..', 'lib', 'checkpoint', 'lock.js'))});
      let taken = 0;
      while (!fs.existsSync(${JSON.stringify(stop)})) { try { acquireRunLock(${JSON.stringify(dir)}, 'test', 'race').release(); taken++; } catch {} }
      process.stdout.write(String(taken));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    // 'close', not 'exit': by then the count it wrote has been read.
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    let seen = 0;
    let empty = 0;
    const started = Date.now();
    while (seen < 50 && Date.now() - started < 50_000) {
      let text: string | undefined;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        text = undefined; // Not there right now.
      }
      if (text !== undefined) {
        seen++;
        if (readLockHolder(file) === undefined && text === '') empty++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    fs.writeFileSync(stop, '');
    await exited;
    assert.ok(Number(output) > 0, `the other process took the lock ${output} times`);
    assert.ok(seen > 0, 'the lock was seen held');
    assert.equal(empty, 0, `the lock was seen empty ${empty} times of ${seen}`);
  });

  it('acquireRunLock() twice in one process names the call that holds it', () => {
    const dir = tmpDir('lock-twice');
    const lock = acquireRunLock(dir, 'train()', '"run-1"');
    throwsWith(() => acquireRunLock(dir, 'train()', '"run-1"'), 'train(): run "run-1" is already being trained in this process');
    lock.release();
    acquireRunLock(dir, 'train()', '"run-1"').release();
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});
