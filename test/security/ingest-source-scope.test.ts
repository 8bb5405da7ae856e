/**
 * Ninth security review: the HTTP ingest API's batch names its source (`?source=shop` or the body's
 * `"source"`), but a record's own `source` field — in any spelling the pipeline maps to it — won
 * over it, so a push of `?source=shop` rewrote the CRM's (`sales`) record of a customer: the
 * e-mail and the owner id, which moves the customer into another account owner's scope (seen live
 * on the review's stack). And the one ingest token reached every source, so a web shop's webhook
 * could do the same by naming `?source=sales`. Now a batch carries one source, and a source token
 * (`npm run ingest -- source-token shop`) sends that source only. Real engine, pipeline and HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startIngestServer, type IngestServer } from '../../ingest/http/index.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const TOKEN = 'source-scope-test-token-9b1e';

let tw: TestWarehouse;
let server: IngestServer;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  server = await startIngestServer({ warehouse: tw.warehouse, token: TOKEN, port: 0, log: () => {} });
  // The CRM's record of a customer, owned by OWN-A.
  const res = await post('/v1/ingest/customers?source=sales', TOKEN, [{ source_id: 'SA-1', name: 'Anna Crm', email: 'anna@crm.example', owner_id: 'OWN-A', updated_at: '2026-01-01 00:00:00' }]);
  assert.equal(res.status, 200, await res.text());
});
after(async () => {
  await server?.close();
  await tw?.close();
});

function post(path: string, token: string, body: unknown, type = 'application/json'): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The CRM record as stored now (FINAL: pending upserts applied). */
async function crmRecord(): Promise<{ email: string; owner_id: string }> {
  const rs = await tw.warehouse.client.query({ query: "SELECT email, owner_id FROM customer_records FINAL WHERE source = 'sales' AND source_id = 'SA-1'", format: 'JSONEachRow' });
  const rows = await rs.json<{ email: string; owner_id: string }>();
  assert.equal(rows.length, 1);
  return rows[0]!;
}

const hijack = (key: string) => ({ [key]: 'sales', source_id: 'SA-1', name: 'Anna Crm', email: 'attacker@evil.example', owner_id: 'OWN-B', updated_at: '2026-12-01 00:00:00' });

test("a shop batch's record naming the CRM's source is refused, in every spelling, and changes nothing", async () => {
  for (const key of ['source', 'SOURCE', ' Source ', 'source ']) {
    const res = await post('/v1/ingest/customers?source=shop', TOKEN, [hijack(key)]);
    const text = await res.text();
    assert.equal(res.status, 400, `${JSON.stringify(key)}: ${text}`);
    const message = (JSON.parse(text) as { error: { message: string } }).error.message;
    assert.match(message, /^records\[0\], field ".*": source "sales" is not this batch's source "shop"/i);
  }
  const nd = await post('/v1/ingest/customers?source=shop', TOKEN, `${JSON.stringify({ source_id: 'SH-1', name: 'Shop one' })}\n\n${JSON.stringify(hijack('source'))}\n`, 'application/x-ndjson');
  assert.equal(nd.status, 400, await nd.text());
  const body = await post('/v1/ingest/customers', TOKEN, { source: 'shop', records: [hijack('source')] });
  assert.equal(body.status, 400, await body.text());
  assert.deepEqual(await crmRecord(), { email: 'anna@crm.example', owner_id: 'OWN-A' });
});

test("a record may repeat its batch's source or leave it out", async () => {
  const res = await post('/v1/ingest/customers?source=shop', TOKEN, [
    { source: 'shop', source_id: 'SH-2', name: 'Same source' },
    { source: '  shop\t', source_id: 'SH-3', name: 'Same, padded' },
    { source: '', source_id: 'SH-4', name: 'Empty' },
    { source_id: 'SH-5', name: 'None' },
  ]);
  const summary = (await res.json()) as { loaded: number; rejected: number };
  assert.equal(res.status, 200);
  assert.equal(summary.loaded + summary.rejected, 4);
  assert.equal(summary.rejected, 0);
});

test('a source token sends its own source only; the ingest token still sends any', async () => {
  const { sourceToken } = await import('../../ingest/http/auth.ts');
  const shop = sourceToken(TOKEN, 'shop');
  assert.match(shop, /^src1\.shop\.[A-Za-z0-9_-]{43}$/);

  const own = await post('/v1/ingest/customers?source=shop', shop, [{ source_id: 'SH-6', name: 'By the shop token' }]);
  assert.equal(own.status, 200, await own.text());

  const viaQuery = await post('/v1/ingest/customers?source=sales', shop, [hijack('source')]);
  assert.equal(viaQuery.status, 403, await viaQuery.text());
  const viaBody = await post('/v1/ingest/customers', shop, { source: 'sales', records: [hijack('source')] });
  const viaBodyText = await viaBody.text();
  assert.equal(viaBody.status, 403, viaBodyText);
  assert.match(viaBodyText, /forbidden_source/);
  const viaRecord = await post('/v1/ingest/customers?source=shop', shop, [hijack('source')]);
  assert.equal(viaRecord.status, 400, await viaRecord.text());

  // The shop's mac under another source's name, and a token of another ingest token, are not valid.
  const forged = shop.replace('src1.shop.', 'src1.sales.');
  assert.equal((await post('/v1/ingest/customers?source=sales', forged, [hijack('source')])).status, 401);
  assert.equal((await post('/v1/ingest/customers?source=shop', sourceToken('another-ingest-token', 'shop'), [{ source_id: 'SH-7', name: 'x' }])).status, 401);
  assert.deepEqual(await crmRecord(), { email: 'anna@crm.example', owner_id: 'OWN-A' });

  const master = await post('/v1/ingest/customers?source=sales', TOKEN, [{ ...hijack('source'), email: 'anna.new@crm.example', owner_id: 'OWN-C' }]);
  assert.equal(master.status, 200, await master.text());
  assert.deepEqual(await crmRecord(), { email: 'anna.new@crm.example', owner_id: 'OWN-C' });
});
