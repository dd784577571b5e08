import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listRuns } from '../../../lib';
import { combinations, paramsType, parseAxes, spaceOf } from '../../../kernel/magics/sweep';
import type { Exchange } from '../../../kernel/runner/client';
import type { KernelClient } from '../../../kernel/runner/client';
import { throwsWith } from '../../helpers';
import { failure, holdUntilInterruptedCell, plain, sharedKernel, streamText, temporaryDir } from '../harness';
import { until } from '../../support/until';

const magic = { name: 'sweep', usage: '%%sweep name=[…]' };

/** The displays of an execution as they ended: each display_data with its last update applied. */
function finalDisplays(exchange: Exchange): Record<string, unknown>[] {
  const shown: { id?: string; data: Record<string, unknown> }[] = [];
  for (const message of exchange.outputs) {
    const content = message.content as { data: Record<string, unknown>; transient?: { display_id?: string } };
    if (message.header.msg_type === 'display_data') shown.push({ id: content.transient?.display_id, data: content.data });
    if (message.header.msg_type === 'update_display_data') {
      const target = shown.find((entry) => entry.id !== undefined && entry.id === content.transient?.display_id);
      if (target) target.data = content.data;
    }
  }
  return shown.map((entry) => entry.data);
}

describe('magics/sweep: parsing', () => {
  it('parseAxes(magic, "lr=[…] act=[…] wd={…}") reads numbers, quoted strings, booleans and ranges', () => {
    assert.deepEqual(parseAxes(magic, `lr=[0.1, 1e-2, -3] act=['relu', "tan, h"] bias = [true,false] wd={ min: 1e-5, max: 0.01, log: true }`), [
      { name: 'lr', values: [0.1, 0.01, -3] },
      { name: 'act', values: ['relu', 'tan, h'] },
      { name: 'bias', values: [true, false] },
      { name: 'wd', range: { min: 1e-5, max: 0.01, log: true } },
    ]);
  });

  it('parseAxes() names the axis at fault', () => {
    throwsWith(() => parseAxes(magic, 'lr=[0.1, relu]'), '%%sweep: axis lr: "relu" is not a number, a quoted string, true or false.');
    throwsWith(() => parseAxes(magic, 'lr=[]'), '%%sweep: axis lr: the list is empty.');
    throwsWith(() => parseAxes(magic, 'lr=[1, 2'), 'axis lr: the list has no closing ]');
    throwsWith(() => parseAxes(magic, 'lr={ min: 1'), 'axis lr: the range has no closing }');
    throwsWith(() => parseAxes(magic, 'lr={ low: 1 }'), 'axis lr: "low: 1" is not one of min: …, max: …, step: …, log: …, int: …');
    throwsWith(() => parseAxes(magic, 'lr=[1] lr=[2]'), 'axis lr is given twice');
    throwsWith(() => parseAxes(magic, ''), 'expected at least one axis, e.g. lr=[0.1, 0.01]', 'Usage: %%sweep name=[…]');
    throwsWith(() => parseAxes(magic, 'lr 0.1'), 'expected name=[values] or name={ min, max } at "lr 0.1"');
  });

  it('combinations(axes) is the cartesian product, the last axis varying fastest; spaceOf(axes) is sweep()’s space', () => {
    const axes = parseAxes(magic, "a=[1, 2] b=['x', 'y']");
    assert.deepEqual(combinations(axes), [
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    assert.deepEqual(spaceOf(parseAxes(magic, 'a=[1] lr={ min: 0.001, max: 0.1 }')), { a: [1], lr: { min: 0.001, max: 0.1 } });
  });

  it('paramsType(axes) is the TypeScript type the cell sees `params` as', () => {
    assert.equal(paramsType(parseAxes(magic, "lr=[0.1] x=['a', 1] wd={ min: 0, max: 1 }")), '{ readonly lr: number; readonly x: string | number; readonly wd: number }');
  });
});

describe('magics/sweep: in the kernel', function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  before(async () => {
    kernel = await sharedKernel();
    await kernel.execute(`import { tf, train } from 'cellfit';
const sx = tf.tensor2d([[0], [1], [2], [3]]);
const sy = sx.mul(3);
let sweepBodies = 0;
function sweepModel(units: number, lr: number) {
  const m = tf.sequential({ layers: [tf.layers.dense({ units, inputShape: [1], kernelInitializer: 'ones' }), tf.layers.dense({ units: 1, kernelInitializer: 'ones' })] });
  m.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
  return m;
}`);
  });

  it('%%sweep runs the cell per trial with params bound, shows a table and charts, and skips finished trials when run again', async () => {
    const dir = temporaryDir('magic-sweep');
    const cell = `%%sweep --dir ${dir} --name tiny lr=[0.01, 0.001] units=[2]
await train(sweepModel(params.units, params.lr), { xs: sx, ys: sy }, { epochs: 2, batchSize: 2, callbacks: { onTrainBegin: () => void sweepBodies++ } });`;
    const first = await kernel.execute(cell);
    assert.equal(first.reply.content.status, 'ok');
    assert.equal(streamText(first), '', 'a table, not a line per trial');
    const displays = finalDisplays(first);
    const table = String(displays.find((d) => String(d['text/plain']).startsWith('sweep tiny'))?.['text/plain']);
    assert.match(table, /^sweep tiny: grid sampler, no pruner, 2 trials — finished; 2 finished; best loss \S+ \(trial \d\)\ntrial +lr +units +status +epochs +loss +best epoch\n/);
    assert.match(table, /\n +1 +0\.01 +2 +finished +2\/2 +\S+ +\d\n/);
    const charts = displays.filter((d) => 'application/vnd.plotly.v1+json' in d);
    assert.deepEqual(charts.map((d) => String(d['text/plain']).split(' ').slice(0, 2).join(' ')), ['optimisation history', 'intermediate values', 'best loss']);
    assert.equal(plain(await kernel.execute('[sweepBodies, params.lr]')), '[ 2, 0.001 ]');
    assert.ok(fs.existsSync(path.join(dir, 'sweeps', 'tiny.json')));
    assert.deepEqual(listRuns(path.join(dir, 'tiny')).map((run) => run.id).sort(), ['trial-0001', 'trial-0002']);

    const again = await kernel.execute(cell);
    assert.equal(again.reply.content.status, 'ok');
    assert.equal(plain(await kernel.execute('sweepBodies')), '2', 'finished trials are not trained again');

    const sweeps = plain(await kernel.execute(`%sweeps ${dir}`));
    assert.match(sweeps, new RegExp(`^1 sweep in ${dir}/sweeps/\\nsweep +status +sampler +pruner +trials +finished +pruned +failed +unfinished +best +updated\\n`));
    assert.match(sweeps, /\ntiny +finished +grid +none +2 +2 +0 +0 +0 +loss \S+ \(trial \d\)/);

    // An edited body under the same --name is a new version of the sweep, announced.
    const edited = await kernel.execute(cell.replace('batchSize: 2', 'batchSize: 1'));
    assert.equal(edited.reply.content.status, 'ok');
    assert.match(streamText(edited, 'stderr'), /sweep\(\): sweep "tiny": the trial's code changed \(line 1: "…: 2, batchSize: 2, callbacks: { o…" → "…: 2, batchSize: 1, callbacks: { o…"\)\. Starting sweep "tiny@2"/);
    assert.equal(plain(await kernel.execute('sweepBodies')), '4');
    assert.equal(failure(await kernel.execute('%%sweep lr=[0.1, relu]\n1')).evalue, `%%sweep: axis lr: "relu" is not a number, a quoted string, true or false. Received: args="lr=[0.1, relu]". Usage: %%sweep [--dir DIR] [--name NAME] [--sampler grid|random|tpe] [--trials N] [--seed S] [--pruner none|median|asha] [--monitor METRIC] name=[v1, v2, …] [other={ min, max, log? } …]   (the cell body sees \`params\`)`);
  });

  it('%%sweep --sampler random --trials 3 draws from ranges; a failing body fails the cell with its own error', async () => {
    const dir = temporaryDir('magic-sweep-random');
    const cell = `%%sweep --dir ${dir} --name drawn --sampler random --trials 3 --seed 4 lr={ min: 0.0001, max: 0.01, log: true } units=[1, 2]
await train(sweepModel(params.units, params.lr), { xs: sx, ys: sy }, { epochs: 1, batchSize: 2 });`;
    assert.equal((await kernel.execute(cell)).reply.content.status, 'ok');
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'sweeps', 'drawn.json'), 'utf8')) as { trials: { params: { lr: number }; status: string }[] };
    assert.equal(record.trials.length, 3);
    assert.ok(record.trials.every((trial) => trial.status === 'finished' && trial.params.lr >= 0.0001 && trial.params.lr <= 0.01));
    const broken = failure(await kernel.execute(`%%sweep --dir ${dir} --name broken k=[1, 2]\nif (params.k === 2) throw new RangeError('no k=2 here');\nparams.k`));
    assert.deepEqual([broken.ename, broken.evalue], ['RangeError', 'no k=2 here']);
  });

  it("%%sweep interrupted mid-trial resumes that trial's run when the cell runs again, then runs the rest", async () => {
    const dir = temporaryDir('magic-sweep-resume');
    await kernel.execute(`import { currentSession } from 'cellfit';
const qx = tf.randomUniform([256, 2], 0, 1, 'float32', 5);
const qy = qx.sum(1, true);
function resumableModel(lr: number) {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [2], kernelInitializer: 'ones' }), tf.layers.dense({ units: 1, kernelInitializer: 'ones' })] });
  m.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
  return m;
}
// The first execution holds at the end of the first trial's epoch 2 until it is interrupted.
${holdUntilInterruptedCell('sweepHoldOnce', 2)}`);
    const cell = `%%sweep --dir ${dir} --name resumable lr=[0.001, 0.0005]
const swept = await train(resumableModel(params.lr), { xs: qx, ys: qy }, { epochs: 30, batchSize: 4, seed: 3, callbacks: sweepHoldOnce });
console.log(\`lr=\${params.lr}: \${swept.status} at \${swept.epoch}, resumed from \${swept.resumedFrom?.epoch ?? 'nothing'}\`);`;
    const running = kernel.send('shell', 'execute_request', { code: cell, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    const runs = path.join(dir, 'resumable');
    await until(() => listRuns(runs).some((run) => run.epoch >= 1), 'the first trial saved a checkpoint');
    await kernel.interrupt();
    assert.equal(failure(await running.done).ename, 'Interrupted');
    const [interrupted] = listRuns(runs);
    assert.equal(interrupted.status, 'interrupted');

    const again = await kernel.execute(cell);
    assert.equal(again.reply.content.status, 'ok');
    const lines = streamText(again).trim().split('\n');
    assert.match(lines[0], /^lr=0\.001: completed at 30, resumed from (\d+)$/);
    assert.ok(Number(/resumed from (\d+)/.exec(lines[0])![1]) >= interrupted.epoch);
    assert.deepEqual(lines.slice(1), ['lr=0.0005: completed at 30, resumed from nothing']);
  });
});
