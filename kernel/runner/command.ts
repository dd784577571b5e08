/** `cellfit run NOTEBOOK.ipynb [-p NAME=VALUE …] [--output OUT.ipynb] [--html OUT.html] [--timeout S]`. */
import fs from 'node:fs';
import path from 'node:path';
import { CellfitError } from '../../lib/errors';
import { commandArguments } from '../args';
import { stripAnsi } from '../traceback';
import { notebookToHtml } from './html';
import { parseNotebook, parseParameterValue, serializeNotebook, sourceText } from './notebook';
import { runNotebook } from './run';

/**
 * Runs the command; returns the exit code: 0 when every cell ran, 1 when a cell failed (the
 * notebook is saved with the error), 2 for bad arguments (thrown).
 */
export async function runCommand(args: readonly string[], usage: string): Promise<number> {
  const where = 'cellfit run';
  const { options, lists, positional } = commandArguments('run', args, { values: ['--output', '-o', '--html', '--timeout', '--cwd'], repeatable: ['-p', '--parameter'] }, usage);
  if (positional.length !== 1) throw new CellfitError(where, `expected one notebook. Received: ${positional.length} (${positional.join(' ')}).\n\n${usage}`);
  const input = positional[0];
  if (!fs.existsSync(input)) throw new CellfitError(where, `no such notebook: ${input}.`);
  const parameters: Record<string, unknown> = {};
  const rawParameters = [...(lists.get('-p') ?? []), ...(lists.get('--parameter') ?? [])];
  for (const raw of rawParameters) {
    const at = raw.indexOf('=');
    if (at <= 0) throw new CellfitError(where, `parameters are -p NAME=VALUE. Received: -p ${JSON.stringify(raw)}.`);
    parameters[raw.slice(0, at)] = parseParameterValue(raw.slice(at + 1));
  }
  const timeout = options.get('--timeout');
  const timeoutSeconds = timeout === undefined ? undefined : Number(timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new CellfitError(where, `--timeout must be a positive number of seconds. Received: --timeout ${String(timeout)}.`);
  const output = (options.get('--output') ?? options.get('-o') ?? input) as string;
  const html = options.get('--html') as string | undefined;

  const notebook = parseNotebook(fs.readFileSync(input, 'utf8'), input);
  const cwd = (options.get('--cwd') as string | undefined) ?? path.dirname(path.resolve(input));
  const result = await runNotebook(notebook, {
    parameters,
    cwd,
    timeoutSeconds,
    onCell: ({ index, phase, status }) => {
      if (phase === 'end') process.stderr.write(`cell ${index + 1}: ${status}\n`);
    },
  });
  for (const name of result.unknownParameters) process.stderr.write(`cellfit run: warning: the parameters cell does not declare ${name}; injected anyway.\n`);
  fs.writeFileSync(output, serializeNotebook(result.notebook));
  if (html) fs.writeFileSync(html, notebookToHtml(result.notebook, path.basename(input, '.ipynb')));
  if (result.failed) {
    const { index, cell, error } = result.failed;
    process.stderr.write(
      `\ncellfit run: cell ${index + 1} failed; the notebook with its outputs is in ${output}.\n\n` +
        `${sourceText(cell)}\n\n${error ? stripAnsi(error.traceback.join('\n')) : 'the cell did not finish'}\n`,
    );
    return 1;
  }
  process.stderr.write(`cellfit run: executed ${input}; saved ${output}${html ? ` and ${html}` : ''}.\n`);
  return 0;
}
