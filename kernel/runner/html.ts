/**
 * A notebook as one self-contained HTML page (`cellfit run --html`): code with its outputs,
 * Markdown rendered, images inlined. Rich outputs are embedded as their `text/html`, so the page
 * needs no network: when it holds cellfit charts, its head holds one copy of plotly.js (the embedded
 * copy, lib/plots/library.ts), whatever copies the notebook's outputs carry.
 */
import { COPY_TYPE, embeddedCopyHtml } from '../../lib/plots/library';
import { HIDDEN_OUTPUT_CLASS } from '../../lib/util/html';
import { escapeHtml } from '../display/table';
import { ansiToHtml } from './ansi';
import { markdownToHtml } from './markdown';
import { sourceText, type Notebook, type Output } from './notebook';

const STYLE = `
body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
.cell { margin: 1em 0; }
.prompt { color: #307fc1; font-family: monospace; font-size: 0.85em; }
pre { margin: 0; padding: 0.5em; overflow-x: auto; white-space: pre-wrap; }
pre.input { background: #f5f5f5; border: 1px solid #e0e0e0; border-radius: 2px; }
.output { padding: 0.25em 0.5em; }
pre.stderr { background: #fdd; }
pre.error { background: #fdd; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
img { max-width: 100%; }
`;

function renderData(data: Record<string, unknown>): string {
  const text = (value: unknown) => (Array.isArray(value) ? value.join('') : String(value));
  if ('text/html' in data) return text(data['text/html']);
  if ('image/svg+xml' in data) return text(data['image/svg+xml']);
  for (const type of ['image/png', 'image/jpeg', 'image/gif']) {
    if (type in data) return `<img src="data:${type};base64,${text(data[type]).replace(/\s/g, '')}">`;
  }
  if ('text/markdown' in data) return markdownToHtml(text(data['text/markdown']));
  if ('application/json' in data) return `<pre>${escapeHtml(JSON.stringify(data['application/json'], null, 2))}</pre>`;
  if ('text/latex' in data) return `<pre>${escapeHtml(text(data['text/latex']))}</pre>`;
  if ('text/plain' in data) return `<pre>${ansiToHtml(text(data['text/plain']))}</pre>`;
  return '';
}

function renderOutput(output: Output): string {
  switch (output.output_type) {
    case 'stream': {
      const text = Array.isArray(output.text) ? output.text.join('') : output.text;
      return `<pre class="stream ${output.name}">${ansiToHtml(text)}</pre>`;
    }
    case 'error':
      return `<pre class="error">${ansiToHtml(output.traceback.join('\n'))}</pre>`;
    case 'execute_result':
      return `<div class="prompt">Out[${output.execution_count ?? ' '}]:</div>${renderData(output.data)}`;
    case 'display_data':
      return renderData(output.data);
  }
}

/**
 * @example
 * fs.writeFileSync('report.html', notebookToHtml(notebook, 'report'));
 */
export function notebookToHtml(notebook: Notebook, title: string): string {
  let charts = false;
  const cells = notebook.cells.map((cell) => {
    const source = sourceText(cell);
    if (cell.cell_type === 'markdown') return `<div class="cell markdown">${markdownToHtml(source)}</div>`;
    if (cell.cell_type === 'raw') return '';
    const outputs = (cell.outputs ?? [])
      .map(renderOutput)
      // The copy goes into the head once; terminal-only lines are not for this page.
      .filter((html) => !html.includes(`type="${COPY_TYPE}"`) && !html.includes(HIDDEN_OUTPUT_CLASS))
      .map((html) => {
        charts ||= html.includes('class="cellfit-chart"');
        return `<div class="output">${html}</div>`;
      })
      .join('\n');
    return `<div class="cell code"><div class="prompt">In [${cell.execution_count ?? ' '}]:</div><pre class="input"><code>${escapeHtml(source)}</code></pre>\n${outputs}</div>`;
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${charts ? embeddedCopyHtml() : ''}
</head>
<body>
${cells.join('\n')}
</body>
</html>
`;
}
