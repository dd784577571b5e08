/**
 * tabulateInputSpace(): how fast a space streams as tensors (with and without labels), how long
 * `space.evaluate(model)` takes over 10⁸ points, and that peak memory does not grow with the size of
 * the space. Each figure comes from its own child process, so peak RSS is that of the work alone.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { BenchRow, BenchSection } from './report';

interface StreamResult {
  points: number;
  seconds: number;
  maxRssMB: number;
}

function stream(points: number, shape: '1d' | '2d', labels: 'none' | 'batch' | 'point', batchSize = 65536): StreamResult {
  const output = execFileSync(process.execPath, [path.join(__dirname, 'tabulate-stream.js'), String(points), shape, labels, String(batchSize)], {
    encoding: 'utf8',
  });
  return JSON.parse(output) as StreamResult;
}

const millionsPerSecond = ({ points, seconds }: StreamResult) => points / seconds / 1e6;

/** `space.evaluate(model)` of a 2-32-32-1 MLP over `points` points, in its own process. */
function evaluate(points: number, activation: 'relu' | 'tanh'): StreamResult {
  const output = execFileSync(process.execPath, [path.join(__dirname, 'space-evaluate.js'), String(points), activation], { encoding: 'utf8' });
  return JSON.parse(output) as StreamResult;
}

const section: BenchSection = {
  title: 'tabulateInputSpace: streaming batches() as tensors (batch 65536), and space.evaluate(model)',
  async run(): Promise<BenchRow[]> {
    const unlabelled = stream(1e8, '1d', 'none');
    const unlabelled2d = stream(1e8, '2d', 'none');
    const labelBatch = stream(1e8, '1d', 'batch');
    const labelBatch2d = stream(1e8, '2d', 'batch');
    const labelPerPoint = stream(1e6, '2d', 'point');
    const large = stream(4e8, '1d', 'none');
    const evaluateSmall = evaluate(1e7, 'relu');
    const evaluateRelu = evaluate(1e8, 'relu');
    const evaluateTanh = evaluate(1e8, 'tanh');
    return [
      { name: '1e8 points, 1 numeric axis, unlabelled', value: millionsPerSecond(unlabelled), unit: 'M points/s', goal: '≥ 100', met: millionsPerSecond(unlabelled) >= 100 },
      { name: '1e8 points, numeric × one-hot axis, unlabelled', value: millionsPerSecond(unlabelled2d), unit: 'M points/s' },
      { name: '1e8 points, 1 numeric axis, labelBatch', value: millionsPerSecond(labelBatch), unit: 'M points/s' },
      { name: '1e8 points, numeric × one-hot axis, labelBatch', value: millionsPerSecond(labelBatch2d), unit: 'M points/s' },
      { name: '1e6 points, numeric × one-hot axis, label per point', value: millionsPerSecond(labelPerPoint), unit: 'M points/s' },
      { name: 'labelBatch vs label per point (2-axis space)', value: millionsPerSecond(labelBatch2d) / millionsPerSecond(labelPerPoint), unit: '×' },
      { name: 'peak RSS streaming 1e8 points', value: unlabelled.maxRssMB, unit: 'MB', goal: '< 400', met: unlabelled.maxRssMB < 400 },
      { name: 'peak RSS streaming 4e8 points', value: large.maxRssMB, unit: 'MB' },
      { name: 'space.evaluate(model), 1e8 points, 2-32-32-1 ReLU (fused forward pass, labelBatch)', value: evaluateRelu.seconds, unit: 's' },
      { name: 'space.evaluate(model), 1e8 points, 2-32-32-1 tanh', value: evaluateTanh.seconds, unit: 's' },
      { name: 'space.evaluate(model): peak RSS 1e8 / 1e7 points (flat memory)', value: evaluateRelu.maxRssMB / evaluateSmall.maxRssMB, unit: '×', goal: '≤ 1.25', met: evaluateRelu.maxRssMB / evaluateSmall.maxRssMB <= 1.25 },
      {
        // Past the first few million points, RSS only swings with garbage collection of old batches.
        name: 'peak RSS 4e8 / 1e8 points (flat memory)',
        value: large.maxRssMB / unlabelled.maxRssMB,
        unit: '×',
        goal: '≤ 1.25',
        met: large.maxRssMB / unlabelled.maxRssMB <= 1.25,
      },
    ];
  },
};

export = section;
