// Test-only: the browser a browser test drives. `npm test` (scripts/test.js) starts one Chromium for the
// whole run when any file needs one and names it in GATEHOUSE_TEST_BROWSER_WS; each file connects to it
// and makes its own contexts (own cookies and storage), instead of starting a Chromium of its own (about
// a CPU-second each on this machine, for a dozen files). A file run without it (node --test on one
// file) launches its own. Never imported by production code.
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Debian's Chromium and the flags every Gatehouse browser test starts it with. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The environment variable that names the run's shared Chromium (a Playwright browser server). */
export const SHARED_BROWSER_ENV = 'GATEHOUSE_TEST_BROWSER_WS';

/**
 * The run's shared Chromium when there is one, else one launched with `options`. `browser.close()` ends
 * it either way: for the shared one it closes this file's contexts and connection, not the browser.
 */
export async function testBrowser(
  options: LaunchOptions = { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
): Promise<Browser> {
  const ws = process.env[SHARED_BROWSER_ENV];
  if (ws)
    try {
      return await chromium.connect(ws, { timeout: 30_000 });
    } catch (e) {
      // the shared browser is gone (crashed or closed): this file's own, as without one
      console.log(`# the run's shared Chromium did not answer (${(e as Error).message}): launching one`);
    }
  return chromium.launch(options);
}
