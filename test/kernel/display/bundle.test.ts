import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { tf } from '../../../lib/backend';
import { toMimeBundle } from '../../../kernel/display/bundle';
import { throwsWith } from '../../helpers';

describe('display/bundle', () => {
  it('toMimeBundle(value) of plain values is their util.inspect text, as the Node.js REPL shows them', () => {
    assert.deepEqual(toMimeBundle(42), { 'text/plain': '42' });
    assert.deepEqual(toMimeBundle('hi'), { 'text/plain': "'hi'" });
    assert.deepEqual(toMimeBundle(null), { 'text/plain': 'null' });
    assert.deepEqual(toMimeBundle(new Map([[1, 'a']])), { 'text/plain': "Map(1) { 1 => 'a' }" });
  });

  it("toMimeBundle() uses an object's [Symbol.for('Jupyter.display')]() bundle, adding text/plain when it lacks one", () => {
    const value = { x: 1, [Symbol.for('Jupyter.display')]: () => ({ 'text/html': '<b>x</b>' }) };
    const bundle = toMimeBundle(value);
    assert.equal(bundle['text/html'], '<b>x</b>');
    assert.match(String(bundle['text/plain']), /x: 1/);
    assert.equal(toMimeBundle({ [Symbol.for('Jupyter.display')]: () => ({ 'text/plain': 'mine' }) })['text/plain'], 'mine');
    throwsWith(() => toMimeBundle({ [Symbol.for('Jupyter.display')]: () => 'html' }), "[Symbol.for('Jupyter.display')](): must return a MIME bundle object", "Received: 'html'");
  });

  it('toMimeBundle(tensor) prints dtype, shape and values', () => {
    const tensor = tf.tensor([[1, 2], [3, 4]]);
    assert.deepEqual(toMimeBundle(tensor), { 'text/plain': 'Tensor float32 [2, 2]\n[[1, 2],\n [3, 4]]' });
    tensor.dispose();
    assert.deepEqual(toMimeBundle(tensor), { 'text/plain': 'Tensor float32 [2, 2] (disposed)' });
  });

  it('toMimeBundle(arquero table) is an HTML and a text table of its first rows', () => {
    const bundle = toMimeBundle(aq.table({ a: [1, 2, 3], b: ['x', 'y', 'z'] }));
    assert.match(String(bundle['text/html']), /<table class="cellfit-table">/);
    assert.match(String(bundle['text/plain']), /^a  b\n-  -\n1  x\n2  y\n3  z$/);
  });

  it('toMimeBundle(array of records) — checkpoint lists, listRuns() — adds an HTML table to the text', () => {
    const bundle = toMimeBundle([{ id: 'epoch-0001', metrics: { loss: 0.5 } }]);
    assert.match(String(bundle['text/html']), /<th[^>]*>metrics\.loss<\/th>/);
    assert.match(String(bundle['text/plain']), /id: 'epoch-0001'/);
  });

  it('toMimeBundle() draws runs, input spaces and split results by their shape', () => {
    const run = { id: 'run-1', status: 'completed', epoch: 2, epochs: 2, history: { loss: [0.9, 0.5] }, checkpoints: {}, best: { epoch: 2, monitor: 'loss', value: 0.5 } };
    const runText = String(toMimeBundle(run)['text/plain']);
    assert.match(runText, /^Run run-1\nrun +status +epochs +best/);
    assert.match(runText, /run-1 +completed +2\/2 +loss 0\.5 @ epoch 2/);
    assert.match(runText, /epoch +loss\n-+ +-+\n +1 +0\.9\n +2 +0\.5/);

    const space = { size: 3, axes: ['t'], at: (i: number) => ({ t: 60 + i }), indexOf: () => 0, batches: () => [] };
    assert.match(String(toMimeBundle(space)['text/plain']), /^InputSpace of 3 points over t\naxis +first +last\n-+ +-+ +-+\nt +60 +62$/);

    const parts = { train: [{ a: 1 }, { a: 2 }, { a: 3 }], test: [{ a: 4 }] };
    assert.match(String(toMimeBundle(parts)['text/plain']), /split of 4 rows\npart +rows +share\n-+ +-+ +-+\ntrain +3 +75\.0%\ntest +1 +25\.0%/);
  });
});
