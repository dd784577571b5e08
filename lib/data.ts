/**
 * The three forms of tabular data cellfit accepts — an arquero table, an array of row objects,
 * or an object of aligned columns such as `{ xs, ys }` (plain arrays, typed arrays or tf tensors,
 * sliced along their first axis) — behind one small interface, so that `split()` and `train()`
 * read rows and return parts in the form they were given.
 */
import type { ColumnTable } from 'arquero';
import { tf } from './backend';
import { fail, formatValue } from './errors';
import type { InputSpace } from './tabulate';

/** One row of an array of rows. */
export type Row = Record<string, unknown>;

/** A column of aligned data: its first axis is the row axis. */
export type Column = ArrayLike<unknown> | tf.Tensor;

/** An object of aligned columns, e.g. `{ xs, ys }`. */
export type Columns = Record<string, Column>;

/** Data in any of the forms cellfit accepts: a table, rows (objects of any type), or columns. */
export type Tabular = ColumnTable | readonly object[] | Columns;

/**
 * The value one row holds in column `C`: a number for a rank-1 tensor, an array of numbers for a
 * rank-2 one, the element type of an array.
 */
export type ColumnValue<C> = C extends tf.Tensor1D ? number : C extends tf.Tensor2D ? number[] : C extends tf.Tensor ? unknown : C extends ArrayLike<infer V> ? V : unknown;

/**
 * The type of one row of data `T`, as `split()`'s `stratify` and `key` functions receive it: the
 * element type of an array of rows, each column's {@link ColumnValue} for columns, {@link Row}
 * for a table.
 */
export type RowOf<T> = T extends ColumnTable ? Row : T extends readonly (infer R)[] ? R : T extends Columns ? { [K in keyof T]: ColumnValue<T[K]> } : Row;

/** The column names of data `T` (any string for an arquero table, whose columns are not typed). */
export type ColumnName<T> = T extends ColumnTable ? string : keyof RowOf<T> & string;

/** Features and labels as two aligned columns, what `model.fit(xs, ys)` takes: tensors or (nested) arrays of numbers. */
export interface FeaturesAndLabels {
  readonly xs: Column;
  readonly ys: Column;
}

/** One part of what `train()` and `run.evaluate()` accept: `{ xs, ys }`, a table, rows or columns (with `features` and `label`), or a tabulated space. */
export type TrainPart = FeaturesAndLabels | Tabular | InputSpace<any>;

/** A `split()` result as `train()` reads it: the part to train on, and what to validate or test on. */
export interface SplitParts<P = TrainPart> {
  readonly train: P;
  readonly validation?: P;
  readonly test?: P;
}

/** Everything `train()` accepts as data. */
export type TrainData = TrainPart | SplitParts;

/** True for the type of a `split()` result: train (validation, test) parts and nothing else but its summary. */
export type IsSplit<D> = D extends { readonly train: infer P }
  ? [Exclude<keyof D, 'train' | 'validation' | 'test' | 'summary'>] extends [never]
    ? P extends tf.Tensor
      ? false
      : true
    : false
  : false;

/** The form each part of `D` has: its `train` part for a split, else `D` itself. */
export type TrainPartOf<D> = IsSplit<D> extends true ? (D extends { readonly train: infer P } ? P : never) : D;

/**
 * What `train()` needs to know about columns for data of part type `P`: tables, rows and columns
 * name their `features` and `label`; `{ xs, ys }` and spaces name none. (Which names: see
 * {@link ColumnNamesIn}.)
 */
export type ColumnOptionsFor<P> = P extends InputSpace<any>
  ? { readonly features?: never; readonly label?: never }
  : P extends FeaturesAndLabels
    ? { readonly features?: never; readonly label?: never }
    : { readonly features: readonly ColumnNameOrString<P>[]; readonly label: ColumnNameOrString<P> | readonly ColumnNameOrString<P>[] };

/**
 * A column name of `P`, or any string: editors suggest the columns, literal names are kept as
 * literals for {@link ColumnNamesIn} to check, and names held as `string` are accepted
 * (type-fest's LiteralUnion).
 */
export type ColumnNameOrString<P> = ColumnName<P> | (string & Record<never, never>);

/** Names `V` checked against the columns `C`: literal names must be columns; names typed `string` are left to the run-time check. */
export type CheckedNames<V, C extends string> = string extends (V extends readonly (infer F)[] ? F : V) ? unknown : V extends readonly unknown[] ? readonly C[] : C | readonly C[];

/**
 * The columns that the `features` and `label` of options `O` may name for data of part type `P`:
 * when the names are known to the type checker (written in the call, or `as const`) they must be
 * columns of `P`, so a misspelt column is a type error; names held as `string` pass here and are
 * checked when `train()` runs.
 */
export type ColumnNamesIn<O, P> = P extends InputSpace<any> | FeaturesAndLabels
  ? unknown
  : {
      readonly features?: O extends { readonly features: infer V } ? CheckedNames<V, ColumnName<P>> : unknown;
      readonly label?: O extends { readonly label: infer V } ? CheckedNames<V, ColumnName<P>> : unknown;
    };

/** Data of the same form as `D` (its validation data): `{ xs, ys }`, a table, rows of the same type, columns of the same names. */
export type SameForm<D> = D extends InputSpace<any>
  ? InputSpace<any> | FeaturesAndLabels
  : D extends FeaturesAndLabels
    ? FeaturesAndLabels
    : D extends ColumnTable
      ? ColumnTable
      : D extends readonly (infer R)[]
        ? readonly R[]
        : { readonly [K in keyof D]: Column };

/**
 * The `validation` option `train()` takes for data `D`: none with a split (the split says what to
 * validate on), else a fraction to hold out or data of the same form.
 */
export type ValidationFor<D> = IsSplit<D> extends true ? never : number | SameForm<D>;

/** A uniform, read-only view of {@link Tabular} data. */
export interface DataView<T extends Tabular = Tabular> {
  readonly form: 'table' | 'rows' | 'columns';
  /** Number of rows. */
  readonly size: number;
  /** Column names (for rows, the keys of the first row). */
  readonly names: readonly string[];
  /** The value of column `name` for every row, in row order; throws naming `option` if absent. */
  column(name: string, option: string): readonly unknown[];
  /** Row `i` as an object (for columns, each column's slice at `i`). */
  row(i: number): Row;
  /** The rows at `indices`, in that order, in the form of the original data. */
  take(indices: ArrayLike<number>): T;
}

/**
 * Wraps `data` in a {@link DataView}, checking that it is one of the accepted forms, not empty,
 * and (for columns) aligned. `where` names the calling function in errors.
 */
export function viewData<T extends Tabular>(data: T, where: string): DataView<T> {
  if (isArqueroTable(data)) return viewTable(data, where) as unknown as DataView<T>;
  if (Array.isArray(data)) return viewRows(data, where) as unknown as DataView<T>;
  if (isPlainObject(data)) return viewColumns(data as Columns, where) as unknown as DataView<T>;
  return fail(
    where,
    `data must be an arquero table, an array of row objects, or an object of aligned columns such as { xs, ys }. Received: ${formatValue(data)}.`,
  );
}

/** True for an arquero table (any version that has the ColumnTable API). */
export function isArqueroTable(data: unknown): data is ColumnTable {
  const candidate = data as ColumnTable | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.numRows === 'function' &&
    typeof candidate.columnNames === 'function' &&
    typeof candidate.reify === 'function'
  );
}

/** True for a tfjs tensor. */
export function isTensor(value: unknown): value is tf.Tensor {
  return value instanceof tf.Tensor;
}

function viewTable(table: ColumnTable, where: string): DataView<ColumnTable> {
  // Materialise filters and orderings so that row i is simply the i-th row of the data.
  const flat = table.isFiltered() || table.isOrdered() ? table.reify() : table;
  const size = flat.numRows();
  if (size === 0) fail(where, 'data is empty (an arquero table with 0 rows).');
  const names = flat.columnNames();
  return {
    form: 'table',
    size,
    names,
    column(name, option) {
      if (!names.includes(name)) failUnknownColumn(where, option, name, names);
      return Array.from(flat.array(name) as ArrayLike<unknown>);
    },
    row: (i) => flat.object(i) as Row,
    take: (indices) => flat.reify(Array.from(indices)),
  };
}

function viewRows(rows: Row[], where: string): DataView<Row[]> {
  if (rows.length === 0) fail(where, 'data is empty (an array with 0 rows).');
  rows.forEach((row, i) => {
    if (!isPlainObject(row)) {
      fail(where, `an array of rows must hold plain objects such as { x: 1, y: 2 }. Received: row ${i} = ${formatValue(row)}.`);
    }
  });
  const names = Object.keys(rows[0]);
  return {
    form: 'rows',
    size: rows.length,
    names,
    column(name, option) {
      return rows.map((row, i) => {
        if (!(name in row)) {
          if (i === 0) failUnknownColumn(where, option, name, names);
          fail(where, `\`${option}\` column ${formatValue(name)} is missing from row ${i}. Received: row ${i} = ${formatValue(row)}.`);
        }
        return row[name];
      });
    },
    row: (i) => rows[i],
    take: (indices) => Array.from(indices, (i) => rows[i]),
  };
}

function viewColumns(columns: Columns, where: string): DataView<Columns> {
  const names = Object.keys(columns);
  if (names.length === 0) fail(where, 'data is empty (an object with no columns); expected aligned columns such as { xs, ys }.');
  const lengths = names.map((name) => columnLength(columns[name], name, where));
  const size = lengths[0];
  const misaligned = lengths.findIndex((length) => length !== size);
  if (misaligned >= 0) {
    const sizes = names.map((name, i) => `${name} has ${lengths[i]}`).join(', ');
    fail(where, `columns must have the same length along their first axis. Received: ${sizes} rows.`);
  }
  if (size === 0) fail(where, `data is empty (columns ${names.join(', ')} have 0 rows).`);
  const rowValues = new Map<string, readonly unknown[]>();
  const valuesOf = (name: string) => {
    let values = rowValues.get(name);
    if (!values) {
      values = readRows(columns[name]);
      rowValues.set(name, values);
    }
    return values;
  };
  return {
    form: 'columns',
    size,
    names,
    column(name, option) {
      if (!names.includes(name)) failUnknownColumn(where, option, name, names);
      return valuesOf(name);
    },
    row(i) {
      const row: Row = {};
      for (const name of names) row[name] = valuesOf(name)[i];
      return row;
    },
    take(indices) {
      const part: Columns = {};
      for (const name of names) part[name] = takeColumn(columns[name], indices);
      return part;
    },
  };
}

function columnLength(column: Column, name: string, where: string): number {
  if (isTensor(column)) {
    if (column.rank === 0) fail(where, `column \`${name}\` is a scalar tensor; columns need a row axis. Received: ${name}=${formatValue(column)}.`);
    return column.shape[0];
  }
  if (Array.isArray(column) || ArrayBuffer.isView(column)) return (column as ArrayLike<unknown>).length;
  return fail(where, `column \`${name}\` must be an array, a typed array or a tensor. Received: ${name}=${formatValue(column)}.`);
}

/** Each row of a column as a JS value (a number, or nested arrays for tensors of rank ≥ 2). */
function readRows(column: Column): readonly unknown[] {
  if (isTensor(column)) return column.rank === 1 ? Array.from(column.dataSync()) : (column.arraySync() as unknown[]);
  return Array.isArray(column) ? column : Array.from(column as ArrayLike<unknown>);
}

function takeColumn(column: Column, indices: ArrayLike<number>): Column {
  if (isTensor(column)) {
    return tf.tidy(() => tf.gather(column, tf.tensor1d(Int32Array.from(indices), 'int32')));
  }
  if (ArrayBuffer.isView(column)) {
    const source = column as unknown as { length: number; [i: number]: number } & ArrayBufferView;
    const Constructor = source.constructor as new (length: number) => typeof source;
    const part = new Constructor(indices.length);
    for (let i = 0; i < indices.length; i++) part[i] = source[indices[i]];
    return part;
  }
  return Array.from(indices, (i) => (column as ArrayLike<unknown>)[i]);
}

function failUnknownColumn(where: string, option: string, name: string, names: readonly string[]): never {
  return fail(where, `\`${option}\` names column ${formatValue(name)}, which is not in the data. Available columns: ${names.join(', ')}.`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
