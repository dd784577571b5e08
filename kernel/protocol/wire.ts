/**
 * The wire format of Jupyter messages over ZeroMQ: routing identities, the `<IDS|MSG>` delimiter,
 * an HMAC signature, four JSON frames (header, parent header, metadata, content), then raw binary
 * buffers. https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { fail, formatValue } from '../../lib/errors';
import type { Header, Message } from './messages';

const DELIMITER = Buffer.from('<IDS|MSG>');

/** Signs and checks messages with the connection's key; an empty key disables signing. */
export class Signer {
  private readonly key: Buffer;
  private readonly algorithm: string;

  /**
   * @param scheme The connection file's `signature_scheme`, e.g. `hmac-sha256`.
   * @example
   * const signer = new Signer('hmac-sha256', 'secret');
   */
  constructor(scheme: string, key: string) {
    const match = /^hmac-([a-z0-9]+)$/.exec(scheme);
    if (!match) fail('Signer', `unsupported signature_scheme. Received: signature_scheme=${formatValue(scheme)}. Expected hmac-sha256 (or another hmac-<hash>).`);
    this.algorithm = match[1];
    this.key = Buffer.from(key, 'utf8');
    // Fails early on a hash Node does not know.
    this.sign([]);
  }

  /** The hex signature of the four JSON frames; `''` without a key. */
  sign(frames: readonly Buffer[]): string {
    if (this.key.length === 0) return '';
    const hmac = createHmac(this.algorithm, this.key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest('hex');
  }

  /** Whether `signature` is right for `frames` (compared in constant time). */
  verify(signature: string, frames: readonly Buffer[]): boolean {
    if (this.key.length === 0) return true;
    const expected = Buffer.from(this.sign(frames), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/**
 * The frames of `message`, signed.
 *
 * @example
 * await socket.send(encode(message, signer));
 */
export function encode(message: Message<unknown>, signer: Signer): Buffer[] {
  const json = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part), 'utf8'));
  return [...message.identities.map((id) => Buffer.from(id)), DELIMITER, Buffer.from(signer.sign(json), 'utf8'), ...json, ...message.buffers.map((b) => Buffer.from(b))];
}

/** Parses and verifies received `frames`; throws naming what is wrong with them. */
export function decode(frames: readonly Buffer[], signer: Signer): Message {
  const delimiter = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (delimiter < 0) fail('decode()', 'message has no <IDS|MSG> delimiter.');
  if (frames.length < delimiter + 6) fail('decode()', `message has ${frames.length - delimiter - 1} frames after the delimiter. Expected at least 5.`);
  const signature = frames[delimiter + 1].toString('utf8');
  const json = frames.slice(delimiter + 2, delimiter + 6);
  if (!signer.verify(signature, json)) fail('decode()', 'message signature does not match (wrong key?).');
  const [header, parent, metadata, content] = json.map((frame, i) => {
    try {
      return JSON.parse(frame.toString('utf8')) as unknown;
    } catch {
      return fail('decode()', `frame ${['header', 'parent_header', 'metadata', 'content'][i]} is not JSON.`);
    }
  });
  const h = header as Partial<Header>;
  if (typeof h?.msg_type !== 'string' || typeof h.msg_id !== 'string') fail('decode()', 'header lacks msg_id or msg_type.');
  return {
    identities: frames.slice(0, delimiter),
    header: header as Header,
    parent_header: (parent ?? {}) as Header,
    metadata: (metadata ?? {}) as Record<string, unknown>,
    content: (content ?? {}) as Record<string, unknown>,
    buffers: frames.slice(delimiter + 6),
  };
}
