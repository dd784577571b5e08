/**
 * `%%capture [--no-stdout] [--no-stderr] [--no-display] [NAME]`: runs the cell without showing its
 * output; with NAME, keeps it in a notebook variable (`NAME.stdout`, `NAME.stderr`,
 * `NAME.outputs`, `NAME.show()`).
 */
import { endsWithSemicolon } from '../tslab';
import { takeOptions, words } from './args';
import { usageError } from './registry';
import type { Magic } from './types';

/** The TypeScript type a captured-output variable is declared with. */
const CAPTURED_TYPE =
  '{ readonly stdout: string; readonly stderr: string; readonly outputs: readonly { readonly [mimeType: string]: unknown }[]; show(): void }';

export const capture: Magic = {
  name: 'capture',
  kind: 'cell',
  usage: '%%capture [--no-stdout] [--no-stderr] [--no-display] [NAME]',
  summary: 'Runs the cell without showing its output; keeps it in variable NAME if given.',
  async run(context) {
    const { options, rest } = takeOptions({ ...capture, name: 'capture' }, context.args, { flags: ['--no-stdout', '--no-stderr', '--no-display'] });
    const names = words(rest);
    if (names.length > 1) usageError(capture, 'expected at most one variable name', context.args, '%%');
    const [name] = names;
    if (name !== undefined && !/^[A-Za-z_$][\w$]*$/.test(name)) usageError(capture, `${JSON.stringify(name)} is not a valid variable name`, context.args, '%%');
    const { output } = await context.capture(
      async () => {
        const value = await context.run(context.body, { lineOffset: context.line });
        if (value !== undefined && !endsWithSemicolon(context.body)) context.display(value);
      },
      { stdout: options.get('--no-stdout') !== true, stderr: options.get('--no-stderr') !== true, display: options.get('--no-display') !== true },
    );
    if (name !== undefined) await context.bind(name, output, CAPTURED_TYPE);
    return undefined;
  },
};
