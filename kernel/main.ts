/**
 * Starts the cellfit kernel in this process: the TypeScript executor and magics on the main thread,
 * the sockets on a worker thread, the toolkit's session seam, and the interrupt and crash handlers.
 * Jupyter runs it as `node dist/kernel/cli.js kernel --connection-file FILE` (see kernel/install.ts).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { ready } from '../lib/backend';
import { prepareCompressedPlotly } from '../lib/plots/library';
import { setSessionProvider } from '../lib/session';
import { cellfitVersion } from '../lib/sweep/version';
import { setKernelHandle } from './api';
import { CellRunner } from './cell';
import { Executor } from './executor';
import { Kernel, type KernelInfo } from './kernel';
import { builtinMagics } from './magics/builtin';
import { MagicRegistry } from './magics/registry';
import { kernelLog, redirectProcessOutput } from './output';
import { installModuleResolution } from './modules';
import { messageFor, PROTOCOL_VERSION } from './protocol/messages';
import { parseConnectionInfo, startSockets, type Sockets } from './protocol/sockets';
import { currentScope, notebookSession } from './scope';
import { stripAnsi } from './traceback';
import { createCellRequire, createCompiler, hookTslabDisplay, versions } from './tslab';

/** cellfit's version, from its package.json (read once, in lib/sweep/version.ts). */
export { cellfitVersion };

/** The kernel_info_reply content, given the backend tensors run on. */
export function kernelInfo(backend: string): KernelInfo {
  return {
    status: 'ok',
    protocol_version: PROTOCOL_VERSION,
    implementation: 'cellfit',
    implementation_version: cellfitVersion,
    language_info: {
      name: 'typescript',
      version: versions.typescript,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      pygments_lexer: 'typescript',
      // tslab's choice: enables TypeScript highlighting in both JupyterLab and the classic notebook.
      codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
    },
    banner:
      `cellfit ${cellfitVersion}: TypeScript ${versions.typescript} on Node.js ${process.version} ` +
      `(tslab ${versions.tslab}); tensors on the ${backend} backend. %lsmagic lists the magics.`,
    help_links: [
      { text: 'cellfit', url: 'https://www.npmjs.com/package/cellfit' },
      { text: 'TypeScript handbook', url: 'https://www.typescriptlang.org/docs/handbook/intro.html' },
      { text: 'TensorFlow.js API', url: 'https://js.tensorflow.org/api/latest/' },
      { text: 'Node.js API', url: `https://nodejs.org/docs/${process.version}/api/` },
    ],
    debugger: false,
  };
}

/** Options of {@link startKernel} (environment variables set the same for a kernel Jupyter starts). */
export interface StartOptions {
  /** Milliseconds an interrupted async cell may take to settle. Defaults to $CELLFIT_INTERRUPT_GRACE_MS or 5000. */
  readonly interruptGraceMs?: number;
}

function envNumber(name: string): number | undefined {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Runs the kernel for the connection file `connectionFile` until a shutdown_request.
 *
 * @example
 * await startKernel('/run/user/1000/jupyter/kernel-1234.json');
 */
export async function startKernel(connectionFile: string, options: StartOptions = {}): Promise<void> {
  const connection = parseConnectionInfo(fs.readFileSync(connectionFile, 'utf8'), connectionFile);
  redirectProcessOutput();
  // Notebooks anywhere get cellfit and tf.js from this installation when their project has none,
  // and one tf.js engine (kernel/modules.ts). The warning goes to the cell that loaded the copy.
  installModuleResolution({
    onForeignTfjs: (message) => {
      const sink = currentScope()?.sink;
      if (sink) sink.stream('stderr', message);
      else kernelLog(message.trimEnd());
    },
  });
  // The embedded copy of plotly.js is compressed meanwhile, on the thread pool, not by the first chart.
  prepareCompressedPlotly().catch((error: unknown) => kernelLog(`plotly.js: ${error instanceof Error ? error.message : String(error)}`));
  // Before the first cell: tensors made in cells then live on the chosen backend from the start.
  const backend = await ready().catch((error: unknown) => {
    kernelLog(`backend: ${error instanceof Error ? error.message : String(error)}`);
    return 'cpu';
  });
  const executor = new Executor({
    compiler: createCompiler(),
    cellRequire: createCellRequire(process.cwd()),
    interruptGraceMs: options.interruptGraceMs ?? envNumber('CELLFIT_INTERRUPT_GRACE_MS'),
  });
  const magics = new MagicRegistry(builtinMagics());
  const cells = new CellRunner({ executor, magics });

  setSessionProvider(() => (currentScope() ? notebookSession : undefined));
  hookTslabDisplay((content, update) =>
    currentScope()?.sink.display({ data: content.data, metadata: content.metadata ?? {}, transient: content.transient }, update),
  );
  setKernelHandle({ magics, clearOutput: (wait) => currentScope()?.sink.clear(wait) });

  const session = randomUUID();
  const shellArrivals = new Int32Array(new SharedArrayBuffer(4));
  let sockets: Sockets | undefined;
  const kernel = new Kernel({
    cells,
    info: kernelInfo(backend),
    session,
    arrivals: () => Atomics.load(shellArrivals, 0),
    send: (channel, message) => sockets?.send(channel, message),
    shutdown: () => {
      void (sockets?.close() ?? Promise.resolve()).finally(() => {
        executor.close();
        process.exit(0);
      });
    },
  });
  sockets = await startSockets(
    connection,
    session,
    {
      onMessage: (message) => kernel.handle(message),
      onInterrupt: (target) => {
        kernel.interrupt(target);
        sockets?.acknowledgeInterrupt();
      },
    },
    executor.interruptFlag,
    shellArrivals,
  );
  sockets.send('iopub', messageFor(undefined, 'status', { execution_state: 'starting' }, session));

  // SIGINT from Jupyter (interrupt_mode "signal"), or from the socket thread when the main thread
  // did not answer an interrupt_request: vm's breakOnSigint breaks the synchronous part of a cell;
  // this handler interrupts the rest (raising the loop-guard flag and the cell's signal).
  process.on('SIGINT', () => kernel.interrupt());
  // Errors thrown from callbacks a cell left behind must not kill the kernel: show them in the cell.
  const report = (kind: string) => (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const sink = currentScope()?.sink;
    if (sink) sink.stream('stderr', `${kind}: ${stripAnsi(text)}\n`);
    else kernelLog(`${kind}: ${text}`);
  };
  process.on('uncaughtException', report('Uncaught exception'));
  process.on('unhandledRejection', report('Unhandled promise rejection'));
}
