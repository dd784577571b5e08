import assert from 'node:assert/strict';
import { ready, tf } from '../../../../lib/backend';
import { SnapshotBuffers } from '../../../../lib/checkpoint/snapshot';
import { optimizerDriver } from '../../../../lib/engines/tfjs/adam';
import { captureOptimizer } from '../../../../lib/engines/tfjs/optimizer';
import { copyValues, wasmMemoryView } from '../../../../lib/engines/tfjs/read';
import { modelWeights, snapshotWeights, trainableVariables, weightSpecs } from '../../../../lib/engines/tfjs/weights';
import { buildModel, trainSteps } from '../../train/support';

/** A tensor's bytes as dataSync() gives them. */
function bytesOf(tensor: tf.Tensor): Buffer {
  const values = tensor.dataSync() as Float32Array | Int32Array | Uint8Array;
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** Tensors of each dtype a checkpoint holds, with values that tell positions apart. */
function samples(): tf.Tensor[] {
  return [tf.tensor2d([1.5, -2, 3.25, Number.MIN_VALUE, -0, 7e30], [2, 3]), tf.tensor1d([5, -6, 2 ** 30, 9], 'int32'), tf.tensor1d([true, false, false, true, true], 'bool')];
}

/** copyValues() gives dataSync()'s bytes, whole and in ranges, at any offset of a buffer holding stale bytes. */
function checkCopies(tensors: readonly tf.Tensor[]): void {
  for (const tensor of tensors) {
    const expected = bytesOf(tensor);
    const width = expected.byteLength / tensor.size;
    const target = new Uint8Array(expected.byteLength + 7).fill(0xee);
    assert.equal(copyValues(tensor, target, 3), 3 + expected.byteLength);
    assert.ok(Buffer.from(target.subarray(3, 3 + expected.byteLength)).equals(expected), `${tensor.dtype}: whole`);
    assert.deepEqual([...target.subarray(0, 3), ...target.subarray(3 + expected.byteLength)], [0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
    const range = new Uint8Array(2 * width).fill(0xee);
    assert.equal(copyValues(tensor, range, 0, 1, 2), 2 * width);
    assert.ok(Buffer.from(range).equals(expected.subarray(width, 3 * width)), `${tensor.dtype}: values 1 and 2`);
  }
}

/** A pool whose one buffer of `byteLength` holds stale bytes (as a written snapshot's would). */
function staleBuffers(byteLength: number): { buffers: SnapshotBuffers; stale: ArrayBuffer } {
  const buffers = new SnapshotBuffers(1 << 24);
  const stale = buffers.take(byteLength);
  new Uint8Array(stale).fill(0xab);
  buffers.give(stale);
  return { buffers, stale };
}

describe('tfjs engine: reading tensors into snapshots', () => {
  before(async () => {
    await ready();
  });

  it('copyValues() reads the wasm backend memory in place, with the bytes dataSync() gives', function () {
    if (tf.getBackend() !== 'wasm') this.skip();
    const tensors = samples();
    try {
      for (const tensor of tensors) assert.ok(wasmMemoryView(tensor), `no view of a ${tensor.dtype} tensor: tfjs' wasm backend changed, and snapshots fell back to dataSync()`);
      checkCopies(tensors);
    } finally {
      tf.dispose(tensors);
    }
  });

  it('copyValues() falls back to dataSync() on a backend without wasm memory (cpu)', async () => {
    const backend = tf.getBackend();
    await tf.setBackend('cpu');
    const tensors = samples();
    try {
      for (const tensor of tensors) assert.equal(wasmMemoryView(tensor), undefined);
      checkCopies(tensors);
    } finally {
      tf.dispose(tensors);
      await tf.setBackend(backend);
    }
  });

  it('a weights snapshot into a used buffer is byte for byte a fresh one, and takes that buffer', () => {
    const model = buildModel({ dropout: false, hidden: [300, 5] });
    trainSteps(model, 2);
    const weights = modelWeights(model);
    const fresh = snapshotWeights(weights);
    const { buffers, stale } = staleBuffers(fresh.data.byteLength);
    const pooled = snapshotWeights(weights, buffers, weightSpecs(weights));
    assert.equal(pooled.data.buffer, stale);
    assert.ok(Buffer.from(pooled.data).equals(Buffer.from(fresh.data)));
    assert.deepEqual(pooled.specs, fresh.specs);
  });

  it("the lean Adam driver's snapshot into a used buffer is byte for byte tfjs' own optimizer state", () => {
    // hidden [300, 300]: the 300×300 kernel's moments are a tensor of their own, the others' ranges of one flat vector.
    const lean = buildModel({ optimizer: 'adam', dropout: false, hidden: [300, 300] });
    const plain = buildModel({ optimizer: 'adam', dropout: false, hidden: [300, 300] });
    const driver = optimizerDriver(lean.optimizer);
    driver.attach();
    try {
      trainSteps(lean, 3);
      trainSteps(plain, 3);
      const expected = captureOptimizer(plain.optimizer);
      const { buffers, stale } = staleBuffers(expected.data.byteLength);
      const captured = driver.capture(buffers);
      assert.equal(captured.data.buffer, stale);
      assert.ok(Buffer.from(captured.data).equals(Buffer.from(expected.data)));
      // The same state as tfjs keeps it, the slots named after the lean model's own variables.
      const unnamed = ({ slots, ...meta }: typeof expected.meta) => ({ ...meta, slots: slots.map(({ name: _name, ...slot }) => slot) });
      assert.deepEqual(unnamed(captured.meta), unnamed(expected.meta));
      const names = trainableVariables(lean).map((variable) => variable.name);
      assert.deepEqual(
        captured.meta.slots.map((slot) => slot.name),
        ['m', 'v'].flatMap((suffix) => names.map((name) => `${name}/${suffix}`)),
      );
      // A second snapshot shares the slot layout and reads the moments as they are then.
      trainSteps(lean, 1, 3);
      trainSteps(plain, 1, 3);
      const later = driver.capture(buffers);
      assert.ok(Buffer.from(later.data).equals(Buffer.from(captureOptimizer(plain.optimizer).data)));
      assert.equal(later.meta.iterations, 4);
    } finally {
      driver.detach();
    }
  });
});
