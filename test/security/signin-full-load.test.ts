/**
 * Eighth security review: what a tab keeps across sessions. The dashboard's Cube token and its
 * cached answers (a minute) live in browser modules (web/src/lib/cube/client.ts,
 * cockpit/load.ts). When a session ends under an open tab (deactivated, role changed, expired),
 * the router sends the tab to /signin without reloading it, and the sign-in form, enhanced, went
 * on with the router too: whoever signed in next in that tab (a colleague at the same desk, an
 * owner after an executive) started with the previous user's token and cached answers — another
 * role's numbers on the cockpit for up to a minute.
 *
 * Now a successful sign-in is a full page load: nothing of the tab's earlier modules survives.
 * The real web server and Chromium; a marker set in the page's window stands for the modules'
 * state (a full load clears both, the router keeps both).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { setUserPassword, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { chromiumMissing, launchChromium } from '../web/browser.ts';

let tw: TestWarehouse;
let web: WebServer;
const EMAIL = 'owner@full-load.example';
const PASSWORD = 'full-load-password';
const missing = chromiumMissing();

before(async () => {
  if (missing) return;
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  const writer = await tw.connectAs('writer');
  await upsertUser(writer.client, { userId: 'U-FULL-LOAD', email: EMAIL, name: 'Owner', role: 'owner', ownerId: 'OWN-FL' });
  await setUserPassword(writer.client, EMAIL, PASSWORD);
  web = await startDashboardOnly(tw, writer.client);
});
after(async () => {
  await web?.close();
  await tw?.close();
});

test('a sign-in loads the page anew: the tab keeps nothing of before', { skip: missing, timeout: 300_000 }, async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${web.url}/signin`);
    await page.waitForSelector('html[data-hydrated="true"]');
    // What the tab held before (the previous session's token and answers live in modules like this).
    await page.evaluate(() => ((window as unknown as { heldBefore?: string }).heldBefore = 'previous session'));
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 60_000, waitUntil: 'load' }), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/', 'signed in, on the cockpit');
    const held = await page.evaluate(() => (window as unknown as { heldBefore?: string }).heldBefore ?? null);
    assert.equal(held, null, 'the tab went on with what it held before the sign-in (a client-side navigation)');
  } finally {
    await browser.close();
  }
});
