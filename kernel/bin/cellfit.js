#!/usr/bin/env node
// The `cellfit` command (`npx cellfit …`). It runs the compiled CLI, dist/kernel/cli.js. In a fresh
// clone of the repository dist/ does not exist until the first build, so this builds it once
// (the same `tsc -p tsconfig.json` as `npm run build`) rather than failing with "cannot find module".
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'kernel', 'cli.js');

if (!fs.existsSync(cli)) {
  const tsconfig = path.join(root, 'tsconfig.json');
  if (!fs.existsSync(tsconfig)) {
    console.error(`cellfit: ${cli} is missing and there is no tsconfig.json to build it from. Reinstall cellfit.`);
    process.exit(2);
  }
  console.error('cellfit: building dist/ (first run in this checkout; `npm run build` does the same)…');
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    console.error('cellfit: TypeScript is not installed; run `npm install` first.');
    process.exit(2);
  }
  // tsc exits non-zero on type errors but still emits; what matters is that the CLI exists.
  require('node:child_process').spawnSync(process.execPath, [tsc, '-p', tsconfig], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!fs.existsSync(cli)) {
    console.error('cellfit: the build did not produce dist/kernel/cli.js; run `npm run build` to see why.');
    process.exit(2);
  }
}

require(cli).runCli(process.argv.slice(2));
