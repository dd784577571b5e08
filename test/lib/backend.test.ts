import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BACKENDS, backendInfo, ready, tf } from '../../lib/backend';

const repoRoot = path.resolve(__dirname, '../../..');

/** Runs a snippet in a fresh Node process (backend selection happens once per process). */
function runNode(code: string, env: Record<string, string> = {}): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, ['-e', code], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { stdout: result.stdout.trim(), stderr: result.stderr.trim(), status: result.status };
}

describe('backend', () => {
  it('ready() resolves to the fastest available backend and activates it', async () => {
    const name = await ready();
    const info = backendInfo();
    const expected = BACKENDS.find((backend) => info.backends[backend].available);
    assert.equal(name, expected);
    assert.equal(tf.getBackend(), name);
    console.log(`      (tests run on the ${name} backend)`);
  });

  it("tf is the very instance require('@tensorflow/tfjs') returns (one engine)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.equal(tf, require('@tensorflow/tfjs'));
    assert.equal(tf.engine(), require('@tensorflow/tfjs').engine());
  });

  it("require('cellfit') works from the repo root and from notebooks/, with sync ops right away", () => {
    const code = `
      const { tf } = require('cellfit');
      const sum = tf.tensor([1, 2, 3]).sum().dataSync()[0];
      console.log(JSON.stringify({ sum, backend: tf.getBackend() }));`;
    for (const cwd of [repoRoot, path.join(repoRoot, 'notebooks')]) {
      const result = spawnSync(process.execPath, ['-e', code], { cwd, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { sum: 6, backend: 'cpu' });
      assert.doesNotMatch(result.stderr, /looks like you are running TensorFlow.js in Node.js/);
    }
  });

  it('a model built before ready() keeps working after the switch to the chosen backend', () => {
    const result = runNode(`
      const { tf, ready } = require('./dist/lib');
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' })] });
      const before = model.predict(tf.tensor2d([[1, 2]])).dataSync()[0];
      ready().then((name) => {
        const after = model.predict(tf.tensor2d([[1, 2]])).dataSync()[0];
        console.log(JSON.stringify({ before, after, name, active: tf.getBackend() }));
      });`);
    assert.equal(result.status, 0, result.stderr);
    const { before, after, name, active } = JSON.parse(result.stdout);
    assert.equal(before, 3);
    assert.equal(after, 3);
    assert.equal(active, name);
  });

  it('CELLFIT_BACKEND=cpu forces the cpu backend', () => {
    const result = runNode(`require('./dist/lib').ready().then((name) => console.log(name))`, { CELLFIT_BACKEND: 'cpu' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'cpu');
  });

  it('CELLFIT_BACKEND=gpu makes ready() reject, naming the variable and the choices', () => {
    const result = runNode(`require('./dist/lib').ready().catch((error) => console.log(error.message))`, { CELLFIT_BACKEND: 'gpu' });
    assert.equal(result.stdout, 'ready(): CELLFIT_BACKEND must be one of tensorflow, wasm, cpu. Received: CELLFIT_BACKEND="gpu".');
  });

  it('CELLFIT_BACKEND=tensorflow without @tensorflow/tfjs-node makes ready() reject with the reason', function () {
    if (backendInfo().backends.tensorflow.available) this.skip();
    const result = runNode(`require('./dist/lib').ready().catch((error) => console.log(error.message))`, { CELLFIT_BACKEND: 'tensorflow' });
    assert.equal(
      result.stdout,
      'ready(): the tensorflow backend is not available: @tensorflow/tfjs-node is not installed. Available: wasm, cpu.',
    );
  });

  it("setBackend('cpu') switches and setBackend('gpu') names the choices", () => {
    const result = runNode(`
      const { setBackend, tf } = require('./dist/lib');
      setBackend('cpu').then((name) => {
        console.log(name, tf.getBackend());
        return setBackend('gpu');
      }).catch((error) => console.log(error.message));`);
    assert.equal(result.stdout, "cpu cpu\nsetBackend(): unknown backend \"gpu\". Expected one of tensorflow, wasm, cpu.");
  });
});
