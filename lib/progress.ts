/**
 * Training progress for people: a progress bar on stderr in a terminal (epoch, batch, loss, ETA),
 * one line per epoch when stderr is a log file, and a progress line updated in place in a notebook.
 * The loss is read from the device only when a line is drawn (throttled), never every batch.
 *
 * In a notebook, what lasts is said in outputs of its own: a resumed run's first line (which
 * checkpoint it resumed from) is never overwritten. Clients that do not update outputs in place
 * (`jupyter console` ignores update_display_data) see the live line only as it was first shown, so
 * the sink also writes a short trail of terminal-only lines — every ~1/8 of the epochs, at most one
 * a second, at least one every 30 s — and the final summary; browsers collapse those.
 */
import { checkpointId } from './checkpoint/format';
import type { HistoryEntry } from './train/state';
import { formatMetric } from './monitor';
import type { DisplayHandle, NotebookSession } from './session';
import { terminalOnlyBundle } from './util/html';

/** Where training progress goes. */
export interface ProgressSink {
  /** Training (re)starts at `epoch` completed epochs and `batch` batches. */
  start(info: { readonly title: string; readonly epochs: number; readonly batchesPerEpoch: number; readonly epoch: number; readonly batch: number }): void;
  /** A batch finished; `loss()` reads the running loss of the epoch (only call it to draw). */
  batch(epoch: number, batch: number, loss: () => number): void;
  /** An epoch finished. */
  epoch(entry: HistoryEntry, seconds: number): void;
  /** Training ended, with the stop message. */
  end(message: string): void;
}

/** Draws nothing. */
export const silentProgress: ProgressSink = { start() {}, batch() {}, epoch() {}, end() {} };

/** A stream like process.stderr. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of the progress sinks (the clock and stream are injectable for tests). */
export interface ProgressOptions {
  /** Milliseconds between redraws. Defaults to 100. */
  readonly interval?: number;
  /** Clock in milliseconds. Defaults to performance.now. */
  readonly now?: () => number;
}

/** Progress on a terminal stream: a redrawn bar when it is a TTY, else a line per epoch. */
export function terminalProgress(stream: ProgressStream = process.stderr, { interval = 100, now = () => performance.now() }: ProgressOptions = {}): ProgressSink {
  const tracker = new Tracker(now);
  let last = -Infinity;
  let barShown = false;
  const clear = () => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };
  return {
    start(info) {
      tracker.start(info);
      if (info.epoch > 0 || info.batch > 0) stream.write(`${resumeLine(info)}\n`);
    },
    batch(epoch, batch, loss) {
      tracker.batch();
      if (!stream.isTTY) return;
      const time = now();
      if (time - last < interval) return;
      last = time;
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
      const done = Math.round((batch / tracker.batchesPerEpoch) * width);
      const bar = `[${'='.repeat(Math.max(0, done - 1))}${done > 0 ? '>' : ''}${' '.repeat(width - done)}]`;
      stream.write(`\r\x1b[2Kepoch ${epoch + 1}/${tracker.epochs} ${bar} ${batch}/${tracker.batchesPerEpoch} loss ${formatMetric(loss())}${tracker.eta(epoch, batch, ' ')}`);
      barShown = true;
    },
    epoch(entry, seconds) {
      clear();
      stream.write(`epoch ${entry.epoch}/${tracker.epochs}  ${formatEntry(entry)}  (${seconds.toFixed(1)}s)\n`);
    },
    end(message) {
      clear();
      stream.write(`${message}\n`);
    },
  };
}

/** Options of {@link notebookProgress}. */
export interface NotebookProgressOptions extends ProgressOptions {
  /** Milliseconds between two trail lines at least. Defaults to 1000. */
  readonly trailGap?: number;
  /** Milliseconds after which a trail line is written even mid-epoch. Defaults to 30000. */
  readonly trailEvery?: number;
}

/**
 * Progress in a notebook cell: one text line updated in place, a lasting line when a run resumes,
 * and a trail of terminal-only lines plus the final summary for clients that show only what an
 * output first held (see the module comment).
 */
export function notebookProgress(session: NotebookSession, { interval = 250, now = () => performance.now(), trailGap = 1000, trailEvery = 30000 }: NotebookProgressOptions = {}): ProgressSink {
  const tracker = new Tracker(now);
  let handle: DisplayHandle | undefined;
  let last = -Infinity;
  let title = '';
  let trailTime = -Infinity;
  let trailEpoch = 0;
  let trailStep = 1;
  let lastEntry: HistoryEntry | undefined;
  const show = (text: string) => {
    const bundle = { 'text/plain': text };
    if (handle) handle.update(bundle);
    else handle = session.display(bundle);
  };
  const trail = (text: string) => {
    session.display(terminalOnlyBundle(text));
    trailTime = now();
  };
  return {
    start(info) {
      tracker.start(info);
      title = info.title;
      trailStep = Math.max(1, Math.ceil(info.epochs / 8));
      trailEpoch = info.epoch;
      trailTime = now();
      // A resumed run says so in a line of its own, which nothing overwrites; its live line appears
      // with the first batch (a terminal would otherwise print a second "resuming" line).
      if (info.epoch > 0 || info.batch > 0) session.display({ 'text/plain': resumeLine(info) });
      else show(`${title}: starting epoch 1/${info.epochs}`);
    },
    batch(epoch, batch, loss) {
      tracker.batch();
      const time = now();
      if (time - last < interval && handle) return;
      last = time;
      const text = `${title}: epoch ${epoch + 1}/${tracker.epochs}, batch ${batch}/${tracker.batchesPerEpoch}, loss ${formatMetric(loss())}${tracker.eta(epoch, batch)}`;
      show(text);
      if (time - trailTime >= trailEvery) trail(text);
    },
    epoch(entry) {
      last = now();
      lastEntry = entry;
      const text = `${title}: epoch ${entry.epoch}/${tracker.epochs}: ${formatEntry(entry)}${tracker.eta(entry.epoch, 0)}`;
      show(text);
      const due = entry.epoch - trailEpoch >= trailStep || last - trailTime >= trailEvery;
      if (due && last - trailTime >= trailGap && entry.epoch < tracker.epochs) {
        trail(text);
        trailEpoch = entry.epoch;
      }
    },
    end(message) {
      show(`${title}: ${message}`);
      trail(`${title}: ${message}${lastEntry ? ` Last epoch ${lastEntry.epoch}: ${formatEntry(lastEntry)}.` : ''}`);
    },
  };
}

/** `demo: resumed from checkpoint epoch-0007 (epoch 8 of 40)`: where a resumed run picks up. */
function resumeLine(info: { readonly title: string; readonly epochs: number; readonly epoch: number; readonly batch: number }): string {
  const where = info.batch > 0 ? `epoch ${info.epoch + 1}, batch ${info.batch}` : `epoch ${info.epoch + 1}`;
  return `${info.title}: resumed from checkpoint ${checkpointId(info.epoch, info.batch)} (${where} of ${info.epochs})`;
}

/** Counts batches to estimate the time left. */
class Tracker {
  epochs = 0;
  batchesPerEpoch = 1;
  /** When the first batch of this call ended: the pace is measured from there. */
  private warm = 0;
  private batches = 0;

  constructor(private readonly now: () => number) {}

  start(info: { epochs: number; batchesPerEpoch: number }): void {
    this.epochs = info.epochs;
    this.batchesPerEpoch = Math.max(1, info.batchesPerEpoch);
    this.batches = 0;
  }

  batch(): void {
    if (++this.batches === 1) this.warm = this.now();
  }

  /**
   * `, ETA 1:23` — the time left to finish all epochs, from the pace of this call's batches after its
   * first — or nothing before two batches are timed. The first batch carries the start-up (engine,
   * restoring a checkpoint, compiling kernels): extrapolated over the epochs left after a resume, it
   * gave ETAs of hours for minutes of training.
   */
  eta(epoch: number, batch: number, separator = ', '): string {
    if (this.batches < 3) return '';
    const perBatch = (this.now() - this.warm) / (this.batches - 1);
    const left = Math.max(0, (this.epochs - epoch) * this.batchesPerEpoch - batch);
    return `${separator}ETA ${formatDuration((left * perBatch) / 1000)}`;
  }
}

/** `loss 0.1234  val_loss 0.2345` (the learning rate left out). */
function formatEntry(entry: HistoryEntry): string {
  return Object.entries(entry)
    .filter(([key]) => key !== 'epoch' && key !== 'lr')
    .map(([key, value]) => `${key} ${formatMetric(value)}`)
    .join('  ');
}

/** Seconds as `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}
