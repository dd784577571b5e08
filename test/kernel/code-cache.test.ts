/** The V8 code cache the kernel compiles TypeScript's module with (kernel/code-cache.ts). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { temporaryDir } from './harness';

/** Requires `file` through compileWithCodeCache in a fresh Node process; prints what it saw. */
function load(file: string, cacheHome: string, env: NodeJS.ProcessEnv = {}): { value: unknown; used: boolean } {
  const codeCache = path.resolve(__dirname, '..', '..', 'kernel', 'code-cache.js');
  const script = `const { compileWithCodeCache } = require(${JSON.stringify(codeCache)});
const cache = compileWithCodeCache(${JSON.stringify(file)});
const value = require(${JSON.stringify(file)}).answer();
cache.save();
console.log(JSON.stringify({ value, used: cache.used() }));`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!) as { value: unknown; used: boolean };
}

describe('code cache', () => {
  it('the first load writes the cache, the next ones compile from it; the module works the same (require, __dirname)', () => {
    const dir = temporaryDir('code-cache');
    const file = path.join(dir, 'module.js');
    fs.writeFileSync(path.join(dir, 'helper.js'), 'module.exports = 40;');
    fs.writeFileSync(file, "exports.answer = () => require('./helper') + (__dirname === " + JSON.stringify(dir) + ' ? 2 : 0);');
    const home = path.join(dir, 'cache');
    assert.deepEqual(load(file, home), { value: 42, used: false });
    assert.equal(fs.readdirSync(path.join(home, 'cellfit')).filter((name) => name.endsWith('.bin')).length, 1);
    assert.deepEqual(load(file, home), { value: 42, used: true });
    assert.deepEqual(load(file, home, { CELLFIT_CODE_CACHE: '0' }), { value: 42, used: false });
  });

  it('an edited module is compiled afresh, and its stale cache is removed', () => {
    const dir = temporaryDir('code-cache');
    const file = path.join(dir, 'module.js');
    const home = path.join(dir, 'cache');
    fs.writeFileSync(file, 'exports.answer = () => 1;');
    load(file, home);
    fs.writeFileSync(file, 'exports.answer = () => 2; // edited');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(load(file, home), { value: 2, used: false });
    assert.equal(fs.readdirSync(path.join(home, 'cellfit')).filter((name) => name.endsWith('.bin')).length, 1);
    assert.deepEqual(load(file, home), { value: 2, used: true });
  });

  it('two installations (the same file name in two places) keep their caches side by side', () => {
    const dir = temporaryDir('code-cache');
    const home = path.join(dir, 'cache');
    const files = ['one', 'two'].map((place) => {
      fs.mkdirSync(path.join(dir, place));
      const file = path.join(dir, place, 'module.js');
      fs.writeFileSync(file, `exports.answer = () => ${JSON.stringify(place)};`);
      return file;
    });
    for (const file of files) load(file, home);
    assert.equal(fs.readdirSync(path.join(home, 'cellfit')).filter((name) => name.endsWith('.bin')).length, 2);
    assert.deepEqual(load(files[0], home), { value: 'one', used: true });
    assert.deepEqual(load(files[1], home), { value: 'two', used: true });
  });
});
