import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download). Without Chromium the web
 * suite is skipped with a warning on a developer's machine, and fails under CI (CI=true), where
 * .ci/run installs it.
 */
export const CHROMIUM = process.env.OCTOPOST_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.CI === 'true';

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (required) throw new Error(`Chromium is required for the web tests under CI but is missing at ${CHROMIUM}: apt-get install -y chromium`);
  console.warn(`\n*** Chromium not found at ${CHROMIUM}: the web (Playwright) suite is SKIPPED (apt-get install -y chromium) ***\n`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A browser context as a person in `timezoneId` would have it (24-hour British English unless told). */
export async function newContext(browser: Browser, options: BrowserContextOptions & { timezoneId: string }): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Saves a full-page screenshot under test-output/screenshots/ (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // From the top, so sticky parts (sidebar, calendar header) sit where a person sees them.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Same-origin API calls with the page's session cookie (and the CSRF header), as the web app makes them. */
export function pageApi(baseUrl: string) {
  return async (p: Page, method: string, apiPath: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await p.request.fetch(`${baseUrl}${apiPath}`, {
      method,
      headers: { 'x-octopost-csrf': '1', ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { data: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status(), json: text ? JSON.parse(text) : undefined };
  };
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's violations on the page as it is now, as "rule: targets" lines (the context needs bypassCSP). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}
