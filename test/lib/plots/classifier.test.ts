import assert from 'node:assert/strict';
import { tf } from '../../../lib/backend';
import { compile } from '../../../lib/compile';
import { PLOTLY_MIME } from '../../../lib/plots/plotly';
import { plotConfusionMatrix, plotRoc } from '../../../lib/plots/classifier';
import { getSeed, setSeed, unseedMathRandom } from '../../../lib/random';
import { JUPYTER_DISPLAY } from '../../../lib/session';
import { split } from '../../../lib/split';
import { train } from '../../../lib/train';
import { rejectsWith } from '../../helpers';
import { binaryProblem } from '../classification';
import { QUIET } from '../train/support';

describe('classifier charts', function () {
  this.timeout(60_000);

  it('plotConfusionMatrix(run) and plotRoc(run) picture the run on its test part: counts that sum to it, and the AUC run.evaluate() reports', async () => {
    const previous = getSeed();
    setSeed(4);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 6, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
    unseedMathRandom();
    setSeed(previous, { mathRandom: false });
    compile(model, { optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['auc'] });
    const parts = split(binaryProblem(300), { train: 0.7, test: 0.3, seed: 2 });
    const run = await train(model, parts, { epochs: 4, batchSize: 16, checkpoint: false, ...QUIET });

    const confusion = await plotConfusionMatrix(run, undefined, { classNames: ['no', 'yes'] });
    assert.equal(confusion.matrix.flat().reduce((sum, count) => sum + count, 0), parts.test.xs.length);
    const heatmap = confusion.figure.data[0] as { type: string; z: number[][]; x: string[] };
    assert.equal(heatmap.type, 'heatmap');
    assert.deepEqual(heatmap.x, ['no', 'yes']);
    assert.match(confusion.toString(), /^confusion matrix of run-\w+ \(threshold 0\.5, 90 rows\) \(rows true, columns predicted; no, yes\): \[\d+, \d+\] \[\d+, \d+\]$/);
    assert.ok(PLOTLY_MIME in confusion[JUPYTER_DISPLAY]());

    const roc = await plotRoc(run, parts.test);
    assert.equal(roc.auc, (await run.evaluate()).auc);
    assert.equal(roc.curve.fpr[0], 0);
    assert.equal(roc.curve.tpr[roc.curve.tpr.length - 1], 1);
    assert.equal(roc.figure.data.length, 2, 'the curve and the chance diagonal');

    await rejectsWith(() => plotConfusionMatrix(run, parts.test, { classNames: ['a', 'b', 'c'] }), 'plotConfusionMatrix(): `classNames` names 3 classes, but the model predicts 2');
  });
});
