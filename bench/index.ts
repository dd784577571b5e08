/**
 * `npm run bench [-- NAME ...]`: runs every bench/*.bench.ts section (or those whose file name
 * contains one of the NAMEs) and prints what each measured, side by side in one run, with the goal
 * it is held to. Speed and memory are checked here, never in unit tests: this machine is shared
 * and noisy, so the figures that matter are ratios of things measured together.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready } from '../lib';
import { printRows, type BenchSection } from './report';

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.js'))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
  if (files.length === 0) throw new Error(`bench: no section matches ${filters.join(', ')}`);
  const backend = await ready();
  console.log(`cellfit bench — backend ${backend}, Node ${process.version}, ${require('node:os').cpus().length} cores\n`);
  let missed = 0;
  for (const file of files) {
    const section = require(path.join(__dirname, file)) as BenchSection;
    console.log(`## ${section.title}`);
    const rows = await section.run();
    printRows(rows);
    missed += rows.filter((row) => row.met === false).length;
    console.log('');
  }
  console.log(missed === 0 ? 'All goals met.' : `${missed} goal(s) missed (see ✗ above).`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
