import assert from 'node:assert/strict';
import { escapeHtml, formatCell, htmlTable, recordsTable, textTable } from '../../../kernel/display/table';

describe('display/table', () => {
  it('textTable(table) aligns columns, numbers to the right, and notes cut rows', () => {
    const text = textTable({ columns: ['name', 'loss'], rows: [{ name: 'a', loss: 0.5 }, { name: 'bb', loss: 12 }], totalRows: 5, caption: 'runs' });
    assert.equal(text, ['runs', 'name  loss', '----  ----', 'a      0.5', 'bb      12', '... 5 rows × 2 columns (showing the first 2)'].join('\n'));
  });

  it('htmlTable(table) escapes cells and headers', () => {
    const html = htmlTable({ columns: ['<b>'], rows: [{ '<b>': '<script>' }] });
    assert.match(html, /<th style="text-align: left;">&#60;b&#62;<\/th>/);
    assert.match(html, /<td style="text-align: left;">&#60;script&#62;<\/td>/);
    assert.equal(escapeHtml(`&"'`), '&#38;&#34;&#39;');
  });

  it('formatCell(value) shows numbers to 6 significant digits, dates as ISO, nothing for null', () => {
    assert.equal(formatCell(1 / 3), '0.333333');
    assert.equal(formatCell(42), '42');
    assert.equal(formatCell(new Date('2024-01-02T03:04:05Z')), '2024-01-02T03:04:05.000Z');
    assert.equal(formatCell(null), '');
  });

  it('recordsTable(records) unions the keys in first-seen order and flattens nested plain objects one level', () => {
    const table = recordsTable([{ id: 'a', metrics: { loss: 1 } }, { id: 'b', extra: true, metrics: { loss: 2, val_loss: 3 } }]);
    assert.deepEqual(table.columns, ['id', 'metrics.loss', 'extra', 'metrics.val_loss']);
    assert.equal(table.rows[1]['metrics.val_loss'], 3);
  });
});
