import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Logs } from '../../../lib/callbacks';
import { setSessionProvider } from '../../../lib/session';
import { train } from '../../../lib/train';
import { stopSignal } from '../../../lib/train/interrupt';
import { runInTrainScope, type TrainScope } from '../../../lib/train/scope';
import { buildModel, regression, tmpDir } from './support';

describe('train scope', () => {
  it('train() inside runInTrainScope(scope, …) takes the scope\'s defaults, callbacks after its own, and tells it what it trains', async () => {
    const dir = tmpDir('scope');
    const order: string[] = [];
    const identified: number[] = [];
    const scope: TrainScope = {
      defaults: (call) => ({ checkpoint: dir, plot: false, ...(call.name === undefined ? { name: 'scoped' } : {}) }),
      callbacks: (options) => [{ onEpochEnd: (epoch: number, logs: Logs) => void order.push(`scope ${epoch} ${typeof options.checkpoint} ${'loss' in logs}`) }],
      identified: (_ids, epochs) => void identified.push(epochs),
    };
    const run = await runInTrainScope(scope, () =>
      train(buildModel(), regression(), { epochs: 2, progress: false, callbacks: { onEpochEnd: (epoch: number) => void order.push(`own ${epoch}`) } }),
    );
    assert.equal(run.id, 'scoped');
    assert.equal(run.dir, path.join(dir, 'scoped'));
    assert.deepEqual(order, ['own 1', 'scope 1 string true', 'own 2', 'scope 2 string true']);
    assert.deepEqual(identified, [2]);
    // The call's own options win over the scope's defaults.
    const named = await runInTrainScope(scope, () => train(buildModel(), regression(), { epochs: 1, name: 'mine', checkpoint: false, progress: false }));
    assert.equal(named.id, 'mine');
    assert.equal(named.dir, undefined);
  });

  it("train() inside a scope whose signal is aborted stops at once as 'interrupted'", async () => {
    const controller = new AbortController();
    controller.abort();
    const run = await runInTrainScope({ signal: controller.signal }, () => train(buildModel(), regression(), { epochs: 3, checkpoint: false, plot: false }));
    assert.equal(run.status, 'interrupted');
    assert.equal(run.epoch, 0);
  });
});

describe('stopSignal()', () => {
  afterEach(() => setSessionProvider(undefined));

  it('stopSignal({ own, scope }) is aborted by either; without own, by the cell\'s signal', () => {
    const [own, scope, cell] = [new AbortController(), new AbortController(), new AbortController()];
    const both = stopSignal({ own: own.signal, scope: scope.signal, where: 'train()', interrupted: 'x' });
    assert.equal(both.signal.aborted, false);
    scope.abort();
    assert.equal(both.signal.aborted, true);
    setSessionProvider(() => ({ display: () => ({ update: () => undefined }), signal: cell.signal }));
    const fromCell = stopSignal({ where: 'train()', interrupted: 'x' });
    assert.equal(fromCell.signal, cell.signal);
    assert.equal(stopSignal({ own: own.signal, where: 'train()', interrupted: 'x' }).signal, own.signal);
  });

  it("stopSignal({ where: 'sweep()', … }) in a terminal: Ctrl-C aborts the signal with the sweep's message, then exits as usual", () => {
    const script = `
      const { stopSignal } = require(${JSON.stringify(require.resolve('../../../lib/train/interrupt'))});
      const stop = stopSignal({ where: 'sweep()', interrupted: 'stopping the running trials at a checkpoint' });
      stop.signal.addEventListener('abort', () => { process.stdout.write('aborted\\n'); stop.release(); });
      setTimeout(() => process.kill(process.pid, 'SIGINT'), 10);
      // Printed only if the re-raised SIGINT did not end the process (5 s: room for a loaded machine).
      setTimeout(() => process.stdout.write('still running\\n'), 5000);
    `;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.stdout, 'aborted\n');
    assert.equal(child.stderr, 'sweep(): interrupted — stopping the running trials at a checkpoint (Ctrl-C again to quit now).\n');
    assert.equal(child.signal, 'SIGINT');
  });
});
