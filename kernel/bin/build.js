// Builds dist/ with the repository's TypeScript when it is missing: the first `npx cellfit` in a
// fresh clone, and npm's `prepare` step when cellfit is installed from its git repository (npm
// installs the devDependencies, runs `prepare`, then packs `files`). An installed package ships
// dist/, so this does nothing there.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'kernel', 'cli.js');

/** Builds dist/ unless dist/kernel/cli.js exists; exits with a message when it cannot. */
function ensureBuilt() {
  if (fs.existsSync(cli)) return cli;
  const tsconfig = path.join(root, 'tsconfig.json');
  if (!fs.existsSync(tsconfig)) {
    console.error(`cellfit: ${cli} is missing and there is no tsconfig.json to build it from. Reinstall cellfit.`);
    process.exit(2);
  }
  console.error('cellfit: building dist/ (first run in this checkout; `npm run build` does the same)…');
  let tsc;
  let asc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
    asc = path.join(path.dirname(require.resolve('assemblyscript/package.json', { paths: [root] })), 'bin', 'asc.js');
  } catch {
    console.error('cellfit: TypeScript or AssemblyScript is not installed; run `npm install` first.');
    process.exit(2);
  }
  const { spawnSync } = require('node:child_process');
  // What `npm run build` does: the fused engine's WebAssembly module, then the TypeScript.
  const assembly = path.join(root, 'lib', 'engines', 'fused', 'assembly');
  spawnSync(process.execPath, [asc, path.join(assembly, 'index.ts'), '--config', path.join(assembly, 'asconfig.json')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  // tsc exits non-zero on type errors but still emits; what matters is that the CLI exists.
  spawnSync(process.execPath, [tsc, '-p', tsconfig], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!fs.existsSync(cli)) {
    console.error('cellfit: the build did not produce dist/kernel/cli.js; run `npm run build` to see why.');
    process.exit(2);
  }
  return cli;
}

module.exports = { ensureBuilt };

if (require.main === module) ensureBuilt();
