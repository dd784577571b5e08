/**
 * `jupyter console --kernel cellfit` (Debian's jupyter-console 6.4) in a terminal: tmux runs it,
 * send-keys types, capture-pane reads the screen. The console prints `text/plain` of each
 * display_data and ignores update_display_data, so what a training cell shows there is its
 * progress trail, its final summary and, when interrupted, the message naming the checkpoint.
 *
 * The interrupt is sent as the console sends it on Ctrl-C: an interrupt_request on the control
 * channel (the kernelspec's interrupt_mode is "message"). Debian's console 6.4 itself fails to send
 * it (its SIGINT handler runs the kernel manager's coroutine inside the running asyncio loop), for
 * every kernel; the README notes it.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { listRuns } from '../../lib/runs';
import { ARTIFACTS } from '../support/chromium';
import { JUPYTER, PYTHON, jupyterHome, type JupyterHome } from '../support/jupyter';

const run = promisify(execFile);

const SETUP =
  "const { tf, train, split, setSeed } = require('cellfit'); setSeed(1); const xs = tf.randomUniform([2000, 4], -1, 1, 'float32', 1); " +
  "const ys = xs.sum(1, true).sin(); const parts = split({ xs, ys }, { train: 0.8, validation: 0.2, seed: 1 }); " +
  "function build() { const m = tf.sequential({ layers: [tf.layers.dense({ units: 32, activation: 'tanh', inputShape: [4] }), tf.layers.dense({ units: 1 })] }); m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' }); return m; }";
// These runs train on the tfjs engine, slow enough for a person (and the test) to watch them
// progress; the fused engine finishes them before the first redraw.
const TRAIN = "const run = await train(build(), parts, { epochs: 24, batchSize: 4, name: 'console', engine: 'tfjs' });";
// On an idle machine the tfjs engine trains an epoch of 400 batches in ~0.2 s: 20 epochs leave
// time for the interrupt to land mid-run.
const SLOW = "const slow = await train(build(), parts, { epochs: 20, batchSize: 4, name: 'slow', engine: 'tfjs' });";

/**
 * Sends a request (interrupt_request, shutdown_request) on the control channel of the kernel whose
 * connection file is argv[1] and prints the reply's type — as jupyter_client's KernelManager sends
 * an interrupt for interrupt_mode "message".
 */
const CONTROL = `
import json, sys, zmq
from jupyter_client.session import Session
info = json.load(open(sys.argv[1]))
session = Session(key=info['key'].encode(), signature_scheme=info['signature_scheme'])
control = zmq.Context.instance().socket(zmq.DEALER)
control.RCVTIMEO = 30000
control.connect('%s://%s:%d' % (info['transport'], info['ip'], info['control_port']))
session.send(control, sys.argv[2], {'restart': False} if sys.argv[2] == 'shutdown_request' else {})
idents, reply = session.recv(control, mode=0)
print(reply['msg_type'])
control.close(linger=0)
`;

describe('jupyter console in a terminal (jupyter-console 6.4 in tmux)', function () {
  this.timeout(600_000);
  let home: JupyterHome;
  // A tmux server of our own (its own socket): nothing of the user's tmux is touched.
  const socket = `cellfit-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  /** The whole scrollback, wrapped lines joined. */
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', 'console');
  const type = (line: string) => {
    tmux('send-keys', '-t', 'console', '-l', line);
    tmux('send-keys', '-t', 'console', 'Enter');
  };
  /** Waits until `test(screen)` holds, sampling the screen every 200 ms; returns the samples. */
  async function until(test: (text: string) => boolean, what: string, timeout = 240_000): Promise<string[]> {
    const samples: string[] = [];
    const deadline = Date.now() + timeout;
    for (;;) {
      const text = screen();
      samples.push(text);
      if (test(text)) return samples;
      if (Date.now() > deadline) throw new Error(`${what} did not show within ${timeout} ms. The screen:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const prompts = (text: string) => (text.match(/^In \[\d+\]: /gm) ?? []).length;
  /** The connection files of the kernels the console started (it writes them to the runtime directory). */
  const kernelConnections = () => {
    const runtime = home.env.JUPYTER_RUNTIME_DIR!;
    return fs.readdirSync(runtime).filter((name) => /^kernel-.*\.json$/.test(name)).map((name) => path.join(runtime, name));
  };

  before(async () => {
    home = jupyterHome('console');
    const env = Object.entries({ JUPYTER_PATH: home.env.JUPYTER_PATH, JUPYTER_CONFIG_DIR: home.env.JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR: home.env.JUPYTER_DATA_DIR, JUPYTER_RUNTIME_DIR: home.env.JUPYTER_RUNTIME_DIR });
    tmux('new-session', '-d', '-s', 'console', '-x', '250', '-y', '60', '-c', home.notebooks, ...env.flatMap(([name, value]) => ['-e', `${name}=${value}`]), `${JUPYTER} console --kernel cellfit --no-confirm-exit`);
    await until((text) => prompts(text) >= 1, 'the first prompt', 120_000);
  });

  after(async function () {
    this.timeout(60_000);
    try {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, 'console-screen.txt'), screen());
      // Ctrl-D: the console shuts its kernel down and exits, which ends the tmux session.
      tmux('send-keys', '-t', 'console', 'C-d');
      for (let i = 0; i < 50 && kernelConnections().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 200));
    } catch {
      // the session may be gone already
    }
    // A kernel the console left running gets a shutdown_request.
    for (const connection of home ? kernelConnections() : []) await run(PYTHON, ['-c', CONTROL, connection, 'shutdown_request'], { env: home.env }).catch(() => undefined);
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    home?.remove();
  });

  it('a training cell prints a few progress lines while it trains, then the final summary; nothing meant for browsers', async () => {
    type(SETUP);
    await until((text) => prompts(text) >= 2, 'the prompt after the setup');
    type(TRAIN);
    const samples = await until((text) => prompts(text) >= 3, 'the prompt after training');
    const final = samples[samples.length - 1];
    const trail = final.split('\n').filter((line) => line.startsWith('console: '));
    // Progress appears while training runs: the trail grows over the samples taken before the end.
    const growth = [...new Set(samples.map((text) => text.split('\n').filter((line) => /^console: epoch \d+\/24: /.test(line)).length))];
    assert.ok(growth.length >= 3, `the trail grew while training: ${growth.join(', ')} lines over ${samples.length} screens`);
    assert.equal(trail[0], 'console: starting epoch 1/24');
    assert.ok(trail.length >= 4 && trail.length <= 12, `a few lines, not one per batch or epoch: ${trail.length}`);
    for (const line of trail.slice(1, -1)) assert.match(line, /^console: epoch \d+\/24: loss [\d.e-]+ {2}val_loss [\d.e-]+, ETA \d+:\d\d$/);
    assert.match(trail[trail.length - 1], /^console: trained 24 epochs\. Last epoch 24: loss [\d.e-]+ {2}val_loss [\d.e-]+\.$/);
    assert.doesNotMatch(final, /plotly|cellfit-chart|<style|<script/, 'browser-only outputs print nothing');
    assert.doesNotMatch(final.trimEnd(), /\n\s*\n\s*\n/, 'no runs of blank lines');
  });

  it('re-executing it prints the finished run at once', async () => {
    type(TRAIN);
    const final = (await until((text) => prompts(text) >= 4, 'the prompt after re-executing')).pop()!;
    const after = final.slice(final.lastIndexOf('In [3]: '));
    assert.match(after, /\nRun console: completed after 24\/24 epochs, best val_loss [\d.e-]+ at epoch \d+\. trained 24 epochs\. \(Finished earlier: returned without training\.\)\n/);
  });

  it('an interrupt (interrupt_request, as the console sends it) ends the cell with the message naming the checkpoint; running it again resumes from it', async () => {
    type(SLOW);
    await until((text) => /^slow: epoch \d+\/20: /m.test(text) || /^slow: starting epoch 1\/20$/m.test(text), 'the slow run starting');
    // Interrupted once it saved a checkpoint (which the console does not show): the re-run then
    // has one to resume from, however slowly the run started.
    const checkpoints = path.join(home.notebooks, 'checkpoints');
    await until(() => listRuns(checkpoints).some((info) => path.basename(info.dir) === 'slow' && info.epoch >= 1), 'the slow run saved its first epoch');
    const { stdout } = await run(PYTHON, ['-c', CONTROL, kernelConnections()[0], 'interrupt_request'], { env: home.env });
    assert.equal(stdout.trim(), 'interrupt_reply');
    const final = (await until((text) => prompts(text) >= 5, 'the prompt after the interrupt')).pop()!;
    const lines = final.slice(final.lastIndexOf('In [4]: '), final.lastIndexOf('In [5]:')).trim().split('\n');
    const message = lines[lines.length - 1];
    // An interrupt landing while an epoch ends (validation, checkpoint) stops at the next epoch's start.
    assert.match(
      message,
      /^Interrupted: the cell was interrupted\. slow: interrupted at (epoch \d+, batch \d+ of 400|the start of epoch \d+)\. Checkpoint (epoch-\d{4}(-batch-\d{6})?) holds this point: re-run to resume from it\.$/,
      `the last thing the cell prints: ${message}`,
    );
    const checkpoint = /Checkpoint (\S+) holds/.exec(message)![1];

    type(SLOW);
    const resumed = (await until((text) => prompts(text) >= 6, 'the prompt after resuming')).pop()!;
    const after = resumed.slice(resumed.lastIndexOf('In [5]: '));
    assert.ok(after.includes(`\nslow: resumed from checkpoint ${checkpoint} (`), after);
    assert.match(after, /\nslow: trained 20 epochs\. Last epoch 20: loss [\d.e-]+ {2}val_loss [\d.e-]+\.\n/);
  });
});
