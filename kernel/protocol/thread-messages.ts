/**
 * What the main thread (kernel/protocol/sockets.ts) and the socket thread
 * (kernel/protocol/socket-thread.ts) say to each other. In a file of their own so that neither
 * module imports the other.
 */
import type { Channel, ConnectionInfo, Message } from './messages';

/** What the main thread passes in `workerData`. */
export interface SocketThreadData {
  readonly connection: ConnectionInfo;
  /** The kernel's session id, for the messages this thread writes itself. */
  readonly session: string;
  /** The executor's interrupt flag (an Int32Array over shared memory). */
  readonly interruptFlag: Int32Array;
  /** Element 0 counts the shell messages received so far (shared memory; see Kernel `arrivals`). */
  readonly shellArrivals: Int32Array;
  /** What the socket thread answers itself while the main thread loads TypeScript. */
  readonly starting: StartingAnswers;
  /** How long the main thread may take to acknowledge an interrupt before SIGINT is sent. */
  readonly signalAfterMs: number;
}

/**
 * While element 0 of `cellsReady` (shared memory) is 0 — the main thread is loading TypeScript
 * and cannot answer for a second or more — the socket thread answers kernel_info_request with
 * `kernelInfo`, is_complete_request with kernel/protocol/completeness.ts, and history_request and
 * comm_info_request (no cell has run, no comm is open). jupyter console sends is_complete_request
 * right after kernel_info_reply and gives up on it after 1 s, and it takes any shell reply that
 * comes while it waits for an execute_reply for that reply (so a late history_reply hid the output
 * of the first cell).
 */
export interface StartingAnswers {
  readonly cellsReady: Int32Array;
  /** The kernel_info_reply content until cells can run. */
  readonly kernelInfo: unknown;
}

/** Main thread → socket thread. */
export type ThreadCommand =
  | { readonly kind: 'send'; readonly channel: Channel; readonly message: Message<unknown> }
  | { readonly kind: 'interrupt-handled' }
  | { readonly kind: 'close' };

/** Socket thread → main thread. */
export type ThreadEvent =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'message'; readonly channel: Channel; readonly message: Message; readonly seq?: number }
  | { readonly kind: 'interrupt'; readonly target: string | undefined }
  | { readonly kind: 'closed' };
