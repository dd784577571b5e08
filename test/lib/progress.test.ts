import assert from 'node:assert/strict';
import { formatDuration, notebookProgress, terminalProgress } from '../../lib/progress';
import { hiddenOutputHtml } from '../../lib/util/html';
import { recordingSession } from '../helpers';

/** A stream that records what is written, and a clock the test moves. */
function fakes(isTTY: boolean) {
  let time = 0;
  const written: string[] = [];
  return { stream: { isTTY, columns: 100, write: (text: string) => written.push(text) }, written, now: () => time, advance: (ms: number) => (time += ms) };
}

describe('progress', () => {
  it('terminalProgress(tty) redraws one bar (epoch, batch, loss, ETA) at most every interval, then a line per epoch', () => {
    const { stream, written, now, advance } = fakes(true);
    const progress = terminalProgress(stream, { interval: 100, now });
    let reads = 0;
    const loss = () => (reads++, 0.5);
    progress.start({ title: 'run', epochs: 2, batchesPerEpoch: 10, epoch: 0, batch: 0 });
    for (let batch = 1; batch <= 10; batch++) {
      advance(30);
      progress.batch(0, batch, loss);
    }
    // 10 batches over 300 ms with a 100 ms interval: the first and then every fourth batch draw.
    assert.equal(reads, 3);
    assert.equal(written.length, 3);
    assert.match(written[0], /^\r\x1b\[2Kepoch 1\/2 \[=*>? *\] 1\/10 loss 0\.5$/, 'no ETA from the first batch alone');
    assert.match(written[1], /^\r\x1b\[2Kepoch 1\/2 \[=*>? *\] 5\/10 loss 0\.5 ETA 0:00$/);
    progress.epoch({ epoch: 1, loss: 0.5, val_loss: 0.61234, lr: 0.001 }, 0.3);
    assert.equal(written[written.length - 1], 'epoch 1/2  loss 0.5  val_loss 0.6123  (0.3s)\n');
    assert.equal(written[written.length - 2], '\r\x1b[2K');
    progress.end('trained 2 epochs.');
    assert.equal(written[written.length - 1], 'trained 2 epochs.\n');
  });

  it('terminalProgress(log file) writes only epoch lines, and says which checkpoint a resumed run picks up from', () => {
    const { stream, written, now, advance } = fakes(false);
    const progress = terminalProgress(stream, { now });
    progress.start({ title: 'flights', epochs: 5, batchesPerEpoch: 4, epoch: 2, batch: 3 });
    advance(1000);
    progress.batch(2, 4, () => assert.fail('the loss must not be read when nothing is drawn'));
    progress.epoch({ epoch: 3, loss: 0.25 }, 1);
    assert.deepEqual(written, ['flights: resumed from checkpoint epoch-0002-batch-000003 (epoch 3, batch 3 of 5)\n', 'epoch 3/5  loss 0.25  (1.0s)\n']);
  });

  it('notebookProgress(session) shows one line and updates it in place; terminals get the final summary in a terminal-only output', () => {
    const session = recordingSession();
    let time = 0;
    const progress = notebookProgress(session, { interval: 250, now: () => time });
    progress.start({ title: 'run-1', epochs: 3, batchesPerEpoch: 2, epoch: 0, batch: 0 });
    time = 300;
    progress.batch(0, 1, () => 0.75);
    progress.epoch({ epoch: 1, loss: 0.7 }, 0.6);
    progress.end('trained 3 epochs.');
    assert.equal(session.shown.length, 2);
    assert.deepEqual(session.shown[0], { 'text/plain': 'run-1: starting epoch 1/3' });
    assert.deepEqual(
      session.updates[0].map((bundle) => bundle['text/plain']),
      ['run-1: epoch 1/3, batch 1/2, loss 0.75', 'run-1: epoch 1/3: loss 0.7', 'run-1: trained 3 epochs.'],
    );
    assert.equal(session.shown[1]['text/plain'], 'run-1: trained 3 epochs. Last epoch 1: loss 0.7.');
    assert.equal(session.shown[1]['text/html'], hiddenOutputHtml(), 'browsers collapse it');
  });

  it('notebookProgress(session) leaves a trail of terminal-only lines: every ~1/8 of the epochs, at most one a second, one every 30 s', () => {
    const session = recordingSession();
    let time = 0;
    const progress = notebookProgress(session, { now: () => time });
    progress.start({ title: 'long', epochs: 40, batchesPerEpoch: 10, epoch: 0, batch: 0 });
    for (let epoch = 1; epoch <= 40; epoch++) {
      time += epoch <= 20 ? 100 : 600; // 20 fast epochs (2 s), then 20 slow ones (12 s)
      progress.epoch({ epoch, loss: 1 / epoch }, 0.1);
    }
    progress.end('trained 40 epochs.');
    const trail = session.shown.slice(1).map((bundle) => /^long: epoch (\d+)\/40/.exec(String(bundle['text/plain']))?.[1] ?? 'end');
    // Every 5 epochs, but not within a second of the last line: 10 at 1 s, 20 at 2 s, then every 5.
    assert.deepEqual(trail, ['10', '20', '25', '30', '35', 'end']);
    assert.ok(session.shown.slice(1).every((bundle) => bundle['text/html'] === hiddenOutputHtml()));

    const slow = recordingSession();
    time = 0;
    const epochLong = notebookProgress(slow, { now: () => time, interval: 250 });
    epochLong.start({ title: 'big', epochs: 2, batchesPerEpoch: 1000, epoch: 0, batch: 0 });
    for (let batch = 1; batch <= 1000; batch++) {
      time += 100;
      epochLong.batch(0, batch, () => 0.5);
    }
    assert.deepEqual(slow.shown.slice(1).map((bundle) => String(bundle['text/plain']).replace(/, ETA .*/, '')), [
      'big: epoch 1/2, batch 301/1000, loss 0.5',
      'big: epoch 1/2, batch 601/1000, loss 0.5',
      'big: epoch 1/2, batch 901/1000, loss 0.5',
    ]);
  });

  it('notebookProgress(session) says which checkpoint a resumed run picks up from, in a line nothing overwrites', () => {
    const session = recordingSession();
    let time = 0;
    const progress = notebookProgress(session, { now: () => time });
    progress.start({ title: 'demo', epochs: 2000, batchesPerEpoch: 10, epoch: 295, batch: 0 });
    time = 10;
    progress.batch(295, 1, () => 0.25);
    assert.deepEqual(session.shown[0], { 'text/plain': 'demo: resumed from checkpoint epoch-0295 (epoch 296 of 2000)' });
    assert.deepEqual(session.updates[0], [], 'never updated');
    assert.equal(String(session.shown[1]['text/plain']), 'demo: epoch 296/2000, batch 1/10, loss 0.25');
  });

  it('notebookProgress(session) after a resume: a slow first batch (start-up) does not make the ETA; it comes from the pace after it', () => {
    const session = recordingSession();
    let time = 0;
    const progress = notebookProgress(session, { interval: 0, now: () => time });
    progress.start({ title: 'loans', epochs: 20, batchesPerEpoch: 10, epoch: 10, batch: 0 });
    time += 8000; // restoring, starting the engine
    progress.batch(10, 1, () => 0.5);
    for (let batch = 2; batch <= 10; batch++) {
      time += 10;
      progress.batch(10, batch, () => 0.5);
    }
    const lines = session.updates[1].map((bundle) => String(bundle['text/plain']));
    assert.equal(lines[0], 'loans: epoch 11/20, batch 2/10, loss 0.5');
    // 90 batches left at 10 ms each.
    assert.equal(lines[lines.length - 1], 'loans: epoch 11/20, batch 10/10, loss 0.5, ETA 0:01');
  });

  it('formatDuration(seconds) gives m:ss or h:mm:ss', () => {
    assert.equal(formatDuration(5), '0:05');
    assert.equal(formatDuration(125.4), '2:05');
    assert.equal(formatDuration(3 * 3600 + 61), '3:01:01');
  });
});
