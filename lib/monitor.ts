/**
 * The one "monitor" that checkpoint selection, early stopping and reduce-on-plateau share, as in
 * Keras' `MonitorCallback`: a metric name, a direction and a minimum change that counts as an
 * improvement. Keeping it in one place means `checkpoint({ monitor })` and `earlyStop({ monitor })`
 * can never disagree about which epoch was best.
 */
import { fail, formatValue } from './errors';
import { checkNumber } from './util/options';

/** Which way a metric improves; `auto` infers it from the name (accuracy-like → max, else min). */
export type MonitorMode = 'min' | 'max' | 'auto';

/** Options shared by everything that watches a metric. */
export interface MonitorOptions {
  /** The metric to watch, e.g. `val_loss`, `loss`, `val_acc`. */
  readonly monitor: string;
  /** `min`, `max` or `auto` (max for accuracy-like names, min otherwise). Defaults to 'auto'. */
  readonly mode?: MonitorMode;
  /** The smallest change that counts as an improvement (≥ 0). Defaults to 0. */
  readonly minDelta?: number;
}

const MODES: readonly MonitorMode[] = ['min', 'max', 'auto'];

// Names of metrics that grow as the model gets better (Keras infers 'max' for acc/accuracy/auc).
const MAXIMISED = /(^|_)(acc|accuracy|binaryAccuracy|categoricalAccuracy|sparseCategoricalAccuracy|auc|precision|recall|f1)$/i;

/** A metric, the direction it improves in, and the minimum change that counts. */
export class Monitor {
  readonly metric: string;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;

  /** Validates the options, naming `where` (e.g. `earlyStop()`) in errors. */
  constructor(where: string, { monitor, mode = 'auto', minDelta = 0 }: MonitorOptions) {
    if (typeof monitor !== 'string' || monitor === '') {
      fail(where, `\`monitor\` must be a metric name such as 'val_loss'. Received: monitor=${formatValue(monitor)}.`);
    }
    if (!MODES.includes(mode)) {
      fail(where, `\`mode\` must be 'min', 'max' or 'auto'. Received: mode=${formatValue(mode)}.`);
    }
    checkNumber(where, 'minDelta', minDelta, { min: 0 });
    this.metric = monitor;
    this.mode = mode === 'auto' ? (MAXIMISED.test(monitor) ? 'max' : 'min') : mode;
    this.minDelta = minDelta;
  }

  /** True when `current` beats `reference` by more than `minDelta` (any finite value beats none). */
  isImprovement(current: number, reference: number | undefined): boolean {
    if (!Number.isFinite(current)) return false;
    if (reference === undefined) return true;
    return this.mode === 'min' ? current < reference - this.minDelta : current > reference + this.minDelta;
  }

  /** The better of two values in this monitor's direction (ignoring `minDelta`). */
  better(a: number, b: number): boolean {
    return this.mode === 'min' ? a < b : a > b;
  }

  /**
   * Throws unless the metric is among `available`, listing them (Keras and Lightning do too), with
   * a hint when a `val_` metric is asked for but there is no validation data.
   */
  check(available: readonly string[], where: string, option = 'monitor'): void {
    if (available.includes(this.metric)) return;
    let hint = '';
    if (this.metric.startsWith('val_') && !available.some((name) => name.startsWith('val_'))) {
      const plain = this.metric.slice(4);
      const test = available.includes(`test_${plain}`) ? ` (the test part is evaluated as test_${plain}, but choosing epochs on the test set leaks it into model selection)` : '';
      hint = ` There is no validation data${test}: pass a split with a validation part or the \`validation\` option, or monitor ${formatValue(plain)}.`;
    }
    fail(where, `\`${option}\` names metric ${formatValue(this.metric)}, which training does not report. Available metrics: ${available.join(', ')}.${hint}`);
  }

  /** The monitored value in `logs`; throws listing the available metrics when it is missing. */
  value(logs: Readonly<Record<string, number>>, where: string): number {
    const value = logs[this.metric];
    if (value === undefined) this.check(Object.keys(logs), where);
    return value;
  }

  /** For state files and messages. */
  toJSON(): { monitor: string; mode: 'min' | 'max'; minDelta: number } {
    return { monitor: this.metric, mode: this.mode, minDelta: this.minDelta };
  }
}

/** A metric value for messages: 4 significant digits, `NaN` and `Infinity` spelled out. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}
