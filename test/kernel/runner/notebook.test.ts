import assert from 'node:assert/strict';
import { newHeader, type Message } from '../../../kernel/protocol/messages';
import { injectParameters, OutputRecorder, parseNotebook, parseParameterValue, serializeNotebook, type Notebook, type Output } from '../../../kernel/runner/notebook';
import { throwsWith } from '../../helpers';

const notebook = (): Notebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { cell_type: 'markdown', source: '# T', metadata: {} },
    { cell_type: 'code', source: ['let epochs = 2;\n', "const label = 'a';"], metadata: { tags: ['parameters'] }, outputs: [], execution_count: null },
    { cell_type: 'code', source: 'epochs', metadata: {}, outputs: [], execution_count: null },
  ],
});

const message = (msgType: string, content: Record<string, unknown>): Message => ({
  identities: [],
  header: newHeader(msgType, 's'),
  parent_header: {},
  metadata: {},
  content,
  buffers: [],
});

describe('runner/notebook', () => {
  it('injectParameters(notebook, params) adds a cell tagged injected-parameters after the parameters cell, as papermill does', () => {
    const nb = notebook();
    const { unknown } = injectParameters(nb, { epochs: 5, label: 'b', extra: [1, 2] });
    assert.deepEqual(unknown, ['extra']);
    assert.deepEqual(nb.cells[2].metadata.tags, ['injected-parameters']);
    assert.equal(nb.cells[2].source, '// Parameters injected by cellfit run\nconst epochs = 5;\nconst label = "b";\nconst extra = [1,2];');
    // Running again replaces the injected cell.
    injectParameters(nb, { epochs: 7 });
    assert.equal(nb.cells.filter((cell) => cell.metadata.tags?.includes('injected-parameters')).length, 1);
    assert.match(String(nb.cells[2].source), /const epochs = 7;/);
  });

  it('injectParameters() without a parameters cell puts the parameters first, and refuses names that are not identifiers', () => {
    const nb = notebook();
    nb.cells[1].metadata = {};
    injectParameters(nb, { n: 1 });
    assert.deepEqual(nb.cells[0].metadata.tags, ['injected-parameters']);
    throwsWith(() => injectParameters(nb, { 'a-b': 1 }), 'cellfit run: parameter names must be identifiers. Received: -p "a-b".');
  });

  it('parseParameterValue(text) reads JSON, else keeps the text', () => {
    assert.equal(parseParameterValue('5'), 5);
    assert.equal(parseParameterValue('true'), true);
    assert.deepEqual(parseParameterValue('[1, 2]'), [1, 2]);
    assert.equal(parseParameterValue('"q"'), 'q');
    assert.equal(parseParameterValue('relu'), 'relu');
  });

  it('parseNotebook(text, file) checks nbformat 4; serializeNotebook() writes sorted keys like Jupyter', () => {
    throwsWith(() => parseNotebook('{"nbformat": 3, "worksheets": []}', 'old.ipynb'), 'old.ipynb is not an nbformat 4 notebook. Received: nbformat=3.');
    throwsWith(() => parseNotebook('{', 'bad.ipynb'), 'bad.ipynb is not JSON');
    const text = serializeNotebook(notebook());
    assert.ok(text.startsWith('{\n "cells": [\n'));
    assert.ok(text.endsWith('}\n'));
  });

  it('OutputRecorder turns iopub messages into outputs the way nbclient does', () => {
    const recorder = new OutputRecorder();
    const first: Output[] = [];
    recorder.apply(first, message('stream', { name: 'stdout', text: 'a' }));
    recorder.apply(first, message('stream', { name: 'stdout', text: 'b\n' }));
    recorder.apply(first, message('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd' } }));
    recorder.apply(first, message('execute_result', { data: { 'text/plain': '1' }, metadata: {}, execution_count: 3 }));
    assert.deepEqual(first, [
      { output_type: 'stream', name: 'stdout', text: 'ab\n' },
      { output_type: 'display_data', data: { 'text/plain': 'v1' }, metadata: {} },
      { output_type: 'execute_result', data: { 'text/plain': '1' }, metadata: {}, execution_count: 3 },
    ]);
    // An update from a later cell changes the output shown earlier, and adds nothing.
    const second: Output[] = [];
    recorder.apply(second, message('update_display_data', { data: { 'text/plain': 'v2' }, metadata: {}, transient: { display_id: 'd' } }));
    assert.deepEqual(second, []);
    assert.deepEqual(first[1], { output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: {} });
    // clear_output(wait) clears at the next output; clear_output clears at once.
    recorder.apply(second, message('error', { ename: 'E', evalue: 'v', traceback: ['E: v'] }));
    recorder.apply(second, message('clear_output', { wait: true }));
    assert.equal(second.length, 1);
    recorder.apply(second, message('stream', { name: 'stderr', text: 'x' }));
    assert.deepEqual(second, [{ output_type: 'stream', name: 'stderr', text: 'x' }]);
    recorder.apply(second, message('clear_output', { wait: false }));
    assert.deepEqual(second, []);
  });
});
