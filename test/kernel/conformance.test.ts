/**
 * Jupyter's own conformance suite for kernels (Debian's python3-jupyter-kernel-test), with every
 * sample filled in (test/kernel/jupyter_kernel_test_cellfit.py), run against the kernelspec that
 * `cellfit install --prefix` writes — so Jupyter itself starts the kernel, as it would in JupyterLab.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { installKernelSpec } from '../../kernel/install';
import { JUPYTER, PYTHON, REPO, temporaryDir } from './harness';

const run = promisify(execFile);

describe('conformance: jupyter_kernel_test', function () {
  this.timeout(180_000);
  let env: NodeJS.ProcessEnv;
  before(() => {
    const prefix = temporaryDir('conformance');
    installKernelSpec({ prefix, jupyter: JUPYTER });
    env = { ...process.env, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') };
  });

  it('cellfit install --prefix DIR registers a kernelspec Jupyter finds, with interrupt_mode "message"', async () => {
    const { stdout } = await run(JUPYTER, ['kernelspec', 'list', '--json'], { env });
    const spec = (JSON.parse(stdout) as { kernelspecs: Record<string, { spec: Record<string, unknown> }> }).kernelspecs.cellfit.spec;
    assert.equal(spec.display_name, 'TypeScript (cellfit)');
    assert.equal(spec.language, 'typescript');
    assert.equal(spec.interrupt_mode, 'message');
  });

  it('jupyter_kernel_test.KernelTests passes: kernel_info, stdout, stderr, execute_result, display_data, error, completion, inspect, is_complete, history, clear_output', async () => {
    let stderr: string;
    try {
      ({ stderr } = await run(PYTHON, [path.join(REPO, 'test', 'kernel', 'jupyter_kernel_test_cellfit.py')], { cwd: REPO, env }));
    } catch (error) {
      assert.fail(`jupyter_kernel_test failed:\n${(error as { stderr: string }).stderr}`);
    }
    for (const test of ['kernel_info', 'execute_stdout', 'execute_stderr', 'execute_result', 'display_data', 'error', 'completion', 'inspect', 'is_complete', 'history', 'clear_output']) {
      assert.match(stderr, new RegExp(`^test_${test} \\(.*\\) \\.\\.\\. ok$`, 'm'), `test_${test} passed`);
    }
    assert.match(stderr, /^OK \(skipped=1\)$/m); // test_pager: the kernel has no pager payloads
  });
});
