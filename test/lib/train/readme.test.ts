import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready } from '../../../lib/backend';
import { tmpDir } from './support';

const REPO = path.join(__dirname, '..', '..', '..', '..');

/** The first ```ts block after `heading` in the README. */
function example(heading: string): string {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, `the README has an example under ${heading}`);
  return match[1];
}

describe("README's train() example", function () {
  this.timeout(120000);

  it('runs as written (with its checkpoints in a temporary directory) and trains a run that resumes', async () => {
    const dir = tmpDir('readme');
    const code = example('## `train(model, data, options)`')
      .replace(/^import \{([^}]*)\} from 'cellfit';$/m, (_, names) => `const {${names}} = require(${JSON.stringify(path.join(REPO, 'dist', 'lib'))});`)
      .replace("dir: 'checkpoints'", `dir: ${JSON.stringify(dir)}`)
      .replace(/^run\.checkpoints\.list\(\);.*$/m, '$&\nreturn { run, tested: await run.evaluate() };');
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (req: NodeRequire) => Promise<{ run: { status: string; epoch: number; stop: { message: string }; reused: boolean }; tested: Record<string, number> }>;
    // Both executions compute the data on the same backend (before ready() tensors are on cpu,
    // whose sums round differently from wasm's; a script run twice does the same thing twice).
    await ready();
    const { run, tested } = await new AsyncFunction('require', code)(require);
    assert.ok(['completed', 'early-stopped'].includes(run.status), run.status);
    assert.deepEqual(Object.keys(tested), ['loss', 'mae']);
    const again = await new AsyncFunction('require', code)(require);
    assert.equal(again.run.reused, true);
    assert.equal(again.run.stop.message, run.stop.message);
  });
});
