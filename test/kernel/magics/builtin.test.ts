/**
 * The built-in magics and user-defined ones, run in the real kernel over the protocol.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { KernelClient } from '../../../kernel/runner/client';
import { failure, plain, REPO, result, sharedKernel, streamText, temporaryDir } from '../harness';

describe('magics (in the kernel)', function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  before(async () => {
    kernel = await sharedKernel();
  });

  it('%lsmagic lists every magic with its usage', async () => {
    const text = plain(await kernel.execute('%lsmagic'));
    for (const name of ['%backend', '%%capture', '%checkpoints', '%lsmagic', '%runs', '%seed', '%%sweep', '%sweeps', '%time, %%time', '%timeit, %%timeit', '%who']) {
      assert.ok(text.includes(name), `${name} listed`);
    }
    assert.equal(failure(await kernel.execute('%lsmagic extra')).evalue, '%lsmagic: takes no arguments. Received: args="extra". Usage: %lsmagic');
  });

  it('%time CODE prints CPU and wall time and returns the value; its declarations stay', async () => {
    const exchange = await kernel.execute('const base = 2;\n%time const timed = base * 3\ntimed + 1');
    assert.match(streamText(exchange), /^CPU times: user [\d.]+ (s|ms|µs|ns), sys: [\d.]+ (s|ms|µs|ns), total: [\d.]+ (s|ms|µs|ns)\nWall time: [\d.]+ (s|ms|µs|ns)\n/);
    assert.equal(plain(exchange), '7');
    assert.equal(plain(await kernel.execute('%time await Promise.resolve(5)')), '5');
    assert.equal(plain(await kernel.execute('%%time\nconst t1 = 1;\nt1 + 1')), '2');
    assert.equal(failure(await kernel.execute('%time')).evalue, '%time: expected code to time. Received: args="". Usage: %time CODE  |  %%time (then the code on the next lines)');
    const error = failure(await kernel.execute('%time missingThing()'));
    assert.equal(error.ename, 'TSError');
  });

  it('%timeit prints "mean ± std. dev. per loop"; -n/-r set the loops; -o returns the result', async () => {
    assert.match(streamText(await kernel.execute('%timeit -n 3 -r 2 Math.sqrt(2)')), /^[\d.]+ (s|ms|µs|ns) ± [\d.]+ (s|ms|µs|ns) per loop \(mean ± std\. dev\. of 2 runs, 3 loops each\)\n$/m);
    // Auto-ranged: the loop count is a power of ten.
    assert.match(streamText(await kernel.execute('%timeit -r 1 Math.sqrt(2)')), /of 1 run, 1(0|,000)* loops? each\)/);
    const timed = await kernel.execute('%%timeit -n 2 -r 2 -o\nawait new Promise((r) => setTimeout(r, 1))');
    assert.match(String(result(timed)['text/plain']), /^<TimeitResult : [\d.]+ (s|ms|µs) ± .* 2 loops each\)>$/);
    assert.equal(failure(await kernel.execute('%timeit -n 0 1')).evalue, '%timeit: -n must be an integer ≥ 1. Received: args="-n 0 1". Usage: %timeit [-n N] [-r R] [-q] [-o] CODE  |  %%timeit [-n N] [-r R] [-q] [-o]');
    assert.match(failure(await kernel.execute('%timeit -x 1')).evalue, /^%timeit: unknown option -x\./);
  });

  it('%who lists the notebook variables, filtered by type', async () => {
    await kernel.execute("const whoNumber = 1;\nconst whoText = 'a';\nfunction whoFn() {}");
    const all = streamText(await kernel.execute('%who')).trim().split('\t');
    assert.ok(['whoNumber', 'whoText', 'whoFn'].every((name) => all.includes(name)));
    const numbers = streamText(await kernel.execute('%who function')).trim().split('\t');
    assert.ok(numbers.includes('whoFn') && !numbers.includes('whoNumber'));
    assert.equal(streamText(await kernel.execute('%who NoSuchType')), 'No variables match your requested type.\n');
  });

  it('%%capture NAME hides the output and keeps it in NAME; --no-stderr lets stderr through', async () => {
    const hidden = await kernel.execute("%%capture kept\nconsole.log('out');\nconsole.error('err');\nimport { display } from 'cellfit/kernel';\ndisplay({ a: 1 });\n'value'");
    assert.deepEqual(hidden.outputs, []);
    assert.equal(plain(await kernel.execute('[kept.stdout, kept.stderr, kept.outputs.length].join("|")')), "'out\\n|err\\n|2'");
    const shown = await kernel.execute('kept.show();');
    assert.deepEqual(shown.outputs.map((m) => m.header.msg_type), ['stream', 'stream', 'display_data', 'display_data']);
    const partial = await kernel.execute("%%capture --no-stderr\nconsole.log('hidden');\nconsole.error('visible');");
    assert.equal(streamText(partial), '');
    assert.equal(streamText(partial, 'stderr'), 'visible\n');
    assert.equal(failure(await kernel.execute('%%capture a b\n1')).evalue, '%%capture: expected at most one variable name. Received: args="a b". Usage: %%capture [--no-stdout] [--no-stderr] [--no-display] [NAME]');
  });

  it("%seed N seeds cellfit's generators and Math.random; without N it shows the seed", async () => {
    assert.equal(streamText(await kernel.execute('%seed 42')), "seed: 42 (cellfit's random generators and Math.random)\n");
    const first = plain(await kernel.execute('[Math.random(), Math.random()]'));
    await kernel.execute('%seed 42');
    assert.equal(plain(await kernel.execute('[Math.random(), Math.random()]')), first);
    assert.equal(plain(await kernel.execute("import { getSeed } from 'cellfit';\ngetSeed()")), '42');
    assert.equal(streamText(await kernel.execute('%seed')), 'seed: 42\n');
    assert.equal(failure(await kernel.execute('%seed abc')).evalue, '%seed: expected an integer seed. Received: args="abc". Usage: %seed N');
  });

  it('%backend shows the backends and the training engines; %backend NAME switches', async () => {
    const table = plain(await kernel.execute('%backend'));
    assert.match(table, /^active backend: (wasm|tensorflow|cpu); latest train\(\) ran on /);
    assert.match(table, /training engine +fused +train\(\)'s choice for dense networks \(engine: 'auto'\): WebAssembly SIMD128/);
    assert.match(table, /cpu +(active|available)/);
    const active = /^active backend: (\w+)/.exec(table)![1];
    assert.equal(streamText(await kernel.execute('%backend cpu')), 'backend: cpu\n');
    assert.equal(plain(await kernel.execute("import { tf as tfNow } from 'cellfit';\ntfNow.getBackend()")), "'cpu'");
    assert.equal(streamText(await kernel.execute(`%backend ${active}`)), `backend: ${active}\n`);
    assert.equal(failure(await kernel.execute('%backend gpu')).evalue, '%backend: unknown backend "gpu"; expected one of tensorflow, wasm, cpu. Received: args="gpu". Usage: %backend [tensorflow | wasm | cpu]');
  });

  it('%runs DIR lists the runs with status, epochs and best metric; %checkpoints RUN lists a run\'s checkpoints', async () => {
    const dir = temporaryDir('magic-runs');
    assert.equal(streamText(await kernel.execute(`%runs ${dir}`)), `No runs in ${dir}/ (train() saves each run there).\n`);
    await kernel.execute(`import { train, tf } from 'cellfit';
const rx = tf.tensor2d([[0], [1], [2], [3]]);
const ry = rx.mul(2);
const rm = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
rm.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await train(rm, { xs: rx, ys: ry }, { name: 'listed', epochs: 3, batchSize: 2, checkpoint: ${JSON.stringify(dir)}, plot: false });`);
    const runs = plain(await kernel.execute(`%runs ${dir}`));
    assert.match(runs, new RegExp(`^1 run in ${dir}/\\nrun +name +status +epochs +best +updated`));
    assert.match(runs, /listed +listed +completed +3\/3 +loss [\d.e-]+ @ epoch \d/);
    const checkpoints = plain(await kernel.execute(`%checkpoints list --dir ${dir}`));
    assert.match(checkpoints, /^\d checkpoints? of run listed \(completed, 3\/3 epochs\)\ncheckpoint +epoch +batch +loss +saved +note/);
    assert.match(checkpoints, /epoch-0003 +3 +0 .*latest/);
    assert.match(checkpoints, /best/);
    assert.equal(
      failure(await kernel.execute(`%checkpoints nope --dir ${dir}`)).evalue,
      `%checkpoints: no run "nope" in ${dir}/; runs there: listed. Received: args="nope --dir ${dir}". Usage: %checkpoints RUN [--dir DIR]   (RUN: a run id, name or id prefix, as %runs lists them)`,
    );
  });

  it('registerMagic() from a cell defines a magic the next cells can use; unknown magics are named', async () => {
    await kernel.execute(`import { registerMagic, usageError } from 'cellfit/kernel';
const shout = { name: 'shout', kind: 'line' as const, usage: '%shout WORD', summary: 'Shouts.', run: ({ args }: { args: string }) => {
  if (args === '') usageError(shout, 'expected a word', args);
  return args.toUpperCase() + '!';
} };
registerMagic(shout);`);
    assert.equal(plain(await kernel.execute('%shout hey')), "'HEY!'");
    assert.equal(failure(await kernel.execute('%shout')).evalue, '%shout: expected a word. Received: args="". Usage: %shout WORD');
    assert.equal(failure(await kernel.execute('%shoot x')).evalue, '%shoot: unknown magic. Did you mean %shout? Run %lsmagic to list the magics.');
    assert.equal(failure(await kernel.execute("registerMagic({ name: '9', kind: 'line', usage: '', summary: '', run: () => 1 })")).evalue, 'registerMagic(): `name` must be letters, digits, _ or -, not starting with a digit. Received: name="9".');
  });

  it("README's registerMagic example works as written", async () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const example = /```ts\n(import \{ registerMagic \} from 'cellfit\/kernel';\n[\s\S]*?)```/.exec(readme);
    assert.ok(example, 'the README has the registerMagic example');
    assert.equal((await kernel.execute(example[1])).reply.content.status, 'ok');
    assert.equal(plain(await kernel.execute('%hello world')), "'hello, world'");
  });
});
