/**
 * `%time CODE` / `%%time`: runs the code once and prints its CPU and wall time, as IPython does
 * (compiling is not timed; its time is added when above 0.1 s); the code's value is still the
 * cell's result.
 */
import { formatTime } from './format';
import { usageError } from './registry';
import type { Magic } from './types';

export const time: Magic = {
  name: 'time',
  kind: 'both',
  usage: '%time CODE  |  %%time (then the code on the next lines)',
  summary: 'Runs the code once and prints CPU and wall time; the value is still returned.',
  async run(context) {
    if (context.kind === 'cell' && context.args !== '') usageError(time, 'takes no arguments on the %%time line (the code goes below it)', context.args, '%%');
    const code = context.kind === 'cell' ? context.body : context.args;
    if (code.trim() === '') usageError(time, 'expected code to time', context.args, context.kind === 'cell' ? '%%' : '%');
    const { clock } = context;
    const compileStart = clock.now();
    const runOnce = await context.prepare(code);
    const compile = (clock.now() - compileStart) / 1e3;
    const wallStart = clock.now();
    const cpuStart = clock.cpu();
    const value = await runOnce();
    const wall = (clock.now() - wallStart) / 1e3;
    const cpu = clock.cpu();
    const user = (cpu.user - cpuStart.user) / 1e6;
    const system = (cpu.system - cpuStart.system) / 1e6;
    const lines = [`CPU times: user ${formatTime(user)}, sys: ${formatTime(system)}, total: ${formatTime(user + system)}`, `Wall time: ${formatTime(wall)}`];
    // As IPython: the compile time only when it is worth mentioning.
    if (compile > 0.1) lines.push(`Compiler time: ${compile.toFixed(2)} s`);
    context.print(lines.join('\n'));
    return value;
  },
};
