/**
 * Debian's chromium (/usr/bin/chromium; `apt-get install chromium`, scripts/install-deps.sh) driven headless
 * by playwright-core, which downloads no browser. Console errors and uncaught page errors are collected so
 * a test can fail on them; screenshot() writes a page at desktop and phone sizes to test-output/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './paz-server.js';

export const CHROMIUM = process.env.PAZ_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(repoRoot, 'test-output', 'screenshots');

export const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the tests run as root in a network namespace, where chromium's sandbox cannot start
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Every console error and uncaught exception of `page`, as text, as they happen. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

/** Writes `<name>-1280x800.png` and `<name>-390x844.png` (full page); leaves the page at its first size. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const before = page.viewportSize();
  for (const v of VIEWPORTS) {
    await page.setViewportSize(v);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${v.width}x${v.height}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** A fresh desktop-sized page of `browser`, with its console errors collected. */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: VIEWPORTS[0] });
  const page = await context.newPage();
  return { context, page, errors: consoleErrors(page) };
}

/**
 * Signs in on the sign-in form the page shows. `expectSignedIn` (default): waits until the app shows
 * "Sign out"; false for a token the test expects refused.
 */
export async function signIn(page: Page, token: string, { expectSignedIn = true } = {}): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (expectSignedIn) await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
