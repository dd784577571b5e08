/**
 * What the browser tests of every notebook front end (classic Notebook, JupyterLab) assert about
 * an interrupted training cell and its re-run: cellfit's outputs are the same whichever client
 * shows them.
 */
import assert from 'node:assert/strict';
import type { ShownCell } from './classic';

/**
 * Asserts that `last`, the last output of an interrupted training cell (run "slow", 8 epochs of 400
 * batches), is the interrupt message naming its checkpoint, and returns that checkpoint's id. An
 * interrupt landing while an epoch ends (validation, checkpoint) stops at the next epoch's start.
 */
export function interruptedAt(last: string): string {
  assert.match(last, /Interrupted: the cell was interrupted\. slow: interrupted at (epoch \d, batch \d+ of 400|the start of epoch \d)\. Checkpoint (epoch-\d{4}(-batch-\d{6})?) holds this point: re-run to resume from it\.$/, `the last thing the cell shows: ${last}`);
  return /Checkpoint (\S+) holds/.exec(last)![1];
}

/** Asserts that the re-run `cell` resumed from `checkpoint`, trained to epoch 8 and drew its chart with 8 points. */
export function assertResumed(cell: ShownCell, checkpoint: string): void {
  const [, epoch, batch] = /^epoch-(\d{4})(?:-batch-(\d{6}))?$/.exec(checkpoint)!.map(Number);
  const where = batch > 0 ? `epoch ${epoch + 1}, batch ${batch}` : `epoch ${epoch + 1}`;
  assert.equal(cell.outputs[0], `slow: resumed from checkpoint ${checkpoint} (${where} of 8)`);
  assert.equal(cell.outputs[1], 'slow: trained 8 epochs.');
  assert.deepEqual(cell.charts.map((chart) => [chart.drawn, chart.points]), [[true, 8]]);
}
