/** The shape of a bench section and of its results, and how they are printed. */

/** One measured figure. */
export interface BenchRow {
  /** What was measured, e.g. "stream 1e8 points, unlabelled". */
  readonly name: string;
  readonly value: number;
  /** Unit of `value`, e.g. "M points/s", "MB", "×". */
  readonly unit: string;
  /** The goal in words, e.g. "≥ 100". */
  readonly goal?: string;
  /** Whether the goal is met; undefined for figures without a goal. */
  readonly met?: boolean;
}

/** A module bench/NAME.bench.ts exports this. */
export interface BenchSection {
  readonly title: string;
  run(): Promise<BenchRow[]>;
}

/** Prints rows as an aligned table. */
export function printRows(rows: readonly BenchRow[]): void {
  const cells = rows.map((row) => [
    row.name,
    `${formatNumber(row.value)} ${row.unit}`,
    row.goal ? `goal ${row.goal}` : '',
    row.met === undefined ? '' : row.met ? '✓' : '✗',
  ]);
  const widths = [0, 1, 2].map((c) => Math.max(...cells.map((line) => line[c].length)));
  for (const line of cells) {
    console.log(`  ${line[0].padEnd(widths[0])}  ${line[1].padStart(widths[1])}  ${line[2].padEnd(widths[2])}  ${line[3]}`.trimEnd());
  }
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  return magnitude >= 100 ? value.toFixed(0) : magnitude >= 10 ? value.toFixed(1) : value.toFixed(2);
}
