import assert from 'node:assert/strict';
import { formatTime } from '../../../kernel/magics/format';

describe('magics/format', () => {
  it('formatTime(seconds) prints three significant digits in the unit IPython picks', () => {
    const cases: [number, string][] = [
      [0, '0 ns'],
      [2.5e-9, '2.5 ns'],
      [0.000001234, '1.23 µs'],
      [0.00045678, '457 µs'],
      [0.00123, '1.23 ms'],
      [0.5, '500 ms'],
      [1, '1 s'],
      [12.345, '12.3 s'],
      [60, '1min'],
      [75.5, '1min 15s'],
      [3725, '1h 2min 5s'],
    ];
    for (const [seconds, text] of cases) assert.equal(formatTime(seconds), text, `formatTime(${seconds})`);
  });
});
