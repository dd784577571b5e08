import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as aq from 'arquero';
import { tf } from '../../lib/backend';
import { compile } from '../../lib/compile';
import { captureWarnings } from '../../lib/errors';
import { PREPROCESSING_FILE, preprocess, Preprocessing } from '../../lib/preprocess';
import { getSeed, setSeed, unseedMathRandom } from '../../lib/random';
import { split } from '../../lib/split';
import { loadModel, loadRun, train } from '../../lib/train';
import { loanApplications, loansCsv } from '../../scripts/loans';
import { rejectsWith, throwsWith } from '../helpers';
import { QUIET, tmpDir } from './train/support';

const FEATURES = ['age', 'income', 'loan_amount', 'term', 'credit_score', 'employment_years', 'purpose', 'home'] as const;

function classifier(width: number) {
  const previous = getSeed();
  setSeed(5);
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 12, activation: 'relu', inputShape: [width] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
  unseedMathRandom();
  setSeed(previous, { mathRandom: false });
  return compile(model, { optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy', metrics: ['accuracy', 'auc'] });
}

describe('preprocess()', function () {
  this.timeout(120_000);

  it("preprocess(rows, { features }) imputes the median, standardises after imputing, and one-hot encodes string columns in sorted order", () => {
    const rows = [
      { x: 1, city: 'b' },
      { x: null, city: 'a' },
      { x: 3, city: null },
      { x: 10, city: 'b' },
    ];
    const prep = preprocess(rows, { features: ['x', 'city'] });
    assert.deepEqual(prep.outputNames, ['x', 'city=a', 'city=b']);
    assert.equal(prep.width, 3);
    const [x, city] = prep.columns;
    assert.equal(x.kind, 'numeric');
    assert.equal(x.kind === 'numeric' && x.fill, 3);
    assert.equal(x.missing, 1);
    // After imputing: 1, 3, 3, 10 → mean 4.25, population sd 3.491…
    const sd = Math.sqrt(((1 - 4.25) ** 2 + 2 * (3 - 4.25) ** 2 + (10 - 4.25) ** 2) / 4);
    assert.ok(x.kind === 'numeric' && Math.abs(x.center - 4.25) < 1e-12 && Math.abs(x.scale - sd) < 1e-12);
    assert.deepEqual(city.kind === 'categorical' && city.categories, ['a', 'b']);
    const { values } = prep.transform([{ x: null, city: 'zzz' }, { x: 4.25, city: 'a' }]);
    assert.deepEqual(Array.from(values), [Math.fround((3 - 4.25) / sd), 0, 0, 0, 1, 0], 'missing → the median; an unseen category → all zeros');
  });

  it("preprocess(table, { encode: 'lookup', impute: 'mean', scale: 'none' }) gives 1, 2, … per category and 0 for missing", () => {
    const table = aq.table({ n: [2, 4, NaN], c: ['y', 'x', ''] });
    const prep = preprocess(table, { features: ['n', 'c'], encode: 'lookup', impute: 'mean', scale: 'none' });
    assert.deepEqual(prep.outputNames, ['n', 'c']);
    assert.deepEqual(Array.from(prep.transform(table).values), [2, 2, 4, 1, 3, 0]);
    assert.deepEqual(Preprocessing.fromJSON(JSON.parse(JSON.stringify(prep))).toJSON(), prep.toJSON(), 'its JSON form reads back as it was');
  });

  it('preprocess() names bad options and values', () => {
    throwsWith(() => preprocess([{ a: 1 }], { features: [] }), 'preprocess(): `features` must be a non-empty list of column names');
    throwsWith(() => preprocess([{ a: 1 }], { features: ['a'], impute: 'mode' as never }), "preprocess(): `impute` must be 'median' or 'mean'. Received: impute=\"mode\"");
    throwsWith(() => preprocess([{ a: 1 }, { a: Infinity }], { features: ['a'] }), 'preprocess(): numeric column "a" holds Infinity in row 1');
    throwsWith(() => preprocess([{ a: null }, { a: null }], { features: ['a'] }), 'every one of its 2 rows is missing');
    throwsWith(() => preprocess([{ a: 1 }], { features: ['a'], patience: 3 } as never), 'preprocess(): unknown option `patience`');
  });

  it('train(model, split of raw loan rows, { features, label, preprocess }) trains on the preprocessed features, stores the preprocessing with the run, and run.predict(), run.evaluate() and the export apply it to raw rows', async () => {
    const dir = tmpDir('preprocess');
    const loans = aq.fromCSV(loansCsv(600));
    const parts = split(loans, { train: 0.7, validation: 0.15, test: 0.15, seed: 3, stratify: 'defaulted' });
    const prep = preprocess(parts.train, { features: [...FEATURES] });
    assert.equal(prep.width, 6 + 6 + 3);
    const model = classifier(prep.width);
    const options = { epochs: 6, batchSize: 32, features: [...FEATURES], label: 'defaulted', preprocess: prep, checkpoint: dir, ...QUIET };
    const run = await train(model, parts, options);
    assert.ok(run.history[run.history.length - 1].val_auc > 0.75, `val_auc ${run.history[run.history.length - 1].val_auc}`);

    const stored = JSON.parse(fs.readFileSync(path.join(run.dir!, PREPROCESSING_FILE), 'utf8'));
    assert.deepEqual(stored, prep.toJSON());
    assert.equal(run.preprocessing, prep);

    // Raw rows (missing values and all) in, the model's predictions on the preprocessed rows out.
    const raw = parts.test.objects().slice(0, 20);
    const expected = (model.predict(prep.transformTensor(raw)) as tf.Tensor).arraySync();
    assert.deepEqual(run.predict(raw).arraySync(), expected);
    assert.deepEqual(run.predict(aq.from(raw)).arraySync(), expected);
    assert.deepEqual(run.predict(prep.transformTensor(raw)).arraySync(), expected, 'a tensor is taken as preprocessed features');
    const tested = await run.evaluate();
    assert.ok(tested.auc > 0.75, `test auc ${tested.auc}`);

    // Executing the cell again returns the finished run, with the same preprocessing.
    const again = await train(classifier(prep.width), parts, options);
    assert.equal(again.reused, true);
    assert.deepEqual(again.predict(raw).arraySync(), expected);

    // A Run rebuilt from its directory (a sweep's best trial, another session) predicts and evaluates from raw rows too.
    const loaded = await loadRun(run.dir!);
    assert.deepEqual(loaded.preprocessing?.toJSON(), prep.toJSON());
    assert.deepEqual(loaded.predict(raw).arraySync(), expected);
    assert.deepEqual(await loaded.evaluate(parts.test), await run.evaluate(parts.test));
    // …and exports what it holds, preprocessing included, for loadModel() to predict from raw rows.
    const fromLoadedRun = await loadModel(await loaded.export(path.join(dir, 'loaded-export')));
    assert.deepEqual(fromLoadedRun.predict(raw).arraySync(), expected);
    await rejectsWith(() => loaded.export(''), 'Run.export(): `dir` must be a directory path');

    // The export predicts from raw rows too.
    const exportDir = path.join(dir, 'exported');
    await run.checkpoints!.export('latest', exportDir);
    assert.ok(fs.existsSync(path.join(exportDir, PREPROCESSING_FILE)));
    const exported = await loadModel(exportDir);
    assert.deepEqual(exported.preprocessing?.toJSON(), prep.toJSON());
    const fromExport = exported.predict(raw).arraySync() as number[][];
    const fromRun = run.predict(raw).arraySync() as number[][];
    fromExport.forEach(([p], i) => assert.ok(Math.abs(p - fromRun[i][0]) < 1e-6));
  });

  it('train(..., { preprocess fitted on all the data }) warns that statistics leak; features other than its own are an error', async () => {
    const rows = loanApplications(200);
    const parts = split(rows, { train: 0.8, test: 0.2, seed: 1 });
    const leaky = preprocess(rows, { features: [...FEATURES] });
    const warnings = await captureWarnings(() => train(classifier(leaky.width), parts, { epochs: 1, features: [...FEATURES], label: 'defaulted', preprocess: leaky, checkpoint: false, ...QUIET }));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /`preprocess`: it was fitted on 200 rows that are not the training part, so statistics of rows the run does not train on leak into training\. Split first, then fit on the training part/);
    const prep = preprocess(parts.train, { features: [...FEATURES] });
    await rejectsWith(() => train(classifier(prep.width), parts, { epochs: 1, features: ['age', 'income'], label: 'defaulted', preprocess: prep, checkpoint: false, ...QUIET }), 'train(): `features` must be the columns `preprocess` was fitted on');
  });

  it('run.predict(rows | columns | nested arrays | tensor) of a run trained on rows without preprocessing reads its features', async () => {
    const rows = loanApplications(120).map(({ loan_amount, term, defaulted }) => ({ loan: loan_amount / 10000, long: term === 60, defaulted }));
    const model = classifier(2);
    const run = await train(model, rows, { epochs: 1, features: ['loan', 'long'], label: 'defaulted', checkpoint: false, ...QUIET });
    const nested = rows.slice(0, 5).map((row) => [row.loan, Number(row.long)]);
    const expected = (model.predict(tf.tensor2d(nested)) as tf.Tensor).arraySync();
    assert.deepEqual(run.predict(rows.slice(0, 5)).arraySync(), expected);
    assert.deepEqual(run.predict({ loan: nested.map(([loan]) => loan), long: nested.map(([, long]) => long) }).arraySync(), expected);
    assert.deepEqual(run.predict(nested).arraySync(), expected);
    assert.deepEqual(run.predict({ xs: nested }).arraySync(), expected);
    assert.deepEqual(run.predict(tf.tensor2d(nested)).arraySync(), expected);
    throwsWith(() => run.predict([{ loan: null, long: true }]), 'Run.predict(): `features` column "loan" holds null in row 0');
  });

  it("the README's example (Your own data) runs as written: CSV to an export that predicts from raw rows", async () => {
    const repo = path.join(__dirname, '..', '..', '..');
    const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Your own data'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
    const dir = tmpDir('readme-data');
    const script = code
      .replace(/^import \* as (\w+) from '([\w:]+)';$/gm, (_, name, module) => `const ${name} = require(${JSON.stringify(module)});`)
      .replace(/^import \{([^}]*)\} from 'cellfit';$/m, (_, names) => `const {${names}} = require(${JSON.stringify(path.join(repo, 'dist', 'lib'))});`)
      .replace("'notebooks/data/loans.csv'", JSON.stringify(path.join(repo, 'notebooks', 'data', 'loans.csv')))
      .replace("'models/loans'", JSON.stringify(path.join(dir, 'model')))
      .replace(/'models\/loans'/g, JSON.stringify(path.join(dir, 'model')))
      .replace('plot: false,', `plot: false, checkpoint: ${JSON.stringify(path.join(dir, 'checkpoints'))},`)
      .replace(/run!?\./, 'run.')
      .concat('\nreturn { run, exported, parts, test: await run.evaluate() };')
      .replace(/(\w+)!\./g, '$1.');
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (req: NodeRequire) => Promise<{ run: { status: string; predict(data: unknown): tf.Tensor }; exported: { predict(data: unknown): tf.Tensor }; parts: { test: aq.ColumnTable }; test: Record<string, number> }>;
    // The example seeds the global generator; leave it as other tests expect it.
    const previous = getSeed();
    const { run, exported, parts, test } = await new AsyncFunction('require', script)(require).finally(() => {
      unseedMathRandom();
      setSeed(previous, { mathRandom: false });
    });
    assert.equal(run.status, 'early-stopped');
    assert.ok(test.auc > 0.85, `test auc ${test.auc}`);
    const fromRun = run.predict(parts.test).dataSync();
    const fromExport = exported.predict(parts.test).dataSync();
    assert.equal(fromExport.length, parts.test.numRows());
    fromExport.forEach((p, i) => assert.ok(Math.abs(p - fromRun[i]) < 1e-6));
  });
});
