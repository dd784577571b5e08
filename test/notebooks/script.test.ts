/**
 * What a notebook does works in a plain Node.js script too: tutorial 08's steps — CSV, split,
 * preprocess(), train() with early stopping on val_auc, test metrics, classifier charts written
 * as pages, run.predict() on raw rows, export and loadModel() — run by `node jobs/loans.js`,
 * outside any kernel.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LOANS_ROWS, LOANS_SEED, loansCsv } from '../../scripts/loans';
import { TUTORIALS } from '../../scripts/tutorials';

const run = promisify(execFile);

describe('tutorials: as a plain Node.js script', function () {
  this.timeout(120_000);

  it(`notebooks/data/loans.csv is scripts/loans.ts's ${LOANS_ROWS} rows of seed ${LOANS_SEED}, byte for byte`, () => {
    assert.equal(fs.readFileSync(path.join(TUTORIALS, 'data', 'loans.csv'), 'utf8'), loansCsv());
  });

  it('node jobs/loans.js trains, evaluates, charts, exports and predicts from raw rows, as tutorial 08 does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-loans-script-'));
    try {
      const { stdout } = await run(process.execPath, [path.join('jobs', 'loans.js'), '--dir', dir], { cwd: TUTORIALS });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      assert.equal(result.status, 'early-stopped');
      assert.equal(result.width, 15);
      assert.ok(result.test.auc > 0.85, `test auc ${result.test.auc}`);
      assert.equal(result.rocAuc, result.test.auc);
      assert.deepEqual(result.fromExport, result.predicted);
      assert.ok(result.predicted[0] > result.predicted[1]);
      for (const file of ['confusion.html', 'roc.html', 'model/model.json', 'model/weights.bin', 'model/preprocessing.json']) {
        assert.ok(fs.existsSync(path.join(dir, file)), `${file} was written`);
      }
      assert.match(fs.readFileSync(path.join(dir, 'roc.html'), 'utf8'), /ROC curve of run-\w+ \(450 rows\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
