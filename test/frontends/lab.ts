/**
 * Driving the JupyterLab 4.6 test front end (test/support/lab.ts) as a person would — its menus and
 * toolbar — and reading what it shows: the charts (the points plotly holds for them, whichever
 * renderer drew them: cellfit's HTML or plotly's own), the text of each output, the running state.
 * Notebooks are created and cell sources set through the application (`window.cellfitLab`, which
 * the front end sets once restored) — typing into CodeMirror would test CodeMirror.
 */
import type { Browser, Page } from 'puppeteer-core';
import { untilIdle } from '../support/browser';
import type { ShownCell } from './classic';

// The functions given to page.evaluate() run in the page; the project compiles without the DOM lib.
declare const window: any;
declare const document: any;

/**
 * What jupyter_server 1.23 answers 404 to: JupyterLab 4 asks for jupyter_server 2's identity
 * (`/api/me`) and event bus (`/api/events/subscribe`), and works without them.
 */
const KNOWN_MISSING = /\/api\/me\b|\/api\/events\/subscribe\b/;

/** A Lab page and every problem it reported (console errors, page errors, failed requests) except the known 404s. */
export interface LabPage {
  readonly page: Page;
  readonly problems: string[];
}

/** Opens `path` (default `lab`) in a new page and waits until JupyterLab has restored its layout. */
export async function openLab(browser: Browser, url: string, path = 'lab'): Promise<LabPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location()?.url ?? '';
    if (KNOWN_MISSING.test(message.text()) || KNOWN_MISSING.test(where)) return;
    problems.push(`console error: ${message.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !KNOWN_MISSING.test(response.url())) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  await page.goto(`${url}${path}`);
  await restored(page);
  return { page, problems };
}

/** Waits until the front end says it restored (it sets `window.cellfitLab` then). */
export async function restored(page: Page): Promise<void> {
  await page.waitForFunction(() => !!window.cellfitLab, { timeout: 120_000, polling: 100 });
}

/**
 * A new notebook with the kernel TypeScript (cellfit) — what the launcher's card or File → New →
 * Notebook and the kernel picker do — open and ready; returns its path.
 */
export async function newNotebook(page: Page): Promise<string> {
  await page.evaluate(() => window.cellfitLab.commands.execute('notebook:create-new', { kernelName: 'cellfit' }));
  await notebookReady(page);
  return page.evaluate(() => window.cellfitLab.shell.currentWidget.context.path as string);
}

/** Waits until the current widget is a notebook whose kernel (cellfit) answers. */
export async function notebookReady(page: Page): Promise<void> {
  await page.waitForFunction(
    async () => {
      const panel = window.cellfitLab?.shell.currentWidget;
      const kernel = panel?.sessionContext?.session?.kernel;
      if (!panel?.context?.isReady || kernel?.name !== 'cellfit' || kernel.connectionStatus !== 'connected') return false;
      return (await kernel.info)?.implementation === 'cellfit';
    },
    { timeout: 120_000, polling: 200 },
  );
}

/** Replaces the notebook's cells with code cells holding `sources`. */
export async function setCells(page: Page, sources: readonly string[]): Promise<void> {
  await page.evaluate((sources) => {
    const shared = window.cellfitLab.shell.currentWidget.content.model.sharedModel;
    const old = shared.cells.length;
    shared.insertCells(old, sources.map((source: string) => ({ cell_type: 'code', source })));
    shared.deleteCellRange(0, old);
  }, sources);
}

/** Adds a code cell holding `source` at the bottom and returns its index. */
export function appendCell(page: Page, source: string): Promise<number> {
  return page.evaluate((source) => {
    const shared = window.cellfitLab.shell.currentWidget.content.model.sharedModel;
    shared.insertCell(shared.cells.length, { cell_type: 'code', source });
    return shared.cells.length - 1;
  }, source);
}

/** Clicks the main menu `title` (File, Run, Kernel…), then its item running `command`. */
export async function menu(page: Page, title: string, command: string): Promise<void> {
  const item = await page.evaluateHandle(
    (title) => [...document.querySelectorAll('.lm-MenuBar-item')].find((item: any) => item.textContent.trim() === title),
    title,
  );
  await (item as any).click();
  const entry = await page.waitForSelector(`.lm-Menu-item[data-command="${command}"]`, { visible: true });
  await entry!.click();
}

/** Clicks the notebook toolbar's button for `command` (run, interrupt…). */
export async function toolbar(page: Page, command: string): Promise<void> {
  await page.click(`.jp-NotebookPanel-toolbar [data-command="${command}"]`);
}

/** Runs the code cell at `index` (selecting it and pressing the toolbar's Run button). */
export async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate((index) => (window.cellfitLab.shell.currentWidget.content.activeCellIndex = index), index);
  await toolbar(page, 'notebook:run-cell-and-select-next');
}

/** Whether any cell is queued or running, or the kernel busy. */
export function busy(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const panel = window.cellfitLab.shell.currentWidget;
    const prompts = [...panel.node.querySelectorAll('.jp-InputPrompt')].map((prompt: any) => prompt.textContent as string);
    return prompts.some((prompt) => prompt.includes('*')) || panel.sessionContext.session?.kernel?.status === 'busy';
  });
}

/** Waits until no cell runs (up to `timeout` ms). */
export async function waitIdle(page: Page, timeout = 180_000): Promise<void> {
  await untilIdle(() => busy(page), timeout);
}

/** What a code cell shows in Lab: as in the classic Notebook, plus which renderer drew each chart. */
export interface LabCell extends ShownCell {
  /** `html` (cellfit's script) or `plotly` (plotly's renderer), per chart. */
  readonly renderers: readonly string[];
  /** The cell is trusted (its outputs' scripts run). */
  readonly trusted: boolean;
}

/** What every code cell shows, in order. */
export function shownCells(page: Page): Promise<LabCell[]> {
  return page.evaluate(() =>
    [...window.cellfitLab.shell.currentWidget.content.widgets]
      .filter((cell: any) => cell.model.type === 'code')
      .map((cell: any) => {
        const children = [...cell.outputArea.node.querySelectorAll(':scope > .jp-OutputArea-child')] as any[];
        const visible = children.filter((child) => child.offsetHeight > 0);
        const chartNodes = [...cell.outputArea.node.querySelectorAll('.cellfit-chart, .jp-RenderedPlotly')] as any[];
        const charts = chartNodes.map((chart: any) => {
          const plot = chart.classList.contains('js-plotly-plot') ? chart : chart.querySelector('.js-plotly-plot');
          const data = plot?.data as { x?: unknown[] }[] | undefined;
          return { points: data?.[0]?.x?.length ?? 0, drawn: !!plot?.querySelector('.main-svg'), note: (chart.querySelector('.cellfit-chart-note')?.textContent ?? '') as string };
        });
        return {
          prompt: (cell.node.querySelector('.jp-InputPrompt')?.textContent ?? '').trim(),
          outputs: visible.map((child) => (child.querySelector('.cellfit-chart, .jp-RenderedPlotly') ? '[chart]' : (child.querySelector('.jp-OutputArea-output')?.innerText ?? '').trim())),
          charts,
          renderers: chartNodes.map((chart: any) => (chart.classList.contains('jp-RenderedPlotly') ? 'plotly' : 'html')),
          trusted: cell.model.trusted as boolean,
        };
      }),
  );
}

/**
 * Points at each chart plotly's renderer shows as an image: a notebook reopened in JupyterLab with
 * plotly's renderer shows the PNG snapshot the renderer saved into the output, and draws the
 * interactive chart on the first hover.
 */
export async function hoverCharts(page: Page): Promise<number> {
  const images = await page.$$('.jp-RenderedPlotly img.plot-img');
  let hovered = 0;
  for (const image of images) {
    if (!(await image.evaluate((img: any) => img.style.display !== 'none' && img.naturalWidth > 0))) continue;
    await image.scrollIntoView();
    await image.hover();
    hovered++;
  }
  return hovered;
}

/** Waits until every chart in the notebook is drawn (or `timeout` ms), and returns what the cells show. */
export async function waitForCharts(page: Page, timeout = 60_000): Promise<LabCell[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const cells = await shownCells(page);
    if (cells.every((cell) => cell.charts.every((chart) => chart.drawn)) || Date.now() > deadline) return cells;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Saves (the toolbar's Save button; the first save asks for a name: the one given is kept) and waits until the file is written. */
export async function save(page: Page): Promise<void> {
  const before = await page.evaluate(() => window.cellfitLab.shell.currentWidget.context.contentsModel?.last_modified as string | undefined);
  await toolbar(page, 'docmanager:save');
  // The rename dialog comes before the first save, and after no later one: wait for whichever
  // happens (not a fixed time for the dialog, which a loaded machine may take longer to show).
  await page.waitForFunction(
    (before) => {
      const context = window.cellfitLab.shell.currentWidget.context;
      return !!document.querySelector('.jp-Dialog .jp-mod-accept') || (!context.model.dirty && context.contentsModel?.last_modified !== before);
    },
    { timeout: 120_000, polling: 100 },
    before,
  );
  const renamed = await page.$('.jp-Dialog .jp-mod-accept');
  await renamed?.click();
  await page.waitForFunction(
    (before) => {
      const context = window.cellfitLab.shell.currentWidget.context;
      return !context.model.dirty && context.contentsModel?.last_modified !== before;
    },
    { timeout: 120_000, polling: 100 },
    before,
  );
}
