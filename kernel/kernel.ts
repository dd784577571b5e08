/**
 * The protocol side of the kernel: what each Jupyter request does (messaging protocol 5.3). It
 * knows nothing of sockets — messages come in through {@link Kernel.handle} and go out through the
 * `send` function it was given — so tests can drive it with plain objects.
 *
 * - Every request on shell and control is wrapped in `status: busy` / `status: idle` on iopub.
 * - Shell requests are handled one at a time, in order (as ipykernel does), so that a frontend's
 *   busy/idle indicator follows the running cell; control requests are handled at once.
 * - After a failed execution with `stop_on_error`, the execute_requests that had reached the
 *   kernel's sockets by then are answered `aborted` (those the frontend sent with the failing
 *   one, as for "Run All"); later ones run. Arrival is counted by the socket thread, so requests
 *   still in transit to the main thread count too (tslab waited 200 ms instead, tslab#19).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { toMimeBundle } from './display/bundle';
import type { CellRunner } from './cell';
import type * as ParseModule from './magics/parse';
import type * as TslabModule from './tslab';
import type { Outcome } from './executor';
import { IopubSink, kernelLog } from './output';
import { messageFor, type Channel, type ChannelMessage, type Message } from './protocol/messages';
import { recordExecution, runInScope, type CellScope } from './scope';
import { logTiming } from './timing';
import { interruptedError, runtimeError, type CellError } from './traceback';

// Loaded on first use: they load TypeScript, which a kernel_info_reply must not wait for.
const parseModule = (): typeof ParseModule => require('./magics/parse') as typeof ParseModule;
const tslabModule = (): typeof TslabModule => require('./tslab') as typeof TslabModule;

/**
 * Requests that wait until the cell runner is ready; the others (kernel_info, history, comms,
 * shutdown) are answered at once. While the main thread loads TypeScript, the socket thread
 * answers kernel_info and is_complete itself (kernel/protocol/thread-messages.ts).
 */
const NEEDS_CELLS = new Set(['execute_request', 'complete_request', 'inspect_request', 'is_complete_request']);

/** The content of kernel_info_reply. */
export interface KernelInfo {
  readonly status: 'ok';
  readonly protocol_version: string;
  readonly implementation: string;
  readonly implementation_version: string;
  readonly language_info: Record<string, unknown>;
  readonly banner: string;
  readonly help_links: readonly { text: string; url: string }[];
  readonly debugger: boolean;
}

/** What a {@link Kernel} needs from the outside world. */
export interface KernelOptions {
  /**
   * Runs the cells. A promise lets the kernel answer kernel_info, history and comm requests while
   * TypeScript and tf.js load; requests that need cells wait for it.
   */
  readonly cells: CellRunner | Promise<CellRunner>;
  /** The kernel_info_reply content, or a function giving it when asked. */
  readonly info: KernelInfo | (() => KernelInfo);
  /** Sends a message on a channel (the socket thread, or a test's recorder). */
  readonly send: (channel: Channel, message: Message<unknown>) => void;
  /** Called after the shutdown_reply has been sent. */
  readonly shutdown: (restart: boolean) => void;
  /** The kernel's session id. Defaults to a random UUID. */
  readonly session?: string;
  /**
   * How many shell messages have arrived so far, matching {@link ChannelMessage.seq}. Defaults to
   * counting the messages given to {@link Kernel.handle}.
   */
  readonly arrivals?: () => number;
}

interface ExecuteRequest {
  code?: unknown;
  silent?: unknown;
  store_history?: unknown;
  user_expressions?: unknown;
  stop_on_error?: unknown;
}

interface HistoryEntry {
  readonly line: number;
  readonly input: string;
  readonly output: string | null;
}

/** The history session number of this kernel (history lives in memory, one session per kernel). */
const HISTORY_SESSION = 1;

/**
 * @example
 * const kernel = new Kernel({ cells, info, send: (channel, message) => sockets.send(channel, message), shutdown: () => process.exit(0) });
 * sockets.onMessage = (message) => kernel.handle(message);
 */
export class Kernel {
  readonly session: string;
  private executionCount = 0;
  private readonly history: HistoryEntry[] = [];
  private readonly queue: ChannelMessage[] = [];
  private pumping = false;
  /** Callers of {@link Kernel.answered}: each waits until `handled` reaches its arrival count and the queue is empty. */
  private answeredWaiters: { upTo: number; resolve: () => void }[] = [];
  /** Execute requests up to this arrival number are aborted (after a failure with stop_on_error). */
  private abortUpTo = 0;
  private handled = 0;
  private readonly arrivals: () => number;
  private running: { request: ChannelMessage; scope: CellScope } | undefined;
  private runner: CellRunner | undefined;
  private readonly runnerReady: Promise<CellRunner>;
  private readonly info: () => KernelInfo;
  private readonly sendMessage: KernelOptions['send'];
  private readonly onShutdown: KernelOptions['shutdown'];

  constructor({ cells, info, send, shutdown, session = randomUUID(), arrivals }: KernelOptions) {
    this.arrivals = arrivals ?? (() => this.handled);
    this.runnerReady = Promise.resolve(cells).then((runner) => (this.runner = runner));
    // Handled when a request needs the runner; this keeps a failure from being reported twice.
    this.runnerReady.catch(() => undefined);
    this.info = typeof info === 'function' ? info : () => info;
    this.sendMessage = send;
    this.onShutdown = shutdown;
    this.session = session;
  }

  private get cells(): CellRunner {
    if (!this.runner) throw new Error('the cell runner is not ready yet');
    return this.runner;
  }

  /** The msg_id of the execute_request running now, if any. */
  get runningRequest(): string | undefined {
    return this.running?.request.header.msg_id;
  }

  /** Takes a message from a frontend: control now, shell in turn. */
  handle(message: ChannelMessage): void {
    if (message.channel === 'shell') {
      this.handled++;
      this.queue.push(message.seq === undefined ? { ...message, seq: this.handled } : message);
      void this.pump();
    } else if (message.channel === 'control') {
      void this.dispatch(message);
    }
    // stdin: input_reply is not used (cells cannot prompt for input yet).
  }

  /**
   * Interrupts the execution `target` (an execute_request msg_id), or whatever runs now when
   * `target` is undefined: aborts its signal, which stops `train()` and ends awaited work.
   * Returns whether an execution was interrupted.
   */
  interrupt(target?: string): boolean {
    const running = this.running;
    if (!running || (target !== undefined && running.request.header.msg_id !== target)) return false;
    this.cells.executor.raiseInterrupt();
    running.scope.controller.abort(new Error('interrupted'));
    return true;
  }

  /**
   * Resolves once every shell request that had reached the sockets by now has been answered,
   * including those still in transit to this thread. The kernel's start-up loads what the first
   * cell does not need (Node's types, tf.js) after that, so that a cell sent while the kernel
   * started is not made to wait for them, whichever turn of the event loop its message arrives in.
   *
   * @example
   * void kernel.answered().then(() => loadTheRest());
   */
  answered(): Promise<void> {
    return new Promise((resolve) => {
      this.answeredWaiters.push({ upTo: this.arrivals(), resolve });
      this.settleAnswered();
    });
  }

  private settleAnswered(): void {
    if (this.pumping || this.queue.length > 0) return;
    const waiting: typeof this.answeredWaiters = [];
    for (const waiter of this.answeredWaiters) {
      if (this.handled >= waiter.upTo) waiter.resolve();
      else waiting.push(waiter);
    }
    this.answeredWaiters = waiting;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.dispatch(next);
    } finally {
      this.pumping = false;
      this.settleAnswered();
    }
  }

  private publish(parent: Message<unknown>, msgType: string, content: unknown): void {
    this.sendMessage('iopub', messageFor(parent, msgType, content, this.session));
  }

  private reply(request: ChannelMessage, msgType: string, content: unknown): void {
    this.sendMessage(request.channel, messageFor(request, msgType, content, this.session));
  }

  private async dispatch(request: ChannelMessage): Promise<void> {
    const type = request.header.msg_type;
    this.publish(request, 'status', { execution_state: 'busy' });
    try {
      if (NEEDS_CELLS.has(type) && !this.runner) await this.runnerReady;
      switch (type) {
        case 'kernel_info_request':
          this.reply(request, 'kernel_info_reply', this.info());
          break;
        case 'execute_request':
          await this.execute(request);
          break;
        case 'complete_request':
          this.reply(request, 'complete_reply', this.complete(request.content));
          break;
        case 'inspect_request':
          this.reply(request, 'inspect_reply', this.inspect(request.content));
          break;
        case 'is_complete_request':
          this.reply(request, 'is_complete_reply', this.isComplete(request.content));
          break;
        case 'history_request':
          this.reply(request, 'history_reply', this.historyReply(request.content));
          break;
        case 'comm_info_request':
          this.reply(request, 'comm_info_reply', { status: 'ok', comms: {} });
          break;
        case 'comm_open':
          // No comm targets are registered: close it at once, as ipykernel does for unknown targets.
          this.publish(request, 'comm_close', { comm_id: request.content.comm_id, data: {} });
          break;
        case 'comm_msg':
        case 'comm_close':
          break;
        case 'shutdown_request':
          await this.shutdown(request);
          return;
        default:
          kernelLog(`ignored a message of unknown type ${JSON.stringify(type)} on ${request.channel}`);
      }
    } catch (error) {
      kernelLog(`failed to handle ${type}: ${error instanceof Error ? error.stack : String(error)}`);
    }
    this.publish(request, 'status', { execution_state: 'idle' });
  }

  private async execute(request: ChannelMessage): Promise<void> {
    const start = performance.now();
    try {
      await this.executeTimed(request);
    } finally {
      logTiming('execute_request, busy to reply', start);
    }
  }

  private async executeTimed(request: ChannelMessage): Promise<void> {
    const content = request.content as ExecuteRequest;
    const code = typeof content.code === 'string' ? content.code : '';
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    const stopOnError = content.stop_on_error !== false;
    if ((request.seq ?? Infinity) <= this.abortUpTo) {
      this.reply(request, 'execute_reply', { status: 'aborted', execution_count: this.executionCount });
      return;
    }
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) this.publish(request, 'execute_input', { code, execution_count: count });

    this.cells.executor.clearInterrupt();
    const sink = new IopubSink((msgType, body) => this.publish(request, msgType, body));
    // JupyterLab (and cellfit run) name the cell being run: a re-run replaces that cell's outputs.
    const cellId = typeof request.metadata?.cellId === 'string' ? request.metadata.cellId : undefined;
    if (cellId) recordExecution(cellId, request.header.msg_id);
    // cellfit's kernel.js (classic Notebook) embeds plotly.js into the notebook file when it saves.
    const savesPlotly = (request.metadata?.cellfit as { savesPlotly?: unknown } | undefined)?.savesPlotly === true;
    const scope: CellScope = { id: request.header.msg_id, sink, controller: new AbortController(), runs: [], ...(cellId ? { cellId } : {}), ...(savesPlotly ? { savesPlotly } : {}) };
    this.running = { request, scope };
    let outcome: Outcome;
    let result: Record<string, unknown> | undefined;
    try {
      outcome = await runInScope(scope, () => this.cells.run(code, storeHistory ? `In [${count}]` : 'In [ ]', scope));
      if (outcome.status === 'ok' && outcome.hasValue && !silent) {
        try {
          const displayStart = performance.now();
          result = { ...runInScope(scope, () => toMimeBundle(outcome.status === 'ok' ? outcome.value : undefined)) };
          logTiming('display of the value', displayStart);
        } catch (error) {
          outcome = { status: 'error', error: runtimeError(error, () => undefined), interrupted: false };
        }
      }
    } finally {
      this.running = undefined;
    }
    if (outcome.status === 'error' && outcome.interrupted) {
      scope.controller.abort(new Error('interrupted'));
      // The error is the cell's last output in every client: it names what the interrupt left, such
      // as the checkpoint an interrupted train() saved (its progress line may be invisible, e.g. in
      // jupyter console, which does not show updated outputs).
      const left = interruptedRuns(scope.runs);
      if (left) outcome = { ...outcome, error: interruptedError(left) };
    }

    if (result) this.publish(request, 'execute_result', { execution_count: count, data: result, metadata: {} });
    if (storeHistory) {
      this.history.push({ line: count, input: code, output: typeof result?.['text/plain'] === 'string' ? result['text/plain'] : null });
    }
    if (outcome.status === 'error') {
      // Decided before the reply goes out: what arrived until now was sent with this cell.
      if (stopOnError) this.abortUpTo = this.arrivals();
      const error: CellError = outcome.error;
      this.publish(request, 'error', { ename: error.ename, evalue: error.evalue, traceback: error.traceback });
      this.reply(request, 'execute_reply', {
        status: 'error',
        execution_count: count,
        ename: error.ename,
        evalue: error.evalue,
        traceback: error.traceback,
      });
      return;
    }
    const userExpressions = await this.userExpressions(content.user_expressions, scope);
    this.reply(request, 'execute_reply', { status: 'ok', execution_count: count, user_expressions: userExpressions, payload: [] });
  }

  /** Evaluates execute_request's `user_expressions` after the cell, each to a MIME bundle or an error. */
  private async userExpressions(expressions: unknown, scope: CellScope): Promise<Record<string, unknown>> {
    const results: Record<string, unknown> = {};
    if (typeof expressions !== 'object' || expressions === null) return results;
    for (const [name, expression] of Object.entries(expressions)) {
      if (typeof expression !== 'string') continue;
      const outcome = await runInScope(scope, () => this.cells.executor.execute(expression, { label: `user_expressions[${JSON.stringify(name)}]` }));
      if (outcome.status === 'ok') {
        results[name] = { status: 'ok', data: toMimeBundle(outcome.value), metadata: {} };
      } else {
        results[name] = { status: 'error', ename: outcome.error.ename, evalue: outcome.error.evalue, traceback: outcome.error.traceback };
      }
    }
    return results;
  }

  private complete(content: Record<string, unknown>): Record<string, unknown> {
    const code = typeof content.code === 'string' ? content.code : '';
    const cursor = toUtf16Offset(code, typeof content.cursor_pos === 'number' ? content.cursor_pos : codePointLength(code));
    const lineStart = code.lastIndexOf('\n', cursor - 1) + 1;
    const lineEnd = code.indexOf('\n', cursor);
    const line = code.slice(lineStart, lineEnd < 0 ? code.length : lineEnd);
    const magic = parseModule().magicAt(line, cursor - lineStart);
    let start: number;
    let end: number;
    let matches: string[];
    if (magic) {
      const prefix = magic.name.slice(0, cursor - lineStart - magic.start - magic.prefix.length);
      const kind = magic.prefix === '%%' ? 'cell' : 'line';
      matches = this.cells.magics
        .list()
        .filter((m) => (m.kind === 'both' || m.kind === kind) && m.name.startsWith(prefix))
        .map((m) => `${magic.prefix}${m.name}`);
      start = lineStart + magic.start;
      end = lineStart + magic.end;
    } else {
      const { source, offset } = codeAround(code, cursor);
      const found = this.cells.executor.complete(source, cursor - offset);
      matches = found.matches;
      start = found.start + offset;
      end = found.end + offset;
    }
    return { status: 'ok', matches, cursor_start: toCodePointOffset(code, start), cursor_end: toCodePointOffset(code, end), metadata: {} };
  }

  private inspect(content: Record<string, unknown>): Record<string, unknown> {
    const code = typeof content.code === 'string' ? content.code : '';
    const cursor = toUtf16Offset(code, typeof content.cursor_pos === 'number' ? content.cursor_pos : codePointLength(code));
    const lineStart = code.lastIndexOf('\n', cursor - 1) + 1;
    const lineEnd = code.indexOf('\n', cursor);
    const magic = parseModule().magicAt(code.slice(lineStart, lineEnd < 0 ? code.length : lineEnd), cursor - lineStart);
    let text: string | undefined;
    if (magic) {
      const found = this.cells.magics.find(magic.name, magic.prefix === '%%' ? 'cell' : 'line');
      if (found) text = `${found.usage}\n\n${found.summary}`;
    } else {
      const { source, offset } = codeAround(code, cursor);
      // The symbol ends where the cursor is or just after it (the cursor often sits right after a name).
      text = this.cells.executor.inspect(source, cursor - offset) ?? (cursor > offset ? this.cells.executor.inspect(source, cursor - offset - 1) : undefined);
    }
    if (text === undefined) return { status: 'ok', found: false, data: {}, metadata: {} };
    return { status: 'ok', found: true, data: { 'text/plain': text, 'text/markdown': `\`\`\`typescript\n${text}\n\`\`\`` }, metadata: {} };
  }

  private isComplete(content: Record<string, unknown>): Record<string, unknown> {
    const code = typeof content.code === 'string' ? content.code : '';
    let parsed;
    try {
      parsed = parseModule().parseCell(code);
    } catch {
      return { status: 'invalid' };
    }
    if (parsed.kind === 'cell-magic') {
      // Like IPython: a cell magic takes lines until an empty one.
      return parsed.body === '' || !/\n\s*$/.test(code) ? { status: 'incomplete', indent: '' } : { status: 'complete' };
    }
    const blanked = blankMagicLines(code, parsed.segments);
    const { status, indent } = tslabModule().completeness(blanked);
    return status === 'incomplete' ? { status, indent: indent ?? '' } : { status };
  }

  private historyReply(content: Record<string, unknown>): Record<string, unknown> {
    const output = content.output === true;
    const entry = (e: HistoryEntry) => [HISTORY_SESSION, e.line, output ? [e.input, e.output] : e.input];
    const n = typeof content.n === 'number' && content.n > 0 ? content.n : undefined;
    let entries: HistoryEntry[];
    switch (content.hist_access_type) {
      case 'tail':
        entries = n === undefined ? this.history.slice() : this.history.slice(-n);
        break;
      case 'range': {
        const session = typeof content.session === 'number' ? content.session : 0;
        // Session 0 (or a negative offset) means the current one, as in IPython.
        if (session > 0 && session !== HISTORY_SESSION) return { status: 'ok', history: [] };
        const start = typeof content.start === 'number' ? content.start : 0;
        const stop = typeof content.stop === 'number' ? content.stop : Infinity;
        entries = this.history.filter((e) => e.line >= start && e.line < stop);
        break;
      }
      case 'search': {
        const pattern = globToRegExp(typeof content.pattern === 'string' ? content.pattern : '*');
        entries = this.history.filter((e) => pattern.test(e.input));
        if (content.unique === true) {
          const seen = new Set<string>();
          entries = entries.reverse().filter((e) => !seen.has(e.input) && seen.add(e.input)).reverse();
        }
        if (n !== undefined) entries = entries.slice(-n);
        break;
      }
      default:
        entries = [];
    }
    return { status: 'ok', history: entries.map(entry) };
  }

  private async shutdown(request: ChannelMessage): Promise<void> {
    const restart = request.content.restart === true;
    this.interrupt();
    this.reply(request, 'shutdown_reply', { status: 'ok', restart });
    // ipykernel also publishes the reply on iopub, so every client learns of the shutdown.
    this.publish(request, 'shutdown_reply', { status: 'ok', restart });
    this.publish(request, 'status', { execution_state: 'idle' });
    this.onShutdown(restart);
  }
}

/**
 * What the runs an interrupted cell reported say about their interrupt: `demo: interrupted at epoch
 * 3, batch 20 of 100. Checkpoint … holds this point: re-run to resume from it.`
 */
function interruptedRuns(runs: readonly unknown[]): string | undefined {
  const lines = runs
    .filter((run): run is { id: string; name?: string; status: string; stop: { message: string } } => {
      const candidate = run as { status?: unknown; stop?: { message?: unknown }; id?: unknown };
      return candidate.status === 'interrupted' && typeof candidate.id === 'string' && typeof candidate.stop?.message === 'string';
    })
    .map((run) => `${run.name ?? run.id}: ${run.stop.message}`);
  return lines.length > 0 ? lines.join(' ') : undefined;
}

/** The code of a cell without its magic lines (blanked, so offsets stay), for TypeScript services. */
function blankMagicLines(code: string, segments: readonly { kind: string; line: number }[]): string {
  const magicLines = new Set(segments.filter((s) => s.kind === 'line-magic').map((s) => s.line));
  return code
    .split('\n')
    .map((line, i) => (magicLines.has(i) ? ' '.repeat(line.length) : line))
    .join('\n');
}

/** The TypeScript around `cursor` for completion and inspection: a cell magic's body, or the cell with magic lines blanked. */
function codeAround(code: string, cursor: number): { source: string; offset: number } {
  let parsed;
  try {
    parsed = parseModule().parseCell(code);
  } catch {
    return { source: code, offset: 0 };
  }
  if (parsed.kind === 'cell-magic') {
    const offset = code.split('\n').slice(0, parsed.bodyLine).join('\n').length + 1;
    return cursor >= offset ? { source: parsed.body, offset } : { source: '', offset: cursor };
  }
  return { source: blankMagicLines(code, parsed.segments), offset: 0 };
}

/** Jupyter counts cursor positions in Unicode code points (protocol 5.2+); JavaScript in UTF-16 units. */
export function toUtf16Offset(text: string, codePoints: number): number {
  let units = 0;
  let points = 0;
  while (points < codePoints && units < text.length) {
    units += (text.codePointAt(units) ?? 0) > 0xffff ? 2 : 1;
    points++;
  }
  return units;
}

export function toCodePointOffset(text: string, units: number): number {
  return [...text.slice(0, units)].length;
}

function codePointLength(text: string): number {
  return [...text].length;
}

/** IPython's history search uses SQLite GLOB: `*` any run, `?` one character, case-sensitive. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}
