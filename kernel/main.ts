/**
 * Starts the cellfit kernel in this process: the TypeScript executor and magics on the main thread,
 * the sockets on a worker thread, the toolkit's session seam, and the interrupt and crash handlers.
 * Jupyter runs it as `node dist/kernel/cli.js kernel --connection-file FILE` (see kernel/install.ts).
 *
 * Start-up order: the sockets first, then what every cell needs: TypeScript and a first type check
 * of an empty cell, which parses the lib's declarations and gets the checker's code compiled, so
 * that the first cell pays none of it. Node's types (2 MB of declarations, 4/5 of what a program
 * parses) are left out of that check; they are added once the first cell has run, or before, for
 * a cell that needs them (`deferNodeTypes` in kernel/tslab.ts). Requests that need cells wait for that
 * (kernel/kernel.ts). Meanwhile the socket thread answers kernel_info, is_complete, history and
 * comm_info requests itself (StartingAnswers in kernel/protocol/thread-messages.ts): a client takes
 * the kernel_info_reply as "ready", and jupyter console then gives up on an is_complete_request
 * unanswered after 1 s, for the whole session.
 *
 * tf.js, its backend and the built-in magics (which load the toolkit, tf.js included) come after:
 * before the first cell that imports something or uses a magic, or once the kernel is idle after
 * its first cell, whichever is first — so tensors still live on the chosen backend from the start,
 * and `let a = 1 + 1; a` does not wait for them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type * as BackendModule from '../lib/backend';
import type * as PlotsLibraryModule from '../lib/plots/library';
import { setSessionProvider } from '../lib/session';
import { cellfitVersion } from '../lib/sweep/version';
import type * as ApiModule from './api';
import type * as CellModule from './cell';
import { compileWithCodeCache } from './code-cache';
import type * as ExecutorModule from './executor';
import { Kernel, type KernelInfo } from './kernel';
import type * as BuiltinModule from './magics/builtin';
import type * as RegistryModule from './magics/registry';
import { kernelLog, redirectProcessOutput } from './output';
import { installModuleResolution, tslabTypeScriptPath, tslabVersions } from '../lib/modules';
import { messageFor, PROTOCOL_VERSION } from './protocol/messages';
import { parseConnectionInfo, startSockets, type Sockets } from './protocol/sockets';
import { currentScope, notebookSession } from './scope';
import { logTiming } from './timing';
import { stripAnsi } from './traceback';
import type * as TslabModule from './tslab';

/** cellfit's version, from its package.json (read once, in lib/sweep/version.ts). */
export { cellfitVersion };

/** The versions kernel_info_reply reports, read without loading TypeScript (kernel/tslab.ts loads it). */
const kernelVersions = tslabVersions();

/**
 * The kernel_info_reply content, given the backend tensors run on (`undefined` while it loads: the
 * banner then points at %backend).
 */
export function kernelInfo(backend: string | undefined): KernelInfo {
  return {
    status: 'ok',
    protocol_version: PROTOCOL_VERSION,
    implementation: 'cellfit',
    implementation_version: cellfitVersion,
    language_info: {
      name: 'typescript',
      version: kernelVersions.typescript,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      pygments_lexer: 'typescript',
      // tslab's choice: enables TypeScript highlighting in both JupyterLab and the classic notebook.
      codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
    },
    banner:
      `cellfit ${cellfitVersion}: TypeScript ${kernelVersions.typescript} on Node.js ${process.version} ` +
      `(tslab ${kernelVersions.tslab}); ${backend ? `tensors on the ${backend} backend` : 'tf.js is loading (%backend names its backend)'}. ` +
      '%lsmagic lists the magics.',
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
  const start = performance.now();
  const connection = parseConnectionInfo(fs.readFileSync(connectionFile, 'utf8'), connectionFile);
  redirectProcessOutput();
  // Notebooks anywhere get cellfit and tf.js from this installation when their project has none,
  // and one tf.js engine (lib/modules.ts). The warning goes to the cell that loaded the copy.
  installModuleResolution({
    onForeignTfjs: (message) => {
      const sink = currentScope()?.sink;
      if (sink) sink.stream('stderr', message);
      else kernelLog(message.trimEnd());
    },
  });
  setSessionProvider(() => (currentScope() ? notebookSession : undefined));

  let backend: string | undefined;
  // Started once the sockets are bound (the heartbeat answers meanwhile, from the socket thread).
  let startWarmUp: () => void = () => undefined;
  const cells = new Promise<void>((resolve) => (startWarmUp = resolve)).then(() =>
    warmUp(options, (name) => (backend = name), () => kernel.answered()),
  );
  cells.catch((error: unknown) => {
    kernelLog(`could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });

  const session = randomUUID();
  const shellArrivals = new Int32Array(new SharedArrayBuffer(4));
  const interruptFlag = new Int32Array(new SharedArrayBuffer(4));
  const cellsReady = new Int32Array(new SharedArrayBuffer(4));
  void cells.then(() => Atomics.store(cellsReady, 0, 1), () => undefined);
  let sockets: Sockets | undefined;
  const kernel: Kernel = new Kernel({
    cells,
    info: () => kernelInfo(backend),
    session,
    arrivals: () => Atomics.load(shellArrivals, 0),
    send: (channel, message) => {
      sockets?.send(channel, message);
      if (message.header.msg_type === 'kernel_info_reply') logTiming('start-up to the kernel_info_reply', 0);
    },
    shutdown: () => {
      void (sockets?.close() ?? Promise.resolve()).finally(() => {
        void cells.then((runner) => runner.executor.close()).finally(() => process.exit(0));
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
    interruptFlag,
    shellArrivals,
    { cellsReady, kernelInfo: kernelInfo(undefined) },
  );
  sockets.send('iopub', messageFor(undefined, 'status', { execution_state: 'starting' }, session));
  logTiming('sockets bound', start);
  startWarmUp();

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

  /** Loads what cells need and checks an empty cell once; resolves to the cell runner. */
  async function warmUp(startOptions: StartOptions, onBackend: (name: string) => void, queuedAnswered: () => Promise<void>) {
    const warmStart = performance.now();
    const codeCache = compileWithCodeCache(tslabTypeScriptPath());
    const tslab = require('./tslab') as typeof TslabModule;
    const { Executor } = require('./executor') as typeof ExecutorModule;
    const { CellRunner } = require('./cell') as typeof CellModule;
    const { MagicRegistry } = require('./magics/registry') as typeof RegistryModule;
    const { setKernelHandle } = require('./api') as typeof ApiModule;
    logTiming('TypeScript and tslab loaded', warmStart);
    // Node's types (2 MB of declarations) come once the first cell has run (below).
    const compiler = tslab.createCompiler({ deferNodeTypes: true });
    // Parses the lib's declarations and compiles the checker's code, off the first cell.
    compiler.compile('', '0');
    logTiming('first type check (warm-up)', warmStart);
    const executor = new Executor({
      compiler,
      cellRequire: tslab.createCellRequire(process.cwd()),
      interruptGraceMs: startOptions.interruptGraceMs ?? envNumber('CELLFIT_INTERRUPT_GRACE_MS'),
      interruptFlag,
    });
    // The built-in magics load the toolkit and tf.js: on first use (loadToolkit, %lsmagic, completion).
    const magics = new MagicRegistry(() => (require('./magics/builtin') as typeof BuiltinModule).builtinMagics());
    tslab.hookTslabDisplay((content, update) =>
      currentScope()?.sink.display({ data: content.data, metadata: content.metadata ?? {}, transient: content.transient }, update),
    );
    setKernelHandle({ magics, clearOutput: (wait) => currentScope()?.sink.clear(wait) });

    let toolkit: Promise<void> | undefined;
    /** Loads tf.js and the magics, and chooses the backend; once. */
    const loadToolkit = (): Promise<void> => {
      toolkit ??= (async () => {
        const toolkitStart = performance.now();
        magics.load();
        // Before a cell makes tensors: they then live on the chosen backend from the start.
        const { ready } = require('../lib/backend') as typeof BackendModule;
        logTiming('tf.js and the magics loaded', toolkitStart);
        onBackend(
          await ready().catch((error: unknown) => {
            kernelLog(`backend: ${error instanceof Error ? error.message : String(error)}`);
            return 'cpu';
          }),
        );
        logTiming('backend ready', toolkitStart);
        // The embedded copy of plotly.js is compressed meanwhile, on the thread pool, not by the first chart.
        const { prepareCompressedPlotly } = require('../lib/plots/library') as typeof PlotsLibraryModule;
        prepareCompressedPlotly().catch((error: unknown) => kernelLog(`plotly.js: ${error instanceof Error ? error.message : String(error)}`));
        // With the functions the warm-up and the first cell compiled (once per TypeScript and Node version).
        codeCache.save();
      })();
      return toolkit;
    };
    // Once the requests that came meanwhile (the first cell, typically) have been answered: Node's
    // types, then tf.js and the magics — one turn of the event loop apart, so that a cell that
    // comes between them and needs no tf.js (it imports nothing) runs first.
    void queuedAnswered().then(() =>
      setImmediate(() => {
        const nodeStart = performance.now();
        if (compiler.includeNodeTypes()) {
          compiler.compile('', '0');
          logTiming("Node's types added", nodeStart);
        }
        setImmediate(() => void loadToolkit());
      }),
    );
    logTiming('warm-up done', warmStart);
    return new CellRunner({ executor, magics, beforeRun: (cell) => (toolkit || needsToolkit(cell) ? loadToolkit() : undefined) });
  }
}

/**
 * Whether a cell may make tensors or use a magic, so that tf.js, its backend and the magics must be
 * ready before it runs: it imports or requires something, or has a `%` line. A cell without
 * imports reaches tf.js only through an earlier cell's import, which loaded it.
 */
export function needsToolkit(cell: string): boolean {
  return /\bimport\b|\brequire\b|^\s*%/m.test(cell);
}
