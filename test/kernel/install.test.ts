import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { installKernelSpec, kernelSpec, userDataDir, type RunCommand } from '../../kernel/install';
import { plotlyFile, plotlyResourceName } from '../../lib/plots/library';
import { throwsWith } from '../helpers';

describe('install', () => {
  it('kernelSpec() runs this installation\'s kernel with interrupt_mode "message"', () => {
    const spec = kernelSpec();
    assert.equal(spec.display_name, 'TypeScript (cellfit)');
    assert.equal(spec.language, 'typescript');
    assert.equal(spec.interrupt_mode, 'message');
    assert.equal(spec.argv[0], process.execPath);
    assert.ok(fs.existsSync(spec.argv[1]), `${spec.argv[1]} exists`);
    assert.deepEqual(spec.argv.slice(2), ['kernel', '--connection-file', '{connection_file}']);
  });

  it('installKernelSpec(options) hands the spec to `jupyter kernelspec install` with the chosen scope', () => {
    const calls: string[][] = [];
    let written: unknown;
    const run: RunCommand = (command, args) => {
      calls.push([command, ...args]);
      written = JSON.parse(fs.readFileSync(path.join(args[2], 'kernel.json'), 'utf8'));
      return { status: 0, stdout: '', stderr: '[InstallKernelSpec] Installed kernelspec cellfit in /x/kernels/cellfit\n', missing: false };
    };
    assert.equal(installKernelSpec({}, run), '/x/kernels/cellfit');
    assert.deepEqual(calls[0].slice(0, 3), ['jupyter', 'kernelspec', 'install']);
    assert.deepEqual(calls[0].slice(4), ['--name', 'cellfit', '--replace', '--user']);
    assert.deepEqual(written, kernelSpec());
    installKernelSpec({ sysPrefix: true, jupyter: '/usr/bin/jupyter' }, run);
    assert.deepEqual([calls[1][0], ...calls[1].slice(-1)], ['/usr/bin/jupyter', '--sys-prefix']);
    installKernelSpec({ prefix: 'rel' }, run);
    assert.deepEqual(calls[2].slice(-2), ['--prefix', path.resolve('rel')]);
  });

  it('installKernelSpec() without Jupyter writes --prefix and --user specs itself, and explains --sys-prefix', () => {
    const missing: RunCommand = () => ({ status: null, stdout: '', stderr: '', missing: true });
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-install-'));
    try {
      const dir = installKernelSpec({ prefix }, missing);
      assert.equal(dir, path.join(prefix, 'share', 'jupyter', 'kernels', 'cellfit'));
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8')), kernelSpec());
      assert.deepEqual(fs.readdirSync(dir).sort(), ['kernel.js', 'kernel.json', plotlyResourceName()]);
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
    throwsWith(() => installKernelSpec({ sysPrefix: true }, missing), '--sys-prefix needs Jupyter, and no `jupyter` command was found');
    throwsWith(() => installKernelSpec({ user: true, prefix: 'x' }, missing), 'choose one of --user, --sys-prefix and --prefix DIR. Received: --user --prefix.');
    const failing: RunCommand = () => ({ status: 1, stdout: '', stderr: 'Permission denied', missing: false });
    throwsWith(() => installKernelSpec({}, failing), '`jupyter kernelspec install` failed (exit 1): Permission denied');
  });

  it('installKernelSpec({ name }) puts plotly.js and a kernel.js for the classic Notebook beside kernel.json, and names itself in CELLFIT_KERNEL_NAME', () => {
    let files: string[] = [];
    let spec: { env: Record<string, string> } | undefined;
    let kernelJs = '';
    const run: RunCommand = (_command, args) => {
      files = fs.readdirSync(args[2]).sort();
      spec = JSON.parse(fs.readFileSync(path.join(args[2], 'kernel.json'), 'utf8'));
      kernelJs = fs.readFileSync(path.join(args[2], 'kernel.js'), 'utf8');
      assert.ok(fs.readFileSync(path.join(args[2], plotlyResourceName())).equals(fs.readFileSync(plotlyFile())));
      return { status: 0, stdout: '', stderr: '', missing: false };
    };
    installKernelSpec({ name: 'ts-2' }, run);
    assert.deepEqual(files, ['kernel.js', 'kernel.json', plotlyResourceName()]);
    assert.deepEqual(spec!.env, { CELLFIT_KERNEL_NAME: 'ts-2' });
    assert.match(kernelJs, /^\/\/ cellfit's kernel\.js/);
    assert.match(kernelJs, /define\(\['base\/js\/namespace', 'base\/js\/events', 'notebook\/js\/codecell', 'services\/kernels\/kernel'\]/);
    assert.ok(kernelJs.includes('"kernel":"ts-2"'), 'it loads plotly.js from its own kernelspec');
    assert.match(kernelJs, /cellId: running\.id \|\| running\.cell_id/);
    let module: { onload?: unknown } | undefined;
    new vm.Script(kernelJs).runInNewContext({ define: (_deps: unknown, factory: (...args: unknown[]) => typeof module) => (module = factory({}, {}, {}, {})) });
    assert.equal(typeof module?.onload, 'function', 'an AMD module with onload()');
  });

  it('installKernelSpec({ name }) gives the kernel a display name of its own; { displayName } sets it', () => {
    const specs: { display_name: string }[] = [];
    const run: RunCommand = (_command, args) => {
      specs.push(JSON.parse(fs.readFileSync(path.join(args[2], 'kernel.json'), 'utf8')));
      return { status: 0, stdout: '', stderr: '', missing: false };
    };
    installKernelSpec({ name: 'cellfit-dev' }, run);
    installKernelSpec({ name: 'cellfit-dev', displayName: 'TypeScript (dev)' }, run);
    installKernelSpec({}, run);
    assert.deepEqual(specs.map((spec) => spec.display_name), ['TypeScript (cellfit-dev)', 'TypeScript (dev)', 'TypeScript (cellfit)']);
    throwsWith(() => installKernelSpec({ displayName: '  ' }, run), 'cellfit install: --display-name must not be empty. Received: --display-name "  ".');
  });

  it('userDataDir(env, platform, home) is where jupyter_core keeps per-user kernelspecs', () => {
    assert.equal(userDataDir({}, 'linux', '/home/u'), '/home/u/.local/share/jupyter');
    assert.equal(userDataDir({ XDG_DATA_HOME: '/d' }, 'linux', '/home/u'), '/d/jupyter');
    assert.equal(userDataDir({ JUPYTER_DATA_DIR: '/j' }, 'linux', '/home/u'), '/j');
    assert.equal(userDataDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Jupyter');
  });
});
