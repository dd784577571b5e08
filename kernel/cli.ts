#!/usr/bin/env node
/**
 * The `cellfit` command:
 *
 *   cellfit install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--display-name TEXT] [--jupyter CMD]
 *   cellfit run NOTEBOOK.ipynb [-p NAME=VALUE …] [--output OUT.ipynb] [--html OUT.html]
 *   cellfit worker --queue redis://HOST:PORT [--dir DIR] [--lock-duration MS]
 *   cellfit kernel --connection-file FILE      (how Jupyter starts the kernel)
 */
import { CellfitError } from '../lib/errors';
import { commandArguments } from './args';
import { installKernelSpec } from './install';

const USAGE = `Usage:
  cellfit install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--display-name TEXT] [--jupyter CMD]
      Registers the Jupyter kernelspec "cellfit" (TypeScript (cellfit)); --user is the default.
      --name registers it under another name (shown as "TypeScript (NAME)" unless --display-name
      says otherwise), e.g. a second install beside the first.
  cellfit run NOTEBOOK.ipynb [-p NAME=VALUE ...] [--output OUT.ipynb] [--html OUT.html] [--timeout SECONDS]
      Executes a notebook headless with the cellfit kernel, like papermill: parameters go after
      the cell tagged "parameters"; outputs are saved to OUT.ipynb (default: the notebook itself).
  cellfit worker --queue redis://HOST:PORT[/DB] [--dir DIR] [--lock-duration MS]
      Serves sweeps queued with sweep(..., { queue }): pulls their trials from Redis and trains
      them one at a time (start one per core, on any machine that shares the checkpoint
      directory; --dir says where it is mounted here). Ctrl-C stops it: its trial is checkpointed
      and queued again. A worker silent for --lock-duration ms (default 30000) loses its trial to
      another worker, which resumes it from its last checkpoint.
  cellfit kernel --connection-file FILE
      Runs the kernel (Jupyter does this).
  cellfit --version`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'install': {
      const { options, positional } = commandArguments('install', args, { flags: ['--user', '--sys-prefix'], values: ['--prefix', '--name', '--display-name', '--jupyter'] }, USAGE);
      if (positional.length > 0) throw new CellfitError('cellfit install', `unexpected argument ${JSON.stringify(positional[0])}.\n\n${USAGE}`);
      const dir = installKernelSpec({
        user: options.has('--user'),
        sysPrefix: options.has('--sys-prefix'),
        prefix: options.get('--prefix') as string | undefined,
        name: options.get('--name') as string | undefined,
        displayName: options.get('--display-name') as string | undefined,
        jupyter: options.get('--jupyter') as string | undefined,
      });
      const name = (options.get('--name') as string | undefined) ?? 'cellfit';
      console.log(`Installed the Jupyter kernel "${(options.get('--display-name') as string | undefined) ?? `TypeScript (${name})`}" (kernelspec ${name}) in ${dir}`);
      return 0;
    }
    case 'kernel': {
      const { options, positional } = commandArguments('kernel', args, { values: ['--connection-file', '-f'] }, USAGE);
      const file = (options.get('--connection-file') ?? options.get('-f') ?? positional[0]) as string | undefined;
      if (file === undefined) throw new CellfitError('cellfit kernel', `expected --connection-file FILE.\n\n${USAGE}`);
      // A notebook whose project installed its own cellfit runs with it, kernel included.
      const { projectCli } = await import('../lib/modules');
      const own = projectCli(process.cwd());
      if (own) {
        console.error(`cellfit: this notebook's project has its own cellfit; running its kernel (${own}).`);
        (require(own) as { runCli(argv: readonly string[]): void }).runCli(argv);
        return -1;
      }
      const { startKernel } = await import('./main');
      await startKernel(file);
      return -1; // keeps running until shutdown_request
    }
    case 'run': {
      const { runCommand } = await import('./runner/command');
      return runCommand(args, USAGE);
    }
    case 'worker':
      return workerCommand(args);
    case '--version':
    case '-V': {
      const { cellfitVersion } = await import('./main');
      console.log(`cellfit ${cellfitVersion}`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new CellfitError('cellfit', `unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
  }
}

/** `cellfit worker`: serves queued sweeps until Ctrl-C or SIGTERM (a second one quits at once). */
async function workerCommand(args: readonly string[]): Promise<number> {
  const { options, positional } = commandArguments('worker', args, { values: ['--queue', '--dir', '--lock-duration'] }, USAGE);
  if (positional.length > 0) throw new CellfitError('cellfit worker', `unexpected argument ${JSON.stringify(positional[0])}.\n\n${USAGE}`);
  const queue = options.get('--queue') as string | undefined;
  if (queue === undefined) throw new CellfitError('cellfit worker', `expected --queue redis://HOST:PORT, the URL the sweeps were queued on.\n\n${USAGE}`);
  const lockText = options.get('--lock-duration') as string | undefined;
  const lockDuration = lockText === undefined ? undefined : Number(lockText);
  if (lockDuration !== undefined && (!Number.isInteger(lockDuration) || lockDuration < 1000)) {
    throw new CellfitError('cellfit worker', `--lock-duration must be a whole number of milliseconds ≥ 1000. Received: ${JSON.stringify(lockText)}.`);
  }
  const { runWorker } = await import('../lib/sweep/queue/worker');
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dir = options.get('--dir') as string | undefined;
  const code = await runWorker({ queue, ...(dir ? { dir } : {}), ...(lockDuration ? { lockDuration } : {}), signal: controller.signal });
  // BullMQ and ioredis may leave timers behind: the worker's work is done.
  process.exit(code);
}

/**
 * Runs the `cellfit` command with `argv` (the arguments after `cellfit`), setting the exit code.
 *
 * @example
 * runCli(['install', '--user']);
 */
export function runCli(argv: readonly string[]): void {
  main(argv).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof CellfitError ? error.message : error instanceof Error ? error.stack : String(error));
      process.exitCode = 2;
    },
  );
}

if (require.main === module) runCli(process.argv.slice(2));
