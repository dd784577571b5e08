/**
 * Trial modules where users keep them: in a notebook folder with no node_modules (worker processes
 * must find cellfit and arquero as the kernel does for notebooks), and in .ts (compiled with the
 * TypeScript cellfit ships, whatever `typescript` the project installed).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { sweep } from '../../../lib/sweep';
import { startRedis } from '../../support/redis';
import { tmpDir } from '../train/support';

const QUIET = { plot: false, progress: false } as const;
const MODULE_JS = path.join(__dirname, '..', '..', '..', 'lib', 'sweep', 'module.js');
const CLI = path.join(__dirname, '..', '..', '..', 'kernel', 'cli.js');

/** A trial module in `folder` (no node_modules there) that requires cellfit and arquero. */
function plainFolderTrial(folder: string): string {
  const file = path.join(folder, 'trial.js');
  fs.writeFileSync(
    file,
    "const { split } = require('cellfit');\nconst aq = require('arquero');\n" +
      'exports.trial = (params) => {\n  const parts = split(aq.table({ x: [1, 2, 3, 4] }), { train: 0.5, test: 0.5, seed: 1 });\n  return params.k * 10 + parts.train.numRows();\n};\n',
  );
  return file;
}

describe('trial modules outside an npm project', function () {
  this.timeout(120_000);

  it("sweep(space, { module }, { workers: 2 }) in a folder without node_modules: the workers resolve 'cellfit' and 'arquero' as notebooks do", async () => {
    const folder = tmpDir('sweep-plain-folder');
    assert.ok(!fs.existsSync(path.join(folder, 'node_modules')));
    const file = plainFolderTrial(folder);
    const result = await sweep({ k: [1, 2] }, { module: file }, { dir: path.join(folder, 'checkpoints'), name: 'plain', workers: 2, ...QUIET });
    assert.deepEqual(result.trials.map((trial) => [trial.status, trial.value]), [['finished', 12], ['finished', 22]]);
  });
});

describe('trial modules outside an npm project, on `cellfit worker`', function () {
  this.timeout(120_000);

  it("`cellfit worker` (run from another folder) loads a queued sweep's module from a folder without node_modules", async () => {
    const redis = await startRedis();
    const folder = tmpDir('sweep-plain-queue');
    const file = plainFolderTrial(folder);
    const worker = spawn(process.execPath, [CLI, 'worker', '--queue', redis.url], { cwd: tmpDir('worker-cwd'), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    worker.stderr!.on('data', (chunk) => (output += chunk));
    try {
      const result = await sweep({ k: [1, 2] }, { module: file }, { dir: path.join(folder, 'checkpoints'), name: 'plain-queued', queue: redis.url, failures: 'continue', ...QUIET });
      assert.deepEqual(result.trials.map((trial) => [trial.status, trial.value]), [['finished', 12], ['finished', 22]], output);
    } finally {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
      await redis.stop();
    }
  });
});

describe('.ts trial modules', function () {
  this.timeout(60_000);

  it('loadTrialFunction(trial.ts) compiles with the TypeScript cellfit ships, even where `typescript` resolves to TypeScript 7 (another JS API)', async () => {
    const folder = tmpDir('sweep-ts7');
    const trialFile = path.join(folder, 'trial.ts');
    fs.writeFileSync(trialFile, 'export function trial(params: { x: number }): number {\n  const y: number = params.x * 2;\n  return y;\n}\n');
    // TypeScript 7's package has no ModuleKind/ScriptTarget/transpileModule in its JavaScript API.
    const fake = path.join(folder, 'typescript7.js');
    fs.writeFileSync(fake, "module.exports = { version: '7.0.0' };\n");
    // A fresh process: .ts loading registers once per process.
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) { return request === 'typescript' ? ${JSON.stringify(fake)} : resolve.call(this, request, ...rest); };
      const { loadTrialFunction } = require(${JSON.stringify(MODULE_JS)});
      const trial = loadTrialFunction({ path: ${JSON.stringify(trialFile)}, export: 'trial' }, 'test');
      process.stdout.write(JSON.stringify(trial({ x: 21 })));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: folder });
    assert.equal(stdout, '42');
  });
});
