import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { messageFor, newHeader, type Message } from '../../../kernel/protocol/messages';
import { decode, encode, Signer } from '../../../kernel/protocol/wire';
import { throwsWith } from '../../helpers';

const request: Message = {
  identities: [Buffer.from('client-1')],
  header: newHeader('execute_request', 'client-session'),
  parent_header: {},
  metadata: {},
  content: { code: '1 + 1' },
  buffers: [],
};

describe('protocol/wire', () => {
  it('encode(message, signer) frames identities, <IDS|MSG>, an HMAC-SHA256 of the four JSON parts, then buffers', () => {
    const signer = new Signer('hmac-sha256', 'key');
    const frames = encode({ ...request, buffers: [Buffer.from([1, 2, 3])] }, signer);
    assert.equal(frames[0].toString(), 'client-1');
    assert.equal(frames[1].toString(), '<IDS|MSG>');
    const hmac = createHmac('sha256', 'key');
    for (const frame of frames.slice(3, 7)) hmac.update(frame);
    assert.equal(frames[2].toString(), hmac.digest('hex'));
    assert.deepEqual(JSON.parse(frames[6].toString()), { code: '1 + 1' });
    assert.deepEqual([...frames[7]], [1, 2, 3]);
  });

  it('decode(encode(message)) gives the message back, identities and buffers included', () => {
    const signer = new Signer('hmac-sha256', 'key');
    const decoded = decode(encode({ ...request, buffers: [Buffer.from('raw')] }, signer), signer);
    assert.deepEqual(decoded.header, request.header);
    assert.deepEqual(decoded.content, request.content);
    assert.equal(decoded.identities[0].toString(), 'client-1');
    assert.equal(decoded.buffers[0].toString(), 'raw');
  });

  it('decode() rejects a wrong signature, a missing delimiter and too few frames, saying which', () => {
    const frames = encode(request, new Signer('hmac-sha256', 'key'));
    throwsWith(() => decode(frames, new Signer('hmac-sha256', 'other key')), 'decode()', 'signature does not match');
    throwsWith(() => decode(frames.filter((f) => f.toString() !== '<IDS|MSG>'), new Signer('hmac-sha256', 'key')), 'no <IDS|MSG> delimiter');
    throwsWith(() => decode(frames.slice(0, 4), new Signer('hmac-sha256', 'key')), 'Expected at least 5');
  });

  it('new Signer(scheme, "") signs nothing and accepts any signature; an unknown scheme is refused', () => {
    const signer = new Signer('hmac-sha256', '');
    const frames = encode(request, signer);
    assert.equal(frames[2].toString(), '');
    assert.equal(decode(frames, signer).header.msg_type, 'execute_request');
    throwsWith(() => new Signer('rsa', 'k'), 'unsupported signature_scheme', 'Received: signature_scheme="rsa"');
  });

  it('messageFor(parent, type, content, session) routes to the parent, with its header as parent_header', () => {
    const reply = messageFor(request, 'execute_reply', { status: 'ok' }, 'kernel-session');
    assert.equal(reply.identities, request.identities);
    assert.equal(reply.parent_header, request.header);
    assert.equal(reply.header.session, 'kernel-session');
    assert.equal(reply.header.version, '5.3');
    assert.notEqual(reply.header.msg_id, request.header.msg_id);
  });
});
