/**
 * cellfit installed as a package, the three ways a user installs it — into a project from the
 * packed tarball, globally from the tarball, and into a project from its git repository — each in
 * fresh temporary folders, with kernelspecs registered in temporary Jupyter directories. Each
 * way: the `cellfit` command registers a kernel that runs the installed copy, and a notebook in
 * another folder imports cellfit, type-checks and trains with a chart. npm works from its cache
 * (`--prefer-offline`); the tarball is packed once, and the three installs run side by side.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PLOTLY_MIME } from '../../lib/plots/plotly';
import { JUPYTER, REPO } from '../kernel/harness';
import { outputText, savedOutputs, TRAINING_NOTEBOOK, writeNotebook } from '../support/projects';

const execFileAsync = promisify(execFile);
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

async function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, [...args], { ...options, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed: ${message}\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}


/** Jupyter's per-user directories, kept in a temporary folder (never the user's own). */
function jupyterEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = freshDir('jupyter-home');
  return { ...process.env, JUPYTER: JUPYTER, JUPYTER_DATA_DIR: path.join(home, 'data'), JUPYTER_CONFIG_DIR: path.join(home, 'config'), ...extra };
}

/** The argv of the kernelspec `cellfit` Jupyter finds with `env`. */
async function installedKernelArgv(env: NodeJS.ProcessEnv): Promise<string[]> {
  const { stdout } = await run(JUPYTER, ['kernelspec', 'list', '--json'], { cwd: os.tmpdir(), env });
  const specs = (JSON.parse(stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: { argv: string[] } }> }).kernelspecs;
  assert.ok(specs.cellfit, `kernelspec cellfit registered: ${Object.keys(specs).join(', ')}`);
  assert.ok(specs.cellfit.resource_dir.startsWith(env.JUPYTER_DATA_DIR!), specs.cellfit.resource_dir);
  return specs.cellfit.spec.argv;
}

/** Checks a notebook executed from TRAINING_NOTEBOOK: every cell ran, the run drew its chart. */
function assertTrained(file: string): void {
  const outputs = savedOutputs(file);
  const text = outputs.map(outputText).join('\n---\n');
  assert.equal(outputs.flat().filter((output) => output.output_type === 'error').length, 0, text);
  assert.match(outputText(outputs[3]), /'completed'/, text);
  assert.ok(outputs[3].some((output) => output.data?.[PLOTLY_MIME] !== undefined), 'the training cell drew its chart');
}

/** `npm ls @uwdata/flechette` in `project`: every copy is 2.6.0 (2.7.0 needs a package that 404s). */
async function assertFlechette(project: string): Promise<void> {
  const { stdout } = await run('npm', ['ls', '@uwdata/flechette', '--all', '--parseable', '--long'], { cwd: project });
  const versions = stdout.split('\n').filter((line) => line.includes('@uwdata/flechette@')).map((line) => line.replace(/.*@uwdata\/flechette@/, '').split(':')[0]);
  assert.ok(versions.length > 0, stdout);
  assert.deepEqual([...new Set(versions)], ['2.6.0']);
}

/** A fresh temporary folder, removed after these tests by a background `rm -rf` (installs are large). */
const made: string[] = [];
function freshDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cellfit-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A fresh npm project (just a package.json) in a temporary folder. */
function freshProject(prefix: string): string {
  const dir = freshDir(prefix);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `my-${prefix}`, version: '1.0.0', private: true }, null, 2));
  return dir;
}

/** Starts `work` now, to be awaited later (a rejection is reported by the test that awaits it). */
function started<T>(work: () => Promise<T>): Promise<T> {
  const promise = work();
  promise.catch(() => undefined);
  return promise;
}

/** The repository as committed plus this checkout's changes to tracked files, as one commit in a fresh folder. */
async function repositoryCopy(): Promise<string> {
  const repository = freshDir('repository');
  const { stdout } = await run('git', ['ls-files', '-z'], { cwd: REPO });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!fs.existsSync(path.join(REPO, file))) continue;
    fs.mkdirSync(path.dirname(path.join(repository, file)), { recursive: true });
    fs.copyFileSync(path.join(REPO, file), path.join(repository, file));
  }
  const git = (...args: string[]) => run('git', ['-c', 'user.name=cellfit', '-c', 'user.email=cellfit@localhost', ...args], { cwd: repository });
  await git('init', '--quiet');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'cellfit');
  return repository;
}

describe('package: installing cellfit', function () {
  this.timeout(300_000);
  let tarball: string;
  // The three installs run side by side (mostly waiting on npm and the disk); each test awaits its own.
  let intoProject: Promise<string>;
  let globally: Promise<string>;
  let fromGit: Promise<string>;

  before(async function () {
    // dist/ is built (npm test builds first); pack it as `npm publish` would, without rebuilding.
    const out = freshDir('pack');
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', out, '--loglevel=error'], { cwd: REPO });
    tarball = path.join(out, stdout.trim().split('\n').pop()!);
    assert.ok(fs.existsSync(tarball), tarball);
    intoProject = started(async () => {
      const project = freshProject('project');
      await run('npm', ['install', ...NPM_FLAGS, tarball], { cwd: project });
      return project;
    });
    globally = started(async () => {
      const prefix = freshDir('global');
      await run('npm', ['install', '--global', '--prefix', prefix, ...NPM_FLAGS, tarball], { cwd: freshDir('anywhere') });
      return prefix;
    });
    fromGit = started(async () => {
      const repository = await repositoryCopy();
      const project = freshProject('from-git');
      await run('npm', ['install', ...NPM_FLAGS, `git+file://${repository}`], { cwd: project });
      return project;
    });
  });

  after(() => {
    spawn('rm', ['-rf', ...made], { detached: true, stdio: 'ignore' }).unref();
  });

  it('the tarball holds the built library, the kernel and the bin, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball], { cwd: REPO });
    const files = stdout.split('\n').filter(Boolean);
    for (const file of ['package/package.json', 'package/README.md', 'package/kernel/bin/cellfit.js', 'package/dist/lib/index.js', 'package/dist/lib/index.d.ts', 'package/dist/kernel/cli.js']) {
      assert.ok(files.includes(file), `${file} is packed`);
    }
    assert.deepEqual(files.filter((file) => /^package\/(dist\/(test|bench|scripts)|lib|test|notebooks)\//.test(file)), []);
  });

  it('npm install TARBALL into a project, then npx cellfit install: the kernel runs notebooks in any folder, through Jupyter', async () => {
    const project = await intoProject;
    await assertFlechette(project);
    const env = jupyterEnv();
    const installed = await run('npx', ['--no-install', 'cellfit', 'install'], { cwd: project, env });
    assert.match(installed.stdout, /Installed the Jupyter kernel "TypeScript \(cellfit\)" \(kernelspec cellfit\) in /);
    const argv = await installedKernelArgv(env);
    assert.equal(argv[1], path.join(fs.realpathSync(project), 'node_modules', 'cellfit', 'dist', 'kernel', 'cli.js'));
    // Jupyter itself starts the kernel for a notebook in a folder outside the project.
    const elsewhere = freshDir('elsewhere');
    const notebook = writeNotebook(elsewhere, 'train.ipynb', TRAINING_NOTEBOOK);
    await run(JUPYTER, ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=120', notebook, '--output', 'executed.ipynb'], { cwd: elsewhere, env });
    assertTrained(path.join(elsewhere, 'executed.ipynb'));
  });

  it('npm install -g TARBALL, then cellfit install --user: the command and the kernel work from any folder; in a project with its own cellfit, that one runs', async () => {
    const prefix = await globally;
    const bin = path.join(prefix, 'bin');
    const env = jupyterEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
    const elsewhere = freshDir('elsewhere');
    assert.equal((await run('cellfit', ['--version'], { cwd: elsewhere, env })).stdout.trim(), `cellfit ${VERSION}`);
    await run('cellfit', ['install', '--user'], { cwd: elsewhere, env });
    const argv = await installedKernelArgv(env);
    assert.equal(argv[1], path.join(fs.realpathSync(prefix), 'lib', 'node_modules', 'cellfit', 'dist', 'kernel', 'cli.js'));
    const notebook = writeNotebook(elsewhere, 'train.ipynb', TRAINING_NOTEBOOK);
    await run('cellfit', ['run', notebook, '--output', 'executed.ipynb'], { cwd: elsewhere, env });
    assertTrained(path.join(elsewhere, 'executed.ipynb'));
    // In a project with its own cellfit, the global kernel hands over to the project's.
    const project = await intoProject;
    const own = writeNotebook(project, 'which.ipynb', ["const path = require('node:path');\nObject.keys(require.cache).filter((file) => file.endsWith(path.join('dist', 'kernel', 'main.js')))"]);
    await run('cellfit', ['run', own, '--output', 'which-out.ipynb'], { cwd: project, env });
    const [outputs] = savedOutputs(path.join(project, 'which-out.ipynb'));
    assert.equal(outputText(outputs), `[ '${path.join(fs.realpathSync(project), 'node_modules', 'cellfit', 'dist', 'kernel', 'main.js')}' ]`);
  });

  it('npm install git+file://REPOSITORY into a project builds dist/ (prepare) and runs like the tarball', async () => {
    const project = await fromGit;
    await assertFlechette(project);
    const elsewhere = freshDir('elsewhere');
    const notebook = writeNotebook(elsewhere, 'train.ipynb', TRAINING_NOTEBOOK);
    await run(path.join(project, 'node_modules', '.bin', 'cellfit'), ['run', notebook, '--output', 'executed.ipynb'], { cwd: elsewhere });
    assertTrained(path.join(elsewhere, 'executed.ipynb'));
  });
});
