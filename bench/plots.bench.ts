/**
 * Live charts: what drawing the training chart in a notebook costs. A small model trains for
 * hundreds of short epochs — the worst case, where redraws are most frequent relative to training —
 * inside a notebook session that serialises every display and update as the kernel does.
 *
 * The overhead is measured directly, not as a difference of two noisy training times: redraws per
 * run × the cost of one redraw at the final (largest) history — building the figure and bundle and
 * serialising it — over the training time. The wall-clock difference is printed beside it.
 */
import { figureBundle, setSeed, setSessionProvider, tf, train, trainingFigure, unseedMathRandom, type MimeBundle, type NotebookSession, type Run } from '../lib';
import type { BenchRow, BenchSection } from './report';

/** A session that pays what the kernel pays to send an output: serialising the bundle. */
function serialisingSession(counts: { displays: number; updates: number; bytes: number }): NotebookSession {
  const send = (bundle: MimeBundle) => {
    counts.bytes += JSON.stringify(bundle).length;
  };
  return {
    display(bundle) {
      counts.displays++;
      send(bundle);
      return {
        update(next) {
          counts.updates++;
          send(next);
        },
      };
    },
  };
}

async function trainOnce(plot: boolean, epochs: number, counts: { displays: number; updates: number; bytes: number }): Promise<{ seconds: number; run: Run }> {
  setSeed(3);
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [4] }), tf.layers.dense({ units: 1 })] });
  unseedMathRandom();
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError', metrics: ['mae'] });
  const xs = tf.randomNormal([256, 4], 0, 1, 'float32', 5);
  const ys = tf.tidy(() => tf.sum(tf.sin(xs), 1, true));
  const session = serialisingSession(counts);
  setSessionProvider(() => session);
  try {
    const started = performance.now();
    const run = await train(model, { xs, ys }, { epochs, batchSize: 64, validation: 0.25, checkpoint: false, plot, progress: false });
    return { seconds: (performance.now() - started) / 1000, run };
  } finally {
    setSessionProvider(undefined);
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

const section: BenchSection = {
  title: 'live training chart (notebook session, 400 short epochs)',
  async run(): Promise<BenchRow[]> {
    const epochs = 400;
    const withChart: number[] = [];
    const without: number[] = [];
    const counts = { displays: 0, updates: 0, bytes: 0 };
    let last: Run | undefined;
    // Warm up both paths fully: the first runs of a process are slower (compilation).
    await trainOnce(false, epochs, { displays: 0, updates: 0, bytes: 0 });
    await trainOnce(true, epochs, { displays: 0, updates: 0, bytes: 0 });
    for (let repeat = 0; repeat < 3; repeat++) {
      without.push((await trainOnce(false, epochs, { displays: 0, updates: 0, bytes: 0 })).seconds);
      const perRun = { displays: 0, updates: 0, bytes: 0 };
      const { seconds, run } = await trainOnce(true, epochs, perRun);
      withChart.push(seconds);
      Object.assign(counts, perRun);
      last = run;
    }
    // One redraw at the largest history: build the figure and its bundle, serialise it.
    const redraws = counts.displays + counts.updates;
    const repeats = 50;
    const started = performance.now();
    for (let i = 0; i < repeats; i++) {
      JSON.stringify(figureBundle(trainingFigure(last!.history, { metricNames: last!.metricNames, best: last!.best }), 'summary'));
    }
    const redrawSeconds = (performance.now() - started) / 1000 / repeats;
    const fastest = (values: number[]) => Math.min(...values);
    const overhead = ((redraws * redrawSeconds) / fastest(withChart)) * 100;
    const wallClock = (fastest(withChart) / fastest(without) - 1) * 100;
    return [
      { name: 'training 400 epochs with the live chart (fastest of 3)', value: fastest(withChart), unit: 's' },
      { name: 'redraws per run (first display + updates)', value: redraws, unit: '' },
      { name: 'one redraw at 400 epochs (figure, bundle, serialise)', value: redrawSeconds * 1000, unit: 'ms' },
      { name: 'chart time / training time', value: overhead, unit: '%', goal: '< 1', met: overhead < 1 },
      { name: 'wall clock with / without chart − 1 (noisy, for reference)', value: wallClock, unit: '%' },
    ];
  },
};

export = section;
