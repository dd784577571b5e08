import assert from 'node:assert/strict';
import { PLOTLY_MIME } from '../../../lib/plots/plotly';
import { plotSplit, splitFigure } from '../../../lib/plots/split';
import { JUPYTER_DISPLAY } from '../../../lib/session';
import { split } from '../../../lib/split';
import { throwsWith } from '../../helpers';

const rows = Array.from({ length: 20 }, (_, id) => ({ id, label: id < 15 ? 'common' : 'rare' }));

describe('plots/split', () => {
  it('splitFigure(summary) stacks one bar series per label across the parts of a stratified split', () => {
    const parts = split(rows, { train: 0.6, validation: 0.2, test: 0.2, stratify: 'label', seed: 1 });
    const figure = splitFigure(parts.summary);
    assert.deepEqual(
      figure.data.map((trace) => [trace.name, trace.x, trace.y]),
      [
        ['label "common"', ['train', 'validation', 'test'], [9, 3, 3]],
        ['label "rare"', ['train', 'validation', 'test'], [3, 1, 1]],
      ],
    );
    assert.equal(figure.layout!.barmode, 'stack');
  });

  it('splitFigure(summary) of an unstratified split is one bar per part with its share', () => {
    const figure = splitFigure(split(rows, { train: 0.75, test: 0.25 }).summary);
    assert.deepEqual(figure.data.map((trace) => [trace.x, trace.y, trace.text]), [[['train', 'test'], [15, 5], ['75.0%', '25.0%']]]);
  });

  it('plotSplit(parts) displays as a chart with a text summary, writes a page, and rejects anything else', () => {
    const bundle = plotSplit(split(rows, { train: 0.5, test: 0.5 }))[JUPYTER_DISPLAY]();
    assert.ok(PLOTLY_MIME in bundle);
    assert.equal(bundle['text/plain'], 'split of 20 rows: 10 train / 10 test');
    const file = require('node:path').join(require('node:os').tmpdir(), `cellfit-split-${process.pid}.html`);
    assert.equal(plotSplit(split(rows, { train: 0.5, test: 0.5 })).write(file), file);
    assert.match(require('node:fs').readFileSync(file, 'utf8'), /<title>split<\/title>[\s\S]*class="cellfit-chart"/);
    require('node:fs').rmSync(file);
    throwsWith(() => plotSplit({ train: [] } as never), 'plotSplit(): expected the result of split(). Received: { train: [] }.');
  });
});
