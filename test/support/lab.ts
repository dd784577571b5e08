/**
 * The JupyterLab 4.6 test front end (test/frontends/lab/app: JupyterLab's npm packages assembled
 * as JupyterLab's examples/app does, built once per lockfile into .cache/lab-frontend/) served by
 * Debian's jupyterlab_server 2.16 on jupyter_server 1.23, on a free loopback port, with the
 * Jupyter directories of a {@link JupyterHome}. Plotly's renderer is on or off per server, as
 * `pip install plotly` would have it: the page config's `disabledExtensions`, which JupyterLab
 * itself uses for `jupyter labextension disable`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, PYTHON, REPO, startServer, type JupyterHome, type NotebookServer } from './jupyter';

/** The front end's sources: its package.json, lockfile, build script and server. */
export const LAB_APP = path.join(REPO, 'test', 'frontends', 'lab', 'app');

/**
 * The build folder, building it first when the cache lacks it (~40 s; `.ci/run` builds it before
 * the tests). Fails with what to run when the front end's npm dependencies are missing.
 */
export function labBuild(): string {
  execFileSync(process.execPath, [path.join(LAB_APP, 'build.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return execFileSync(process.execPath, [path.join(LAB_APP, 'build.js'), '--print'], { encoding: 'utf8' }).trim();
}

/** Starts the Lab front end on a free port, serving `home.notebooks` without authentication; `plotly` registers plotly's renderer. */
export async function startLabServer(home: JupyterHome, { plotly }: { plotly: boolean }): Promise<NotebookServer> {
  const build = labBuild();
  const state = fs.mkdtempSync(path.join(home.dir, 'lab-'));
  fs.mkdirSync(path.join(state, 'app_settings'));
  fs.writeFileSync(path.join(state, 'app_settings', 'page_config.json'), JSON.stringify({ disabledExtensions: plotly ? [] : ['jupyterlab-plotly'] }));
  const port = await freePort();
  const args = [
    path.join(LAB_APP, 'server.py'), '--no-browser', '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, '--ServerApp.port_retries=0',
    '--ServerApp.token=', '--ServerApp.password=', `--ServerApp.root_dir=${home.notebooks}`,
    ...(process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : []),
  ];
  return startServer('the Lab front end', PYTHON, args, { ...home.env, CELLFIT_LAB_BUILD: build, CELLFIT_LAB_STATE: state }, home, port);
}
