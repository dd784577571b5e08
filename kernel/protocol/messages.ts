/**
 * The shapes of Jupyter messages (messaging protocol 5.3), as far as the kernel and its headless
 * runner use them. https://jupyter-client.readthedocs.io/en/latest/messaging.html
 */
import { randomUUID } from 'node:crypto';

/** The protocol version this kernel speaks. */
export const PROTOCOL_VERSION = '5.3';

/** The sockets of a kernel connection. */
export type Channel = 'shell' | 'control' | 'iopub' | 'stdin';

export interface Header {
  readonly msg_id: string;
  readonly session: string;
  readonly username: string;
  readonly date: string;
  readonly msg_type: string;
  readonly version: string;
}

/** A message as it travels: routing identities, the four JSON parts, and binary buffers. */
export interface Message<Content = Record<string, unknown>> {
  readonly identities: readonly Buffer[];
  readonly header: Header;
  /** The header of the request this message answers or was caused by; `{}` when none. */
  readonly parent_header: Header | Record<string, never>;
  readonly metadata: Record<string, unknown>;
  readonly content: Content;
  readonly buffers: readonly Buffer[];
}

/** A message on a named channel. */
export interface ChannelMessage extends Message {
  readonly channel: Channel;
  /** For shell messages: the order of arrival at the kernel's sockets (1, 2, …). */
  readonly seq?: number;
}

/** The contents of a kernel's connection file. */
export interface ConnectionInfo {
  readonly transport: 'tcp' | 'ipc';
  readonly ip: string;
  readonly shell_port: number;
  readonly iopub_port: number;
  readonly stdin_port: number;
  readonly control_port: number;
  readonly hb_port: number;
  readonly key: string;
  readonly signature_scheme: string;
  readonly kernel_name?: string;
}

/** A fresh header for a message of `msgType` sent by `session`. */
export function newHeader(msgType: string, session: string, username = 'cellfit'): Header {
  return { msg_id: randomUUID(), session, username, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION };
}

/**
 * A message answering (or caused by) `parent`: routed back to the parent's identities, with the
 * parent's header as `parent_header`.
 *
 * @example
 * const reply = messageFor(request, 'kernel_info_reply', { status: 'ok', ... }, session);
 */
export function messageFor<Content>(parent: Message<unknown> | undefined, msgType: string, content: Content, session: string): Message<Content> {
  return {
    identities: parent?.identities ?? [],
    header: newHeader(msgType, session, parent?.header.username),
    parent_header: parent?.header ?? {},
    metadata: {},
    content,
    buffers: [],
  };
}

/** The endpoint a socket binds or connects to, for `port` of `info`. */
export function endpoint(info: Pick<ConnectionInfo, 'transport' | 'ip'>, port: number): string {
  return info.transport === 'ipc' ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}
