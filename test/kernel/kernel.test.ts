/**
 * The kernel's protocol, message by message, over ZeroMQ against the real kernel process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as zmq from 'zeromq';
import { endpoint, type Message } from '../../kernel/protocol/messages';
import { KernelClient, type Exchange } from '../../kernel/runner/client';
import { tslabVersions } from '../../lib/modules';
import { failure, NOTEBOOKS, plain, result, sharedKernel, streamText, summarize, temporaryDir } from './harness';
import { until } from '../support/until';

const types = (exchange: Exchange) => exchange.iopub.map((m) => m.header.msg_type);

describe('Kernel (over the Jupyter protocol)', function () {
  // Launching a kernel (the shared one in before(), or the shutdown test's own) takes ~5 s on an
  // idle machine and ~30 s at a load of 16 on 2 cores.
  this.timeout(180_000);
  let kernel: KernelClient;
  before(async () => {
    kernel = await sharedKernel();
  });

  describe('kernel_info_request', () => {
    it('kernel_info_request on shell and control → kernel_info_reply with status, versions, language_info and help_links, between busy and idle', async () => {
      for (const channel of ['shell', 'control'] as const) {
        const exchange = await kernel.request(channel, 'kernel_info_request');
        assert.equal(exchange.reply.header.msg_type, 'kernel_info_reply');
        const info = exchange.reply.content as Record<string, any>;
        assert.equal(info.status, 'ok');
        assert.equal(info.protocol_version, '5.3');
        assert.equal(info.implementation, 'cellfit');
        assert.match(info.implementation_version, /^\d+\.\d+\.\d+/);
        assert.equal(info.language_info.name, 'typescript');
        assert.equal(info.language_info.version, tslabVersions().typescript);
        assert.equal(info.language_info.file_extension, '.ts');
        assert.ok(info.banner.includes(process.version), info.banner);
        assert.ok(info.help_links.length >= 3 && info.help_links.every((link: any) => link.text && link.url.startsWith('https://')));
        assert.deepEqual(types(exchange), ['status', 'status']);
        assert.deepEqual(exchange.iopub.map((m) => m.content.execution_state), ['busy', 'idle']);
      }
    });
  });

  describe('execute_request', () => {
    it('execute_request → busy, execute_input (code, count), outputs, idle; the reply carries the count', async () => {
      const exchange = await kernel.execute('console.log("hi");\n40 + 2');
      assert.deepEqual(types(exchange), ['status', 'execute_input', 'stream', 'execute_result', 'status']);
      const input = exchange.iopub[1].content;
      const count = exchange.reply.content.execution_count as number;
      assert.deepEqual(input, { code: 'console.log("hi");\n40 + 2', execution_count: count });
      assert.deepEqual(result(exchange), { 'text/plain': '42' });
      assert.equal(exchange.iopub[3].content.execution_count, count);
      assert.deepEqual(exchange.reply.content, { status: 'ok', execution_count: count, user_expressions: {}, payload: [] });
    });

    it('the execution count follows store_history; silent shows neither input nor result', async () => {
      const first = (await kernel.execute('1')).reply.content.execution_count as number;
      const unstored = await kernel.execute('2', { store_history: false });
      assert.equal(unstored.reply.content.execution_count, first);
      assert.equal(plain(unstored), '2');
      const silent = await kernel.execute('console.log("side effect"); 3', { silent: true });
      assert.deepEqual(types(silent), ['status', 'stream', 'status']);
      assert.equal(silent.reply.content.execution_count, first);
      assert.equal((await kernel.execute('4')).reply.content.execution_count, first + 1);
    });

    it('a trailing ; hides the value; undefined shows nothing; null shows', async () => {
      assert.deepEqual((await kernel.execute('6 * 7;')).outputs, []);
      assert.deepEqual((await kernel.execute('const quiet = 1;\nquiet;  // hidden')).outputs, []);
      assert.deepEqual((await kernel.execute('undefined')).outputs, []);
      assert.equal(plain(await kernel.execute('null')), 'null');
      assert.equal(plain(await kernel.execute('%time 5;\n%time 6')), '6');
    });

    it('user_expressions are evaluated after the cell, each to a bundle or an error', async () => {
      const exchange = await kernel.execute('const ue = 20;', { user_expressions: { double: 'ue * 2', broken: 'nope.x' } });
      const expressions = exchange.reply.content.user_expressions as Record<string, any>;
      assert.deepEqual(expressions.double, { status: 'ok', data: { 'text/plain': '40' }, metadata: {} });
      assert.equal(expressions.broken.status, 'error');
      assert.equal(expressions.broken.ename, 'TSError');
    });

    it('a runtime error → exactly one error message and an error reply, with cell line numbers', async () => {
      const error = failure(await kernel.execute('const ok = 1;\n\n(null as any).toString()'));
      assert.equal(error.ename, 'TypeError');
      assert.equal(error.evalue, "Cannot read properties of null (reading 'toString')");
      assert.match(error.text, /^TypeError: Cannot read properties of null \(reading 'toString'\)\n {4}at In \[\d+\]:3:15\n\nIn \[\d+\], line 3:\n--> 3 \| \(null as any\)\.toString\(\)/);
    });

    it('TypeScript diagnostics → one TSError listing each with its line', async () => {
      const error = failure(await kernel.execute('const n: number = "one";\nnotDeclaredAnywhere;'));
      assert.equal(error.ename, 'TSError');
      assert.equal(error.evalue, "Type 'string' is not assignable to type 'number'. (TS2322) (and 1 more)");
      assert.match(error.text, /In \[\d+\], line 1, column 7: Type 'string' is not assignable/);
      assert.match(error.text, /In \[\d+\], line 2, column 1: Cannot find name 'notDeclaredAnywhere'\. \(TS2304\)/);
    });

    it('stop_on_error: requests queued behind a failing cell are aborted; without it they run', async () => {
      const failing = kernel.send('shell', 'execute_request', { code: 'await new Promise((r) => setTimeout(r, 200));\nthrow new Error("first")', stop_on_error: true });
      const queued = kernel.send('shell', 'execute_request', { code: '"should not run"', stop_on_error: true });
      const info = kernel.send('shell', 'kernel_info_request');
      assert.equal((await failing.done).reply.content.status, 'error');
      const aborted = await queued.done;
      assert.equal(aborted.reply.content.status, 'aborted');
      assert.deepEqual(aborted.outputs, []);
      assert.equal((await info.done).reply.content.status, 'ok');
      // The queue is clear: the next cell runs.
      assert.equal(plain(await kernel.execute('"runs"')), "'runs'");

      const tolerant = kernel.send('shell', 'execute_request', { code: 'throw new Error("second")', stop_on_error: false });
      const next = kernel.send('shell', 'execute_request', { code: '"ran anyway"' });
      assert.equal((await tolerant.done).reply.content.status, 'error');
      assert.equal(plain(await next.done), "'ran anyway'");
    });

    it('output that arrives after a cell ended goes to that cell (its parent header), not the running one', async () => {
      // The first cell's timer prints only once the second cell runs and opens the gate, and the
      // second cell ends only after it printed: "late" comes after the first cell ended and while
      // the second runs, however loaded the machine.
      const started = await kernel.execute(
        'const lateGate = { open: false, printed: false };\nconst lateTimer = setInterval(() => {\n  if (!lateGate.open) return;\n  clearInterval(lateTimer);\n  console.log("late");\n  lateGate.printed = true;\n}, 10);\n"started"',
      );
      assert.equal(plain(started), "'started'");
      const lateMessages: Message[] = [];
      const stop = kernel.onIopub((m) => {
        if (m.header.msg_type === 'stream' && m.content.text === 'late\n') lateMessages.push(m);
      });
      const meanwhile = await kernel.execute('lateGate.open = true;\nwhile (!lateGate.printed) await new Promise((r) => setTimeout(r, 10));\n"meanwhile"');
      stop();
      assert.equal(plain(meanwhile), "'meanwhile'");
      assert.equal(streamText(meanwhile), '');
      assert.equal(lateMessages.length, 1);
      assert.equal((lateMessages[0].parent_header as { msg_id: string }).msg_id, (started.reply.parent_header as { msg_id: string }).msg_id);
    });
  });

  describe('display_data, update_display_data, clear_output', () => {
    it("display() / clearOutput() from 'cellfit/kernel' send display_data with a display id, update_display_data and clear_output", async () => {
      const exchange = await kernel.execute(
        "import { display, clearOutput } from 'cellfit/kernel';\nconst shown = display('first');\nshown.update([{ a: 1 }]);\nclearOutput({ wait: true });",
      );
      assert.deepEqual(exchange.outputs.map((m) => m.header.msg_type), ['display_data', 'update_display_data', 'clear_output']);
      const [shown, updated, cleared] = exchange.outputs.map((m) => m.content as Record<string, any>);
      assert.deepEqual(shown.data, { 'text/plain': "'first'" });
      assert.match(shown.transient.display_id, /^[0-9a-f]{16}$/);
      assert.equal(updated.transient.display_id, shown.transient.display_id);
      assert.match(updated.data['text/html'], /<table/);
      assert.deepEqual(cleared, { wait: true });
    });

    it('plotly.js goes out before the first chart, and again once the cell holding it (metadata.cellId) runs again', async () => {
      const chart = "require('cellfit').showFigure({ data: [{ y: [1, 2] }] }, 'a chart');";
      const libraries = (exchange: { outputs: { header: { msg_type: string }; content: Record<string, any> }[] }) =>
        exchange.outputs.filter((m) => m.header.msg_type === 'display_data' && String(m.content.data['text/html']).includes('<script type="text/x-cellfit-plotly"')).length;
      const first = await kernel.execute(chart, { cellId: 'cell-a' });
      const second = await kernel.execute(chart, { cellId: 'cell-b' });
      assert.equal(libraries(first) + libraries(second), 1, 'once per kernel while its cell keeps it');
      await kernel.execute('1;', { cellId: 'cell-a' }); // re-running cell-a replaces its outputs, plotly.js among them
      assert.equal(libraries(await kernel.execute(chart, { cellId: 'cell-b' })), 1);
    });

    it("tslab's display and newDisplay() keep working", async () => {
      const exchange = await kernel.execute("import * as tslab from 'tslab';\ntslab.display.html('<b>x</b>');\nconst d = tslab.newDisplay();\nd.text('a');\nd.text('b');");
      assert.deepEqual(exchange.outputs.map((m) => m.header.msg_type), ['display_data', 'display_data', 'update_display_data']);
      assert.deepEqual(exchange.outputs[0].content.data, { 'text/html': '<b>x</b>' });
      const [, first, second] = exchange.outputs.map((m) => m.content as Record<string, any>);
      assert.equal(first.transient.display_id, second.transient.display_id);
      assert.deepEqual(second.data, { 'text/plain': 'b' });
    });
  });

  describe('rich results', () => {
    it("an object's [Symbol.for('Jupyter.display')]() bundle is the execute_result", async () => {
      const data = result(await kernel.execute("({ [Symbol.for('Jupyter.display')]() { return { 'text/html': '<i>me</i>', 'text/plain': 'me' }; } })"));
      assert.deepEqual(data, { 'text/html': '<i>me</i>', 'text/plain': 'me' });
    });

    it('tensors print readably; arquero tables and arrays of records are HTML tables with a text fallback', async () => {
      assert.equal(plain(await kernel.execute("import { tf } from 'cellfit';\ntf.tensor([[1.5, 2], [3, 4]])")), 'Tensor float32 [2, 2]\n[[1.5, 2],\n [3  , 4]]');
      const table = result(await kernel.execute("import * as aq from 'arquero';\naq.table({ x: [1, 2], y: ['a', 'b'] })"));
      assert.match(String(table['text/html']), /<th style="text-align: right;">x<\/th>/);
      assert.equal(table['text/plain'], 'x  y\n-  -\n1  a\n2  b');
    });
    it("cellfit's own results — a run, its checkpoint list, an input space, a split — show as HTML with a text fallback", async () => {
      const dir = temporaryDir('display');
      await kernel.execute(`import { train, split, tabulateInputSpace } from 'cellfit';
const px = tf.tensor2d([[0], [1], [2], [3]]);
const pm = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
pm.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
const shownRun = await train(pm, { xs: px, ys: px }, { epochs: 1, batchSize: 2, plot: false, checkpoint: ${JSON.stringify(dir)} });`);
      for (const code of ['shownRun', 'shownRun.checkpoints', 'tabulateInputSpace({ t: { min: 0, max: 1, step: 0.5 } })', 'split([{ a: 1 }, { a: 2 }], { train: 0.5, test: 0.5 })']) {
        const data = result(await kernel.execute(code));
        assert.match(String(data['text/html']), /<table/, `${code} shows a table`);
        assert.equal(typeof data['text/plain'], 'string', `${code} has a text fallback`);
      }
    });
  });

  describe('complete_request, inspect_request, is_complete_request', () => {
    it('complete_request → matches with the cursor span (code points), earlier declarations and magic names included', async () => {
      await kernel.execute('const completeMeLater = 1;');
      const reply = (await kernel.request('shell', 'complete_request', { code: 'completeMe', cursor_pos: 10 })).reply;
      assert.equal(reply.header.msg_type, 'complete_reply');
      assert.deepEqual(reply.content, { status: 'ok', matches: ['completeMeLater'], cursor_start: 0, cursor_end: 10, metadata: {} });
      const emoji = (await kernel.request('shell', 'complete_request', { code: '"😀"; Math.PI', cursor_pos: 12 })).reply.content;
      assert.deepEqual([emoji.cursor_start, emoji.cursor_end], [10, 12]);
      const magic = (await kernel.request('shell', 'complete_request', { code: 'const a = 1;\n%tim', cursor_pos: 17 })).reply.content;
      assert.deepEqual(magic, { status: 'ok', matches: ['%time', '%timeit'], cursor_start: 13, cursor_end: 17, metadata: {} });
    });

    it('inspect_request → the signature and docs (found) or found: false; for a magic, its usage', async () => {
      const found = (await kernel.request('shell', 'inspect_request', { code: 'Math.max', cursor_pos: 8, detail_level: 0 })).reply.content as Record<string, any>;
      assert.equal(found.found, true);
      assert.match(found.data['text/plain'], /^\(method\) Math\.max\(\.\.\.values: number\[\]\): number/);
      const missing = (await kernel.request('shell', 'inspect_request', { code: '   ', cursor_pos: 1, detail_level: 0 })).reply.content;
      assert.deepEqual(missing, { status: 'ok', found: false, data: {}, metadata: {} });
      const magic = (await kernel.request('shell', 'inspect_request', { code: '%seed 1', cursor_pos: 3, detail_level: 0 })).reply.content as Record<string, any>;
      assert.match(magic.data['text/plain'], /^%seed N\n\nSeeds cellfit's random generators/);
    });

    it('is_complete_request → complete, incomplete (with indent) or invalid', async () => {
      const status = async (code: string) => (await kernel.request('shell', 'is_complete_request', { code })).reply.content;
      assert.deepEqual(await status('const a = 1;'), { status: 'complete' });
      assert.deepEqual(await status('for (const x of [1]) {'), { status: 'incomplete', indent: '  ' });
      assert.deepEqual(await status('const = 1'), { status: 'invalid' });
      assert.deepEqual(await status('%who'), { status: 'complete' });
      assert.deepEqual(await status('%%time\n1'), { status: 'incomplete', indent: '' });
      assert.deepEqual(await status('%%time\n1\n'), { status: 'complete' });
    });
  });

  describe('history_request', () => {
    it('history_request tail, range and search (glob, unique, n) over this session\'s inputs', async () => {
      await kernel.execute('"history one"');
      await kernel.execute('"history two"');
      const tail = (await kernel.request('shell', 'history_request', { output: true, raw: true, hist_access_type: 'tail', n: 2 })).reply.content.history as any[];
      assert.deepEqual(tail.map((entry) => entry[2]), [['"history one"', "'history one'"], ['"history two"', "'history two'"]]);
      const [session, line] = tail[0];
      const range = (await kernel.request('shell', 'history_request', { output: false, raw: true, hist_access_type: 'range', session, start: line, stop: line + 1 })).reply.content.history;
      assert.deepEqual(range, [[session, line, '"history one"']]);
      await kernel.execute('"history one"');
      const search = async (extra: Record<string, unknown>) =>
        ((await kernel.request('shell', 'history_request', { output: false, raw: true, hist_access_type: 'search', pattern: '"history o*', ...extra })).reply.content.history as any[]).length;
      assert.equal(await search({}), 2);
      assert.equal(await search({ unique: true }), 1);
      assert.equal(await search({ n: 1 }), 1);
    });
  });

  describe('comm_info_request, comm_open', () => {
    it('comm_info_request → comm_info_reply (tslab answered with complete_reply) with no comms', async () => {
      const { reply } = await kernel.request('shell', 'comm_info_request', { target_name: 'jupyter.widget' });
      assert.equal(reply.header.msg_type, 'comm_info_reply');
      assert.deepEqual(reply.content, { status: 'ok', comms: {} });
    });

    it('comm_open to an unknown target is answered with comm_close on iopub', async () => {
      const iopub = await kernel.notify('comm_open', { comm_id: 'c-1', target_name: 'jupyter.widget', data: {} });
      const closes = iopub.filter((m) => m.header.msg_type === 'comm_close');
      assert.equal(closes.length, 1);
      assert.deepEqual(closes[0].content, { comm_id: 'c-1', data: {} });
    });
  });

  describe('heartbeat', () => {
    it('the heartbeat echoes and output streams out while a cell blocks the main thread (sockets live on their own thread)', async () => {
      let started = false;
      const stop = kernel.onIopub((m) => {
        if (m.header.msg_type === 'stream' && m.content.text === 'started\n') started = true;
      });
      // The cell blocks its thread until the test has had the echo and writes the gate file: the
      // echo cannot have come from a main thread that was free, however slow either side is.
      const gate = path.join(temporaryDir('heartbeat'), 'release');
      const blocking = kernel.send('shell', 'execute_request', { code: `console.log("started");\nwhile (!require('node:fs').existsSync(${JSON.stringify(gate)})) {}\n"done"` });
      let finished = false;
      void blocking.done.then(() => (finished = true));
      const heartbeat = new zmq.Request();
      heartbeat.connect(endpoint(kernel.connection, kernel.connection.hb_port));
      try {
        // "started" is printed just before the loop: it reaches us while the loop runs.
        await until(() => started || finished, 'the cell printed "started"');
        assert.equal(finished, false, `the cell was still running: ${finished ? summarize(await blocking.done) : ''}`);
        await heartbeat.send('ping');
        const [echo] = await heartbeat.receive();
        assert.equal(echo.toString(), 'ping');
      } finally {
        fs.writeFileSync(gate, '');
        heartbeat.close();
        stop();
      }
      assert.equal(plain(await blocking.done), "'done'");
    });
  });

  describe('shutdown_request', () => {
    it('shutdown_request → shutdown_reply echoing restart (also on iopub), then the process exits', async () => {
      const own = await KernelClient.launch({ cwd: NOTEBOOKS });
      const exchange = await own.request('control', 'shutdown_request', { restart: true });
      assert.equal(exchange.reply.header.msg_type, 'shutdown_reply');
      assert.deepEqual(exchange.reply.content, { status: 'ok', restart: true });
      assert.ok(exchange.iopub.some((m) => m.header.msg_type === 'shutdown_reply' && m.content.restart === true), summarize(exchange));
      assert.equal(await own.exited(), 0, `the kernel exited by ${own.exitSignal ?? 'no signal'}; its log:\n${own.kernelLog}`);
      await own.shutdown();
    });
  });
});
