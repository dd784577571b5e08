/**
 * Opens a page in Debian's headless Chromium and returns the DOM after its scripts ran, optionally
 * with a screenshot. `.ci/run` installs Chromium when it is missing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a root session on a machine whose network is closed (see the env notes). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

/** The command line's flags: the same, headless. */
const FLAGS = ['--headless', ...CHROMIUM_FLAGS];

export interface RenderedPage {
  /** The serialised DOM once the page's scripts (and timers, within the time budget) ran. */
  readonly dom: string;
}

/**
 * Renders `file` (an HTML file) and returns its DOM; with `screenshot`, also writes a PNG of it.
 * Virtual time lets asynchronous loading (plotly.js inflating) finish without real waiting.
 */
export function renderPage(file: string, { screenshot, width = 1200, height = 2400, budget = 20000 }: { screenshot?: string; width?: number; height?: number; budget?: number } = {}): RenderedPage {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM.`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-chromium-'));
  const common = [...FLAGS, `--user-data-dir=${profile}`, `--virtual-time-budget=${budget}`, `--window-size=${width},${height}`];
  const url = pathToFileURL(path.resolve(file)).href;
  try {
    const dumped = spawnSync(CHROMIUM, [...common, '--dump-dom', url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120000 });
    if (dumped.status !== 0) throw new Error(`chromium --dump-dom failed (${dumped.status}): ${dumped.stderr.slice(-2000)}`);
    if (screenshot) {
      fs.mkdirSync(path.dirname(screenshot), { recursive: true });
      const shot = spawnSync(CHROMIUM, [...common, `--screenshot=${path.resolve(screenshot)}`, url], { encoding: 'utf8', timeout: 120000 });
      if (shot.status !== 0 || !fs.existsSync(screenshot)) throw new Error(`chromium --screenshot failed (${shot.status}): ${shot.stderr.slice(-2000)}`);
    }
    return { dom: dumped.stdout };
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** What drew in each `.cellfit-chart` element of a rendered DOM, in page order. */
export interface DrawnChart {
  readonly id: string;
  /** Plotly drew an SVG into the element. */
  readonly drawn: boolean;
  /** Number of traces plotly drew (scatter lines, heatmaps, ...). */
  readonly traces: number;
}

/** Finds every cellfit chart in a DOM dump and counts what plotly drew into it. */
export function drawnCharts(dom: string): DrawnChart[] {
  const starts = [...dom.matchAll(/<div id="([^"]+)" class="cellfit-chart[^"]*"/g)];
  return starts.map((match, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].index! : dom.length;
    const html = dom.slice(match.index!, end);
    const traces = (html.match(/class="trace [a-z]+|class="hm"|class="parcoords"/g) ?? []).length;
    return { id: match[1], drawn: html.includes('class="main-svg"'), traces };
  });
}

/**
 * Renders `file` and returns what drew in each chart. plotly.js inflates asynchronously, which
 * headless Chromium's virtual time does not always wait for on a loaded machine, so a page whose
 * charts did not all draw is rendered again (up to `attempts` times, with more virtual time).
 */
export function renderCharts(file: string, { screenshot, attempts = 3, height }: { screenshot?: string; attempts?: number; height?: number } = {}): DrawnChart[] {
  let charts: DrawnChart[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    charts = drawnCharts(renderPage(file, { ...(screenshot ? { screenshot } : {}), ...(height ? { height } : {}), budget: 20000 * attempt }).dom);
    if (charts.every((chart) => chart.drawn)) break;
  }
  return charts;
}

/** Where browser tests keep their screenshots (uploaded as CI artifacts). */
export const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts');
