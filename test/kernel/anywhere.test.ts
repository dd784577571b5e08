/**
 * Notebooks outside the repository: the kernel gives them cellfit and its tf.js, for the type
 * checker and at run time, and a project's own tf.js is either the same engine or the user is
 * told, once, what to do.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PLOTLY_MIME } from '../../lib/plots/plotly';
import { installOwnTfjs, outputText, savedOutputs, TRAINING_NOTEBOOK, writeNotebook } from '../support/projects';
import { REPO, temporaryDir } from './harness';

const execFileAsync = promisify(execFile);
const CLI = path.join(REPO, 'dist', 'kernel', 'cli.js');
const TFJS_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', '@tensorflow', 'tfjs', 'package.json'), 'utf8')) as { version: string }).version;

/** Runs `notebook` with this repository's `cellfit run` from its folder; the saved outputs per cell, and whether it failed. */
async function cellfitRun(notebook: string): Promise<{ outputs: ReturnType<typeof savedOutputs>; failed: boolean }> {
  const output = `${notebook}.out.ipynb`;
  let failed = false;
  try {
    await execFileAsync(process.execPath, [CLI, 'run', notebook, '--output', output], { cwd: path.dirname(notebook) });
  } catch {
    failed = true;
  }
  return { outputs: savedOutputs(output), failed };
}

describe('kernel: notebooks outside the repository', function () {
  this.timeout(120_000);

  it('a notebook in a fresh folder imports cellfit, type-checks its cells without casts and trains with a live chart', async () => {
    const dir = temporaryDir('anywhere');
    const { outputs, failed } = await cellfitRun(writeNotebook(dir, 'train.ipynb', TRAINING_NOTEBOOK));
    assert.equal(failed, false, outputs.map(outputText).join('\n---\n'));
    assert.deepEqual(outputs.slice(0, 4).map((cell) => outputText(cell.filter((o) => o.output_type === 'execute_result'))), ['true', '42', '[ 16, 4, true ]', "'completed'"]);
    assert.ok(outputs[3].some((output) => output.data?.[PLOTLY_MIME] !== undefined), 'the training cell drew its chart');
  });

  it(`a project with its own @tensorflow/tfjs ${TFJS_VERSION} (cellfit's version) shares cellfit's engine: its models train`, async () => {
    const project = temporaryDir('own-tfjs');
    installOwnTfjs(project);
    const notebook = writeNotebook(project, 'own.ipynb', [
      "import * as tf from '@tensorflow/tfjs';\nimport { train, setSeed } from 'cellfit';\nrequire.resolve('@tensorflow/tfjs')",
      "setSeed(1);\nconst model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2], activation: 'relu' }), tf.layers.dense({ units: 1 })] });\n" +
        "model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });\n" +
        "(await train(model, { xs: tf.randomNormal([32, 2]), ys: tf.randomNormal([32, 1]) }, { epochs: 2, checkpoint: false, plot: false })).status",
    ]);
    const { outputs, failed } = await cellfitRun(notebook);
    const text = outputs.map(outputText).join('\n');
    assert.equal(failed, false, text);
    assert.equal(outputText(outputs[0]), `'${path.join(REPO, 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.node.js')}'`);
    assert.equal(outputText(outputs[1]), "'completed'");
    assert.doesNotMatch(text, /already registered|another version/);
  });

  it('a project with its own @tensorflow/tfjs of another version uses it, and the notebook says once what to do', async () => {
    const project = temporaryDir('other-tfjs');
    installOwnTfjs(project, '4.21.0');
    const notebook = writeNotebook(project, 'other.ipynb', [
      "import * as tf from '@tensorflow/tfjs';\ntypeof tf.sequential",
      "import * as core from '@tensorflow/tfjs-core';\ntypeof core.tensor",
      "import { tf as cellfitTf } from 'cellfit';\nconst model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });\nmodel instanceof cellfitTf.LayersModel",
    ]);
    const { outputs, failed } = await cellfitRun(notebook);
    const text = outputs.map(outputText).join('\n');
    assert.equal(failed, false, text);
    const stderr = outputs[0].filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => outputText([o])).join('');
    const own = fs.realpathSync(path.join(project, 'node_modules', '@tensorflow', 'tfjs'));
    assert.ok(
      stderr.startsWith(
        `cellfit: this notebook's project has its own @tensorflow/tfjs 4.21.0 (${own}), another version than the ${TFJS_VERSION} cellfit trains with`,
      ),
      stderr,
    );
    assert.match(stderr, new RegExp(`npm install @tensorflow/tfjs@${TFJS_VERSION.replace(/\./g, '\\.')}\n`));
    assert.equal(text.split('another version than the').length - 1, 1, 'told once');
    assert.equal(outputText(outputs[2].filter((o) => o.output_type === 'execute_result')), 'false');
  });
});
