/**
 * What train() accepts as labels and refuses as features (issue 16, defects 4 and 5): integer class
 * labels for a sparse crossentropy, and non-finite or missing values named before any training.
 */
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { tf } from '../../../lib/backend';
import { getSeed, Rng, setSeed, unseedMathRandom } from '../../../lib/random';
import { train } from '../../../lib/train';
import { rejectsWith } from '../../helpers';
import { QUIET, regressionRows } from './support';

/** Three well-separated classes in two features, labels as integers in a [n, 1] array. */
function threeClasses(rows = 300): { xs: number[][]; ys: number[][] } {
  const rng = new Rng('three-classes');
  const centres = [[-2, 0], [2, 0], [0, 2]];
  const xs: number[][] = [];
  const ys: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const label = i % 3;
    xs.push(centres[label].map((c) => c + (rng.random() - 0.5)));
    ys.push([label]);
  }
  return { xs, ys };
}

function softmaxModel(): tf.LayersModel {
  const previous = getSeed();
  setSeed(3);
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  unseedMathRandom();
  setSeed(previous, { mathRandom: false });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe('train(): labels and features', function () {
  this.timeout(60_000);

  for (const engine of ['tfjs', 'fused'] as const) {
    it(`train(softmax model with sparseCategoricalCrossentropy, integer labels [n, 1], { engine: '${engine}' }) trains, as model.fit does`, async () => {
      const { xs, ys } = threeClasses();
      const run = await train(softmaxModel(), { xs, ys }, { epochs: 5, batchSize: 30, validation: 0.2, checkpoint: false, engine, ...QUIET });
      assert.equal(run.engine.name, engine);
      const last = run.history[run.history.length - 1];
      assert.ok(last.val_acc > 0.9, `val_acc ${last.val_acc}`);
      const evaluated = await run.evaluate({ xs, ys });
      assert.ok(evaluated.acc > 0.9);
    });
  }

  it('train(softmax model with sparseCategoricalCrossentropy, labels as a flat [n] array or a label column) trains too', async () => {
    const { xs, ys } = threeClasses(90);
    const flat = await train(softmaxModel(), { xs, ys: ys.map(([label]) => label) }, { epochs: 1, checkpoint: false, ...QUIET });
    assert.equal(flat.status, 'completed');
    const rows = xs.map(([a, b], i) => ({ a, b, y: ys[i][0] }));
    const fromRows = await train(softmaxModel(), rows, { epochs: 1, features: ['a', 'b'], label: 'y', checkpoint: false, ...QUIET });
    assert.equal(fromRows.status, 'completed');
  });

  it('train(softmax model with sparseCategoricalCrossentropy, labels out of range) names the label and the classes', async () => {
    const { xs, ys } = threeClasses(30);
    ys[7] = [3];
    await rejectsWith(() => train(softmaxModel(), { xs, ys }, { epochs: 1, checkpoint: false, ...QUIET }), 'train(): data.ys holds class 3 in row 7, but the model predicts 3 classes (0 to 2)');
  });

  const regression = regressionRows(40, 3);
  const nonFinite: [string, (xs: number[][]) => void, string][] = [
    ['NaN', (xs) => (xs[5][1] = NaN), 'train(): data.xs holds NaN in row 5 (feature 1). Impute or drop missing values before training'],
    ['Infinity', (xs) => (xs[9][0] = Infinity), 'train(): data.xs holds Infinity in row 9 (feature 0). Drop or clip the row before training.'],
  ];
  for (const [label, spoil, message] of nonFinite) {
    it(`train(model, { xs with ${label}, ys }) refuses the data before training, naming the row`, async () => {
      const xs = regression.xs.map((row) => [...row]);
      spoil(xs);
      await rejectsWith(() => train(regressionModel(), { xs, ys: regression.ys }, { epochs: 1, checkpoint: false, ...QUIET }), message);
    });
  }

  it('train(model, rows with NaN, null or a missing value in a feature column) names the column and the row', async () => {
    const rows = regression.xs.map(([a, b, c], i) => ({ a, b, c, y: regression.ys[i][0] }));
    const options = { epochs: 1, features: ['a', 'b', 'c'], label: 'y', checkpoint: false, ...QUIET } as const;
    await rejectsWith(() => train(regressionModel(), rows.map((row, i) => (i === 3 ? { ...row, b: NaN } : row)), options), 'train(): `features` column "b" holds NaN in row 3');
    await rejectsWith(() => train(regressionModel(), rows.map((row, i) => (i === 4 ? { ...row, c: null } : row)), options), 'train(): `features` column "c" holds null in row 4', 'preprocess()');
    await rejectsWith(() => train(regressionModel(), aq.from(rows.map((row, i) => (i === 6 ? { ...row, y: Infinity } : row))), options), 'train(): `label` column "y" holds Infinity in row 6');
    await rejectsWith(() => train(regressionModel(), rows.map((row, i) => (i === 0 ? { ...row, a: 'north' } : row)), options), 'train(): `features` column "a" holds "north" in row 0. Encode categories as numbers first: preprocess() one-hot encodes columns of strings');
    await rejectsWith(() => train(regressionModel(), rows.map((row) => ({ ...row, y: row.y > 0 ? 'yes' : 'no' })), options), 'train(): `label` column "y" holds "', 'Encode the labels as numbers first');
  });

  it('train(model, { xs, ys } with null inside an array, or in a column of arrays) names the row instead of training on 0', async () => {
    const xs: (number | null)[][] = regression.xs.map((row) => [...row]);
    xs[2][2] = null;
    await rejectsWith(() => train(regressionModel(), { xs: xs as number[][], ys: regression.ys }, { epochs: 1, checkpoint: false, ...QUIET }), 'train(): data.xs holds null in row 2 (feature 2)');
    const rows = regression.xs.map((x, i) => ({ x: i === 8 ? [x[0], null, x[2]] : x, y: regression.ys[i][0] }));
    await rejectsWith(() => train(regressionModel(), rows, { epochs: 1, features: ['x'], label: 'y', checkpoint: false, ...QUIET }), 'train(): `features` column "x" holds null in row 8 (value 1 of its arrays)');
  });
});

function regressionModel(): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  return model;
}
