#!/usr/bin/env node
/**
 * The training job of tutorial 02 (checkpoints and resume), as it would run on a training machine:
 *
 *   node jobs/demand.js [--dir DIR] [--die-at EPOCH:BATCH]
 *
 * It learns a city's hourly electricity demand (synthetic, seeded) from the temperature and the
 * time of day, checkpointing the full training state after every epoch. `--die-at 8:60` makes the
 * process kill itself with SIGKILL 60 batches into epoch 8 — an abrupt failure, like a pre-empted
 * machine or the out-of-memory killer: nothing runs after it, not even a last checkpoint.
 *
 * The notebook requires this file for the same data, model and options, so the run it trains is
 * the very run the job was training.
 */
'use strict';
const path = require('node:path');
const { tf, train, setSeed, Rng, stepDecay, checkpoint, listRuns } = require('cellfit');

/** Hourly demand for `days` days: heating below 15 °C, cooling above 22 °C, a daily profile, noise. */
function demandData({ days = 200, seed = 2024 } = {}) {
  const rng = new Rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
  const features = [];
  const labels = [];
  for (let day = 0; day < days; day++) {
    const season = 12 + 12 * Math.sin((2 * Math.PI * day) / 365); // daily mean temperature, °C
    for (let hour = 0; hour < 24; hour++) {
      const temperature = season + 5 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + 2 * normal();
      const profile = 1 + 0.35 * Math.sin((2 * Math.PI * (hour - 6)) / 24) + 0.15 * Math.sin((4 * Math.PI * (hour - 3)) / 24);
      const demand = 600 * profile + 25 * Math.max(0, 15 - temperature) + 30 * Math.max(0, temperature - 22) + 20 * normal();
      features.push([temperature / 10, Math.sin((2 * Math.PI * hour) / 24), Math.cos((2 * Math.PI * hour) / 24)]);
      labels.push([(demand - 600) / 100]); // in 100 MW, around a typical 600 MW
    }
  }
  return { xs: tf.tensor2d(features), ys: tf.tensor2d(labels) };
}

/** The network: 3 → 32 relu → 32 relu → 1, Adam; the same initial weights every time (seeded). */
function makeModel() {
  setSeed(7);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 32, activation: 'relu', inputShape: [3] }),
      tf.layers.dense({ units: 32, activation: 'relu' }),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError', metrics: ['mae'] });
  return model;
}

/** What the run learns with: 20 epochs, a step-decaying learning rate, 20% held out for validation. */
const trainOptions = { name: 'demand', epochs: 20, batchSize: 32, validation: 0.2, seed: 7, learningRate: stepDecay({ factor: 0.5, every: 8 }) };

/** Checkpoints kept: the newest 3 (and the best, when it is older). */
const KEEP = 3;

/** Trains (or resumes, or returns) the run in `dir`. */
function trainDemand({ dir = 'checkpoints/02-checkpoints', ...extra } = {}) {
  return train(makeModel(), demandData(), { ...trainOptions, checkpoint: { dir, keep: KEEP }, ...extra });
}

/**
 * True once the background writer has finished with the checkpoint of `epoch` in `runDir`: the
 * checkpoint is in place, run.json says so, and the checkpoint it replaces is retired.
 */
function committed(runDir, epoch) {
  const epochs = checkpoint(runDir).list().map((info) => info.epoch);
  const record = listRuns(path.dirname(runDir)).find((run) => run.id === path.basename(runDir));
  return epochs[epochs.length - 1] === epoch && record?.epoch === epoch && epochs.length <= KEEP;
}

/** A callback that kills the process with SIGKILL at `batch` of `epoch`, once the previous epoch's checkpoint is fully written. */
function dieAt(epoch, batch, runDir) {
  let current = 0;
  return {
    onEpochBegin(e) {
      current = e;
    },
    async onBatchEnd(b) {
      if (current !== epoch || b + 1 !== batch) return;
      // Wait (up to 10 s) for the background writer to finish with epoch-1's checkpoint, so that
      // every run of the tutorial dies at the same point and shows the same files. Dying at any
      // other instant resumes from the newest complete checkpoint all the same.
      for (let waited = 0; waited < 10000 && !committed(runDir, epoch - 1); waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      console.log(`job: the machine fails now, ${batch} batches into epoch ${epoch}`);
      process.kill(process.pid, 'SIGKILL');
    },
  };
}

module.exports = { demandData, makeModel, trainOptions, trainDemand };

if (require.main === module) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const dir = option('--dir') ?? 'checkpoints/02-checkpoints';
  const dieAtOption = option('--die-at');
  const callbacks = [
    { onEpochEnd: (epoch, logs) => console.log(`job: epoch ${epoch}: loss ${logs.loss.toFixed(4)}, val_loss ${logs.val_loss.toFixed(4)}`) },
  ];
  if (dieAtOption) {
    const [epoch, batch] = dieAtOption.split(':').map(Number);
    callbacks.push(dieAt(epoch, batch, path.join(dir, trainOptions.name)));
  }
  trainDemand({ dir, callbacks, progress: false }).then(
    (run) => console.log(`job: ${run.toString()}`),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
