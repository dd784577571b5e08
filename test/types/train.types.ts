/** Type tests: train() types its options by the data's form, and the run by compile()'s metrics. */
import * as aq from 'arquero';
import { compile, split, tf, train, type Compiled, type HistoryEntry, type Run } from '../../lib';
import { any, expectTypeOf } from './expect';

const model = any<tf.LayersModel>();
const xy = { xs: any<tf.Tensor2D>(), ys: any<tf.Tensor2D>() };
interface Reading {
  a: number;
  b: number;
  y: number;
}
const rows = any<Reading[]>();

async function forms(): Promise<void> {
  // { xs, ys }: no column options; validation a fraction or { xs, ys }.
  await train(model, xy, { epochs: 1, validation: 0.2 });
  await train(model, xy, { epochs: 1, validation: { xs: [[1]], ys: [[1]] } });
  // @ts-expect-error { xs, ys } names no columns
  await train(model, xy, { epochs: 1, features: ['xs'], label: 'ys' });
  // @ts-expect-error validation data has the data's form
  await train(model, xy, { epochs: 1, validation: rows });

  // Rows and tables: features and label name their columns, and are required.
  await train(model, rows, { epochs: 1, features: ['a', 'b'], label: 'y', validation: rows });
  // @ts-expect-error rows need features and label
  await train(model, rows, { epochs: 1 });
  // @ts-expect-error there is no column c
  await train(model, rows, { epochs: 1, features: ['a', 'c'], label: 'y' });
  // @ts-expect-error validation rows are rows of the same type
  await train(model, rows, { epochs: 1, features: ['a'], label: 'y', validation: xy });
  await train(model, aq.from(rows), { epochs: 1, features: ['a', 'b'], label: ['y'] });
  // Names held as plain strings (options kept in a variable) are checked when train() runs.
  const columns = { features: ['a', 'b'], label: 'y' };
  await train(model, rows, { epochs: 1, ...columns });

  // A split: its parts' form decides the column options; no validation option.
  await train(model, split(rows, { train: 0.8, validation: 0.2 }), { epochs: 1, features: ['a'], label: 'y' });
  await train(model, split(xy, { train: 0.8, test: 0.2 }), { epochs: 1 });
  // @ts-expect-error the split says what to validate on
  await train(model, split(xy, { train: 0.8, test: 0.2 }), { epochs: 1, validation: 0.1 });

  // Misspelt and mistyped options are errors, as they are for a plain options type.
  // @ts-expect-error `epoch` is not an option
  await train(model, xy, { epochs: 1, epoch: 2 });
  // @ts-expect-error `patience` is earlyStop()'s (the error says so)
  await train(model, xy, { epochs: 1, patience: 3 });
  // @ts-expect-error epochs is a number
  await train(model, xy, { epochs: '1' });
  // @ts-expect-error resume is 'auto', 'fresh' or 'require'
  await train(model, xy, { epochs: 1, resume: 'never' });
  // @ts-expect-error epochs is required
  await train(model, xy, {});
  // @ts-expect-error data is { xs, ys }, rows, a table, a split or a space
  await train(model, 42, { epochs: 1 });

  // Callbacks and schedules are typed in place.
  await train(model, xy, {
    epochs: 1,
    learningRate: (epoch, step) => {
      expectTypeOf([epoch, step]).toEqualTypeOf<number[]>();
      return 0.01;
    },
    callbacks: [{ onEpochEnd: (_epoch, logs) => expectTypeOf(logs.loss).toEqualTypeOf<number>() }],
  });
}
void forms;

async function metrics(): Promise<void> {
  // A plain model: any metric name, as tf.js's own types allow.
  const plain = await train(model, xy, { epochs: 1, validation: 0.2 });
  expectTypeOf(plain).toEqualTypeOf<Run<string, 'val_'>>();
  expectTypeOf(plain.history[0].anything).toEqualTypeOf<number>();
  expectTypeOf(await plain.evaluate(xy)).toEqualTypeOf<Readonly<Record<string, number>>>();

  // compile() keeps the metrics: history keys are the loss and metrics, plain and prefixed.
  const compiled = compile(tf.sequential(), { optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae', 'accuracy'] });
  expectTypeOf(compiled).toEqualTypeOf<Compiled<tf.Sequential, 'mae' | 'acc'>>();
  const validated = await train(compiled, xy, { epochs: 1, validation: 0.2 });
  const entry = validated.history[0];
  expectTypeOf(entry).toEqualTypeOf<HistoryEntry<'loss' | 'mae' | 'acc' | 'val_loss' | 'val_mae' | 'val_acc'>>();
  expectTypeOf(entry.val_mae + entry.lr + entry.epoch).toEqualTypeOf<number>();
  // @ts-expect-error a misspelt metric
  void entry.val_mea;
  expectTypeOf(await validated.evaluate(xy)).toEqualTypeOf<Readonly<Record<'loss' | 'mae' | 'acc', number>>>();

  // No validation: no val_ keys. A train/test split: test_ keys.
  const unvalidated = await train(compiled, xy, { epochs: 1 });
  // @ts-expect-error there is no validation data
  void unvalidated.history[0].val_loss;
  const twoWay = await train(compiled, split(xy, { train: 0.8, test: 0.2 }), { epochs: 1 });
  expectTypeOf(twoWay.history[0].test_mae).toEqualTypeOf<number>();
  const threeWay = await train(compiled, split(xy, { train: 0.8, validation: 0.1, test: 0.1 }), { epochs: 1 });
  expectTypeOf(threeWay).toEqualTypeOf<Run<'mae' | 'acc', 'val_'>>();

  // Without metrics: the loss alone.
  const lossOnly = compile(tf.sequential(), { optimizer: 'sgd', loss: 'meanSquaredError' });
  const bare = await train(lossOnly, xy, { epochs: 1, validation: xy });
  expectTypeOf(bare.history[0]).toEqualTypeOf<HistoryEntry<'loss' | 'val_loss'>>();

  // Typed runs are runs.
  const runs: Run[] = [plain, validated, twoWay, bare];
  void runs;
  await train(model, xy, { epochs: 1, from: validated });
}
void metrics;
