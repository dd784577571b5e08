/**
 * A Jupyter client for Node.js: starts a kernel process with a fresh connection file and talks to
 * it over ZeroMQ — shell, control and stdin (DEALER), iopub (SUB), heartbeat (REQ). `cellfit run`
 * executes notebooks with it, and the kernel's tests drive the real kernel through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as zmq from 'zeromq';
import { CellfitError } from '../../lib/errors';
import { endpoint, newHeader, type Channel, type ConnectionInfo, type Message } from '../protocol/messages';
import { decode, encode, Signer } from '../protocol/wire';

/** A request's reply with the iopub messages it caused (between its busy and idle statuses). */
export interface Exchange {
  readonly reply: Message;
  /** iopub messages with this request as parent, except `status` and `execute_input`. */
  readonly outputs: Message[];
  /** Every iopub message with this request as parent, in order. */
  readonly iopub: Message[];
}

/** Options of {@link KernelClient.launch}. */
export interface LaunchOptions {
  /** Working directory of the kernel (a notebook's directory). Defaults to the current one. */
  readonly cwd?: string;
  /** The kernel command; `{connection_file}` is replaced. Defaults to this installation's cellfit kernel. */
  readonly argv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for the kernel to answer kernel_info. Defaults to 60 s. */
  readonly startTimeoutMs?: number;
  /**
   * What {@link KernelClient.launch} waits for before it returns:
   * - `'cells'` (the default): until the kernel can run cells. A cellfit kernel answers kernel_info
   *   while it still loads TypeScript; an interrupt sent then finds no running cell, so tests that
   *   time an interrupt after starting a cell need this.
   * - `'kernel-info'`: until it answers kernel_info, as Jupyter's clients do.
   * - `'connected'`: nothing: the sockets are connecting, and requests sent now wait in them until
   *   the kernel has bound its own, so they reach it while it starts.
   */
  readonly until?: 'cells' | 'kernel-info' | 'connected';
  /** Called with the kernel's stderr as it arrives (its log). */
  readonly onStderr?: (text: string) => void;
}

interface Pending {
  reply?: Message;
  idle: boolean;
  iopub: Message[];
  /** False for messages the protocol answers with no reply (comm_open, comm_msg, comm_close). */
  readonly expectsReply: boolean;
  /** Called with the reply when it arrives, before the idle status. */
  onReply?(reply: Message): void;
  settle(pending: Pending): void;
  reject(error: Error): void;
}

/** Binds port 0 to let the OS choose free ports (what jupyter_client does too). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The cellfit kernel of this installation, as a command. */
export function cellfitKernelArgv(): string[] {
  return [process.execPath, path.join(__dirname, '..', 'cli.js'), 'kernel', '--connection-file', '{connection_file}'];
}

/**
 * @example
 * const client = await KernelClient.launch({ cwd: 'notebooks' });
 * const { reply, outputs } = await client.execute('1 + 1');
 * await client.shutdown();
 */
export class KernelClient {
  readonly session = randomUUID();
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(message: Message) => void>();
  private readonly signer: Signer;
  private readonly shell = new zmq.Dealer();
  private readonly control = new zmq.Dealer();
  private readonly stdin = new zmq.Dealer();
  private readonly iopub = new zmq.Subscriber();
  private readonly sendQueues = new Map<zmq.Dealer, Promise<void>>();
  private closed = false;
  private stderrTail = '';
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private endedBy?: NodeJS.Signals;

  private constructor(readonly connection: ConnectionInfo, readonly kernelProcess?: ChildProcess) {
    this.signer = new Signer(connection.signature_scheme, connection.key);
  }

  /** Starts a kernel process and connects to it, once it answers. */
  static async launch(options: LaunchOptions = {}): Promise<KernelClient> {
    const ports = await freePorts(5);
    const connection: ConnectionInfo = {
      transport: 'tcp',
      ip: '127.0.0.1',
      shell_port: ports[0],
      iopub_port: ports[1],
      stdin_port: ports[2],
      control_port: ports[3],
      hb_port: ports[4],
      key: randomBytes(32).toString('hex'),
      signature_scheme: 'hmac-sha256',
      kernel_name: 'cellfit',
    };
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-kernel-'));
    const file = path.join(directory, 'connection.json');
    fs.writeFileSync(file, JSON.stringify(connection), { mode: 0o600 });
    const [command, ...args] = (options.argv ?? cellfitKernelArgv()).map((arg) => arg.replace('{connection_file}', file));
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const client = new KernelClient(connection, child);
    client.exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => {
      client.endedBy = signal ?? undefined;
      fs.rmSync(directory, { recursive: true, force: true });
      resolve(code);
    }));
    const keep = (text: string) => {
      client.stderrTail = (client.stderrTail + text).slice(-8000);
      options.onStderr?.(text);
    };
    child.stderr?.setEncoding('utf8').on('data', keep);
    child.stdout?.setEncoding('utf8').on('data', keep);
    await client.connect();
    const until = options.until ?? 'cells';
    if (until === 'connected') return client;
    try {
      await client.waitForReady(options.startTimeoutMs ?? 60_000);
      // Answered once cells can run (an empty inspection costs next to nothing).
      if (until === 'cells') await client.request('shell', 'inspect_request', { code: '', cursor_pos: 0, detail_level: 0 });
    } catch (error) {
      client.kill();
      throw error;
    }
    return client;
  }

  /** The signal that ended the kernel process, when one did (its exit code is then null). */
  get exitSignal(): NodeJS.Signals | undefined {
    return this.endedBy;
  }

  /** The kernel's recent stderr (for error messages). */
  get kernelLog(): string {
    return this.stderrTail;
  }

  private async connect(): Promise<void> {
    const info = this.connection;
    for (const socket of [this.shell, this.control, this.stdin, this.iopub]) {
      socket.linger = 0;
      // Connected before the kernel has bound: retry often (ZeroMQ's default is every 100 ms), so
      // that iopub is subscribed by the time the kernel answers what was sent meanwhile.
      socket.reconnectInterval = 10;
    }
    this.shell.connect(endpoint(info, info.shell_port));
    this.control.connect(endpoint(info, info.control_port));
    this.stdin.connect(endpoint(info, info.stdin_port));
    this.iopub.connect(endpoint(info, info.iopub_port));
    this.iopub.subscribe();
    void this.receive(this.shell);
    void this.receive(this.control);
    void this.receive(this.iopub);
  }

  private async receive(socket: zmq.Dealer | zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of socket) {
        let message: Message;
        try {
          message = decode(frames, this.signer);
        } catch {
          continue;
        }
        this.route(message, socket === this.iopub);
      }
    } catch (error) {
      if (!this.closed) this.failAll(new Error(`kernel connection failed: ${String(error)}`));
    }
  }

  private route(message: Message, fromIopub: boolean): void {
    const parentId = (message.parent_header as { msg_id?: string }).msg_id;
    if (fromIopub) for (const listener of this.listeners) listener(message);
    const pending = parentId === undefined ? undefined : this.pending.get(parentId);
    if (!pending) return;
    if (fromIopub) {
      pending.iopub.push(message);
      if (message.header.msg_type === 'status' && message.content.execution_state === 'idle') pending.idle = true;
    } else {
      pending.reply = message;
      pending.onReply?.(message);
    }
    if (pending.idle && (pending.reply || !pending.expectsReply)) {
      this.pending.delete(parentId!);
      pending.settle(pending);
    }
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  /** Calls `listener` with every iopub message; returns a function that stops it. */
  onIopub(listener: (message: Message) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends a request and returns its msg_id at once. `replied` resolves with the reply alone, as it
   * arrives on its channel; `done` with the reply and the iopub messages, once the kernel is idle
   * again (a client connected to iopub after the kernel went idle would wait for `done` forever).
   *
   * @example
   * const { replied } = client.send('shell', 'is_complete_request', { code: 'let a = (' });
   * (await replied).content.status; // 'incomplete'
   */
  send(channel: Exclude<Channel, 'iopub'>, msgType: string, content: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): { id: string; replied: Promise<Message>; done: Promise<Exchange> } {
    const header = newHeader(msgType, this.session, 'cellfit-run');
    let onReply: (reply: Message) => void = () => undefined;
    let failReply: (error: Error) => void = () => undefined;
    const replied = new Promise<Message>((resolve, reject) => {
      onReply = resolve;
      failReply = reject;
    });
    // Whoever only waits for `done` does not see `replied` fail on its own.
    replied.catch(() => undefined);
    const done = new Promise<Exchange>((resolve, reject) => {
      const settle = ({ reply, iopub }: Pending) => {
        const outputs = iopub.filter((m) => m.header.msg_type !== 'status' && m.header.msg_type !== 'execute_input');
        resolve({ reply: reply!, outputs, iopub });
      };
      const fail = (error: Error) => {
        failReply(error);
        reject(error);
      };
      this.pending.set(header.msg_id, { idle: false, iopub: [], expectsReply: true, settle, reject: fail, onReply });
    });
    this.transmit(channel, { identities: [], header, parent_header: {}, metadata, content, buffers: [] });
    return { id: header.msg_id, replied, done };
  }

  /**
   * Sends a message the protocol gives no reply to (comm_open, comm_msg, comm_close) and resolves
   * with the iopub messages it caused, once the kernel is idle again.
   *
   * @example
   * const iopub = await client.notify('comm_open', { comm_id: 'c-1', target_name: 'x', data: {} });
   */
  notify(msgType: string, content: Record<string, unknown> = {}): Promise<Message[]> {
    const header = newHeader(msgType, this.session, 'cellfit-run');
    const done = new Promise<Message[]>((resolve, reject) => {
      this.pending.set(header.msg_id, { idle: false, iopub: [], expectsReply: false, settle: ({ iopub }) => resolve(iopub), reject });
    });
    this.transmit('shell', { identities: [], header, parent_header: {}, metadata: {}, content, buffers: [] });
    return done;
  }

  private transmit(channel: Exclude<Channel, 'iopub'>, message: Message<unknown>): void {
    const socket = channel === 'shell' ? this.shell : channel === 'control' ? this.control : this.stdin;
    const previous = this.sendQueues.get(socket) ?? Promise.resolve();
    this.sendQueues.set(socket, previous.then(() => socket.send(encode(message, this.signer))));
  }

  /** Sends a request and waits for its reply and its idle status. */
  request(channel: Exclude<Channel, 'iopub'>, msgType: string, content: Record<string, unknown> = {}): Promise<Exchange> {
    return this.send(channel, msgType, content).done;
  }

  /**
   * Executes `code` and waits until the kernel is idle again.
   *
   * @example
   * const { reply, outputs } = await client.execute('console.log("hi")');
   */
  execute(code: string, options: { silent?: boolean; store_history?: boolean; stop_on_error?: boolean; user_expressions?: Record<string, string>; cellId?: string } = {}): Promise<Exchange> {
    const content = {
      code,
      silent: options.silent ?? false,
      store_history: options.store_history ?? true,
      user_expressions: options.user_expressions ?? {},
      allow_stdin: false,
      stop_on_error: options.stop_on_error ?? true,
    };
    // Like JupyterLab, name the notebook cell being executed.
    return this.send('shell', 'execute_request', content, options.cellId ? { cellId: options.cellId } : {}).done;
  }

  /** Sends interrupt_request on the control channel. */
  interrupt(): Promise<Exchange> {
    return this.request('control', 'interrupt_request');
  }

  private async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exitPromise.then(() => {
      exited = true;
    });
    while (Date.now() < deadline) {
      if (exited) throw new CellfitError('KernelClient', `the kernel exited before answering. Its log:\n${this.stderrTail}`);
      const attempt = this.send('shell', 'kernel_info_request');
      const answered = await Promise.race([attempt.done.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 1000))]);
      if (answered) return;
      this.pending.delete(attempt.id);
    }
    throw new CellfitError('KernelClient', `the kernel did not answer kernel_info within ${timeoutMs} ms. Its log:\n${this.stderrTail}`);
  }

  /** Asks the kernel to shut down, waits for it to exit, and closes the sockets. */
  async shutdown(): Promise<number | null> {
    if (this.kernelProcess && this.kernelProcess.exitCode === null) {
      await Promise.race([this.request('control', 'shutdown_request', { restart: false }), this.exitPromise]);
    }
    const code = await this.exitPromise;
    this.close();
    return code;
  }

  /** Kills the kernel process (if this client started it) and closes the sockets. */
  kill(): void {
    this.kernelProcess?.kill("SIGKILL");
    this.close();
  }

  /** Resolves with the kernel process's exit code once it exits. */
  exited(): Promise<number | null> {
    return this.exitPromise;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.shell, this.control, this.stdin, this.iopub]) socket.close();
    this.failAll(new Error('the kernel client was closed'));
  }
}
