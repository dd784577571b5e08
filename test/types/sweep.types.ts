/** Type tests: a sweep's parameters are typed from its space, and its trials' runs are Runs. */
import { sweep, type Run, type TrialContext } from '../../lib';
import { expectTypeOf } from './expect';

async function typedSweep(): Promise<void> {
  const result = await sweep({ lr: { min: 1e-4, max: 0.1, log: true }, units: [8, 16], act: { choices: ['relu', 'tanh'] }, epochs: 20 }, async (params, context) => {
    expectTypeOf(params.lr).toEqualTypeOf<number>();
    expectTypeOf(params.units).toEqualTypeOf<8 | 16>();
    expectTypeOf(params.act).toEqualTypeOf<'relu' | 'tanh'>();
    expectTypeOf(params.epochs).toEqualTypeOf<20>();
    expectTypeOf(context).toEqualTypeOf<TrialContext>();
    return params.lr * params.units;
  });
  const best = result.best!;
  // The best trial's lr is a number, as the space says: usable where a number is expected.
  const rate: number = best.params.lr;
  void Math.log(rate);
  expectTypeOf(best.run).toEqualTypeOf<Run | undefined>();
  // @ts-expect-error there is no parameter `momentum` in the space
  void best.params.momentum;
}
void typedSweep;
