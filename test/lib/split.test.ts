import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as aq from 'arquero';
import { tf } from '../../lib/backend';
import { captureWarnings } from '../../lib/errors';
import { Rng } from '../../lib/random';
import { largestRemainder, roundTable, split } from '../../lib/split';
import { tabulateInputSpace } from '../../lib/tabulate';
import { throwsWith } from '../helpers';

type Item = { id: number; label: string; day: string };

/** `n` rows with ids 0..n-1, an unbalanced label (a: 60 %, b: 30 %, c: 10 %) and a day key. */
function makeRows(n: number, seed = 1): Item[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, id) => {
    const draw = rng.random();
    return { id, label: draw < 0.6 ? 'a' : draw < 0.9 ? 'b' : 'c', day: `2026-01-${String((id % 28) + 1).padStart(2, '0')}` };
  });
}

const ids = (rows: readonly { id: number }[]) => rows.map((row) => row.id);

describe('split()', () => {
  it('split(rows, {train: 0.8, test: 0.2}) keeps every row exactly once, 80 / 20', () => {
    const rows = makeRows(100);
    const parts = split(rows, { train: 0.8, test: 0.2 });
    assert.deepEqual(Object.keys(parts), ['train', 'test']);
    assert.equal(parts.train.length, 80);
    assert.equal(parts.test.length, 20);
    assert.deepEqual([...ids(parts.train), ...ids(parts.test)].sort((a, b) => a - b), ids(rows));
  });

  it('split(rows, {train, validation, test}) sizes parts by largest remainder, summing to the row count', () => {
    // 11 rows × (0.7, 0.2, 0.1) = 7.7, 2.2, 1.1 → floors 7, 2, 1, and the spare row goes to train (.7).
    const parts = split(makeRows(11), { train: 0.7, validation: 0.2, test: 0.1 });
    assert.deepEqual([parts.train.length, parts.validation.length, parts.test.length], [8, 2, 1]);
    for (const n of [1, 2, 3, 7, 10, 99, 1001]) {
      const sizes = largestRemainder(n, [0.6, 0.25, 0.15]);
      assert.equal(sizes.reduce((a, b) => a + b), n);
      sizes.forEach((size, i) => assert.ok(Math.abs(size - n * [0.6, 0.25, 0.15][i]) < 1, `n=${n} sizes=${sizes}`));
    }
  });

  it('split(rows, {train: 0.8, validation: 0.2}) returns exactly the parts named in the options', () => {
    const parts = split(makeRows(10), { train: 0.8, validation: 0.2 });
    assert.deepEqual(Object.keys(parts), ['train', 'validation']);
    assert.equal(parts.summary.rows, 10);
  });

  it('split(rows, {train: 1, test: 0}) gives an empty test part rather than stealing a row', () => {
    const parts = split(makeRows(5), { train: 1, test: 0 });
    assert.equal(parts.train.length, 5);
    assert.equal(parts.test.length, 0);
  });

  it('split(rows, {..., seed}) is the same for the same seed and differs for another', () => {
    const rows = makeRows(200);
    const a = split(rows, { train: 0.5, test: 0.5, seed: 7 });
    const b = split(rows, { train: 0.5, test: 0.5, seed: 7 });
    const c = split(rows, { train: 0.5, test: 0.5, seed: 8 });
    assert.deepEqual(ids(a.test), ids(b.test));
    assert.notDeepEqual(ids(a.test), ids(c.test));
    assert.deepEqual(ids(split(rows, { train: 0.5, test: 0.5 }).test), ids(split(rows, { train: 0.5, test: 0.5, seed: 0 }).test));
  });

  it('split(rows, {..., seed: 42}) is the same in another process', () => {
    const rows = makeRows(50);
    const here = ids(split(rows, { train: 0.6, validation: 0.2, test: 0.2, seed: 42 }).test);
    const code = `
      const { split } = require('cellfit');
      const rows = Array.from({ length: 50 }, (_, id) => ({ id }));
      console.log(JSON.stringify(split(rows, { train: 0.6, validation: 0.2, test: 0.2, seed: 42 }).test.map((r) => r.id)));`;
    const result = spawnSync(process.execPath, ['-e', code], { cwd: path.resolve(__dirname, '../../..'), encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), here);
  });

  it('split(rows, {..., shuffle: false}) keeps the data order: the first rows train, the last test', () => {
    const parts = split(makeRows(10), { train: 0.7, test: 0.3, shuffle: false });
    assert.deepEqual(ids(parts.train), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(ids(parts.test), [7, 8, 9]);
    assert.equal(parts.summary.method, 'ordered');
  });

  it('split(rows, ...) keeps rows in their original relative order within each part', () => {
    const parts = split(makeRows(300), { train: 0.6, validation: 0.2, test: 0.2, seed: 3 });
    for (const part of [parts.train, parts.validation, parts.test]) {
      assert.deepEqual(ids(part), ids(part).slice().sort((a, b) => a - b));
    }
  });

  it('split(table, ...) takes and returns arquero tables, honouring filters and orderings', () => {
    const table = aq.from(makeRows(100));
    const parts = split(table, { train: 0.9, test: 0.1, seed: 1 });
    assert.equal(parts.train.numRows(), 90);
    assert.deepEqual(parts.test.columnNames(), ['id', 'label', 'day']);
    const union = [...(parts.train.array('id') as number[]), ...(parts.test.array('id') as number[])].sort((a, b) => a - b);
    assert.deepEqual(union, ids(makeRows(100)));

    const onlyA = table.filter((d: { label: string }) => d.label === 'a').orderby(aq.desc('id'));
    const filtered = split(onlyA, { train: 0.5, test: 0.5, shuffle: false });
    const expected = (onlyA.array('id') as number[]).slice();
    assert.deepEqual([...(filtered.train.array('id') as number[]), ...(filtered.test.array('id') as number[])], expected);
  });

  it('split({xs, ys}, ...) slices arrays, typed arrays and tensors along the first axis, keeping them aligned', () => {
    const n = 40;
    const xs = tf.tensor2d(Array.from({ length: n }, (_, i) => [i, -i]));
    const ys = Float32Array.from({ length: n }, (_, i) => i * 10);
    const names = Array.from({ length: n }, (_, i) => `row${i}`);
    const parts = split({ xs, ys, names }, { train: 0.75, test: 0.25, seed: 5 });
    assert.ok(parts.test.ys instanceof Float32Array);
    assert.deepEqual((parts.test.xs as tf.Tensor).shape, [10, 2]);
    const testXs = (parts.test.xs as tf.Tensor).arraySync() as number[][];
    testXs.forEach(([x, minus], i) => {
      assert.equal(minus, -x);
      assert.equal((parts.test.ys as Float32Array)[i], x * 10);
      assert.equal((parts.test.names as string[])[i], `row${x}`);
    });
    tf.dispose([xs, parts.train.xs as tf.Tensor, parts.test.xs as tf.Tensor]);
  });

  it("split(rows, {..., stratify: 'label'}) keeps each label's share in every part within one row", () => {
    for (const n of [37, 100, 1000]) {
      const rows = makeRows(n, n);
      const fractions = { train: 0.7, validation: 0.15, test: 0.15 };
      const parts = split(rows, { ...fractions, stratify: 'label', seed: 2 });
      const sizes = largestRemainder(n, [0.7, 0.15, 0.15]);
      assert.deepEqual([parts.train.length, parts.validation.length, parts.test.length], sizes);
      for (const label of ['a', 'b', 'c']) {
        const total = rows.filter((row) => row.label === label).length;
        [parts.train, parts.validation, parts.test].forEach((part, p) => {
          const count = part.filter((row) => row.label === label).length;
          const exact = (total * sizes[p]) / n;
          assert.ok(Math.abs(count - exact) < 1, `n=${n} label=${label} part=${p}: ${count} vs ${exact}`);
        });
      }
      assert.equal(parts.summary.method, 'stratified');
      assert.equal(parts.summary.labels?.size, 3);
    }
  });

  it("split(rows, {..., stratify: 'income'}) on a continuous column (nearly every value distinct) warns that this is not a class label", async () => {
    const rng = new Rng('incomes');
    const rows = Array.from({ length: 3000 }, (_, id) => ({ id, income: Math.round(rng.random() * 1e6) / 10 }));
    const distinct = new Set(rows.map((row) => row.income)).size;
    const warnings = await captureWarnings(() => split(rows, { train: 0.8, test: 0.2, stratify: 'income', seed: 1 }));
    assert.deepEqual(warnings, [
      `split(): \`stratify\` gives ${distinct} distinct labels for 3000 rows — a continuous value, not a class: each label has about one row, so stratifying keeps nothing in proportion. Stratify on a class column, or on bins of this one, e.g. stratify: (row) => Math.floor(row.income / 10000).`,
    ]);
    assert.deepEqual(await captureWarnings(() => split(makeRows(300), { train: 0.8, test: 0.2, stratify: 'label', seed: 1 })), [], 'class labels: no warning');
  });

  it('split(rows, {..., stratify: row => label}) accepts a function of the row', () => {
    const rows = makeRows(90);
    const parts = split(rows, { train: 2 / 3, test: 1 / 3, stratify: (row) => (row.id as number) % 3 });
    for (const remainder of [0, 1, 2]) assert.equal(parts.test.filter((row) => row.id % 3 === remainder).length, 10);
  });

  it("split({xs, ys}, {..., stratify: 'ys'}) stratifies on one-hot tensor rows", () => {
    const labels = Array.from({ length: 60 }, (_, i) => (i < 45 ? 0 : 1));
    const xs = tf.tensor2d(labels.map((_, i) => [i]));
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    const parts = split({ xs, ys }, { train: 0.8, test: 0.2, stratify: 'ys', seed: 4 });
    const testLabels = ((parts.test.ys as tf.Tensor).argMax(1).arraySync() as number[]).sort();
    assert.deepEqual(testLabels, [...Array(9).fill(0), ...Array(3).fill(1)]);
    tf.dispose([xs, ys, parts.train.xs as tf.Tensor, parts.train.ys as tf.Tensor, parts.test.xs as tf.Tensor, parts.test.ys as tf.Tensor]);
  });

  it("split(rows, {..., key: 'day'}) is repeatable: adding rows never moves an existing row", () => {
    const rows = makeRows(2000);
    const before = split(rows, { train: 0.8, test: 0.2, key: 'day' });
    const more = [...rows, ...makeRows(3000, 9).map((row) => ({ ...row, id: row.id + 2000, day: `2027-${row.id % 300}` }))];
    const after = split(more, { train: 0.8, test: 0.2, key: 'day' });
    const testBefore = new Set(ids(before.test));
    const testAfter = new Set(ids(after.test));
    for (const row of rows) assert.equal(testBefore.has(row.id), testAfter.has(row.id), `row ${row.id} moved`);
    // Rows sharing a key stay together.
    for (const part of [after.train, after.test]) {
      const days = new Set(part.map((row) => row.day));
      for (const row of more) if (days.has(row.day)) assert.ok(part.includes(row));
    }
    assert.equal(after.summary.method, 'hashed');
  });

  it('split(rows, {..., key: row => key}) follows the fractions on average over many distinct keys', () => {
    const rows = Array.from({ length: 20000 }, (_, id) => ({ id }));
    const parts = split(rows, { train: 0.7, validation: 0.2, test: 0.1, key: (row) => row.id as number });
    assert.ok(Math.abs(parts.train.length / 20000 - 0.7) < 0.02, `train ${parts.train.length}`);
    assert.ok(Math.abs(parts.validation.length / 20000 - 0.2) < 0.02, `validation ${parts.validation.length}`);
    assert.ok(Math.abs(parts.test.length / 20000 - 0.1) < 0.02, `test ${parts.test.length}`);
    const salted = split(rows, { train: 0.7, validation: 0.2, test: 0.1, key: (row) => row.id as number, seed: 'other' });
    assert.notDeepEqual(ids(salted.test).slice(0, 50), ids(parts.test).slice(0, 50));
  });

  it('split(rows, {..., key}) warns when a part gets no rows because there are too few keys', async () => {
    const rows = Array.from({ length: 10 }, (_, id) => ({ id, group: 'only' }));
    const warnings = await captureWarnings(() => split(rows, { train: 0.5, test: 0.5, key: 'group' }));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^split\(\): part `(train|test)` got no rows: with `key`, rows go to parts by a hash of their key, and the 1 distinct key all hashed elsewhere\./);
  });

  it('split(space, ...) warns that a tabulated input space has no unseen data, then splits its table', async () => {
    const space = tabulateInputSpace({ x: { min: 0, max: 9, step: 1 } }, { label: ({ x }) => (x as number) * 2 });
    let parts: { train: aq.ColumnTable; test: aq.ColumnTable } | undefined;
    const warnings = await captureWarnings(() => (parts = split(space, { train: 0.8, test: 0.2 })));
    assert.deepEqual(warnings, [
      'split(): this is a tabulated input space: it holds every possible input, so there is no unseen data to hold out, and a held-out part is input the model never learns. Train on the whole space (train(model, space)) and check it with space.evaluate(model).',
    ]);
    assert.equal(parts!.train.numRows(), 8);
    assert.deepEqual(parts!.test.columnNames(), ['x', 'label']);
  });

  it('split(...)[Symbol.for("Jupyter.display")]() shows part sizes and label counts per part', () => {
    const parts = split(makeRows(10, 4), { train: 0.8, test: 0.2, stratify: 'label', seed: 1 });
    const bundle = (parts as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for('Jupyter.display')]();
    assert.equal(bundle['text/plain'], 'split of 10 rows (stratified, seed 1): 8 train / 2 test');
    assert.match(bundle['text/html'], /<tr><th>part<\/th><th>rows<\/th><th>share<\/th><th>label &#34;[abc]&#34;<\/th>/);
    assert.match(bundle['text/html'], /<tr><td>train<\/td><td>8<\/td><td>80.0%<\/td>/);
    assert.deepEqual(Object.keys(parts), ['train', 'test']);
  });

  describe('bad input', () => {
    const rows = makeRows(10);
    const cases: [string, () => unknown, string][] = [
      ['fractions that do not sum to 1', () => split(rows, { train: 0.8, test: 0.3 }), 'split(): the fractions must sum to 1. Received: train=0.8 + test=0.3 = 1.1. Adjust them so that they add up to 1.'],
      ['a negative fraction', () => split(rows, { train: 1.2, test: -0.2 }), 'split(): `train` must be a number in [0, 1]. Received: train=1.2.'],
      ['a negative test fraction', () => split(rows, { train: 1, test: -0.2 }), 'split(): `test` must be a number in [0, 1]. Received: test=-0.2.'],
      ['a NaN fraction', () => split(rows, { train: 0.8, validation: Number.NaN, test: 0.2 }), 'split(): `validation` must be a number in [0, 1]. Received: validation=NaN.'],
      ['a fraction given as a string', () => split(rows, { train: '0.8' as unknown as number, test: 0.2 }), 'Received: train="0.8".'],
      ['no train fraction', () => split(rows, { test: 1 } as never), 'split(): option `train` is required: the fraction of rows to train on, e.g. { train: 0.8, test: 0.2 }.'],
      ['a misspelt option', () => split(rows, { train: 0.8, valid: 0.2 } as never), 'split(): unknown option `valid`. Expected one of train, validation, test, seed, shuffle, stratify, key.'],
      ['an empty array', () => split([], { train: 0.8, test: 0.2 }), 'split(): data is empty (an array with 0 rows).'],
      ['an empty table', () => split(aq.table({ x: [] }), { train: 0.8, test: 0.2 }), 'split(): data is empty (an arquero table with 0 rows).'],
      ['empty columns', () => split({ xs: [], ys: [] }, { train: 0.8, test: 0.2 }), 'split(): data is empty (columns xs, ys have 0 rows).'],
      ['columns of different lengths', () => split({ xs: [1, 2, 3], ys: [1, 2] }, { train: 0.5, test: 0.5 }), 'split(): columns must have the same length along their first axis. Received: xs has 3, ys has 2 rows.'],
      // @ts-expect-error the types know the columns too
      ['an unknown stratify column', () => split(rows, { train: 0.5, test: 0.5, stratify: 'class' }), 'split(): `stratify` names column "class", which is not in the data. Available columns: id, label, day.'],
      // @ts-expect-error the types know the columns too
      ['an unknown key column', () => split({ xs: [1, 2], ys: [3, 4] }, { train: 0.5, test: 0.5, key: 'id' }), 'split(): `key` names column "id", which is not in the data. Available columns: xs, ys.'],
      ['a key that is not a string or number', () => split([{ k: 'a' }, { k: null }], { train: 0.5, test: 0.5, key: 'k' }), 'split(): key column "k" must give a string, a finite number or a date for every row. Received: null for row 1.'],
      ['stratify and key together', () => split(rows, { train: 0.5, test: 0.5, stratify: 'label', key: 'day' }), 'split(): options `stratify` and `key` cannot be combined'],
      ['a stratify option of the wrong type', () => split(rows, { train: 0.5, test: 0.5, stratify: 3 as never }), 'split(): `stratify` must be a column name or a function of the row. Received: stratify=3.'],
      ['a bad seed', () => split(rows, { train: 0.5, test: 0.5, seed: Number.NaN }), 'split(): `seed` must be a finite number or a string. Received: seed=NaN.'],
      ['a non-boolean shuffle', () => split(rows, { train: 0.5, test: 0.5, shuffle: 'no' as never }), 'split(): `shuffle` must be true or false. Received: shuffle="no".'],
      ['data of an unknown form', () => split(42 as never, { train: 0.5, test: 0.5 }), 'split(): data must be an arquero table, an array of row objects, or an object of aligned columns such as { xs, ys }. Received: 42.'],
      ['rows that are not objects', () => split([1, 2, 3] as never, { train: 0.5, test: 0.5 }), 'split(): an array of rows must hold plain objects such as { x: 1, y: 2 }. Received: row 0 = 1.'],
      ['a column that is not an array', () => split({ xs: 5 } as never, { train: 0.5, test: 0.5 }), 'split(): column `xs` must be an array, a typed array or a tensor. Received: xs=5.'],
      ['a stratify column missing from a later row', () => split([{ y: 1 }, { x: 2 }], { train: 0.5, test: 0.5, stratify: 'y' }), 'split(): `stratify` column "y" is missing from row 1. Received: row 1 = { x: 2 }.'],
    ];
    for (const [what, call, message] of cases) {
      it(`split(...) with ${what} throws an error that says so`, () => {
        throwsWith(call, message);
      });
    }
  });
});

describe('roundTable()', () => {
  it('roundTable(targets, rows, columns) rounds every cell down or up and keeps every margin, on random tables', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 200; trial++) {
      const groups = Array.from({ length: 1 + rng.int(12) }, () => 1 + rng.int(40));
      const n = groups.reduce((a, b) => a + b);
      const sizes = largestRemainder(n, [0.6, 0.3, 0.1]);
      const targets = groups.map((g) => sizes.map((size) => (g * size) / n));
      const counts = roundTable(targets, groups, sizes);
      counts.forEach((row, r) => {
        assert.equal(row.reduce((a, b) => a + b), groups[r]);
        row.forEach((count, c) => assert.ok(Math.abs(count - targets[r][c]) < 1, `trial ${trial}: ${count} vs ${targets[r][c]}`));
      });
      sizes.forEach((size, c) => assert.equal(counts.reduce((sum, row) => sum + row[c], 0), size));
    }
  });
});
