/**
 * `cellfit install`: registers the kernelspec `cellfit` with Jupyter. The spec runs this very
 * installation (absolute paths to the Node.js binary and to dist/kernel/cli.js), so Jupyter started
 * from any directory or environment finds it.
 *
 * Beside kernel.json go plotly.js, which the Jupyter server then serves to the charts, and a
 * kernel.js for the classic Notebook (kernel/display/frontend.ts).
 *
 * The spec is written to a temporary directory and handed to `jupyter kernelspec install`, which
 * knows where every Jupyter (Debian's, pip's, conda's) looks. Without a `jupyter` command, `--user`
 * and `--prefix` write the directory themselves, to the paths jupyter_core uses.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../lib/errors';
import { writeFrontendFiles } from './display/frontend';

/** The kernel.json of the cellfit kernel. */
export interface KernelSpec {
  readonly argv: readonly string[];
  readonly display_name: string;
  readonly language: string;
  readonly interrupt_mode: 'message' | 'signal';
  readonly env: Record<string, string>;
  readonly metadata: Record<string, unknown>;
}

/** The spec for the kernel in this installation, registered as `name`. */
export function kernelSpec(displayName = 'TypeScript (cellfit)', name = 'cellfit'): KernelSpec {
  return {
    argv: [process.execPath, path.join(__dirname, 'cli.js'), 'kernel', '--connection-file', '{connection_file}'],
    display_name: displayName,
    language: 'typescript',
    // The kernel hears interrupt_request on its control socket even while a cell blocks the main
    // thread (kernel/protocol/socket-thread.ts); SIGINT works too.
    interrupt_mode: 'message',
    // Charts load plotly.js from <base>kernelspecs/<name>/ (lib/plots/library.ts).
    env: { CELLFIT_KERNEL_NAME: name },
    metadata: { debugger: false },
  };
}

/** Where to install: per user (the default), in Python's sys.prefix, or under a prefix. */
export interface InstallOptions {
  readonly user?: boolean;
  readonly sysPrefix?: boolean;
  readonly prefix?: string;
  /** The kernelspec name. Defaults to `cellfit`. */
  readonly name?: string;
  /** The name Jupyter's launcher and kernel menus show. Defaults to `TypeScript (cellfit)`, or `TypeScript (NAME)` for another `name`, so that two installs can be told apart. */
  readonly displayName?: string;
  /** The Jupyter command. Defaults to $JUPYTER or `jupyter`. */
  readonly jupyter?: string;
}

/** Runs a command; returns its status and output (tests pass a fake). */
export type RunCommand = (command: string, args: readonly string[]) => { status: number | null; stdout: string; stderr: string; missing: boolean };

const runCommand: RunCommand = (command, args) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', missing };
};

/** jupyter_core's per-user data directory (`jupyter --data-dir` without Jupyter installed). */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'jupyter');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'jupyter');
}

/**
 * Installs the kernelspec and returns the directory it went to.
 *
 * @example
 * installKernelSpec({ user: true });                 // ~/.local/share/jupyter/kernels/cellfit
 * installKernelSpec({ prefix: '/opt/venv' });        // /opt/venv/share/jupyter/kernels/cellfit
 * installKernelSpec({ name: 'cellfit-dev' });        // shown as "TypeScript (cellfit-dev)"
 */
export function installKernelSpec(options: InstallOptions = {}, run: RunCommand = runCommand): string {
  const where = 'cellfit install';
  const chosen = [options.user && '--user', options.sysPrefix && '--sys-prefix', options.prefix !== undefined && '--prefix'].filter(Boolean);
  if (chosen.length > 1) fail(where, `choose one of --user, --sys-prefix and --prefix DIR. Received: ${chosen.join(' ')}.`);
  const name = options.name ?? 'cellfit';
  if (!/^[a-z0-9._-]+$/i.test(name)) fail(where, `a kernelspec name is letters, digits, '.', '_' and '-'. Received: --name ${JSON.stringify(name)}.`);
  if (options.displayName !== undefined && options.displayName.trim() === '') fail(where, `--display-name must not be empty. Received: --display-name ${JSON.stringify(options.displayName)}.`);
  const displayName = options.displayName ?? `TypeScript (${name})`;
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-kernelspec-'));
  const specDir = path.join(staging, name);
  try {
    fs.mkdirSync(specDir);
    fs.writeFileSync(path.join(specDir, 'kernel.json'), `${JSON.stringify(kernelSpec(displayName, name), null, 2)}\n`);
    writeFrontendFiles(specDir, name);
    const jupyter = options.jupyter ?? process.env.JUPYTER ?? 'jupyter';
    const scope = options.sysPrefix ? ['--sys-prefix'] : options.prefix !== undefined ? ['--prefix', path.resolve(options.prefix)] : ['--user'];
    const result = run(jupyter, ['kernelspec', 'install', specDir, '--name', name, '--replace', ...scope]);
    if (!result.missing) {
      if (result.status !== 0) fail(where, `\`${jupyter} kernelspec install\` failed (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`);
      // jupyter prints "[InstallKernelSpec] Installed kernelspec cellfit in /path".
      const installed = /Installed kernelspec \S+ in (.+)$/m.exec(result.stderr + result.stdout);
      return installed ? installed[1].trim() : name;
    }
    if (options.sysPrefix) fail(where, `--sys-prefix needs Jupyter, and no \`${jupyter}\` command was found. Install Jupyter, or pass --jupyter PATH or --prefix DIR.`);
    const base = options.prefix !== undefined ? path.join(path.resolve(options.prefix), 'share', 'jupyter') : userDataDir();
    const target = path.join(base, 'kernels', name);
    fs.mkdirSync(target, { recursive: true });
    for (const file of fs.readdirSync(specDir)) fs.copyFileSync(path.join(specDir, file), path.join(target, file));
    return target;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
