/**
 * Notebooks (nbformat 4) as the headless runner reads and writes them: parameters injected the way
 * papermill does, and kernel messages turned into cell outputs the way nbclient does (so that
 * `cellfit run` and `jupyter nbconvert --execute` record the same outputs).
 */
import { fail, formatValue } from '../../lib/errors';
import type { Message } from '../protocol/messages';

/** A notebook cell (nbformat 4). `source` may be a string or a list of lines on disk. */
export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: Record<string, unknown> & { tags?: string[] };
  id?: string;
  outputs?: Output[];
  execution_count?: number | null;
  attachments?: unknown;
}

/** A code cell output (nbformat 4). */
export type Output =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: string | string[] }
  | { output_type: 'display_data'; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: 'execute_result'; data: Record<string, unknown>; metadata: Record<string, unknown>; execution_count: number | null }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** A cell's source as one string. */
export function sourceText(cell: Pick<Cell, 'source'>): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Parses notebook JSON, checking that it is nbformat 4. */
export function parseNotebook(text: string, file: string): Notebook {
  let notebook: Partial<Notebook>;
  try {
    notebook = JSON.parse(text) as Partial<Notebook>;
  } catch (error) {
    return fail('cellfit run', `${file} is not JSON: ${(error as Error).message}.`);
  }
  if (notebook.nbformat !== 4 || !Array.isArray(notebook.cells)) {
    fail('cellfit run', `${file} is not an nbformat 4 notebook. Received: nbformat=${formatValue(notebook.nbformat)}.`);
  }
  return { metadata: {}, nbformat_minor: 5, ...notebook } as Notebook;
}

/**
 * Serialises as nbformat does: multi-line strings as lists of lines (sources, stream text, text
 * MIME data), one-space indent, sorted keys, a final newline — so notebooks written by
 * `cellfit run` and by Jupyter diff cleanly.
 */
export function serializeNotebook(notebook: Notebook): string {
  const cells = notebook.cells.map((cell) => {
    const copy: Cell = { ...cell, source: splitLines(sourceText(cell)) };
    if (cell.outputs) copy.outputs = cell.outputs.map(splitOutput);
    return copy;
  });
  return `${JSON.stringify(sortKeys({ ...notebook, cells }), null, 1)}\n`;
}

/** Python's `str.splitlines(True)`, which nbformat uses. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]|$)/g)!.filter((line) => line !== '');
}

function splitOutput(output: Output): Output {
  if (output.output_type === 'stream') return { ...output, text: splitLines(Array.isArray(output.text) ? output.text.join('') : output.text) };
  if (output.output_type !== 'display_data' && output.output_type !== 'execute_result') return output;
  const data: Record<string, unknown> = {};
  for (const [type, value] of Object.entries(output.data)) {
    // nbformat splits text/* and these two; JSON types stay as they are.
    const split = typeof value === 'string' && (type.startsWith('text/') || type === 'application/javascript' || type === 'image/svg+xml');
    data[type] = split ? splitLines(value) : value;
  }
  return { ...output, data };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}

/** The value of `-p name=value`: JSON when it parses (numbers, booleans, quoted strings, arrays), else the text. */
export function parseParameterValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Inserts the parameters as a new cell tagged `injected-parameters` right after the cell tagged
 * `parameters` (or first, when there is none), replacing a previously injected one — as papermill
 * does. Returns the names the parameters cell does not declare (papermill warns about them).
 *
 * @example
 * injectParameters(notebook, { epochs: 5, name: 'quick' });
 * // adds:  const epochs = 5;  const name = "quick";
 */
export function injectParameters(notebook: Notebook, parameters: Readonly<Record<string, unknown>>): { unknown: string[] } {
  const names = Object.keys(parameters);
  for (const name of names) {
    if (!IDENTIFIER.test(name)) fail('cellfit run', `parameter names must be identifiers. Received: -p ${formatValue(name)}.`);
  }
  notebook.cells = notebook.cells.filter((cell) => !cell.metadata.tags?.includes('injected-parameters'));
  if (names.length === 0) return { unknown: [] };
  const index = notebook.cells.findIndex((cell) => cell.cell_type === 'code' && cell.metadata.tags?.includes('parameters'));
  const declared = index < 0 ? '' : sourceText(notebook.cells[index]);
  const unknown = names.filter((name) => !new RegExp(`\\b(?:const|let|var)\\s+${name.replace(/\$/g, '\\$')}\\b`).test(declared));
  const lines = ['// Parameters injected by cellfit run', ...names.map((name) => `const ${name} = ${JSON.stringify(parameters[name])};`)];
  const cell: Cell = { cell_type: 'code', source: lines.join('\n'), metadata: { tags: ['injected-parameters'] }, outputs: [], execution_count: null };
  if (notebook.nbformat_minor >= 5) cell.id = `injected-parameters-${Date.now().toString(36)}`;
  notebook.cells.splice(index + 1, 0, cell);
  return { unknown };
}

/**
 * Builds a cell's outputs from the iopub messages of its execution, as nbclient does: each
 * output message appends an output (consecutive stream text of the same name is merged),
 * `clear_output` clears (at the next output when `wait`), and `update_display_data` replaces the
 * data of every output shown with that display id, in any cell.
 */
export class OutputRecorder {
  private readonly byDisplayId = new Map<string, Output[]>();
  private clearPending = false;

  /** Applies `message` to `outputs` (the outputs of the executing cell). */
  apply(outputs: Output[], message: Message): void {
    const content = message.content as Record<string, unknown>;
    const type = message.header.msg_type;
    const displayId = (content.transient as { display_id?: string } | undefined)?.display_id;
    if (displayId && (type === 'update_display_data' || type === 'display_data' || type === 'execute_result')) {
      for (const output of this.byDisplayId.get(displayId) ?? []) {
        if ('data' in output) {
          output.data = content.data as Record<string, unknown>;
          output.metadata = (content.metadata ?? {}) as Record<string, unknown>;
        }
      }
    }
    if (type === 'clear_output') {
      if (content.wait === true) this.clearPending = true;
      else this.clear(outputs);
      return;
    }
    const output = outputOf(type, content);
    if (!output) return;
    if (this.clearPending) {
      this.clear(outputs);
      this.clearPending = false;
    }
    const last = outputs[outputs.length - 1];
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      last.text = `${Array.isArray(last.text) ? last.text.join('') : last.text}${String(output.text)}`;
      return;
    }
    outputs.push(output);
    if (displayId) this.byDisplayId.set(displayId, [...(this.byDisplayId.get(displayId) ?? []), output]);
  }

  /** Forgets a cell's pending `clear_output(wait=True)` (a new cell starts). */
  nextCell(): void {
    this.clearPending = false;
  }

  private clear(outputs: Output[]): void {
    for (const removed of outputs) {
      for (const [id, list] of this.byDisplayId) this.byDisplayId.set(id, list.filter((output) => output !== removed));
    }
    outputs.length = 0;
  }
}

function outputOf(type: string, content: Record<string, unknown>): Output | undefined {
  switch (type) {
    case 'stream':
      return { output_type: 'stream', name: content.name === 'stderr' ? 'stderr' : 'stdout', text: String(content.text ?? '') };
    case 'display_data':
      return { output_type: 'display_data', data: content.data as Record<string, unknown>, metadata: (content.metadata ?? {}) as Record<string, unknown> };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        data: content.data as Record<string, unknown>,
        metadata: (content.metadata ?? {}) as Record<string, unknown>,
        execution_count: (content.execution_count as number | undefined) ?? null,
      };
    case 'error':
      return { output_type: 'error', ename: String(content.ename), evalue: String(content.evalue), traceback: (content.traceback as string[]) ?? [] };
    default:
      return undefined;
  }
}
