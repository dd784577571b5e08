import assert from 'node:assert/strict';
import { ansiToHtml } from '../../../kernel/runner/ansi';
import { notebookToHtml } from '../../../kernel/runner/html';
import type { Notebook, Output } from '../../../kernel/runner/notebook';
import { COPY_TYPE, libraryBundle } from '../../../lib/plots/library';
import { figureBundle } from '../../../lib/plots/plotly';
import { terminalOnlyBundle } from '../../../lib/util/html';
import { markdownToHtml } from '../../../kernel/runner/markdown';

describe('runner/html', () => {
  it('markdownToHtml(text) renders headings, emphasis, code, links, lists, quotes and tables', () => {
    assert.equal(markdownToHtml('# Title'), '<h1>Title</h1>');
    assert.equal(markdownToHtml('Some *it* and **bold** `a<b` [link](http://x.y/z).'), '<p>Some <em>it</em> and <strong>bold</strong> <code>a&#60;b</code> <a href="http://x.y/z">link</a>.</p>');
    assert.equal(markdownToHtml('- a\n- b'), '<ul><li>a</li><li>b</li></ul>');
    assert.equal(markdownToHtml('1. a\n2. b'), '<ol><li>a</li><li>b</li></ol>');
    assert.equal(markdownToHtml('```ts\nconst a = 1 < 2;\n```'), '<pre><code class="language-ts">const a = 1 &#60; 2;</code></pre>');
    assert.equal(markdownToHtml('> quoted'), '<blockquote><p>quoted</p></blockquote>');
    assert.equal(markdownToHtml('| a | b |\n|---|--:|\n| 1 | 2 |'), '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>');
    assert.equal(markdownToHtml('a_b_c stays'), '<p>a_b_c stays</p>');
  });

  it('ansiToHtml(text) colours traceback text and escapes it', () => {
    assert.equal(ansiToHtml('\x1b[0;31mError\x1b[0m: <x>'), '<span style="color: red">Error</span>: &#60;x&#62;');
    assert.equal(ansiToHtml('\x1b[1;31mE\x1b[0m'), '<span style="color: red; font-weight: bold">E</span>');
  });

  it('notebookToHtml(notebook, title) shows code, outputs (richest type first) and Markdown, in one page', () => {
    const html = notebookToHtml(
      {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { cell_type: 'markdown', source: '## Part', metadata: {} },
          {
            cell_type: 'code',
            source: 'show()',
            metadata: {},
            execution_count: 1,
            outputs: [
              { output_type: 'stream', name: 'stdout', text: 'hello\n' },
              { output_type: 'display_data', data: { 'text/html': '<b id="rich">rich</b>', 'text/plain': 'plain' }, metadata: {} },
              { output_type: 'display_data', data: { 'image/png': 'AAAA' }, metadata: {} },
              { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: 1 },
              { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['\x1b[0;31mE\x1b[0m: v'] },
            ],
          },
        ],
      },
      'report',
    );
    assert.match(html, /<title>report<\/title>/);
    assert.match(html, /<h2>Part<\/h2>/);
    assert.match(html, /In \[1\]:<\/div><pre class="input"><code>show\(\)<\/code><\/pre>/);
    assert.match(html, /<pre class="stream stdout">hello\n<\/pre>/);
    assert.match(html, /<b id="rich">rich<\/b>/);
    assert.doesNotMatch(html, />plain</);
    assert.match(html, /<img src="data:image\/png;base64,AAAA">/);
    assert.match(html, /Out\[1\]:<\/div><pre>42<\/pre>/);
    assert.match(html, /<pre class="error"><span style="color: red">E<\/span>: v<\/pre>/);
  });

  it('notebookToHtml() holds one copy of plotly.js, in the head, when charts are shown, whatever copies the outputs carry; no terminal-only outputs', () => {
    const chart = figureBundle({ data: [{ y: [1, 2] }] }, 'chart');
    const notebook = (outputs: Output[]): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', source: 'x', metadata: {}, execution_count: 1, outputs }] });
    const display = (data: Record<string, unknown>): Output => ({ output_type: 'display_data', data, metadata: {} });
    const copies = (html: string) => html.split(`<script type="${COPY_TYPE}"`).length - 1;
    const page = notebookToHtml(notebook([display(libraryBundle()), display(chart), display(libraryBundle()), display(terminalOnlyBundle('epoch 3/9: trail'))]), 'charts');
    assert.equal(copies(page), 1);
    assert.ok(copies(page.slice(0, page.indexOf('</head>'))) === 1, 'in the head');
    assert.equal((page.match(/class="cellfit-chart"/g) ?? []).length, 1);
    assert.doesNotMatch(page, /trail/);
    assert.equal(copies(notebookToHtml(notebook([display({ 'text/plain': '42' })]), 'no charts')), 0);
  });
});
