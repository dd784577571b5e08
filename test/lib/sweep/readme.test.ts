import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { ready } from '../../../lib/backend';
import { getSeed, setSeed, unseedMathRandom } from '../../../lib/random';
import { tmpDir } from '../train/support';

const REPO = path.join(__dirname, '..', '..', '..', '..');

/** The README's sweep() example as JavaScript, `cellfit` from this build, its sweep in `dir`; it returns the result. */
function example(dir: string): string {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## `sweep(space, trial, options)`'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'the README has a sweep() example');
  const code = match[1]
    .replace(/^import \{([^}]*)\} from 'cellfit';$/m, (_, names) => `const {${names}} = require(${JSON.stringify(path.join(REPO, 'dist', 'lib'))});`)
    .replace("seed: 1 },", `seed: 1, dir: ${JSON.stringify(dir)}, progress: false },`)
    .replace("'models/sine'", JSON.stringify(path.join(dir, 'models', 'sine')))
    .replace(/^result\.plot\('intermediate'\);$/m, "return { result, chart: result.plot('intermediate'), importance: result.importance() };");
  return ts.transpileModule(`(async () => {\n${code}\n})`, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None } }).outputText;
}

describe("README's sweep() example", function () {
  this.timeout(180_000);
  // The example seeds the global generator (setSeed(1)); later tests train with the default seed.
  const seed = getSeed();
  after(() => {
    unseedMathRandom();
    setSeed(seed, { mathRandom: false });
  });

  it('runs as written (its record in a temporary directory); executed again it runs no trial', async () => {
    await ready();
    const dir = tmpDir('readme-sweep');
    const run = () => new Function('require', `return ${example(dir)}`)(require)() as Promise<{ result: { status: string; trials: { status: string; attempts: number }[]; best?: { status: string } }; importance: Record<string, number> }>;
    const { result, importance } = await run();
    assert.equal(result.status, 'finished');
    assert.equal(result.trials.length, 16);
    assert.equal(result.best!.status, 'finished');
    assert.deepEqual(Object.keys(importance).sort(), ['activation', 'lr', 'units']);
    assert.ok(fs.existsSync(path.join(dir, 'models', 'sine', 'model.json')), "the best trial's run exported its model");
    const attempts = result.trials.map((trial) => trial.attempts);
    const again = await run();
    assert.deepEqual(again.result.trials.map((trial) => trial.attempts), attempts, 'no trial ran again');
  });
});
