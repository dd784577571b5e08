/**
 * Driving the classic Notebook (6.4) page as a person would — its menus and toolbar — and reading
 * what it shows: the drawn charts (point counts plotly holds for them), the text of each output,
 * the running state. Cell sources are set through the page's own `Jupyter.notebook` (typing into
 * CodeMirror would test CodeMirror).
 */
import type { Browser, Page, Target } from 'puppeteer-core';
import { untilIdle } from '../support/browser';
import { until } from '../support/until';

// The functions given to page.evaluate() run in the page; the project compiles without the DOM lib.
declare const window: any;
declare const document: any;

/** What a chart output shows. */
export interface ShownChart {
  /** Points of the first trace (0 when not drawn). */
  readonly points: number;
  /** plotly drew it (an SVG). */
  readonly drawn: boolean;
  /** Its note, when it did not draw (why). */
  readonly note: string;
}

/** What a code cell shows. */
export interface ShownCell {
  readonly prompt: string;
  /** The text of each visible output, in order (charts as `[chart]`). */
  readonly outputs: readonly string[];
  readonly charts: readonly ShownChart[];
}

/** Opens the tree page, picks New → TypeScript (cellfit), and returns the new notebook's page once its kernel is ready. */
export async function newNotebook(browser: Browser, url: string): Promise<Page> {
  const tree = await browser.newPage();
  await tree.goto(`${url}tree`);
  await openNewMenu(tree);
  const opened = new Promise<Target>((resolve) => browser.once('targetcreated', resolve));
  await tree.click('#kernel-cellfit a');
  const page = (await (await opened).page())!;
  // The tree page creates the notebook, then sends the new tab to it: close it only after.
  await notebookReady(page);
  await tree.close();
  return page;
}

/**
 * Opens the tree page's New menu until it shows TypeScript (cellfit). On a loaded machine the
 * button exists before the page has laid it out and takes clicks ("not clickable"), and the menu's
 * kernel entries come with the kernelspecs, later: so it clicks again while the menu is closed.
 */
async function openNewMenu(tree: Page): Promise<void> {
  await until(
    async () => {
      const entry = await tree.$('#kernel-cellfit a');
      if (entry && (await entry.isVisible())) return true;
      const open = await tree.$eval('#new-dropdown-button', (button) => button.parentElement?.classList.contains('open') ?? false).catch(() => false);
      if (!open) await tree.click('#new-dropdown-button').catch(() => undefined);
      return false;
    },
    'the tree page showed New → TypeScript (cellfit)',
    60_000,
    200,
  );
}

/** Waits until the notebook page has loaded and its kernel (cellfit) answers. */
export async function notebookReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const nb = (window as any).Jupyter?.notebook;
      return nb?._fully_loaded && nb.kernel?.name === 'cellfit' && nb.kernel.is_connected() && nb.kernel.info_reply?.implementation === 'cellfit';
    },
    { timeout: 120_000, polling: 200 },
  );
}

/** Replaces the notebook's cells with code cells holding `sources`. */
export async function setCells(page: Page, sources: readonly string[]): Promise<void> {
  await page.evaluate((sources) => {
    const nb = (window as any).Jupyter.notebook;
    while (nb.ncells() > 1) nb.delete_cell(nb.ncells() - 1);
    sources.forEach((source, i) => (i === 0 ? nb.get_cell(0) : nb.insert_cell_at_bottom('code')).set_text(source));
  }, sources);
}

/** Clicks a menu item: the menu `menu` (File, Cell, Kernel…), the submenu `#submenu` if given, then the item `#item`. */
export async function menu(page: Page, title: string, item: string, submenu?: string): Promise<void> {
  const opened = await page.evaluateHandle((title) => [...document.querySelectorAll('#menubar .dropdown-toggle')].find((a: any) => a.textContent.trim() === title), title);
  await (opened as any).click();
  if (submenu) await page.hover(`#${submenu} > a`);
  await page.waitForSelector(`#${item} > a`, { visible: true });
  await page.click(`#${item} > a`);
}

/** Runs the cell at `index` (selecting it and pressing the toolbar's Run button). */
export async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate((index) => (window as any).Jupyter.notebook.select(index), index);
  await page.click('#run_int button[data-jupyter-action="jupyter-notebook:run-cell-and-select-next"]');
}

/** Whether any cell is queued or running. */
export function busy(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as any).Jupyter.notebook.get_cells().some((cell: any) => cell.element.hasClass('running')) || document.querySelector('#kernel_indicator_icon')!.classList.contains('kernel_busy_icon'));
}

/** Waits until no cell runs (up to `timeout` ms). */
export async function waitIdle(page: Page, timeout = 180_000): Promise<void> {
  await untilIdle(() => busy(page), timeout);
}

/** What every code cell shows, in order. */
export function shownCells(page: Page): Promise<ShownCell[]> {
  return page.evaluate(() =>
    (window as any).Jupyter.notebook
      .get_cells()
      .filter((cell: any) => cell.cell_type === 'code')
      .map((cell: any) => {
        const areas = [...cell.element[0].querySelectorAll('.output_area')] as any[];
        const visible = areas.filter((area) => area.offsetHeight > 0);
        const charts = [...cell.element[0].querySelectorAll('.cellfit-chart')].map((chart: any) => {
          const plot = chart.querySelector('.js-plotly-plot');
          const data = plot?.data as { x?: unknown[] }[] | undefined;
          return { points: data?.[0]?.x?.length ?? 0, drawn: !!plot?.querySelector('.main-svg'), note: (chart.querySelector('.cellfit-chart-note')?.textContent ?? '') as string };
        });
        return {
          prompt: cell.element[0].querySelector('.input_prompt')?.textContent?.trim() ?? '',
          outputs: visible.map((area) => (area.querySelector('.cellfit-chart') ? '[chart]' : area.innerText.trim())),
          charts,
        };
      }),
  );
}

/** Saves the notebook (File → Save and Checkpoint) and waits for the save to complete. */
export async function save(page: Page): Promise<void> {
  const saved = page.evaluate(() => new Promise<void>((resolve) => (window as any).Jupyter.notebook.events.one('notebook_saved.Notebook', () => resolve())));
  await menu(page, 'File', 'save_checkpoint');
  await saved;
}

/** Reloads the page and waits for the notebook and its (still running) kernel. */
export async function reload(page: Page): Promise<void> {
  await page.reload({ waitUntil: 'domcontentloaded' });
  await notebookReady(page);
}

/** File → Trust Notebook when the notebook is not trusted (the page reloads). */
export async function trust(page: Page): Promise<void> {
  if (await page.evaluate(() => (window as any).Jupyter.notebook.trusted)) return;
  await menu(page, 'File', 'trust_notebook');
  const button = await page.waitForSelector('.modal-footer .btn-danger', { visible: true });
  const navigated = page.waitForNavigation({ waitUntil: 'domcontentloaded' });
  await button!.click();
  await navigated;
  await notebookReady(page);
}

/** Waits until every chart in the page is drawn (or `timeout` ms), and returns what the cells show. */
export async function waitForCharts(page: Page, timeout = 60_000): Promise<ShownCell[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const cells = await shownCells(page);
    if (cells.every((cell) => cell.charts.every((chart) => chart.drawn)) || Date.now() > deadline) return cells;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
