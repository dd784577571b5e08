/** Opening a notebook exported by nbconvert in the browser, offline, and reading which charts drew. */
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';

declare const document: any;

/**
 * Opens `html` with every non-file request refused, as the embedded copy is meant for: nbconvert's
 * page asks a CDN for require.js, which would hold the page until the request times out. Waits up
 * to a minute for the charts to draw, screenshots the page to `screenshot`, and returns each chart
 * as `drawn` or the text it shows instead.
 */
export async function drawExported(browser: Browser, html: string, screenshot: string): Promise<string[]> {
  const exported = await browser.newPage();
  try {
    await exported.setRequestInterception(true);
    exported.on('request', (request) => (request.url().startsWith('file:') || request.url().startsWith('blob:') ? request.continue() : request.abort()));
    await exported.goto(pathToFileURL(html).href);
    await exported
      .waitForFunction(() => [...document.querySelectorAll('.cellfit-chart')].every((chart: any) => chart.querySelector('.main-svg')), { timeout: 60_000, polling: 250 })
      .catch(() => undefined);
    await exported.screenshot({ path: screenshot, fullPage: true });
    return await exported.evaluate(() => [...document.querySelectorAll('.cellfit-chart')].map((chart: any) => (chart.querySelector('.main-svg') ? 'drawn' : chart.textContent as string)));
  } finally {
    await exported.close();
  }
}
