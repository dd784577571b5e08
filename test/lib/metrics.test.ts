import assert from 'node:assert/strict';
import { tf } from '../../lib/backend';
import { compile } from '../../lib/compile';
import { auc, confusionMatrix, f1, precision, recall, rocCurve, scoredRows } from '../../lib/metrics';
import { getSeed, setSeed, unseedMathRandom } from '../../lib/random';
import { split } from '../../lib/split';
import { sweep } from '../../lib/sweep';
import { defaultMode } from '../../lib/sweep/scheduler';
import { train } from '../../lib/train';
import { binaryProblem } from './classification';
import { QUIET, tmpDir } from './train/support';

function sigmoidModel<const S extends string>(metrics: readonly S[], lr = 0.05) {
  const previous = getSeed();
  setSeed(11);
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 6, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
  unseedMathRandom();
  setSeed(previous, { mathRandom: false });
  return compile(model, { optimizer: tf.train.adam(lr), loss: 'binaryCrossentropy', metrics });
}

describe('metrics: auc, precision, recall, f1', function () {
  this.timeout(60_000);

  it('auc.overSet(labels [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]) is 0.75, as scikit-learn gives it; ties count half', () => {
    assert.equal(auc.overSet(scoredRows([0, 0, 1, 1], 1, Float32Array.of(0.1, 0.4, 0.35, 0.8), 1)), 0.75);
    assert.equal(auc.overSet(scoredRows([0, 1], 1, Float32Array.of(0.5, 0.5), 1)), 0.5);
    assert.equal(auc.overSet(scoredRows([1, 1], 1, Float32Array.of(0.2, 0.9), 1)), 0, 'one class only: 0, not NaN (a batch may hold one class)');
  });

  it('precision, recall and f1 over labels [1, 1, 1, 0, 0] predicted [1, 0, 1, 1, 0] are 2/3, 2/3, 2/3; the confusion matrix counts them', () => {
    const scored = scoredRows([1, 1, 1, 0, 0], 1, Float32Array.of(0.9, 0.2, 0.6, 0.7, 0.1), 1);
    for (const metric of [precision, recall, f1]) assert.ok(Math.abs(metric.overSet(scored) - 2 / 3) < 1e-12, metric.name);
    assert.deepEqual(confusionMatrix(scored).matrix, [[1, 1], [1, 2]]);
    assert.equal(precision.overSet(scoredRows([1, 0], 1, Float32Array.of(0.1, 0.2), 1)), 0, 'no predicted positives: 0');
  });

  it('for 3 classes (sparse labels or one-hot), they average one-vs-rest over the classes', () => {
    const scores = Float32Array.of(0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.1, 0.2, 0.7, 0.5, 0.4, 0.1);
    const sparse = scoredRows([0, 1, 2, 1], 1, scores, 3);
    const oneHot = scoredRows([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0], 3, scores, 3);
    assert.deepEqual(sparse.classes, oneHot.classes);
    // Predicted 0, 1, 2, 0: class 0 precision 1/2 recall 1; class 1 precision 1 recall 1/2; class 2 both 1.
    assert.ok(Math.abs(precision.overSet(sparse) - (0.5 + 1 + 1) / 3) < 1e-12);
    assert.ok(Math.abs(recall.overSet(sparse) - (1 + 0.5 + 1) / 3) < 1e-12);
    assert.deepEqual(confusionMatrix(sparse).matrix, [[1, 0, 0], [1, 1, 0], [0, 0, 1]]);
  });

  it('rocCurve() runs from (0, 0) to (1, 1) through one point per distinct score, and its area is auc', () => {
    const scored = scoredRows([0, 0, 1, 1], 1, Float32Array.of(0.1, 0.4, 0.35, 0.8), 1);
    const roc = rocCurve(scored);
    assert.deepEqual(roc.fpr, [0, 0, 0.5, 0.5, 1]);
    assert.deepEqual(roc.tpr, [0, 0.5, 0.5, 1, 1]);
    assert.equal(roc.auc, 0.75);
  });

  it("compile(model, { metrics: ['accuracy', 'auc', 'precision', 'recall', 'f1'] }) reports them per epoch (val_ over the whole validation set) and in run.evaluate()", async () => {
    const { xs, ys } = binaryProblem();
    const parts = split({ xs, ys }, { train: 0.6, validation: 0.2, test: 0.2, seed: 1 });
    const model = sigmoidModel(['accuracy', 'auc', 'precision', 'recall', 'f1']);
    assert.deepEqual(model.metricsNames, ['loss', 'acc', 'auc', 'precision', 'recall', 'f1']);
    const run = await train(model, parts, { epochs: 4, batchSize: 20, checkpoint: false, ...QUIET });
    assert.equal(run.engine.name, 'tfjs');
    assert.match(run.engine.reason ?? '', /fused engine does not support this model/);
    const last = run.history[run.history.length - 1];
    for (const name of ['auc', 'precision', 'recall', 'f1', 'val_auc', 'val_precision', 'val_recall', 'val_f1'] as const) {
      assert.ok(last[name] > 0.5 && last[name] <= 1, `${name} = ${last[name]}`);
    }
    // The validation values are the whole set's, not a mean over evaluation batches.
    const validation = parts.validation;
    const predictions = model.predict(tf.tensor2d(validation.xs)) as tf.Tensor;
    const scored = scoredRows(validation.ys.flat(), 1, predictions.dataSync() as Float32Array, 1);
    predictions.dispose();
    assert.equal(last.val_auc, auc.overSet(scored));
    assert.equal(last.val_f1, f1.overSet(scored));
    const tested = await run.evaluate();
    assert.ok(tested.auc > 0.8, `test auc ${tested.auc}`);
    assert.equal(typeof tested.f1, 'number');
  });

  it("monitors and sweeps read val_auc, val_precision, val_recall and val_f1 as metrics to maximise", () => {
    for (const name of ['val_auc', 'val_precision', 'val_recall', 'val_f1', 'auc']) assert.equal(defaultMode(name), 'max', name);
  });

  it("sweep(space, trial, { monitor: 'val_auc' }) ranks trials by their validation AUC, highest best", async () => {
    const data = binaryProblem(200);
    const result = await sweep(
      { lr: [0.0005, 0.05] },
      (params: { lr: number }) => train(sigmoidModel(['auc'], params.lr), data, { epochs: 3, batchSize: 20, validation: 0.25, ...QUIET }),
      { name: 'auc-sweep', dir: tmpDir('auc-sweep'), sampler: 'grid', monitor: 'val_auc', plot: false, progress: false },
    );
    const values = result.trials.map((trial) => trial.value!);
    assert.equal(values.length, 2);
    assert.ok(values.every((value) => value > 0 && value <= 1), String(values));
    assert.equal(result.best!.value, Math.max(...values));
  });
});
