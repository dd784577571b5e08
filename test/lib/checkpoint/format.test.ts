/** state.json's serialisation: StateJson gives jsonText()'s text while serialising each history entry once. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
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
});
