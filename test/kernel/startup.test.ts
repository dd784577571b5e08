/**
 * Start-up: loading the kernel loads neither TypeScript nor tf.js (its warm-up does, once the sockets
 * are bound), and kernel_info waits for the warm-up, as the requests that need cells do: a client
 * that has its kernel_info_reply finds the kernel ready (jupyter console gives up on an
 * is_complete_request after 1 s). (How long start-up takes is measured by `npm run bench -- kernel`.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { CellRunner } from '../../kernel/cell';
import { Kernel } from '../../kernel/kernel';
import { kernelInfo } from '../../kernel/main';
import { messageFor, type Channel, type ChannelMessage, type Message } from '../../kernel/protocol/messages';

function request(channel: Channel, msgType: string, content: Record<string, unknown> = {}): ChannelMessage {
  return { ...messageFor(undefined, msgType, content, 'test-session'), channel } as ChannelMessage;
}

/** A cell runner that answers every cell with 42 (enough for the kernel's bookkeeping). */
const fakeRunner = {
  executor: { clearInterrupt: () => undefined, raiseInterrupt: () => undefined },
  run: async () => ({ status: 'ok', value: 42, hasValue: true }),
} as unknown as CellRunner;

describe('kernel start-up', () => {
  it('loading the kernel entry points loads neither TypeScript nor tf.js (the warm-up loads them)', () => {
    const dist = path.resolve(__dirname, '..', '..', 'kernel');
    const script = `require(${JSON.stringify(path.join(dist, 'main.js'))}); require(${JSON.stringify(path.join(dist, 'kernel.js'))});
const loaded = Object.keys(require.cache);
console.log(JSON.stringify(['typescript-for-tslab', '@tensorflow/tfjs', 'tslab/dist'].filter((name) => loaded.some((file) => file.includes(name)))));`;
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })), []);
  });

  it('kernel_info_request and is_complete_request wait for the cell runner, as execute_request does', async () => {
    const sent: { channel: Channel; message: Message<unknown> }[] = [];
    let provide: (runner: CellRunner) => void = () => undefined;
    let backend: string | undefined;
    const kernel = new Kernel({
      cells: new Promise<CellRunner>((resolve) => {
        provide = resolve;
      }),
      info: () => kernelInfo(backend),
      send: (channel, message) => sent.push({ channel, message }),
      shutdown: () => undefined,
    });
    const replies = () => sent.filter((s) => s.channel !== 'iopub').map((s) => s.message.header.msg_type);

    kernel.handle(request('control', 'kernel_info_request'));
    kernel.handle(request('shell', 'is_complete_request', { code: 'let a = (' }));
    kernel.handle(request('shell', 'execute_request', { code: '6 * 7' }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(replies(), [], 'nothing is answered before the cell runner is ready');

    backend = 'wasm';
    provide(fakeRunner);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(replies(), ['kernel_info_reply', 'is_complete_reply', 'execute_reply']);
    const info = sent.find((s) => s.message.header.msg_type === 'kernel_info_reply')?.message.content as { banner: string };
    assert.doesNotMatch(info.banner, /tf\.js is loading/);
    assert.equal((sent.find((s) => s.message.header.msg_type === 'is_complete_reply')?.message.content as { status: string }).status, 'incomplete');
    const result = sent.find((s) => s.message.header.msg_type === 'execute_result')?.message.content as { data: Record<string, unknown> };
    assert.equal(result.data['text/plain'], '42');
  });
});
