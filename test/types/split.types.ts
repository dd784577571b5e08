/** Type tests: split() returns the row or column types it received, with the parts its options name. */
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { split, tf, type SplitSummary } from '../../lib';
import { any, expectTypeOf } from './expect';

interface Flight {
  date: string;
  hour: number;
  delay: number;
}
const flights = any<Flight[]>();

// Rows of an interface type (no index signature) split into parts of that type.
const three = split(flights, { train: 0.8, validation: 0.1, test: 0.1, key: 'date' });
expectTypeOf(three.train).toEqualTypeOf<Flight[]>();
expectTypeOf(three.validation).toEqualTypeOf<Flight[]>();
expectTypeOf(three.test).toEqualTypeOf<Flight[]>();
expectTypeOf(three.summary).toEqualTypeOf<SplitSummary>();

// A three-way split is a { train, validation, test } of its rows (with or without strictNullChecks).
const everyPart = (parts: { train: Flight[]; validation: Flight[]; test: Flight[] }) => parts.train.length;
everyPart(three);

// The parts present are those the options give.
const two = split(flights, { train: 0.8, test: 0.2 });
expectTypeOf(two.test).toEqualTypeOf<Flight[]>();
// @ts-expect-error no validation part was asked for
void two.validation;
const trainValidation = split(flights, { train: 0.8, validation: 0.2 });
// @ts-expect-error no test part was asked for
void trainValidation.test;

// Options held in a variable make the optional parts optional.
const options: { train: number; validation?: number; test?: number } = { train: 0.8, test: 0.2 };
expectTypeOf(split(flights, options).test).toEqualTypeOf<Flight[] | undefined>();

// Columns come back as the columns they were: tensors, typed arrays, arrays.
const tensors = split({ xs: any<tf.Tensor2D>(), ys: any<tf.Tensor1D>() }, { train: 0.5, test: 0.5, stratify: 'ys' });
expectTypeOf(tensors.train).toEqualTypeOf<{ xs: tf.Tensor2D; ys: tf.Tensor1D }>();
const columns = { xs: new Float32Array(4), ys: [1, 2, 3, 4] };
expectTypeOf(split(columns, { train: 0.5, test: 0.5 }).test).toEqualTypeOf<typeof columns>();

// A table splits into tables.
expectTypeOf(split(aq.table({ x: [1, 2] }), { train: 0.5, test: 0.5, stratify: 'x' }).train).toEqualTypeOf<ColumnTable>();

// stratify and key name columns of the data, or receive its rows typed.
split(flights, {
  train: 0.5,
  test: 0.5,
  stratify: (row, index) => {
    expectTypeOf(row).toEqualTypeOf<Flight>();
    expectTypeOf(index).toEqualTypeOf<number>();
    return row.hour > 12;
  },
});
split(flights, { train: 0.5, test: 0.5, key: (row) => new Date(row.date) });
split({ xs: any<tf.Tensor2D>(), ys: any<tf.Tensor1D>() }, {
  train: 0.5,
  test: 0.5,
  stratify: (row) => {
    expectTypeOf(row).toEqualTypeOf<{ xs: number[]; ys: number }>();
    return row.ys > 0;
  },
});

// Wrong calls are errors.
// @ts-expect-error there is no column 'day'
split(flights, { train: 0.5, test: 0.5, key: 'day' });
// @ts-expect-error a key is a string, a number or a date
split(flights, { train: 0.5, test: 0.5, key: (row) => ({ day: row.date }) });
// @ts-expect-error `train` is required
split(flights, { test: 1 });
// @ts-expect-error `valid` is not an option
split(flights, { train: 0.8, valid: 0.2 });
// @ts-expect-error fractions are numbers
split(flights, { train: '0.8', test: 0.2 });
// @ts-expect-error data is rows, columns or a table
split(42, { train: 1 });
