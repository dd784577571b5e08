/** Tables: a whole (small enough) space as an arquero table of true axis values and exact labels. */
import type { ColumnTable } from 'arquero';
import { fail } from '../errors';
import { RangeAxis, type ListAxis } from './axis';
import type { Grid } from './grid';
import type { Labeller } from './labels';
import type { Point } from './types';
import { arquero } from '../util/arquero';

/** The space as a table, its labeller synchronous; see `InputSpace.toTable`. */
export function spaceTable<P extends Point>(grid: Grid, labeller: Labeller<P>, maxRows: number): ColumnTable {
  checkTableSize(grid, maxRows, 'toTable()');
  const columns = axisColumns(grid);
  if (labeller.labelled) Object.assign(columns, labelColumns(grid, labeller, labeller.all()));
  return arquero().table(columns);
}

/** {@link spaceTable} for asynchronous labellers; see `InputSpace.toTableAsync`. */
export async function spaceTableAsync<P extends Point>(grid: Grid, labeller: Labeller<P>, maxRows: number): Promise<ColumnTable> {
  checkTableSize(grid, maxRows, 'toTableAsync()');
  const columns = axisColumns(grid);
  if (labeller.labelled) Object.assign(columns, labelColumns(grid, labeller, await labeller.range(0, grid.size, Float64Array)));
  return arquero().table(columns);
}

function checkTableSize(grid: Grid, maxRows: number, method: string): void {
  if (grid.size > maxRows) {
    fail(`InputSpace.${method}`, `the space has ${grid.size.toLocaleString('en-US')} points, more than maxRows=${maxRows}. Stream it with space.batches(n), or raise maxRows.`);
  }
}

/** The true value of each axis at every point, a column per axis. */
function axisColumns(grid: Grid): Record<string, unknown[] | Float64Array> {
  const columns: Record<string, unknown[] | Float64Array> = {};
  for (const [j, axis] of grid.axisList.entries()) {
    const stride = grid.strides[j];
    const column = axis instanceof RangeAxis || !(axis as ListAxis).categorical ? new Float64Array(grid.size) : new Array<unknown>(grid.size);
    for (let i = 0; i < grid.size; i++) column[i] = axis.value(Math.floor(i / stride) % axis.length) as never;
    columns[axis.name] = column;
  }
  return columns;
}

function labelColumns<P extends Point>(grid: Grid, labeller: Labeller<P>, labels: ArrayLike<number>): Record<string, Float64Array> {
  const names = labeller.names;
  const columns: Record<string, Float64Array> = {};
  names.forEach((name, c) => {
    const column = new Float64Array(grid.size);
    for (let i = 0; i < grid.size; i++) column[i] = labels[i * names.length + c];
    columns[name] = column;
  });
  return columns;
}
