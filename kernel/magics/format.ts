/**
 * Durations as IPython prints them in %time and %timeit: three significant digits and the unit
 * that suits (`1.23 ms`, `456 µs`), or `1min 5s` from a minute up.
 */

/**
 * @example
 * formatTime(0.00123);   // '1.23 ms'
 * formatTime(75);        // '1min 15s'
 */
export function formatTime(seconds: number, precision = 3): string {
  if (seconds >= 60) {
    const parts: [string, number][] = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];
    const out: string[] = [];
    let left = seconds;
    for (const [suffix, length] of parts) {
      const value = Math.floor(left / length);
      if (value > 0) {
        left %= length;
        out.push(`${value}${suffix}`);
      }
      if (left < 1) break;
    }
    return out.join(' ');
  }
  const units = ['s', 'ms', 'µs', 'ns'];
  const order = seconds > 0 ? Math.min(-Math.floor(Math.floor(Math.log10(seconds)) / 3), 3) : 3;
  const scaled = seconds * 10 ** (3 * Math.max(order, 0));
  return `${Number(scaled.toPrecision(precision))} ${units[Math.max(order, 0)]}`;
}
