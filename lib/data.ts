/**
 * The three forms of tabular data cellfit accepts — an arquero table, an array of row objects,
 * or an object of aligned columns such as `{ xs, ys }` (plain arrays, typed arrays or tf tensors,
 * sliced along their first axis) — behind one small interface, so that `split()` and `train()`
 * read rows and return parts in the form they were given.
 */
import type { ColumnTable } from 'arquero';
import { tf } from './backend';
import { fail, formatValue } from './errors';

/** One row of an array of rows. */
export type Row = Record<string, unknown>;

/** A column of aligned data: its first axis is the row axis. */
export type Column = ArrayLike<unknown> | tf.Tensor;

/** An object of aligned columns, e.g. `{ xs, ys }`. */
export type Columns = Record<string, Column>;

/** Data in any of the forms cellfit accepts. */
export type Tabular = ColumnTable | Row[] | Columns;

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
