import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium, which `npm test` installs with apt when it is missing (SCIMD_TEST_CHROMIUM overrides). */
export const CHROMIUM_PATH = process.env.SCIMD_TEST_CHROMIUM || '/usr/bin/chromium';

/**
 * Launches headless Chromium through playwright-core (never a browser build of Playwright's own:
 * it cannot be downloaded here). `--no-sandbox`: the tests run as root, where Chromium's sandbox
 * refuses to start. Close it with `browser.close()` in an after hook.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run the suite with \`npm test\`, which installs Debian's chromium, `
      + 'or set SCIMD_TEST_CHROMIUM to a Chromium binary');
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/**
 * A fresh browser context (its own cookies) that reaches loopback addresses only: any other request
 * (a web font a provider's page imports, say) is aborted at once rather than waited for.
 */
export async function loopbackContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route((url) => !/^127\.\d+\.\d+\.\d+$|^localhost$|^\[::1\]$/.test(url.hostname), (route) => route.abort());
  return context;
}
