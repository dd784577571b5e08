/**
 * The trial of tutorial 07 (sweeps that scale), as a module: the form a trial takes to run in other
 * processes — `sweep(space, { module: 'jobs/waves.js' }, { workers: 2 })` on this machine, or
 * `npx cellfit worker --queue redis://…` on others. The notebook requires it too, for the same data
 * and model.
 *
 * The problem: y = sin(3·x₁)·cos(2·x₂) plus noise, 400 rows to train on and 200 to validate on
 * (seeded, the same in every process), learnt by a small network whose learning rate, width and
 * activation the sweep chooses.
 */
'use strict';
const { tf, train, setSeed, Rng } = require('cellfit');

/** `rows` noisy samples of the waves. */
function sample(rows, seed) {
  const rng = new Rng(seed);
  const xs = [];
  const ys = [];
  for (let i = 0; i < rows; i++) {
    const x1 = 2 * rng.random() - 1;
    const x2 = 2 * rng.random() - 1;
    xs.push([x1, x2]);
    ys.push([Math.sin(3 * x1) * Math.cos(2 * x2) + 0.05 * (rng.random() - 0.5)]);
  }
  return { xs: tf.tensor2d(xs), ys: tf.tensor2d(ys) };
}

let cached;
/** The training and validation data (made once per process). */
function wavesData() {
  cached ??= { train: sample(400, 'waves:train'), validation: sample(200, 'waves:validation') };
  return cached;
}

/** 2 → units → units → 1 with `activation`, Adam at `lr`; the same initial weights for the same shape. */
function wavesModel({ lr, units, activation }) {
  setSeed(7);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units, activation, inputShape: [2] }),
      tf.layers.dense({ units, activation }),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(lr), loss: 'meanSquaredError' });
  return model;
}

/** Epochs a trial trains when the sweep does not stop it first. */
const EPOCHS = 27;

/** The trial: trains the model of `params`; the sweep reads every epoch's val_loss from train(). */
async function trial(params, _context, extra = {}) {
  const { train: data, validation } = wavesData();
  return train(wavesModel(params), data, { epochs: EPOCHS, batchSize: 32, validation, seed: 7, ...extra });
}

module.exports = { wavesData, wavesModel, trial, EPOCHS };
