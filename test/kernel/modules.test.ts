/** lib/modules.ts: which copies of cellfit and tf.js a notebook gets. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { foreignTfjsMessage, kernelTfjs, oneTfjs, packageName, projectCli, providedPackage, providedPath, resolveFromKernel, tfjsPackageOf } from '../../lib/modules';
import { installOwnTfjs } from '../support/projects';
import { REPO, temporaryDir } from './harness';

const TFJS = path.join(REPO, 'node_modules', '@tensorflow', 'tfjs');
const VERSION = (JSON.parse(fs.readFileSync(path.join(TFJS, 'package.json'), 'utf8')) as { version: string }).version;

describe('modules (cellfit and tf.js for notebooks anywhere)', () => {
  it('packageName(request) is the package a request names; paths and builtins name none', () => {
    const cases: [string, string | undefined][] = [
      ['cellfit', 'cellfit'],
      ['cellfit/kernel', 'cellfit'],
      ['@tensorflow/tfjs', '@tensorflow/tfjs'],
      ['@tensorflow/tfjs-core/dist/index', '@tensorflow/tfjs-core'],
      ['./local', undefined],
      ['/abs/file', undefined],
      ['node:fs', undefined],
      ['@scope', undefined],
    ];
    for (const [request, name] of cases) assert.equal(packageName(request), name, request);
  });

  it('providedPackage(request) covers cellfit, its dependencies and every @tensorflow/tfjs package, nothing else', () => {
    for (const request of ['cellfit', 'cellfit/kernel', 'arquero', 'plotly.js-dist-min', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-node']) {
      assert.equal(providedPackage(request), true, request);
    }
    for (const request of ['lodash', 'mocha', './x', 'node:fs', 'fs']) assert.equal(providedPackage(request), false, request);
  });

  it("providedPath(dir, file) shows the kernel's packages in dir/node_modules, flat, where the notebook's project lacks them", () => {
    const dir = temporaryDir('notebook');
    const virtual = (...parts: string[]) => path.join(dir, 'node_modules', ...parts);
    assert.equal(providedPath(dir, virtual('cellfit', 'package.json')), path.join(REPO, 'package.json'));
    assert.equal(providedPath(dir, virtual('cellfit', 'dist', 'lib', 'index.d.ts')), path.join(REPO, 'dist', 'lib', 'index.d.ts'));
    assert.equal(providedPath(dir, virtual('@tensorflow', 'tfjs-core', 'package.json')), path.join(REPO, 'node_modules', '@tensorflow', 'tfjs-core', 'package.json'));
    assert.equal(providedPath(dir, virtual('@tensorflow')), undefined);
    assert.equal(providedPath(dir, virtual('long', 'package.json')), path.join(REPO, 'node_modules', 'long', 'package.json'), "tf.js's own dependencies too");
    assert.equal(providedPath(dir, virtual('cellfit', 'node_modules', 'arquero', 'package.json')), undefined, "cellfit's dependencies resolve flat");
    assert.equal(providedPath(dir, virtual('no-such-package', 'package.json')), undefined);
    assert.equal(providedPath(dir, path.join(dir, 'other', 'cellfit')), undefined);
    // A project with its own tf.js sees its own.
    const project = temporaryDir('project-tfjs');
    fs.mkdirSync(path.join(project, 'node_modules', '@tensorflow', 'tfjs'), { recursive: true });
    fs.writeFileSync(path.join(project, 'node_modules', '@tensorflow', 'tfjs', 'package.json'), '{}');
    fs.mkdirSync(path.join(project, 'notebooks'));
    assert.equal(providedPath(path.join(project, 'notebooks'), path.join(project, 'notebooks', 'node_modules', '@tensorflow', 'tfjs', 'package.json')), undefined);
    assert.equal(resolveFromKernel('cellfit'), path.join(REPO, 'dist', 'lib', 'index.js'));
    assert.equal(resolveFromKernel('@tensorflow/tfjs'), path.join(TFJS, 'dist', 'tf.node.js'));
  });

  it("projectCli(dir) is a project's own, other cellfit; none for this repository or a folder without one", () => {
    assert.equal(projectCli(path.join(REPO, 'notebooks')), undefined);
    assert.equal(projectCli(temporaryDir('no-cellfit')), undefined);
    const project = temporaryDir('own-cellfit');
    const own = path.join(project, 'node_modules', 'cellfit');
    fs.mkdirSync(path.join(own, 'dist', 'kernel'), { recursive: true });
    fs.writeFileSync(path.join(own, 'package.json'), JSON.stringify({ name: 'cellfit', version: '9.9.9' }));
    assert.equal(projectCli(path.join(project, 'notebooks')), undefined, 'not built: nothing to hand over to');
    fs.writeFileSync(path.join(own, 'dist', 'kernel', 'cli.js'), '');
    fs.mkdirSync(path.join(project, 'notebooks'));
    assert.equal(projectCli(path.join(project, 'notebooks')), path.join(fs.realpathSync(own), 'dist', 'kernel', 'cli.js'));
  });

  it('tfjsPackageOf(file) finds the tf.js package a file lies in', () => {
    assert.deepEqual(tfjsPackageOf(path.join('/p', 'node_modules', '@tensorflow', 'tfjs-core', 'dist', 'index.d.ts')), {
      name: '@tensorflow/tfjs-core',
      dir: path.join('/p', 'node_modules', '@tensorflow', 'tfjs-core'),
      inner: path.join('dist', 'index.d.ts'),
    });
    assert.equal(tfjsPackageOf(path.join('/p', 'node_modules', '@tensorflow', 'other', 'x.js')), undefined);
    assert.equal(tfjsPackageOf(path.join('/p', 'node_modules', 'arquero', 'x.js')), undefined);
  });

  it("oneTfjs(file): cellfit's own file stays, a copy of its version becomes cellfit's file, another version is foreign", () => {
    assert.equal(kernelTfjs().get('@tensorflow/tfjs')?.version, VERSION);
    const own = path.join(TFJS, 'dist', 'tf.node.js');
    assert.deepEqual(oneTfjs(own), { kind: 'own', file: own });
    const same = temporaryDir('same-tfjs');
    installOwnTfjs(same);
    const copy = path.join(same, 'node_modules', '@tensorflow', 'tfjs-layers', 'dist', 'tf-layers.node.js');
    assert.deepEqual(oneTfjs(copy), { kind: 'shared', file: path.join(REPO, 'node_modules', '@tensorflow', 'tfjs-layers', 'dist', 'tf-layers.node.js') });
    const other = temporaryDir('other-tfjs');
    installOwnTfjs(other, '4.0.0');
    const foreign = oneTfjs(path.join(other, 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.node.js'));
    assert.equal(foreign.kind, 'foreign');
    assert.equal(foreign.kind === 'foreign' && foreign.copy.version, '4.0.0');
  });

  it('foreignTfjsMessage(copy, kernel) says what differs and the two ways out', () => {
    const message = foreignTfjsMessage(
      { name: '@tensorflow/tfjs', dir: '/work/project/node_modules/@tensorflow/tfjs', version: '4.10.0' },
      { name: '@tensorflow/tfjs', dir: '/opt/cellfit/node_modules/@tensorflow/tfjs', version: '4.22.0' },
    );
    assert.equal(
      message,
      "cellfit: this notebook's project has its own @tensorflow/tfjs 4.10.0 (/work/project/node_modules/@tensorflow/tfjs), another version than the " +
        '4.22.0 cellfit trains with (/opt/cellfit/node_modules/@tensorflow/tfjs). Two versions are two tf.js engines: a model built with the ' +
        "project's copy is not a model cellfit can train, and tf.js warns \"already registered\" while the second copy loads. Either\n" +
        "  - build models with cellfit's copy: import { tf } from 'cellfit' (instead of from '@tensorflow/tfjs'), or\n" +
        "  - install cellfit's version in the project: cd /work/project && npm install @tensorflow/tfjs@4.22.0\n" +
        '    (then the notebook and cellfit share one engine).\n',
    );
  });
});
