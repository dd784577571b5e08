/**
 * The training engines side by side on the same MLPs, data, batch size and Adam: train() on the
 * fused engine (1 thread, and 2 where they pay), train() on the tfjs engine, tf.js' model.fit, and
 * PyTorch CPU when Debian's python3-torch is installed — interleaved repeat by repeat, so that the
 * ratios hold on a shared machine. Prints each side's best samples/s with the range over the
 * repeats, the ratios per repeat as ranges, the achieved GFLOP/s and this machine's SIMD128
 * multiply-add peak.
 */
import { getSeed, ready, setSeed, tf, train, unseedMathRandom } from '../lib';
import type { BenchRow, BenchSection } from './report';
import { range, simdPeak } from './simd';
import { startTorch, type TorchReference, type TorchTask } from './torch';


/** One comparison: an MLP (ReLU hidden layers), its data and batch size. */
interface Task extends TorchTask {
  readonly label: string;
  readonly repeats: number;
}

const TASKS: readonly Task[] = [
  { label: '2-64-64-1, batch 256', inputs: 2, hidden: [64, 64], outputs: 1, rows: 16384, batchSize: 256, epochs: 1, repeats: 5 },
  { label: '2-64-64-1, batch 32', inputs: 2, hidden: [64, 64], outputs: 1, rows: 16384, batchSize: 32, epochs: 1, repeats: 5 },
  { label: '2-512-512-1, batch 256', inputs: 2, hidden: [512, 512], outputs: 1, rows: 4096, batchSize: 256, epochs: 1, repeats: 3 },
  { label: '8-64-64-10 softmax classifier, cross-entropy, batch 256', inputs: 8, hidden: [64, 64], outputs: 10, classes: true, rows: 16384, batchSize: 256, epochs: 1, repeats: 5 },
];

/** A side of the comparison: how one training run of `epochs` epochs is done. */
interface Side {
  readonly name: string;
  readonly run: (epochs: number) => Promise<void>;
}

/** Seconds each measurement aims at (the epochs are chosen from a first run). */
const TARGET_SECONDS = 0.8;

/** Multiply-adds per sample of a task's dense chain. */
function macs(task: Task): number {
  const widths = [task.inputs, ...task.hidden, task.outputs];
  let total = 0;
  for (let i = 1; i < widths.length; i++) total += widths[i - 1] * widths[i];
  return total;
}

function buildModel(task: Task): tf.LayersModel {
  const previous = getSeed();
  setSeed(1);
  const hidden = task.hidden.map((units, i) => tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [task.inputs] } : {}) }));
  const model = tf.sequential({ layers: [...hidden, tf.layers.dense({ units: task.outputs, ...(task.classes ? { activation: 'softmax' } : {}) })] });
  unseedMathRandom();
  setSeed(previous, { mathRandom: false });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: task.classes ? 'categoricalCrossentropy' : 'meanSquaredError' });
  return model;
}

function dataOf(task: Task): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const xs = tf.randomNormal([task.rows, task.inputs], 0, 1, 'float32', 11) as tf.Tensor2D;
  const ys = tf.tidy(() =>
    task.classes
      ? tf.oneHot(tf.randomUniform([task.rows], 0, task.outputs, 'int32', 12) as tf.Tensor1D, task.outputs).toFloat()
      : tf.tile(tf.sum(tf.sin(xs), 1, true), [1, task.outputs]),
  ) as tf.Tensor2D;
  return { xs, ys };
}

/** The sides for a task: train() on each engine, and model.fit. */
function sidesOf(task: Task, data: { xs: tf.Tensor2D; ys: tf.Tensor2D }): Side[] {
  let seed = 0;
  const viaTrain = (engine: 'fused' | 'tfjs', threads?: number) => {
    const model = buildModel(task);
    // Each call is a new run (another seed): no checkpoints, no display.
    return (epochs: number) => train(model, data, { epochs, batchSize: task.batchSize, seed: ++seed, engine, ...(threads ? { threads } : {}), checkpoint: false, plot: false }).then(() => undefined);
  };
  const fit = buildModel(task);
  return [
    { name: 'train(), fused engine, 1 thread', run: viaTrain('fused', 1) },
    { name: 'train(), fused engine, 2 threads', run: viaTrain('fused', 2) },
    { name: 'train(), tfjs engine', run: viaTrain('tfjs') },
    { name: 'tf.js model.fit', run: (epochs) => fit.fit(data.xs, data.ys, { epochs, batchSize: task.batchSize, verbose: 0 }).then(() => undefined) },
  ];
}

/** Samples/s of each side (and of PyTorch) per repeat, interleaved; the epochs per side calibrated first. */
async function measure(task: Task, sides: readonly Side[], torch: TorchReference | undefined): Promise<Map<string, number[]>> {
  const rates = new Map<string, number[]>();
  const epochs = new Map<string, number>();
  for (const side of sides) {
    const start = performance.now();
    await side.run(1);
    const rate = task.rows / ((performance.now() - start) / 1000);
    epochs.set(side.name, Math.max(1, Math.round((TARGET_SECONDS * rate) / task.rows)));
    rates.set(side.name, []);
  }
  const torchName = torch ? `PyTorch ${torch.version} CPU (${torch.threads} thread${torch.threads === 1 ? '' : 's'}, its default)` : undefined;
  let torchEpochs = 1;
  if (torch && torchName) {
    const rate = (await torch.run({ ...task, epochs: 1 })).samplesPerSecond;
    torchEpochs = Math.max(1, Math.round((TARGET_SECONDS * rate) / task.rows));
    rates.set(torchName, []);
  }
  for (let r = 0; r < task.repeats; r++) {
    for (const side of sides) {
      const count = epochs.get(side.name)!;
      const start = performance.now();
      await side.run(count);
      rates.get(side.name)!.push((task.rows * count) / ((performance.now() - start) / 1000));
    }
    if (torch && torchName) rates.get(torchName)!.push((await torch.run({ ...task, epochs: torchEpochs })).samplesPerSecond);
  }
  return rates;
}

/** The ratio a/b per repeat (paired: measured side by side). */
function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / b[i]);
}

/** Bench rows for a task: each side, then its goals. */
function rowsOf(task: Task, rates: Map<string, number[]>, peak: number): BenchRow[] {
  const flops = 6 * macs(task);
  const rows: BenchRow[] = [];
  for (const [name, values] of rates) {
    const best = Math.max(...values);
    rows.push({ name: `${task.label}: ${name} (range ${range(values, 1e3, 1)}k)`, value: best / 1e3, unit: `k samples/s · ${((best * flops) / 1e9).toFixed(1)} GFLOP/s (${(((best * flops) / 1e9 / peak) * 100).toFixed(0)}% of the SIMD peak)` });
  }
  const fused = rates.get('train(), fused engine, 1 thread')!;
  const fusedTwo = rates.get('train(), fused engine, 2 threads')!;
  const fit = rates.get('tf.js model.fit')!;
  const torchEntry = [...rates.entries()].find(([name]) => name.startsWith('PyTorch'));
  const against = (label: string, values: number[], goal?: number): BenchRow => {
    const paired = values;
    const low = Math.min(...paired);
    return { name: `${task.label}: ${label} (range ${range(paired, 1, 2)}×)`, value: median(paired), unit: '× (median)', ...(goal !== undefined ? { goal: `≥ ${goal} in every repeat`, met: low >= goal } : {}) };
  };
  const small = task.hidden[0] === 64 && !task.classes;
  rows.push(against('fused (1 thread) / model.fit', ratios(fused, fit), small ? 5 : undefined));
  if (torchEntry) {
    const goal = task.hidden[0] === 512 ? 0.5 : task.batchSize === 32 ? 3 : task.classes ? undefined : 1;
    rows.push(against('fused (1 thread) / PyTorch', ratios(fused, torchEntry[1]), goal));
    rows.push(against('fused (2 threads) / PyTorch', ratios(fusedTwo, torchEntry[1])));
  }
  return rows;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const section: BenchSection = {
  title: 'training engines: train() fused vs tfjs vs model.fit vs PyTorch CPU, same MLPs, data and Adam',
  async run(): Promise<BenchRow[]> {
    await ready();
    const started = await startTorch();
    const torch = 'error' in started ? undefined : started;
    const rows: BenchRow[] = [];
    const peaks = simdPeak(3);
    try {
      for (const task of TASKS) {
        const data = dataOf(task);
        const rates = await measure(task, sidesOf(task, data), torch);
        peaks.cpu.push(...simdPeak(2).cpu);
        rows.push(...rowsOf(task, rates, Math.max(...peaks.cpu)));
        tf.dispose([data.xs, data.ys]);
      }
    } finally {
      torch?.close();
    }
    if ('error' in started) rows.push({ name: `PyTorch CPU reference: ${started.error}`, value: NaN, unit: '' });
    rows.unshift({ name: `wasm SIMD128 mul+add peak, 1 thread, per CPU-second (range ${range(peaks.cpu)})`, value: Math.max(...peaks.cpu), unit: 'GFLOP/s' });
    return rows;
  },
};

export = section;
