/**
 * CRM_WEB_DEV_PORT (the port of `npm run dev:web`, listed in the README's configuration table) in
 * the environment of `npm start`: adapter-node refuses any variable with its prefix (CRM_WEB_) that
 * is not one of its own settings, and the dashboard did not start ("You should change envPrefix
 * (CRM_WEB_) to avoid conflicts with existing environment variables — unexpectedly saw
 * CRM_WEB_DEV_PORT"). Found by starting the product with every port of one's own set in the shell.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

let tw: TestWarehouse;
let web: WebServer;

before(async () => {
  process.env.CRM_WEB_DEV_PORT = '5199';
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  const writer = await tw.connectAs('writer');
  web = await startDashboardOnly(tw, writer.client);
});
after(async () => {
  await web?.close();
  await tw?.close();
});

test('the dashboard starts and serves its sign-in page with CRM_WEB_DEV_PORT set', async () => {
  const res = await fetch(`${web.url}/signin`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<form/);
});
