/**
 * Sixth security review: the demo accounts beside one's own data. `npm start` gives the
 * `@demo.local` accounts the password demo1234, prints it and shows it on the sign-in page; the
 * README's next step loads one's own exports into the same warehouse. Anyone who had read the
 * README could then sign in to a real company's customers as admin@demo.local.
 *
 * Now the demo accounts work only while every load of customers or facts came from the demo
 * directory: the first other load turns them off, ends the sessions they hold, and the sign-in
 * page stops naming them (real warehouse, real ingest jobs, the real web server over HTTP).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkDemoAccounts, countOwnDataLoads } from '../../lib/warehouse/demo-accounts.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { ingestFile, ingestRecords } from '../../ingest/index.ts';
import { loadDemo } from '../../ingest/demo/load-demo.ts';
import { ensureDemoUsers, upsertUser } from '../../web/server/users.ts';
import type { WebServer } from '../../web/server.ts';
import { startDashboardOnly } from '../support/dashboard.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { cookiesOf, raw } from './http.ts';

let tw: TestWarehouse;
let writer: TestWarehouse['warehouse'];
let web: WebServer;
let demoDir: string;
let ownDir: string;

const csv = (dir: string, name: string, text: string): string => {
  mkdirSync(dir, { recursive: true });
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

/** A demo directory as the generator leaves it: the file and a manifest with its SHA-256. */
function writeDemo(text: string): void {
  const file = csv(demoDir, 'shop_customers.csv', text);
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  writeFileSync(
    join(demoDir, 'manifest.json'),
    JSON.stringify({ base_currency: 'EUR', currency_rates: {}, load_order: ['shop_customers.csv'], files: { 'shop_customers.csv': { entity: 'customers', sha256 } } }),
  );
}

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  writer = await tw.connectAs('writer');
  demoDir = join(tw.dir, 'demo');
  ownDir = join(tw.dir, 'exports');
  // The demo world in small: its accounts and a customers file with the generator's manifest (its
  // digest), loaded by the demo loader as prepareData does.
  await upsertUser(writer.client, { userId: 'U-ADM-01', email: 'admin@demo.local', name: 'Alex Admin', role: 'admin' });
  await upsertUser(writer.client, { userId: 'U-MKT-01', email: 'marketer@demo.local', name: 'Marco Bauer', role: 'marketer' });
  writeDemo('source,source_id,name,email\nshop,d1,Demo One,d1@example.com\n');
  const demo = await loadDemo(writer, { dir: demoDir, rejectsDir: false });
  assert.equal(demo.summaries[0]?.summary.status, 'completed', JSON.stringify(demo.summaries));
  assert.equal((await ensureDemoUsers(writer.client)).length, 2, 'both demo accounts get the demo password');
  web = await startDashboardOnly(tw, writer.client, {
    demoDir,
    // Short rounds, so the test sees a round end the open demo session without any sign-in.
    demoCheckMs: 300,
  });
});
after(async () => {
  await web?.close();
  await tw?.close();
});

const signIn = (email: string) =>
  raw(web.url, '/signin', {
    method: 'POST',
    headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password: 'demo1234' }).toString(),
  });
const tokenWith = (cookie: string) => raw(web.url, '/api/cube-token', { cookie, headers: { 'sec-fetch-site': 'same-origin' } });

test('demo accounts work on demo data, and stop at the first load of own data: no sign-in, no session, not named', { timeout: 300_000 }, async () => {
  const first = await signIn('admin@demo.local');
  const jar = cookiesOf(first);
  assert.ok(jar.crm_session, `the demo admin signs in on demo data: ${first.status} ${first.body.slice(0, 200)}`);
  const cookie = `crm_session=${jar.crm_session}`;
  assert.equal((await tokenWith(cookie)).status, 200, 'the demo session reads');
  assert.match((await raw(web.url, '/signin')).body, /demo1234/, 'the sign-in page names the demo accounts on demo data');
  assert.equal(await countOwnDataLoads(writer.client, tw.config.database, demoDir), 0, 'the demo directory\'s load is not own data');

  // The README's next step: one's own export, loaded with the ingest jobs into the same warehouse.
  const own = await ingestFile(writer, { entity: 'customers', file: csv(ownDir, 'crm_customers.csv', 'source_id,name,email\nc1,Real Customer,real@example.com\n'), source: 'crm', rejectsFile: false });
  assert.equal(own.status, 'completed', JSON.stringify(own));

  // No sign-in needed: the dashboard's next round turns the demo accounts off and the session ends.
  // Rounds every 300 ms here; the bound is wide because on a loaded machine one round (a warehouse
  // read) can take seconds, and what is checked is that the session ends, not how fast.
  let old = await tokenWith(cookie);
  for (const deadline = Date.now() + 90_000; old.status === 200 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 200));
    old = await tokenWith(cookie);
  }
  assert.notEqual(old.status, 200, 'the demo session opened before the load still read 90 s after it');

  const again = await signIn('marketer@demo.local');
  assert.equal(cookiesOf(again).crm_session, undefined, `a demo account signed in beside own data: ${again.status}`);
  assert.equal(again.status, 403, again.body.slice(0, 300));
  assert.match(again.body, /demo accounts are turned off/);
  // Anyone can post that: each is a failure, so the flood is throttled like any other.
  const statuses: number[] = [];
  for (let i = 0; i < 9 && statuses.at(-1) !== 429; i++) statuses.push((await signIn('marketer@demo.local')).status);
  assert.equal(statuses.at(-1), 429, `demo sign-ins after own data are not throttled: ${statuses.join(' ')}`);
  assert.doesNotMatch((await raw(web.url, '/signin')).body, /demo1234/, 'the sign-in page still names the demo accounts');

  // What npm start finds at its next start: nothing left to turn off, no demo account active.
  assert.deepEqual(await checkDemoAccounts(writer.client, tw.config.database, demoDir), { ownLoads: 1, retired: 0, active: 0 });
  assert.deepEqual(await ensureDemoUsers(writer.client), [], 'npm start would print a demo account');
});

test('what the dashboard itself writes through ingest (a campaign push, a consent) is not own data; an HTTP push is', { timeout: 120_000 }, async () => {
  const database = tw.config.database;
  const before = await countOwnDataLoads(writer.client, database, demoDir);
  const push = await ingestRecords(writer, 'campaign_members', [{ campaign_id: 'cmp-1', source: 'shop', customer_ref: 'd1', added_at: '2026-11-20 10:00:00', status: 'sent' }], { batchLabel: 'segment-push:cmp-1' });
  assert.equal(push.status, 'completed', JSON.stringify(push));
  assert.equal(await countOwnDataLoads(writer.client, database, demoDir), before);
  const http = await ingestRecords(writer, 'transactions', [{ transaction_id: 't1', order_id: 'o1', customer_ref: 'd1', order_date: '2026-11-01T10:00:00', status: 'completed', amount: '10.00' }], { source: 'shop', batchLabel: 'http:key-1' });
  assert.equal(http.status, 'completed', JSON.stringify(http));
  assert.equal(await countOwnDataLoads(writer.client, database, demoDir), before + 1);
  // A file whose path only begins like the demo directory is not in it.
  const lookalike = await ingestFile(writer, { entity: 'customers', file: csv(`${demoDir}-mine`, 'c.csv', 'source_id,name\nx1,X\n'), source: 'crm', rejectsFile: false });
  assert.equal(lookalike.status, 'completed', JSON.stringify(lookalike));
  assert.equal(await countOwnDataLoads(writer.client, database, demoDir), before + 2);
});

test('a load counts as the demo\'s by the generator\'s digest, not by its path: own files in the demo folder or reached through it are own data', { timeout: 120_000 }, async () => {
  const database = tw.config.database;
  const own = async (file: string, text: string): Promise<void> => {
    const r = await ingestFile(writer, { entity: 'customers', file: csv(demoDir, file, text), source: 'crm', rejectsFile: false });
    assert.equal(r.status, 'completed', JSON.stringify(r));
  };
  let n = await countOwnDataLoads(writer.client, database, demoDir);
  // One's own export kept in the demo folder.
  await own('my_customers.csv', 'source_id,name\nm1,Mine\n');
  assert.equal(await countOwnDataLoads(writer.client, database, demoDir), ++n, 'an own file in the demo folder counted as demo data');
  // Named through the demo folder: <demo>/../exports/x.csv starts with "<demo>/".
  mkdirSync(ownDir, { recursive: true });
  const through = `${demoDir}/../exports/through.csv`;
  writeFileSync(join(ownDir, 'through.csv'), 'source_id,name\nt1,Through\n');
  const r = await ingestFile(writer, { entity: 'customers', file: through, source: 'crm', rejectsFile: false });
  assert.equal(r.status, 'completed', JSON.stringify(r));
  assert.equal(await countOwnDataLoads(writer.client, database, demoDir), ++n, 'a file named through demo/../ counted as demo data');
  // The demo file itself, overwritten in place with one's own rows (same name, same entity).
  await own('shop_customers.csv', 'source,source_id,name,email\nshop,d2,Replaced,r@example.com\n');
  assert.equal(await countOwnDataLoads(writer.client, database, demoDir), ++n, 'a demo file rewritten in place counted as demo data');
  // The generated file's loads stay the demo's without the folder: the loader recorded the digest.
  rmSync(demoDir, { recursive: true, force: true });
  assert.equal(await countOwnDataLoads(writer.client, database, demoDir), n, 'the demo load became own data when the demo folder went away');
});
