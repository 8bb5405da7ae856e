import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, for the e2e tests and bench/web.ts. No browser is
 * downloaded: CI installs the distribution package (`apt-get install -y chromium`).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `Chromium is not installed at ${CHROMIUM}: the web end-to-end tests need it. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH)`;
}

export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface WatchedPage {
  page: Page;
  /** console.error messages and uncaught page errors seen so far. */
  errors: string[];
}

/** A page that records console errors and uncaught exceptions (the tests assert there are none). */
export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  // The console's "Failed to load resource" names neither the resource nor the reason: record both.
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const request = r.request();
    const what = `${request.method()} ${r.url().slice(0, 300)} → ${r.status()}`;
    r.text()
      .then((body) => errors.push(`response: ${what}: ${body.slice(0, 500)} (request body: ${(request.postData() ?? '').slice(0, 500)})`))
      .catch(() => errors.push(`response: ${what}`));
  });
  return { page, errors };
}

/** Signs in through the form; resolves when the app shell is there. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string, next = '/'): Promise<void> {
  await page.goto(`${baseUrl}/signin${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`);
  await page.waitForSelector('html[data-hydrated="true"]');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 30_000, waitUntil: 'commit' }), page.click('button[type=submit]')]);
}

/** Waits until no data view is loading or refreshing and every chart on the page has drawn. */
export async function settled(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const busy = document.querySelector('[aria-busy="true"], [data-state="loading"]');
      const charts = [...document.querySelectorAll('[data-chart]')];
      return !busy && charts.every((c) => (c as HTMLElement).dataset.rendered === 'true');
    },
    undefined,
    { timeout, polling: 100 },
  );
}
