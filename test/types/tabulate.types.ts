/** Type tests: tabulateInputSpace() infers its points from its axes. */
import type { ColumnTable } from 'arquero';
import { split, tabulateInputSpace, tf, train, type InputSpace, type Point, type SpaceEvaluation, type WorstPoint } from '../../lib';
import { any, expectTypeOf } from './expect';

type Friction = { temperature: number; fluid: 'water' | 'glycol' };

// A numeric range gives number, a list of strings the union of its strings — in label too.
const space = tabulateInputSpace(
  { temperature: { min: 60, max: 80, step: 0.01 }, fluid: ['water', 'glycol'] },
  {
    label: (point) => {
      expectTypeOf(point).toEqualTypeOf<Friction>();
      return point.temperature / 100 + (point.fluid === 'water' ? 0 : 1);
    },
    normalize: true,
  },
);
expectTypeOf(space).toEqualTypeOf<InputSpace<Friction>>();
expectTypeOf(space.at(2)).toEqualTypeOf<Friction>();
expectTypeOf(space.at(2).temperature).toEqualTypeOf<number>();

// The example: arithmetic on a range axis, no cast.
const sine = tabulateInputSpace({ t: { min: 60, max: 80, step: 0.005 } }, { label: (p) => Math.sin(p.t / 2) });
expectTypeOf(sine.at(0)).toEqualTypeOf<{ t: number }>();

// Lists of numbers give number (not their literals); a destructured label reads the same.
const velocities = tabulateInputSpace({ velocity: [0.5, 1, 1.5, 2], mode: ['a'] }, { label: ({ velocity, mode }) => (mode === 'a' ? velocity : 0) });
expectTypeOf(velocities.at(0)).toEqualTypeOf<{ velocity: number; mode: 'a' }>();

// indexOf() and encode() take points of the same type.
expectTypeOf(space.indexOf({ temperature: 60.01, fluid: 'water' })).toEqualTypeOf<number>();
// @ts-expect-error 'oil' is not one of the fluids
space.indexOf({ temperature: 60.01, fluid: 'oil' });
// @ts-expect-error every axis must be given
space.indexOf({ temperature: 60.01 });
// @ts-expect-error temperature is numeric
space.indexOf({ temperature: '60', fluid: 'water' });
// @ts-expect-error extra keys are not axes
space.indexOf({ temperature: 60, fluid: 'water', pressure: 1 });
space.encode([{ temperature: 61.234, fluid: 'glycol' }]);
// @ts-expect-error encode() takes points of the space
space.encode([{ temperature: 61.234 }]);

// evaluate()'s worst points are typed the same.
async function evaluated(model: tf.LayersModel): Promise<void> {
  const evaluation = await space.evaluate(model);
  expectTypeOf(evaluation).toEqualTypeOf<SpaceEvaluation<Friction>>();
  expectTypeOf(evaluation.worst[0]).toEqualTypeOf<WorstPoint<Friction>>();
  expectTypeOf(evaluation.worst[0].point.fluid).toEqualTypeOf<'water' | 'glycol'>();
}
void evaluated;

// labelBatch receives the raw matrix, whatever the axes.
tabulateInputSpace({ x: { min: 0, max: 1, step: 0.1 } }, {
  labelBatch: (xs, count) => {
    expectTypeOf(xs).toEqualTypeOf<Float32Array>();
    expectTypeOf(count).toEqualTypeOf<number>();
    return xs;
  },
});

// Axes as [name, spec] pairs infer the same; a Map gives the general Point.
const pairs = tabulateInputSpace([['t', { min: 0, max: 1, step: 0.5 }], ['kind', ['x', 'y']]]);
expectTypeOf(pairs.at(0)).toEqualTypeOf<{ t: number; kind: 'x' | 'y' }>();
const mapped = tabulateInputSpace(new Map([['t', { min: 0, max: 1, step: 0.5 }]]));
expectTypeOf(mapped.at(0)).toEqualTypeOf<Point>();
// Axes typed loosely give loose points.
const loose: Record<string, { min: number; max: number; step: number } | readonly string[]> = { t: { min: 0, max: 1, step: 0.5 } };
expectTypeOf(tabulateInputSpace(loose).at(0)).toEqualTypeOf<{ [axis: string]: string | number }>();

// Wrong axes and options are errors.
// @ts-expect-error a range needs a step
tabulateInputSpace({ t: { min: 0, max: 1 } });
// @ts-expect-error a list holds numbers or strings, not both
tabulateInputSpace({ t: [1, 'a'] });
// @ts-expect-error label must return a number or numbers
tabulateInputSpace({ t: [1, 2] }, { label: (p) => `${p.t}` });
// @ts-expect-error there is no axis u
tabulateInputSpace({ t: [1, 2] }, { label: (p) => p.u });
// @ts-expect-error string axes give strings: no arithmetic
tabulateInputSpace({ fluid: ['water'] }, { label: (p) => p.fluid * 2 });

// A typed space is a space wherever one is accepted.
const general: InputSpace = space;
void general;
expectTypeOf(split(space, { train: 0.9, test: 0.1 }).train).toEqualTypeOf<ColumnTable>();
void train(any<tf.LayersModel>(), space, { epochs: 1 });
// @ts-expect-error a space names no feature columns
void train(any<tf.LayersModel>(), space, { epochs: 1, features: ['temperature'], label: 'f' });
