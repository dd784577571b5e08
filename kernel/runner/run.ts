/**
 * Executes a notebook headless with the cellfit kernel, over the Jupyter protocol, like papermill:
 * parameters injected after the cell tagged `parameters`, every code cell executed in order, its
 * outputs recorded, and a stop at the first error (cells tagged `raises-exception` may fail).
 */
import path from 'node:path';
import { KernelClient, type LaunchOptions } from './client';
import { injectParameters, OutputRecorder, sourceText, type Cell, type Notebook, type Output } from './notebook';

/** Options of {@link runNotebook}. */
export interface RunOptions {
  /** Parameters for the cell tagged `parameters`. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** The kernel's working directory. Defaults to the notebook's directory (as nbconvert does). */
  readonly cwd: string;
  /**
   * Seconds a cell may run before it is interrupted and counted as failed, from the moment the
   * kernel starts it (its `execute_input`): a cell that waits for the kernel to finish loading is
   * not charged for that. Defaults to no limit.
   */
  readonly timeoutSeconds?: number;
  /** How the kernel is started (tests point it elsewhere). */
  readonly launch?: Omit<LaunchOptions, 'cwd'>;
  /** Told when each code cell starts and ends. */
  readonly onCell?: (event: { index: number; cell: Cell; phase: 'start' | 'end'; status?: string }) => void;
}

/** How a run went. */
export interface RunResult {
  readonly notebook: Notebook;
  /** The first cell that failed (and was not tagged `raises-exception`), if any. */
  readonly failed?: { readonly index: number; readonly cell: Cell; readonly error: Extract<Output, { output_type: 'error' }> | undefined };
  /** Parameters the parameters cell does not declare. */
  readonly unknownParameters: readonly string[];
}

const timestamp = () => new Date().toISOString();

/**
 * Runs `notebook` (modified in place: outputs, execution counts, language info) and returns it
 * with the first failure.
 *
 * @example
 * const { notebook, failed } = await runNotebook(parseNotebook(text, file), { cwd: path.dirname(file), parameters: { epochs: 3 } });
 */
export async function runNotebook(notebook: Notebook, options: RunOptions): Promise<RunResult> {
  const { unknown } = injectParameters(notebook, options.parameters ?? {});
  for (const cell of notebook.cells) {
    if (cell.cell_type !== 'code') continue;
    cell.outputs = [];
    cell.execution_count = null;
  }
  const client = await KernelClient.launch({ ...options.launch, cwd: path.resolve(options.cwd) });
  try {
    const info = await client.request('shell', 'kernel_info_request');
    notebook.metadata.language_info = (info.reply.content as { language_info?: unknown }).language_info;
    notebook.metadata.kernelspec ??= { name: 'cellfit', display_name: 'TypeScript (cellfit)', language: 'typescript' };

    const recorder = new OutputRecorder();
    let executing: Cell | undefined;
    const stopListening = client.onIopub((message) => {
      if (!executing) return;
      const content = message.content as Record<string, unknown>;
      if (typeof content.execution_count === 'number') executing.execution_count = content.execution_count;
      const timing = executing.metadata.execution as Record<string, string>;
      if (message.header.msg_type === 'status') timing[`iopub.status.${String(content.execution_state)}`] = timestamp();
      if (message.header.msg_type === 'execute_input') timing['iopub.execute_input'] = timestamp();
      recorder.apply(executing.outputs!, message);
    });
    try {
      for (const [index, cell] of notebook.cells.entries()) {
        if (cell.cell_type !== 'code' || sourceText(cell).trim() === '') continue;
        executing = cell;
        recorder.nextCell();
        cell.metadata.execution = {};
        options.onCell?.({ index, cell, phase: 'start' });
        const { reply } = await executeWithTimeout(client, sourceText(cell), options.timeoutSeconds, typeof cell.id === 'string' ? cell.id : undefined);
        (cell.metadata.execution as Record<string, string>)['shell.execute_reply'] = timestamp();
        const status = String(reply.content.status);
        options.onCell?.({ index, cell, phase: 'end', status });
        if (status !== 'ok' && !cell.metadata.tags?.includes('raises-exception')) {
          const error = cell.outputs?.find((output): output is Extract<Output, { output_type: 'error' }> => output.output_type === 'error');
          return { notebook, failed: { index, cell, error }, unknownParameters: unknown };
        }
      }
    } finally {
      executing = undefined;
      stopListening();
    }
    return { notebook, unknownParameters: unknown };
  } finally {
    await client.shutdown().catch(() => client.kill());
  }
}

async function executeWithTimeout(client: KernelClient, code: string, timeoutSeconds: number | undefined, cellId: string | undefined) {
  // Like JupyterLab, name the cell being executed (metadata.cellId).
  const running = client.send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, cellId ? { cellId } : {});
  if (timeoutSeconds === undefined) return running.done;
  let timer: NodeJS.Timeout | undefined;
  let stopListening: () => void = () => undefined;
  // The clock starts when the kernel starts the cell: before that it may still be loading Node's
  // types or tf.js (kernel/main.ts), which is no part of the cell's running time.
  const timedOut = new Promise<'timeout'>((resolve) => {
    stopListening = client.onIopub((message) => {
      const started = message.header.msg_type === 'execute_input' && (message.parent_header as { msg_id?: string }).msg_id === running.id;
      if (started && timer === undefined) timer = setTimeout(() => resolve('timeout'), timeoutSeconds * 1000);
    });
  });
  const first = await Promise.race([running.done, timedOut]);
  stopListening();
  clearTimeout(timer);
  if (first !== 'timeout') return first;
  // Like nbclient's timeout: interrupt, and report the cell as failed.
  await client.interrupt();
  const exchange = await running.done;
  return { ...exchange, reply: { ...exchange.reply, content: { ...exchange.reply.content, status: 'error', ename: 'Timeout', evalue: `the cell ran longer than ${timeoutSeconds} s` } } };
}
