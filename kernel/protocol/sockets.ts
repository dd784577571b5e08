/**
 * The main thread's handle on the socket thread (kernel/protocol/socket-thread.ts): start it,
 * receive requests and interrupts from it, give it messages to send.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fail } from '../../lib/errors';
import type { Channel, ChannelMessage, ConnectionInfo, Message } from './messages';
import type { SocketThreadData, StartingAnswers, ThreadCommand, ThreadEvent } from './thread-messages';

/** What the kernel does with what arrives. */
export interface SocketHandlers {
  /** A request on shell, control or stdin (except interrupt_request). */
  onMessage(message: ChannelMessage): void;
  /** An interrupt_request arrived; `target` is the execute_request running then, if any. */
  onInterrupt(target: string | undefined): void;
}

/** The kernel's connection to its frontends. */
export interface Sockets {
  send(channel: Channel, message: Message<unknown>): void;
  /** Tells the socket thread the main thread has handled an interrupt (so it sends no SIGINT). */
  acknowledgeInterrupt(): void;
  /** Sends what is queued, then closes the sockets. */
  close(): Promise<void>;
}

/**
 * Binds the sockets of `connection` on a worker thread.
 *
 * @param interruptFlag The executor's interrupt flag, raised by the socket thread on interrupt_request.
 * @param shellArrivals Counts shell messages as they arrive (an Int32Array over shared memory).
 * @param starting What the socket thread answers itself until the main thread sets `cellsReady`.
 * @param signalAfterMs How long an interrupt may go unacknowledged before SIGINT. Defaults to 2000 ms.
 */
export function startSockets(
  connection: ConnectionInfo,
  session: string,
  handlers: SocketHandlers,
  interruptFlag: Int32Array,
  shellArrivals: Int32Array,
  starting: StartingAnswers,
  signalAfterMs = 2000,
): Promise<Sockets> {
  const data: SocketThreadData = { connection, session, interruptFlag, shellArrivals, starting, signalAfterMs };
  const worker = new Worker(path.join(__dirname, 'socket-thread.js'), { workerData: data, stdout: false, stderr: false });
  let closed: (() => void) | undefined;
  return new Promise<Sockets>((resolve, reject) => {
    const sockets: Sockets = {
      send: (channel, message) => worker.postMessage({ kind: 'send', channel, message } satisfies ThreadCommand),
      acknowledgeInterrupt: () => worker.postMessage({ kind: 'interrupt-handled' } satisfies ThreadCommand),
      close: () =>
        new Promise<void>((done) => {
          closed = done;
          worker.postMessage({ kind: 'close' } satisfies ThreadCommand);
        }).then(() => worker.terminate().then(() => undefined)),
    };
    worker.on('message', (event: ThreadEvent) => {
      switch (event.kind) {
        case 'ready':
          resolve(sockets);
          break;
        case 'failed':
          reject(new Error(`cellfit kernel: could not open the sockets: ${event.message}`));
          break;
        case 'message':
          handlers.onMessage({ ...event.message, channel: event.channel, seq: event.seq, identities: event.message.identities.map((id) => Buffer.from(id)) });
          break;
        case 'interrupt':
          handlers.onInterrupt(event.target);
          break;
        case 'closed':
          closed?.();
          break;
      }
    });
    worker.on('error', reject);
  });
}

/** Reads and checks a connection file. */
export function parseConnectionInfo(text: string, file: string): ConnectionInfo {
  let info: Partial<ConnectionInfo>;
  try {
    info = JSON.parse(text) as Partial<ConnectionInfo>;
  } catch {
    return fail('cellfit kernel', `the connection file is not JSON. Received: file=${JSON.stringify(file)}.`);
  }
  const ports = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const;
  const missing = [...ports, 'ip', 'key'].filter((key) => info[key as keyof ConnectionInfo] === undefined);
  if (missing.length > 0) fail('cellfit kernel', `the connection file lacks ${missing.join(', ')}. Received: file=${JSON.stringify(file)}.`);
  return { transport: 'tcp', signature_scheme: 'hmac-sha256', ...info } as ConnectionInfo;
}
