#!/usr/bin/env node
// Builds the test front end once per lockfile: into <repository>/.cache/lab-frontend/<hash>/, the
// hash covering package-lock.json and the build's sources, so CI caches that folder and a changed
// dependency or source rebuilds. `node build.js --print` prints the folder without building.
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const INPUTS = ['package-lock.json', 'index.js', 'plotly-extension.js', 'webpack.config.js', 'build.js'];
const cache = path.resolve(__dirname, '../../../../.cache/lab-frontend');

function buildFolder() {
  const hash = createHash('sha256');
  for (const input of INPUTS) hash.update(input).update(fs.readFileSync(path.join(__dirname, input)));
  return path.join(cache, hash.digest('hex').slice(0, 16));
}

const folder = buildFolder();
if (process.argv.includes('--print')) {
  console.log(folder);
  process.exit(0);
}
const done = path.join(folder, 'build-complete');
if (fs.existsSync(done)) {
  console.log(`lab front end: cached in ${folder}`);
  process.exit(0);
}
if (!fs.existsSync(path.join(__dirname, 'node_modules', '@jupyterlab', 'builder'))) {
  // A plain `npm test` on a fresh clone gets here: install the front end's own locked dependencies
  // (no install scripts; none of them needs one), as .ci/run does.
  console.error(`lab front end: installing its dependencies (npm ci in ${__dirname})…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const installed = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: __dirname, stdio: ['ignore', 'ignore', 'inherit'] });
  if (installed.status !== 0) {
    console.error(`lab front end: \`npm ci\` in ${__dirname} failed (${installed.status ?? installed.signal}); run it there to see why.`);
    process.exit(1);
  }
}
fs.rmSync(folder, { recursive: true, force: true });
const started = Date.now();
const webpack = require.resolve('webpack-cli/bin/cli.js', { paths: [__dirname] });
const result = spawnSync(process.execPath, [webpack, '--config', path.join(__dirname, 'webpack.config.js')], {
  cwd: __dirname,
  stdio: 'inherit',
  env: { ...process.env, CELLFIT_LAB_BUILD: folder },
});
if (result.status !== 0) {
  console.error(`lab front end: webpack failed (${result.status ?? result.signal})`);
  process.exit(1);
}
fs.writeFileSync(done, `${new Date().toISOString()}\n`);
// Older builds are of other lockfiles: only the current one is kept.
for (const other of fs.readdirSync(cache)) if (path.join(cache, other) !== folder) fs.rmSync(path.join(cache, other), { recursive: true, force: true });
console.log(`lab front end: built in ${((Date.now() - started) / 1000).toFixed(0)} s into ${folder}`);
