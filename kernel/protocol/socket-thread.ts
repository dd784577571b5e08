/**
 * The kernel's socket thread (a worker thread): it owns the five ZeroMQ sockets, so the protocol
 * stays alive while the main thread is busy running a cell — heartbeats are answered, output is
 * sent as it is written, and, above all, an `interrupt_request` is heard while a synchronous loop
 * blocks the main thread.
 *
 * The thread decodes and verifies incoming messages and hands them to the main thread; it signs and
 * sends what the main thread gives it. It answers `kernel_info_request`, `is_complete_request`,
 * `history_request` and `comm_info_request` itself while the main thread is still loading
 * TypeScript at start-up (see StartingAnswers in kernel/protocol/thread-messages.ts), and
 * `interrupt_request` always (see kernel/executor.ts for the receiving end):
 * 1. it raises the shared interrupt flag, which the loops of cell code check — this stops a loop
 *    that blocks the main thread, even one that runs after an `await`;
 * 2. it tells the main thread, which aborts the running cell's signal (stopping `train()`) and
 *    acknowledges;
 * 3. only when the main thread has not acknowledged within `signalAfterMs` — it is stuck in code
 *    without loop guards, such as a long synchronous library call — it sends SIGINT, which breaks
 *    the synchronous part of a cell (`vm` `breakOnSigint`).
 *
 * SIGINT is the last resort because Node's SIGINT watchdog can hold on to a signal that arrives as
 * the guarded script ends and fire it into the next cell (seen in the interrupt tests). And
 * terminating stuck JavaScript through the inspector (`Runtime.terminateExecution`) was tried and
 * dropped: Node 20 aborts on an assertion when the termination lands in a microtask while
 * AsyncLocalStorage is in use.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import * as zmq from 'zeromq';
import { scanCompleteness } from './completeness';
import { decode, encode, Signer } from './wire';
import { endpoint, messageFor, type Channel, type Message } from './messages';
import type { SocketThreadData, ThreadCommand, ThreadEvent } from './thread-messages';

/** How long stream text may wait to be merged with what follows. */
const STREAM_DELAY_MS = 10;

function log(text: string): void {
  // Not console: a worker's console goes through the main thread's stdout, which cells capture.
  fs.writeSync(2, `[cellfit kernel sockets] ${text}\n`);
}

/** Sends on one socket, one message at a time (zeromq allows a single pending send per socket). */
class Sender {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly socket: zmq.Writable, private readonly name: string) {}

  send(frames: Buffer[]): Promise<void> {
    this.queue = this.queue.then(
      () => this.socket.send(frames),
    ).catch((error: unknown) => log(`could not send on ${this.name}: ${String(error)}`));
    return this.queue;
  }

  /** Resolves once everything queued so far has been handed to ZeroMQ. */
  flush(): Promise<void> {
    return this.queue;
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('socket-thread.ts runs as a worker thread');
  const { connection, session, interruptFlag, shellArrivals, starting, signalAfterMs } = workerData as SocketThreadData;
  const signer = new Signer(connection.signature_scheme, connection.key);
  const post = (event: ThreadEvent) => port.postMessage(event);

  const shell = new zmq.Router();
  const control = new zmq.Router();
  const stdin = new zmq.Router();
  const iopub = new zmq.Publisher({ sendHighWaterMark: 0 });
  const heartbeat = new zmq.Reply();
  const sockets = [shell, control, stdin, iopub, heartbeat];
  for (const socket of sockets) socket.linger = 2000;
  const senders: Record<Channel, Sender> = {
    shell: new Sender(shell, 'shell'),
    control: new Sender(control, 'control'),
    stdin: new Sender(stdin, 'stdin'),
    iopub: new Sender(iopub, 'iopub'),
  };

  /** msg_ids of execute_requests handed to the main thread and not yet answered, oldest first. */
  const pendingExecutes: string[] = [];
  let signalTimer: NodeJS.Timeout | undefined;

  // Stream text is merged here, off the main thread: consecutive writes to the same stream of the
  // same request go out as one message within STREAM_DELAY_MS (frontends redraw per message).
  let pendingStream: Message<{ name: string; text: string }> | undefined;
  let streamTimer: NodeJS.Timeout | undefined;
  const flushStream = () => {
    clearTimeout(streamTimer);
    streamTimer = undefined;
    const pending = pendingStream;
    pendingStream = undefined;
    if (pending) void senders.iopub.send(encode(pending, signer));
  };
  const parentId = (message: Message<unknown>) => (message.parent_header as { msg_id?: string }).msg_id;

  const send = (channel: Channel, message: Message<unknown>) => {
    if (channel === 'iopub' && message.header.msg_type === 'stream') {
      const content = message.content as { name: string; text: string };
      if (pendingStream && parentId(pendingStream) === parentId(message) && pendingStream.content.name === content.name) {
        pendingStream = { ...pendingStream, content: { ...pendingStream.content, text: pendingStream.content.text + content.text } };
        return senders.iopub.flush();
      }
      flushStream();
      pendingStream = message as Message<{ name: string; text: string }>;
      streamTimer = setTimeout(flushStream, STREAM_DELAY_MS);
      return senders.iopub.flush();
    }
    flushStream();
    if (message.header.msg_type === 'execute_reply') {
      const index = pendingExecutes.indexOf((message.parent_header as { msg_id?: string }).msg_id ?? '');
      if (index >= 0) pendingExecutes.splice(index, 1);
    }
    return senders[channel].send(encode(message, signer));
  };

  const interrupt = async (request: Message) => {
    await send('iopub', messageFor(request, 'status', { execution_state: 'busy' }, session));
    const target = pendingExecutes[0];
    Atomics.store(interruptFlag, 0, 1);
    post({ kind: 'interrupt', target });
    clearTimeout(signalTimer);
    signalTimer = setTimeout(() => {
      if (target === undefined || !pendingExecutes.includes(target)) return;
      try {
        process.kill(process.pid, 'SIGINT');
      } catch (error) {
        log(`could not send SIGINT: ${String(error)}`);
      }
    }, signalAfterMs);
    await send('control', messageFor(request, 'interrupt_reply', { status: 'ok' }, session));
    await send('iopub', messageFor(request, 'status', { execution_state: 'idle' }, session));
  };

  /** What the main thread cannot answer while it loads TypeScript (StartingAnswers). */
  const startingReply = (request: Message): { msgType: string; content: unknown } | undefined => {
    switch (request.header.msg_type) {
      case 'kernel_info_request':
        if (process.env.CELLFIT_TIMING === '1') log(`timing: kernel_info_reply sent while loading (at ${(process.uptime() * 1000).toFixed(0)} ms since process start)`);
        return { msgType: 'kernel_info_reply', content: starting.kernelInfo };
      case 'is_complete_request':
        return { msgType: 'is_complete_reply', content: scanCompleteness(typeof request.content.code === 'string' ? request.content.code : '') };
      case 'history_request':
        // No cell has run yet. (jupyter console asks at start-up; a reply arriving later would be
        // taken for the reply to its first execute_request, whose output it would then miss.)
        return { msgType: 'history_reply', content: { status: 'ok', history: [] } };
      case 'comm_info_request':
        return { msgType: 'comm_info_reply', content: { status: 'ok', comms: {} } };
      default:
        return undefined;
    }
  };
  const answerWhileStarting = async (request: Message, channel: Channel, reply: { msgType: string; content: unknown }) => {
    await send('iopub', messageFor(request, 'status', { execution_state: 'busy' }, session));
    await send(channel, messageFor(request, reply.msgType, reply.content, session));
    await send('iopub', messageFor(request, 'status', { execution_state: 'idle' }, session));
  };

  const receive = async (socket: zmq.Router, channel: Channel) => {
    for await (const frames of socket) {
      let message: Message;
      try {
        message = decode(frames, signer);
      } catch (error) {
        log(`dropped a message on ${channel}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (channel === 'control' && message.header.msg_type === 'interrupt_request') {
        await interrupt(message);
        continue;
      }
      const early = channel !== 'stdin' && Atomics.load(starting.cellsReady, 0) === 0 ? startingReply(message) : undefined;
      if (early) {
        await answerWhileStarting(message, channel, early);
        continue;
      }
      if (channel === 'shell' && message.header.msg_type === 'execute_request') pendingExecutes.push(message.header.msg_id);
      const seq = channel === 'shell' ? Atomics.add(shellArrivals, 0, 1) + 1 : undefined;
      post({ kind: 'message', channel, message, seq });
    }
  };

  port.on('message', (command: ThreadCommand) => {
    switch (command.kind) {
      case 'send':
        void send(command.channel, revive(command.message));
        break;
      case 'interrupt-handled':
        clearTimeout(signalTimer);
        break;
      case 'close':
        clearTimeout(signalTimer);
        flushStream();
        void Promise.all(Object.values(senders).map((sender) => sender.flush()))
          .finally(() => {
            for (const socket of sockets) socket.close();
            post({ kind: 'closed' });
          });
        break;
    }
  });

  await Promise.all([
    shell.bind(endpoint(connection, connection.shell_port)),
    control.bind(endpoint(connection, connection.control_port)),
    stdin.bind(endpoint(connection, connection.stdin_port)),
    iopub.bind(endpoint(connection, connection.iopub_port)),
    heartbeat.bind(endpoint(connection, connection.hb_port)),
  ]);
  void receive(shell, 'shell').catch((error: unknown) => log(`shell: ${String(error)}`));
  void receive(control, 'control').catch((error: unknown) => log(`control: ${String(error)}`));
  void receive(stdin, 'stdin').catch((error: unknown) => log(`stdin: ${String(error)}`));
  void (async () => {
    for await (const frames of heartbeat) await heartbeat.send(frames);
  })().catch((error: unknown) => log(`heartbeat: ${String(error)}`));
  post({ kind: 'ready' });
}

/** Buffers arrive from another thread as Uint8Arrays. */
function revive(message: Message<unknown>): Message<unknown> {
  return { ...message, identities: message.identities.map((id) => Buffer.from(id)), buffers: message.buffers.map((b) => Buffer.from(b)) };
}

main().catch((error: unknown) => {
  log(`failed to start: ${error instanceof Error ? error.stack : String(error)}`);
  parentPort?.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies ThreadEvent);
});
