import assert from 'node:assert/strict';
import { callbackList, type TrainingContext } from '../../lib/callbacks';
import { throwsWith } from '../helpers';

describe('callbacks', () => {
  it('callbackList([a, b]) forwards each event to every callback in order, awaiting async hooks', async () => {
    const calls: string[] = [];
    const list = callbackList(
      [
        {
          async onEpochEnd(epoch, logs) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            calls.push(`a:${epoch}:${logs.loss}`);
          },
        },
        { onEpochEnd: (epoch) => void calls.push(`b:${epoch}`) },
      ],
      'train()',
    );
    assert.equal(list.hasBatchHooks, false);
    await list.epochEnd(3, { loss: 0.5 }, {} as TrainingContext);
    assert.deepEqual(calls, ['a:3:0.5', 'b:3']);
  });

  it('callbackList(instance of a class) sees hooks defined as methods; batch hooks are noticed', () => {
    class Counter {
      count = 0;
      onBatchEnd(): void {
        this.count++;
      }
    }
    assert.equal(callbackList(new Counter(), 'train()').hasBatchHooks, true);
  });

  it('callbackList() rejects a misspelt hook and a non-function hook, naming them', () => {
    throwsWith(() => callbackList({ onEpochStart: () => undefined } as never, 'train()'), 'train(): `callbacks` has hook `onEpochStart`, which train() never calls. Hooks: onTrainBegin, onTrainEnd, onEpochBegin, onEpochEnd, onBatchBegin, onBatchEnd.');
    throwsWith(() => callbackList([{ onEpochEnd: 3 } as never], 'train()'), 'train(): `callbacks[0].onEpochEnd` must be a function. Received: onEpochEnd=3.');
    throwsWith(() => callbackList([null as never], 'train()'), '`callbacks[0]` must be an object with hooks such as onEpochEnd(epoch, logs). Received: callbacks[0]=null.');
  });
});
