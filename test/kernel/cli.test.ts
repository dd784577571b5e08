/**
 * The `cellfit` command: argument parsing, `npx cellfit` from the repository root, and the bin
 * shim building dist/ in a fresh clone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { commandArguments } from '../../kernel/args';
import { throwsWith } from '../helpers';
import { REPO, temporaryDir } from './harness';

const run = promisify(execFile);
const USAGE = 'Usage: cellfit …';

describe('cli', function () {
  this.timeout(120_000);

  it('commandArguments(command, args, spec, usage) reads flags, --name value, --name=value, -o value and repeated options', () => {
    const { options, lists, positional } = commandArguments(
      'run',
      ['nb.ipynb', '--output', 'o.ipynb', '--html=o.html', '-p', 'a=1', '-p', 'b=x', '--user', '-f', 'c.json'],
      { flags: ['--user'], values: ['--output', '--html', '-f'], repeatable: ['-p'] },
      USAGE,
    );
    assert.deepEqual(positional, ['nb.ipynb']);
    assert.deepEqual([...options], [['--output', 'o.ipynb'], ['--html', 'o.html'], ['--user', true], ['-f', 'c.json']]);
    assert.deepEqual(lists.get('-p'), ['a=1', 'b=x']);
    throwsWith(() => commandArguments('run', ['--output'], { values: ['--output'] }, USAGE), 'cellfit run: option --output needs a value.');
    throwsWith(() => commandArguments('install', ['--nope'], {}, USAGE), 'cellfit install: unknown option --nope.', 'Usage:');
    throwsWith(() => commandArguments('install', ['--user=no'], { flags: ['--user'] }, USAGE), 'cellfit install: option --user takes no value.');
  });

  it('npx cellfit runs the repository\'s own bin from its root', async () => {
    const { stdout } = await run('npx', ['--offline', 'cellfit', '--version'], { cwd: REPO });
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(stdout.trim(), `cellfit ${version}`);
    const help = await run('npx', ['--offline', 'cellfit', 'help'], { cwd: REPO });
    assert.match(help.stdout, /cellfit install \[--user \| --sys-prefix \| --prefix DIR\]/);
  });

  it('the bin shim builds dist/ first when it is missing (a fresh clone), then runs the command', async () => {
    // A miniature package laid out like this one: the shim, a tsconfig, a cli.ts to compile.
    const root = temporaryDir('fresh');
    fs.mkdirSync(path.join(root, 'kernel', 'bin'), { recursive: true });
    for (const file of ['cellfit.js', 'build.js']) fs.copyFileSync(path.join(REPO, 'kernel', 'bin', file), path.join(root, 'kernel', 'bin', file));
    fs.writeFileSync(path.join(root, 'kernel', 'cli.ts'), 'export function runCli(argv: string[]): void {\n  console.log(`ran ${argv.join(" ")}`);\n}\n');
    fs.writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', rootDir: '.', outDir: 'dist', types: [] }, include: ['kernel'] }));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
    const first = await run(process.execPath, [path.join(root, 'kernel', 'bin', 'cellfit.js'), 'install', '--user']);
    assert.equal(first.stdout, 'ran install --user\n');
    assert.match(first.stderr, /cellfit: building dist\/ \(first run in this checkout/);
    assert.ok(fs.existsSync(path.join(root, 'dist', 'kernel', 'cli.js')));
    const second = await run(process.execPath, [path.join(root, 'kernel', 'bin', 'cellfit.js'), 'again']);
    assert.deepEqual([second.stdout, second.stderr], ['ran again\n', '']);
  });
});
