#!/usr/bin/env node
// The `cellfit` command (`npx cellfit …`, or `cellfit …` after `npm install -g`). It runs the
// compiled CLI, dist/kernel/cli.js; in a fresh clone of the repository it builds dist/ first
// (kernel/bin/build.js) rather than failing with "cannot find module".
'use strict';
const { ensureBuilt } = require('./build');

require(ensureBuilt()).runCli(process.argv.slice(2));
