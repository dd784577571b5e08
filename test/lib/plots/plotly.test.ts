import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { COPY_TYPE, libraryBundle, loaderSource, plotlyFile, plotlyResourceName, plotlyVersion } from '../../../lib/plots/library';
import { PLOTLY_MIME, figureBundle, showFigure, standalonePage } from '../../../lib/plots/plotly';
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
    assert.match(html, /Plotly\.react\(plot, figure\.data, figure\.layout, figure\.config\)/);
    assert.ok(html.includes(loaderSource()), 'each chart carries the loader: no other output can be relied on');
    assert.match(html, /class="cellfit-chart-note"[^>]*>A cellfit chart: it draws where its script runs/);
    assert.ok(!html.includes('</script> title'), 'a figure string must not close the script early');
    assert.equal(bundle['text/plain'], 'summary');
  });

  it('figureBundle(figure, undefined) is for browsers only: no text/plain, so terminals print nothing', () => {
    assert.deepEqual(Object.keys(figureBundle({ data: [] }, undefined)).sort(), [PLOTLY_MIME, 'text/html'].sort());
  });

  it('figureBundle() ids are random, so charts of earlier kernel sessions in a saved notebook never share one', () => {
    const id = (bundle: Record<string, unknown>) => /id="([^"]+)"/.exec(bundle['text/html'] as string)![1];
    const ids = new Set(Array.from({ length: 50 }, () => id(figureBundle({ data: [] }, 'x'))));
    assert.equal(ids.size, 50);
    for (const one of ids) assert.match(one, /^cellfit-chart-[0-9a-f]{12}$/);
  });

  it('the loader loads plotly.js from <base>kernelspecs/<kernel>/ on a Jupyter server, else from a copy in the page; no network address', () => {
    const loader = loaderSource('my-kernel');
    assert.ok(loader.includes(`"file":"${plotlyResourceName()}"`));
    assert.ok(loader.includes('"kernel":"my-kernel"'));
    assert.match(loader, /'kernelspecs\/' \+ encodeURIComponent\(c\.kernel\)/);
    assert.match(loader, /getElementById\('jupyter-config-data'\)/, 'JupyterLab and Notebook 7 name their base URL there');
    assert.match(loader, /data-base-url/, 'the classic Notebook names it on <body>');
    assert.doesNotMatch(loader, /https?:\/\//);
    assert.equal(plotlyResourceName(), `plotly-${plotlyVersion()}.min.js`);
  });

  it('libraryBundle() carries plotly.js (plotly.js-dist-min) gzipped in an inert script, with no text/plain and no network address', () => {
    const bundle = libraryBundle();
    assert.deepEqual(Object.keys(bundle), ['text/html']);
    const html = bundle['text/html'] as string;
    const encoded = new RegExp(`<script type="${COPY_TYPE}" data-plotly-version="[^"]+">([A-Za-z0-9+/=]+)</script>`).exec(html)![1];
    assert.ok(gunzipSync(Buffer.from(encoded, 'base64')).equals(readFileSync(plotlyFile())));
    assert.doesNotMatch(html.replace(encoded, ''), /https?:\/\//);
    assert.ok(html.length < 2_100_000, `library output is ${html.length} bytes`);
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
    assert.ok((session.shown[0]['text/html'] as string).includes(`<script type="${COPY_TYPE}"`));
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

  it("a live update is the HTML form only (plotly's JupyterLab renderer keeps its first graph); the final one is the full bundle again", () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    const chart = showFigure({ data: [{ y: [1] }] }, undefined)!;
    chart.update({ data: [{ y: [1, 2] }] }, undefined, { live: true });
    chart.update({ data: [{ y: [1, 2, 3] }] }, undefined);
    const index = session.shown.findIndex((bundle) => PLOTLY_MIME in bundle);
    const [live, final] = session.updates[index];
    assert.deepEqual(Object.keys(live), ['text/html']);
    assert.match(live['text/html'] as string, /"y":\[1,2\]/);
    assert.deepEqual(Object.keys(final).sort(), [PLOTLY_MIME, 'text/html']);
    const id = (html: unknown) => /id="([^"]+)"/.exec(html as string)![1];
    assert.equal(id(live['text/html']), id(session.shown[index]['text/html']), 'the same chart');
    assert.equal(id(final['text/html']), id(session.shown[index]['text/html']));
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
    const libraries = () => base.shown.filter((bundle) => String(bundle['text/html']).includes(`<script type="${COPY_TYPE}"`)).length;
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
  });

  it('standalonePage(title, figures) is one HTML page with plotly.js (the embedded copy) and every chart', () => {
    const page = standalonePage('Run <1>', [
      { figure: { data: [{ y: [1] }] }, text: 'a' },
      { figure: { data: [{ y: [2] }] }, text: 'b' },
    ]);
    assert.match(page, /^<!DOCTYPE html>/);
    assert.match(page, /<title>Run &#60;1&#62;<\/title>/);
    assert.equal((page.match(/class="cellfit-chart"/g) ?? []).length, 2);
    assert.equal(page.split(`<script type="${COPY_TYPE}"`).length, 2, 'one copy, in the head');
  });
});
