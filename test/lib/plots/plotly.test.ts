import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { PLOTLY_MIME, figureBundle, libraryBundle, showFigure, standalonePage } from '../../../lib/plots/plotly';
import { setSessionProvider } from '../../../lib/session';
import { recordingSession } from '../../helpers';

describe('plots/plotly', () => {
  afterEach(() => setSessionProvider(undefined));

  it('figureBundle(figure, text) holds the plotly JSON, an HTML fallback that draws it, and the text', () => {
    const bundle = figureBundle({ data: [{ type: 'scatter', y: [1, 2] }], layout: { title: { text: 'a </script> title' } } }, 'summary', 'chart-1');
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    const figure = bundle[PLOTLY_MIME] as { data: unknown[]; layout: unknown; config: Record<string, unknown> };
    assert.deepEqual(figure.data, [{ type: 'scatter', y: [1, 2] }]);
    assert.equal(figure.config.displaylogo, false);
    const html = bundle['text/html'] as string;
    assert.match(html, /^<div id="chart-1" class="cellfit-chart"/);
    assert.match(html, /window\.Plotly\.react\(element, figure\.data, figure\.layout, figure\.config\)/);
    assert.ok(!html.includes('</script> title'), 'a figure string must not close the script early');
    assert.equal(bundle['text/plain'], 'summary');
  });

  it('libraryBundle() carries plotly.js from plotly.js-dist, gzipped, with no network address', () => {
    const html = libraryBundle()['text/html'] as string;
    const encoded = /atob\("([A-Za-z0-9+/=]+)"\)/.exec(html)![1];
    const source = gunzipSync(Buffer.from(encoded, 'base64'));
    assert.ok(source.equals(readFileSync(require.resolve('plotly.js-dist/plotly.js'))));
    assert.doesNotMatch(html.replace(encoded, ''), /https?:\/\//);
    assert.ok(html.length < 3_000_000, `library output is ${html.length} bytes`);
  });

  it('showFigure() outside a notebook shows nothing and returns undefined', () => {
    assert.equal(showFigure({ data: [] }, 'nothing'), undefined);
  });

  it('showFigure() sends plotly.js once per session, before the first chart, and updates charts in place', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    const first = showFigure({ data: [{ y: [1] }] }, 'first')!;
    showFigure({ data: [{ y: [2] }] }, 'second');
    assert.equal(session.shown.length, 3);
    assert.match(session.shown[0]['text/html'] as string, /data-cellfit="plotly\.js /);
    assert.equal(session.shown[1]['text/plain'], 'first');
    first.update({ data: [{ y: [1, 5] }] }, 'first, updated');
    assert.equal(session.updates[1].length, 1);
    assert.deepEqual((session.updates[1][0][PLOTLY_MIME] as { data: unknown }).data, [{ y: [1, 5] }]);
    const id = (html: unknown) => /id="([^"]+)"/.exec(html as string)![1];
    assert.equal(id(session.updates[1][0]['text/html']), id(session.shown[1]['text/html']));

    const restarted = recordingSession();
    setSessionProvider(() => restarted);
    showFigure({ data: [] }, 'after restart');
    assert.equal(restarted.shown.length, 2, 'a new session gets plotly.js again');
  });

  it('showFigure() sends plotly.js again once the cell that held it has run again (its outputs were replaced)', () => {
    const base = recordingSession();
    const executions = new Map<string, string>();
    let execution = { id: 'e1', cell: 'A' };
    const session = {
      ...base,
      get execution() {
        return execution;
      },
      latestExecution: (cell: string) => executions.get(cell),
    };
    const run = (id: string, cell: string) => {
      execution = { id, cell };
      executions.set(cell, id);
    };
    const libraries = () => base.shown.filter((bundle) => String(bundle['text/plain']).startsWith('(plotly.js')).length;
    setSessionProvider(() => session);
    run('e1', 'A');
    showFigure({ data: [] }, 'chart in A');
    run('e2', 'B');
    showFigure({ data: [] }, 'chart in B');
    assert.equal(libraries(), 1, 'cell A still holds plotly.js');
    run('e3', 'A'); // A re-run without a chart: its old outputs, plotly.js among them, are gone
    run('e4', 'B');
    showFigure({ data: [] }, 'chart in B again');
    assert.equal(libraries(), 2);
    assert.equal(base.shown[base.shown.length - 2]['text/plain'], `(plotly.js ${require('plotly.js-dist/package.json').version} for cellfit charts)`);
  });

  it('standalonePage(title, figures) is one HTML page with plotly.js inline and every chart', () => {
    const page = standalonePage('Run <1>', [
      { figure: { data: [{ y: [1] }] }, text: 'a' },
      { figure: { data: [{ y: [2] }] }, text: 'b' },
    ]);
    assert.match(page, /^<!DOCTYPE html>/);
    assert.match(page, /<title>Run &#60;1&#62;<\/title>/);
    assert.equal((page.match(/class="cellfit-chart"/g) ?? []).length, 2);
    assert.ok(page.includes('window.Plotly = Plotly'));
  });
});
