/**
 * A rebuild of the dashboard must not break the dashboards already open. A tab loads each page's
 * code lazily, from chunks whose names are hashes of their content (`/_app/immutable/nodes/…`), and
 * two builds of the same sources name most of them differently (the build's version is in them).
 * When a rebuild wrote over web/build, the open tab's next navigation asked for chunks that were
 * gone: 404, and SvelteKit fell back to reloading the whole page (or showed an error page).
 *
 * Here, all real: a dashboard server over a test warehouse, Chromium signed in on it, then a real
 * `vite build` (ensureWebBuild, forced). The open tab must go on navigating inside the page (no
 * reload) with every chunk answered, first from the server that kept its build, then from a server
 * started on the new build (a restart after the rebuild), which still has the old build's chunks.
 * The tab reaches the servers through a small forwarder in this file, so that the restarted server
 * answers at the tab's origin without reusing a port number.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { currentBuildDir } from '../../web/server/build-dirs.js';
import { ensureWebBuild } from '../../web/server/build.ts';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { chromiumMissing, launchChromium } from './browser.ts';

const missing = chromiumMissing();
const ADMIN = { email: 'rebuild-admin@example.test', password: 'rebuild-admin-password' };
const secrets = {
  sessionSecret: randomBytes(24).toString('base64url'),
  cubeApiSecret: randomBytes(24).toString('base64url'),
};

let tw: TestWarehouse;
let writer: TestWarehouse['warehouse'];
let web: WebServer | undefined;
let front: Server;
let target = '';
let browser: Browser | undefined;

before(async () => {
  if (missing) return;
  await ensureWebBuild();
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  writer = await tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-REBUILD', email: ADMIN.email, name: 'Rebuild Admin', role: 'admin' });
  await setUserPassword(writer.client, ADMIN.email, ADMIN.password);
  // The tab's origin: forwards every request, unchanged (Host included), to the server of the moment.
  front = createServer((req, res) => {
    const out = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((ok) => front.listen(0, '127.0.0.1', ok));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  front?.closeAllConnections();
  await new Promise((ok) => (front ? front.close(ok) : ok(undefined)));
  await web?.close();
  await tw?.close();
});

/** What the tab asked of the build's files, with the answer's status. */
interface AssetAnswer {
  url: string;
  status: number;
}

/** Clicks a navigation link and waits for the page's heading; false when the tab reloaded on the way. */
async function navigate(page: Page, label: string, heading: string): Promise<boolean> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.waitForFunction((h) => document.querySelector('main h1')?.textContent?.trim() === h, heading, {
    timeout: 120_000,
  });
  return page.evaluate(() => (window as unknown as { openedBeforeRebuild?: boolean }).openedBeforeRebuild === true);
}

test(
  'a tab open across a rebuild and a restart keeps navigating, every chunk answered',
  { skip: missing, timeout: 900_000 },
  async () => {
    web = await startDashboardOnly(tw, writer.client, { secrets });
    target = web.url;
    const origin = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const startedOn = currentBuildDir();
    assert.ok(startedOn, 'a build to start from');

    const context = await browser!.newContext();
    const page = await context.newPage();
    const assets: AssetAnswer[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/_app/')) assets.push({ url: r.url(), status: r.status() });
    });
    await page.goto(`${origin}/signin?next=${encodeURIComponent('/audit')}`);
    await page.waitForSelector('html[data-hydrated="true"]');
    await page.fill('#email', ADMIN.email);
    await page.fill('#password', ADMIN.password);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/audit', { timeout: 120_000 }),
      page.click('button[type=submit]'),
    ]);
    await page.waitForFunction(
      () => document.querySelector('main h1')?.textContent?.trim() === 'Audit log',
      undefined,
      { timeout: 120_000 },
    );
    await page.waitForSelector('html[data-hydrated="true"]');
    // Gone after a full page load: tells a navigation inside the page from a reload.
    await page.evaluate(() => ((window as unknown as { openedBeforeRebuild?: boolean }).openedBeforeRebuild = true));

    const rebuilt = await ensureWebBuild({ force: true });
    assert.equal(rebuilt.built, true);
    const rebuiltTo = currentBuildDir();
    assert.ok(
      rebuiltTo && rebuiltTo !== startedOn,
      `the rebuild landed in a directory of its own (${startedOn} → ${rebuiltTo})`,
    );
    assert.ok(existsSync(startedOn), 'the build the server started with is still there');

    // 1. The server that was running keeps serving the build it started with.
    let seen = assets.length;
    assert.equal(
      await navigate(page, 'Alerts', 'Alerts'),
      true,
      'the tab navigated without reloading (running server)',
    );
    const fromRunning = assets.slice(seen);
    assert.ok(
      fromRunning.some((a) => a.url.includes('/_app/immutable/nodes/')),
      `the tab loaded the page's code from the server: ${fromRunning.map((a) => a.url).join(', ')}`,
    );

    // 2. Restarted on the new build: the tab still runs the old build's code, and gets its chunks.
    await web.close();
    web = await startDashboardOnly(tw, writer.client, { secrets, build: false });
    target = web.url;
    seen = assets.length;
    assert.equal(
      await navigate(page, 'Alert rules', 'Alert rules'),
      true,
      'the tab navigated without reloading (restarted server)',
    );
    const fromRestarted = assets.slice(seen);
    assert.ok(
      fromRestarted.some((a) => a.url.includes('/_app/immutable/nodes/')),
      `the tab loaded the page's code from the restarted server: ${fromRestarted.map((a) => a.url).join(', ')}`,
    );
    // Some of them exist only in the old build (the new one names them differently): the case at stake.
    const onlyOld = fromRestarted.filter((a) => !existsSync(join(rebuiltTo, 'client', new URL(a.url).pathname)));
    assert.ok(
      onlyOld.length > 0,
      `a chunk of the old build only was asked for: ${fromRestarted.map((a) => a.url).join(', ')}`,
    );
    assert.equal(await navigate(page, 'Privacy', 'Privacy'), true, 'and once more');

    const failed = assets.filter((a) => a.status >= 400);
    assert.deepEqual(failed, [], 'every chunk the tab asked for was answered');
    await context.close();
  },
);
