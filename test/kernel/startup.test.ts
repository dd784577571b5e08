/**
 * Start-up: loading the kernel loads neither TypeScript nor tf.js (its warm-up loads TypeScript once
 * the sockets are bound); kernel_info_request is answered at once, and while the main thread loads
 * TypeScript the socket thread answers is_complete_request (jupyter console gives up on one after
 * 1 s), history_request and comm_info_request; tf.js and the magics load after the first cell unless that cell needs them, and
 * so do Node's types. (How long
 * start-up takes is measured by `npm run bench -- kernel`.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { CellRunner } from '../../kernel/cell';
import { Kernel } from '../../kernel/kernel';
import { kernelInfo, needsToolkit } from '../../kernel/main';
import { messageFor, type Channel, type ChannelMessage, type Message } from '../../kernel/protocol/messages';
import { KernelClient } from '../../kernel/runner/client';
import { NOTEBOOKS, plain, temporaryDir } from './harness';

function request(channel: Channel, msgType: string, content: Record<string, unknown> = {}): ChannelMessage {
  return { ...messageFor(undefined, msgType, content, 'test-session'), channel } as ChannelMessage;
}

/** A cell runner that answers every cell with 42 (enough for the kernel's bookkeeping). */
const fakeRunner = {
  executor: { clearInterrupt: () => undefined, raiseInterrupt: () => undefined },
  run: async () => ({ status: 'ok', value: 42, hasValue: true }),
} as unknown as CellRunner;

/**
 * Starts a real kernel with timing logs on; `log` collects its stderr. The client returns as soon
 * as its sockets connect: what a test sends then reaches the kernel while it starts, so a test
 * that checks what happens to requests sent during start-up does not depend on how fast the
 * client got its first kernel_info_reply.
 */
async function launchTimed(env: NodeJS.ProcessEnv = {}, cwd = NOTEBOOKS): Promise<{ client: KernelClient; log: () => string }> {
  let text = '';
  const client = await KernelClient.launch({ cwd, env: { ...process.env, CELLFIT_TIMING: '1', ...env }, until: 'connected', onStderr: (chunk) => (text += chunk) });
  return { client, log: () => text };
}

describe('kernel start-up', function () {
  this.timeout(120_000);

  it('loading the kernel entry points loads neither TypeScript nor tf.js (the warm-up loads them)', () => {
    const dist = path.resolve(__dirname, '..', '..', 'kernel');
    const script = `require(${JSON.stringify(path.join(dist, 'main.js'))}); require(${JSON.stringify(path.join(dist, 'kernel.js'))}); require(${JSON.stringify(path.join(dist, 'protocol', 'completeness.js'))});
const loaded = Object.keys(require.cache);
console.log(JSON.stringify(['typescript-for-tslab', '@tensorflow/tfjs', 'tslab/dist'].filter((name) => loaded.some((file) => file.includes(name)))));`;
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim().split('\n').pop()!), []);
  });

  it('kernel_info_request is answered before the cell runner is ready; is_complete_request and execute_request wait for it', async () => {
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
    assert.deepEqual(replies(), ['kernel_info_reply'], 'only kernel_info is answered before the cell runner is ready');
    const info = sent.find((s) => s.message.header.msg_type === 'kernel_info_reply')?.message.content as { banner: string };
    assert.match(info.banner, /tf\.js is loading/);

    backend = 'wasm';
    provide(fakeRunner);
    // However many turns the kernel takes to answer what waited (the test's timeout guards a hang).
    while (replies().length < 3) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(replies(), ['kernel_info_reply', 'is_complete_reply', 'execute_reply']);
    assert.equal((sent.find((s) => s.message.header.msg_type === 'is_complete_reply')?.message.content as { status: string }).status, 'incomplete');
    const result = sent.find((s) => s.message.header.msg_type === 'execute_result')?.message.content as { data: Record<string, unknown> };
    assert.equal(result.data['text/plain'], '42');
  });

  it('Kernel.answered() resolves once the shell requests that had reached the sockets are answered, those still in transit to the main thread too', async () => {
    let arrivals = 0;
    const replies: string[] = [];
    let provide: (runner: CellRunner) => void = () => undefined;
    const kernel = new Kernel({
      cells: new Promise<CellRunner>((resolve) => (provide = resolve)),
      info: () => kernelInfo(undefined),
      send: (channel, message) => void (channel === 'shell' && replies.push(message.header.msg_type)),
      shutdown: () => undefined,
      arrivals: () => arrivals,
    });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await kernel.answered(); // nothing has arrived: at once

    // Two execute_requests reached the socket thread; one of them has been handed over so far.
    arrivals = 2;
    kernel.handle(request('shell', 'execute_request', { code: '1' }));
    let answered = false;
    const settled = kernel.answered().then(() => (answered = true));
    provide(fakeRunner);
    while (replies.length < 1) await turn();
    await turn();
    assert.equal(answered, false, 'the second request is still in transit');
    kernel.handle(request('shell', 'execute_request', { code: '2' }));
    await settled;
    assert.deepEqual(replies, ['execute_reply', 'execute_reply']);
  });

  it('needsToolkit(cell): cells that import, require or use a magic wait for tf.js and its backend', () => {
    for (const cell of ["import * as tf from '@tensorflow/tfjs';", "const { train } = require('cellfit');", '%backend', '%%time\n1', 'const a = 1;\n  %who']) assert.equal(needsToolkit(cell), true, cell);
    for (const cell of ['let a = 1 + 1; a', 'function f(x: number) { return x * x; }', 'const imported = 1; imported']) assert.equal(needsToolkit(cell), false, cell);
  });

  it('a real kernel: the socket thread answers is_complete, history and comm_info requests while TypeScript loads, and the first plain cell does not wait for tf.js', async () => {
    const { client, log } = await launchTimed();
    try {
      // Sent together while the kernel starts, as jupyter console does right after its
      // kernel_info_reply (is_complete first): the reply to is_complete must not wait for the main
      // thread's warm-up. Replies are taken as they arrive on shell: the socket thread may answer
      // before this client's iopub subscription reaches the kernel.
      const order: string[] = [];
      const arrived = (name: string) => (reply: Message) => (order.push(name), reply);
      const executed = client.send('shell', 'execute_request', { code: 'let a = 1 + 1; a', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
      void executed.replied.then(arrived('execute_reply'));
      const completeness = client.send('shell', 'is_complete_request', { code: 'function f() {' }).replied.then(arrived('is_complete_reply'));
      // jupyter console also asks for the history at start-up, and takes a shell reply that comes
      // while it waits for its first execute_reply for that reply.
      const history = client.send('shell', 'history_request', { hist_access_type: 'tail', n: 100, output: false, raw: true }).replied.then(arrived('history_reply'));
      const comms = client.send('shell', 'comm_info_request').replied.then(arrived('comm_info_reply'));
      const [first, incomplete, past, open] = await Promise.all([executed.done, completeness, history, comms]);
      assert.deepEqual(order, ['is_complete_reply', 'history_reply', 'comm_info_reply', 'execute_reply'], 'answered by the socket thread before the first cell could run');
      assert.deepEqual(incomplete.content, { status: 'incomplete', indent: '  ' });
      assert.deepEqual(past.content, { status: 'ok', history: [] });
      assert.deepEqual(open.content, { status: 'ok', comms: {} });
      assert.equal(plain(first), '2');
      await client.execute('%lsmagic');
      const timing = log();
      const firstCell = timing.indexOf('timing: execute_request, busy to reply');
      const toolkit = timing.indexOf('timing: tf.js and the magics loaded');
      assert.ok(firstCell >= 0 && toolkit > firstCell, `tf.js loaded after the first cell. The log:\n${timing}`);
      // Once cells can run, the main thread answers, with TypeScript's parser.
      assert.equal((await client.request('shell', 'is_complete_request', { code: 'const = 5;' })).reply.content.status, 'invalid');
    } finally {
      await client.shutdown();
    }
  });

  it('a real kernel outside any project: the first plain cell is checked without Node\'s types, which come once it has run', async () => {
    const { client, log } = await launchTimed({}, temporaryDir('deferred-node'));
    try {
      assert.equal(plain(await client.execute('let a = 1 + 1; a')), '2');
      assert.equal(plain(await client.execute('typeof process.pid + typeof setTimeout')), "'numberfunction'");
      const failed = await client.execute('const t = setTimeout(() => undefined, 0);\nconst n: number = t;');
      assert.match(String(failed.reply.content.evalue), /'Timeout' is not assignable to type 'number'/);
      const built = [...log().matchAll(/timing: program of (\d+) files/g)].map((match) => ({ files: Number(match[1]), at: match.index! }));
      const programs = built.map((program) => program.files);
      assert.ok(programs[0] < programs[programs.length - 1], `the first program had fewer files: ${programs.join(', ')}`);
      // Node's types come in once the first cell has been answered: added by the kernel when it is
      // idle, or by the next cell itself when that cell needs them and arrives first (the client
      // sends it as soon as it has the first reply, which may be before the kernel is idle).
      const withNode = built.find((program) => program.files > programs[0])!;
      assert.ok(withNode.at > log().indexOf('timing: execute_request, busy to reply'), `Node's types were added after the first cell. The log:\n${log()}`);
    } finally {
      await client.shutdown();
    }
  });

  it('a real kernel: a first cell that imports tf.js runs on the chosen backend, not on the cpu one tf.js starts with', async () => {
    const { client } = await launchTimed({ CELLFIT_BACKEND: 'wasm' });
    try {
      const exchange = await client.execute("import * as tf from '@tensorflow/tfjs';\ntf.getBackend()");
      assert.equal(plain(exchange), "'wasm'");
    } finally {
      await client.shutdown();
    }
  });
});
