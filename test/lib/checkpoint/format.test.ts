/** state.json's serialisation: StateJson gives jsonText()'s text while serialising each history entry once. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { jsonBytes, jsonText, StateJson } from '../../../lib/checkpoint/format';
import { train } from '../../../lib/train';
import { buildModel, QUIET, regression, tmpDir } from '../train/support';

/** A state.json-like object around `history`, with the values that JSON writes in its own ways. */
function state(history: readonly unknown[], extra: Record<string, unknown> = {}) {
  return {
    format: 'cellfit-state',
    version: 1,
    run: { id: 'run-1', name: 'naïve — ünïcode ✓' },
    position: { epoch: history.length, batch: 0, step: 7 * history.length },
    metrics: { loss: 0.1, val_loss: NaN },
    partial: [[1.5, -0], [Infinity, 2]],
    history,
    options: { nested: { deeper: [1, { a: [] }, {}] }, text: 'line\nbreak "quoted"', missing: undefined },
    time: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

describe('StateJson (state.json, each history entry serialised once)', () => {
  it('gives the text of jsonText(state) as the history grows, for an empty history, a shorter one, and another run’s', () => {
    const cache = new StateJson();
    const history: Record<string, number>[] = [];
    const same = (value: object, what: string) => assert.equal(cache.text(value), jsonText(value), what);
    same(state([]), 'empty history');
    for (let epoch = 1; epoch <= 6; epoch++) {
      history.push({ epoch, loss: 1 / epoch, val_loss: epoch === 3 ? NaN : 2 / epoch, lr: 1e-3 });
      // A copy, as each checkpoint's state holds: the same entry objects.
      same(state([...history]), `epoch ${epoch}`);
    }
    same(state(history.slice(0, 2)), 'an older, shorter history (a prefix of the cached one)');
    same(state([...history, { epoch: 7, loss: 0.5, lr: 1e-3, nested: { deep: [1, 2] } } as never]), 'an entry with nested values');
    same(state([{ ...history[0] }, ...history.slice(1)]), 'an equal but new first entry');
    same(state([{ epoch: 1, loss: 9, lr: 1 }]), "another run's history");
    same(state([undefined, null, 3, 'text']), 'entries that are not objects');
    same({ history: [{ epoch: 1 }], other: 'x' }, 'history first');
  });

  it('falls back to jsonText when a value of the state spells its stand-in for the history', () => {
    const cache = new StateJson();
    const mark = (cache as unknown as { mark: string }).mark;
    const value = state([{ epoch: 1, loss: 1, lr: 1 }], { note: mark });
    assert.equal(cache.text(value), jsonText(value));
  });

  it("a trained run's state.json files are exactly jsonBytes() of their content", async function () {
    this.timeout(60000);
    const dir = tmpDir('state-json');
    const run = await train(buildModel(), regression(64), { epochs: 6, batchSize: 16, validation: 0.25, checkpoint: { dir, keep: 6 }, ...QUIET });
    const ids = fs.readdirSync(run.dir!).filter((name) => name.startsWith('epoch-'));
    assert.ok(ids.length >= 6, `checkpoints: ${ids.join(', ')}`);
    for (const id of ids) {
      const bytes = fs.readFileSync(path.join(run.dir!, id, 'state.json'));
      const content = JSON.parse(bytes.toString('utf8')) as { history: unknown[] };
      assert.equal(content.history.length, Number(id.slice('epoch-'.length)), id);
      assert.deepEqual(bytes, Buffer.from(jsonBytes(content)), id);
    }
  });

  it("a trained run's manifests: CRC-32 of every file; model.json's content identity is its sha256, best.bin's one per best snapshot", async function () {
    this.timeout(60000);
    // Ranked by the highest loss, the first epoch stays the best: epochs 2 and 3 hold its weights in best.bin.
    const run = await train(buildModel(), regression(64), { epochs: 3, batchSize: 16, checkpoint: tmpDir('manifest-content'), earlyStop: { monitor: 'loss', mode: 'max', patience: 5 }, ...QUIET });
    const manifest = (id: string) => JSON.parse(fs.readFileSync(path.join(run.dir!, id, 'manifest.json'), 'utf8')) as { version: number; files: Record<string, { crc32: string; bytes: number; content?: string }> };
    const [first, second, third] = ['epoch-0001', 'epoch-0002', 'epoch-0003'].map(manifest);
    for (const [i, { version, files }] of [first, second, third].entries()) {
      assert.equal(version, 2);
      const id = `epoch-000${i + 1}`;
      for (const [name, entry] of Object.entries(files)) assert.equal(entry.crc32, crc32(fs.readFileSync(path.join(run.dir!, id, name))).toString(16).padStart(8, '0'), `${id}/${name}`);
      const model = fs.readFileSync(path.join(run.dir!, id, 'model.json'));
      assert.equal(files['model.json'].content, `sha256-${createHash('sha256').update(model).digest('hex')}`);
      assert.equal(files['weights.bin'].content, undefined);
    }
    assert.equal(first.files['best.bin'], undefined, 'epoch 1 is the best: its own weights');
    assert.ok(second.files['best.bin'].content);
    assert.equal(third.files['best.bin'].content, second.files['best.bin'].content);
    assert.deepEqual(fs.readFileSync(path.join(run.dir!, 'epoch-0003', 'best.bin')), fs.readFileSync(path.join(run.dir!, 'epoch-0001', 'weights.bin')));
  });
});
