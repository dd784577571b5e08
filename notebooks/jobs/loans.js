#!/usr/bin/env node
/**
 * Tutorial 08 as a plain Node.js script — the same steps the notebook takes, from the CSV to an
 * exported model that predicts from raw rows, with the charts written as HTML pages instead of
 * shown:
 *
 *   node jobs/loans.js [--dir DIR]
 *
 * It prints one JSON line of results (the tests read it) and exits with 1 if a claim fails.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const aq = require('arquero');
const { tf, ready, setSeed, split, preprocess, compile, train, earlyStop, loadModel, plotConfusionMatrix, plotRoc } = require('cellfit');

const FEATURES = ['age', 'income', 'loan_amount', 'term', 'credit_score', 'employment_years', 'purpose', 'home'];

/** Two applications as they arrive: missing values, and a purpose the training data never saw. */
const NEW_APPLICATIONS = [
  { age: 34, income: 41000, loan_amount: 18000, term: 60, credit_score: 590, employment_years: 1, purpose: 'small_business', home: 'rent' },
  { age: null, income: 98000, loan_amount: 9000, term: 36, credit_score: null, employment_years: 12, purpose: 'wedding', home: 'mortgage' },
];

/** 15 preprocessed values → 16 relu → 1 sigmoid, the same initial weights every time. */
function loanModel(width) {
  setSeed(8);
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 16, activation: 'relu', inputShape: [width] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
  });
  return compile(model, { optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy', 'auc'] });
}

async function main() {
  const at = process.argv.indexOf('--dir');
  const dir = at >= 0 ? process.argv[at + 1] : path.join(__dirname, '..', 'checkpoints', '08-loans-script');
  fs.rmSync(dir, { recursive: true, force: true });
  await ready();

  const loans = aq.fromCSV(fs.readFileSync(path.join(__dirname, '..', 'data', 'loans.csv'), 'utf8'));
  const parts = split(loans, { train: 0.7, validation: 0.15, test: 0.15, seed: 8, stratify: 'defaulted' });
  const prep = preprocess(parts.train, { features: FEATURES });
  const run = await train(loanModel(prep.width), parts, {
    epochs: 40,
    batchSize: 64,
    features: FEATURES,
    label: 'defaulted',
    preprocess: prep,
    earlyStop: earlyStop({ monitor: 'val_auc', patience: 5 }),
    checkpoint: path.join(dir, 'checkpoints'),
    plot: false,
  });
  const test = await run.evaluate();
  (await plotConfusionMatrix(run, undefined, { classNames: ['repaid', 'defaulted'] })).write(path.join(dir, 'confusion.html'));
  const roc = await plotRoc(run);
  roc.write(path.join(dir, 'roc.html'));

  const predicted = run.predict(NEW_APPLICATIONS).arraySync().map(([p]) => p);
  await run.checkpoints.export('best', path.join(dir, 'model'));
  const exported = await loadModel(path.join(dir, 'model'));
  const fromExport = exported.predict(NEW_APPLICATIONS).arraySync().map(([p]) => p);

  const result = { status: run.status, epoch: run.epoch, engine: run.engine.name, width: prep.width, test, rocAuc: roc.auc, predicted, fromExport };
  console.log(JSON.stringify(result));
  const ok = test.auc > 0.8 && predicted.every((p, i) => Math.abs(p - fromExport[i]) < 1e-6);
  if (!ok) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
