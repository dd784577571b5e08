/**
 * A real Jupyter server for front-end tests: Debian's classic Notebook 6.4 (`jupyter-notebook`,
 * installed by .ci/run) on a free loopback port, with every Jupyter directory (kernelspecs,
 * config, data — where notebook signatures go — and runtime) under one temporary directory, and
 * the cellfit kernelspec installed there by `cellfit install --prefix`. Nothing touches the user's
 * own Jupyter directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { installKernelSpec } from '../../kernel/install';

/** Debian's Jupyter and Python (the first python3 on PATH may lack Jupyter). */
export const JUPYTER = '/usr/bin/jupyter';
export const PYTHON = '/usr/bin/python3';
/** The repository root (tests run from dist/test/support). */
export const REPO = path.resolve(__dirname, '..', '..', '..');

/**
 * Temporary Jupyter directories with the cellfit kernelspec installed, and the environment that
 * points Jupyter (server, console, nbconvert) at them.
 */
export interface JupyterHome {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** A directory for notebooks in which `require('cellfit')` resolves (node_modules/cellfit → this repository). */
  readonly notebooks: string;
  remove(): void;
}

/** Makes a {@link JupyterHome}. */
export function jupyterHome(prefix: string): JupyterHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cellfit-${prefix}-`));
  const kernels = path.join(dir, 'prefix');
  installKernelSpec({ prefix: kernels, jupyter: JUPYTER });
  const notebooks = path.join(dir, 'notebooks');
  fs.mkdirSync(path.join(notebooks, 'node_modules'), { recursive: true });
  // As a project that installed cellfit would have it.
  fs.symlinkSync(REPO, path.join(notebooks, 'node_modules', 'cellfit'), 'dir');
  // As a user's would be: the notebook signatures database goes into the data directory.
  for (const sub of ['config', 'data', 'runtime']) fs.mkdirSync(path.join(dir, sub));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: path.join(kernels, 'share', 'jupyter'),
    JUPYTER_CONFIG_DIR: path.join(dir, 'config'),
    JUPYTER_DATA_DIR: path.join(dir, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'),
    JUPYTER_PLATFORM_DIRS: '0',
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  return { dir, env, notebooks, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running Jupyter server (the classic Notebook, or the Lab test front end). */
export interface NotebookServer {
  /** Its base URL, ending in `/`. */
  readonly url: string;
  readonly home: JupyterHome;
  /** What it wrote to stderr so far (its log). */
  log(): string;
  /** Stops it and the kernels it started; waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts the classic Notebook on a free port, serving `home.notebooks`, without authentication. */
export async function startNotebookServer(home: JupyterHome): Promise<NotebookServer> {
  const port = await freePort();
  const args = [
    'notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0',
    '--NotebookApp.token=', '--NotebookApp.password=', `--notebook-dir=${home.notebooks}`,
    ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ];
  return startServer('jupyter notebook', JUPYTER, args, home.env, home, port);
}

/**
 * Starts a Jupyter server (`command` with `args`, listening on `port`) in its own process group and
 * waits until it answers `api/status`.
 */
export async function startServer(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, home: JupyterHome, port: number): Promise<NotebookServer> {
  // Its own process group, so that stopping it reaches whatever it started and nothing else.
  const server: ChildProcess = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/`;
  // A hang guard: a few seconds on an idle machine, ten times more at a load of 20 on 2 cores.
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`${name} exited (${server.exitCode}):\n${log}`);
    try {
      const response = await fetch(`${url}api/status`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(-server.pid!, 'SIGKILL');
      throw new Error(`${name} did not answer on ${url} within 180 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    home,
    log: () => log,
    async stop() {
      if (server.exitCode !== null) return;
      // SIGTERM: the server shuts its kernels down and exits; the group kill is the fallback.
      server.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-server.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
