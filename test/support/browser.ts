/**
 * Headless Chromium driven by puppeteer-core: Debian's /usr/bin/chromium (.ci/run installs it),
 * never a downloaded browser, with a fresh profile removed on close.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { CHROMIUM, CHROMIUM_FLAGS } from './chromium';

/** A launched browser whose `close()` also removes its profile. */
export async function launchBrowser({ width = 1200, height = 1400 }: { width?: number; height?: number } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM.`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-puppeteer-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    defaultViewport: { width, height },
    args: CHROMIUM_FLAGS,
    protocolTimeout: 120_000,
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    try {
      await close();
    } finally {
      fs.rmSync(profile, { recursive: true, force: true });
    }
  };
  return browser;
}

/**
 * Waits until `busy()` (a front end's "a cell runs" check) is false twice in a row, 200 ms apart
 * — between two cells of Run All the kernel is briefly idle — or fails after `timeout` ms.
 */
export async function untilIdle(busy: () => Promise<boolean>, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  let idle = 0;
  while (idle < 2) {
    if (Date.now() > deadline) throw new Error(`the notebook still runs after ${timeout} ms`);
    idle = (await busy()) ? 0 : idle + 1;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
