/** `%seed [N]`: seeds cellfit's random generators and Math.random (setSeed), or shows the seed. */
import { getSeed, setSeed } from '../../lib/random';
import { words } from './args';
import { usageError } from './registry';
import type { Magic } from './types';

export const seed: Magic = {
  name: 'seed',
  kind: 'line',
  usage: '%seed N',
  summary: "Seeds cellfit's random generators (splits, shuffles, initialisers) and Math.random; without N, shows the seed.",
  run(context) {
    const args = words(context.args);
    if (args.length === 0) {
      context.print(`seed: ${JSON.stringify(getSeed())}`);
      return undefined;
    }
    if (args.length > 1) usageError(seed, 'expected one seed', context.args);
    const value = Number(args[0]);
    if (!/^[+-]?\d+$/.test(args[0]) || !Number.isSafeInteger(value)) usageError(seed, 'expected an integer seed', context.args);
    setSeed(value);
    context.print(`seed: ${value} (cellfit's random generators and Math.random)`);
    return undefined;
  },
};
