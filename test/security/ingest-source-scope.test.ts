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

// Tenth review: idempotency keys were one namespace for every token, so a source token's holder
// could send another sender's key and learn from a 422 whether it had been used (and which keys a
// colleague's system uses). Now a source token's keys are its own; the ingest token's are stored
// as before, so its senders' retries still replay.
test("a source token's idempotency keys are its own: another sender's key is neither a conflict nor a replay", async () => {
  const { sourceToken } = await import('../../ingest/http/auth.ts');
  const shop = sourceToken(TOKEN, 'shop');
  const support = sourceToken(TOKEN, 'support');
  const send = (token: string, source: string, key: string, id: string) =>
    fetch(`${server.url}/v1/ingest/customers?source=${source}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify([{ source_id: id, name: `Customer ${id}` }]),
    });
  // The CRM's system (the ingest token) and the support desk (its source token) each use a key.
  const crm = await send(TOKEN, 'sales', 'batch-crm-0001', 'SA-KEY-1');
  assert.equal(crm.status, 200, await crm.text());
  const desk = await send(support, 'support', 'batch-desk-0001', 'SU-KEY-1');
  assert.equal(desk.status, 200, await desk.text());
  // The shop's token holder probes both keys with a request of its own: a fresh load each time.
  for (const key of ['batch-crm-0001', 'batch-desk-0001']) {
    const probe = await send(shop, 'shop', key, `SH-${key}`);
    const text = await probe.text();
    assert.equal(probe.status, 200, `${key}: ${text}`);
    assert.equal(probe.headers.get('idempotent-replayed'), null, key);
    assert.equal((JSON.parse(text) as { loaded: number }).loaded, 1, key);
    // Its own key now works as a key: the retry replays, another request under it conflicts.
    const retry = await send(shop, 'shop', key, `SH-${key}`);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true', `${key}: ${await retry.text()}`);
    assert.equal((await send(shop, 'shop', key, 'SH-OTHER')).status, 422, key);
  }
  // The other senders' retries still replay their own answers, and their conflicts are still theirs.
  const crmRetry = await send(TOKEN, 'sales', 'batch-crm-0001', 'SA-KEY-1');
  assert.equal(crmRetry.headers.get('idempotent-replayed'), 'true', await crmRetry.text());
  assert.equal((await send(TOKEN, 'sales', 'batch-crm-0001', 'SA-KEY-2')).status, 422);
  const deskRetry = await send(support, 'support', 'batch-desk-0001', 'SU-KEY-1');
  assert.equal(deskRetry.headers.get('idempotent-replayed'), 'true', await deskRetry.text());
  // The rows the probes wrote are the shop's own, under their own keys.
  const rs = await tw.warehouse.client.query({ query: "SELECT idempotency_key FROM ingest_requests WHERE idempotency_key LIKE '%batch-%' ORDER BY idempotency_key", format: 'JSONEachRow' });
  assert.deepEqual((await rs.json<{ idempotency_key: string }>()).map((r) => r.idempotency_key), [
    'batch-crm-0001',
    'source:shop batch-crm-0001',
    'source:shop batch-desk-0001',
    'source:support batch-desk-0001',
  ]);
});

test('a source token retry of a batch stored before keys were scoped still replays it', async () => {
  const { sourceToken } = await import('../../ingest/http/auth.ts');
  const shop = sourceToken(TOKEN, 'shop');
  const body = JSON.stringify([{ source_id: 'SH-LEGACY', name: 'Legacy' }]);
  const first = await post('/v1/ingest/customers?source=shop', shop, body);
  const answer = await first.text();
  assert.equal(first.status, 200, answer);
  // As the code before stored it: under the key as sent.
  const { requestDigest } = await import('../../ingest/http/idempotency.ts');
  await tw.warehouse.client.insert({
    table: 'ingest_requests',
    values: [{ idempotency_key: 'legacy-0001', entity: 'customers', batch_id: (JSON.parse(answer) as { batch_id: string }).batch_id, request_sha256: requestDigest('customers', 'shop', Buffer.from(body)), response: answer, version: Date.now() }],
    format: 'JSONEachRow',
  });
  const retry = await fetch(`${server.url}/v1/ingest/customers?source=shop`, { method: 'POST', headers: { authorization: `Bearer ${shop}`, 'content-type': 'application/json', 'idempotency-key': 'legacy-0001' }, body });
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal(await retry.text(), answer);
});

// Tenth review: the ninth's source tokens kept a shop's token off the CRM's records, but identity
// resolution joins records by e-mail and the golden owner is the newest record's (ingest/README.md,
// Golden record). A shop record with a CRM customer's e-mail and an owner id of the sender's choice
// moved that customer into another account owner's row-level scope without touching the CRM record.
test("a source token cannot move another source's customer to another owner through identity resolution", async () => {
  const { sourceToken } = await import('../../ingest/http/auth.ts');
  const shop = sourceToken(TOKEN, 'shop');
  const crm = await post('/v1/ingest/customers?source=sales', TOKEN, [{ source_id: 'SA-OWN-1', name: 'Bert Crm', email: 'bert@crm.example', owner_id: 'OWN-A', updated_at: '2026-01-01 00:00:00' }]);
  assert.equal(crm.status, 200, await crm.text());
  const golden = async (): Promise<string[]> => {
    const rs = await tw.warehouse.client.query({ query: "SELECT owner_id FROM customers_resolved WHERE email = 'bert@crm.example'", format: 'JSONEachRow' });
    return (await rs.json<{ owner_id: string }>()).map((r) => r.owner_id);
  };
  assert.deepEqual(await golden(), ['OWN-A']);
  const move = await post('/v1/ingest/customers?source=shop', shop, [{ source_id: 'SH-OWN-1', name: 'Bert Shop', email: 'bert@crm.example', owner_id: 'OWN-B', updated_at: '2026-12-01 00:00:00' }]);
  const text = await move.text();
  assert.equal(move.status, 403, text);
  assert.match(text, /records\[0\].*owner_id/);
  const spelled = await post('/v1/ingest/customers?source=shop', shop, `${JSON.stringify({ source_id: 'SH-OWN-3', email: 'bert@crm.example', ' Owner ID ': 'OWN-B', updated_at: '2026-12-02 00:00:00' })}\n`, 'application/x-ndjson');
  const spelledText = await spelled.text();
  assert.equal(spelled.status, 403, spelledText);
  assert.match(spelledText, /Record 1 .*Owner ID/);
  assert.deepEqual(await golden(), ['OWN-A']);
  // Without an owner id the shop's record still loads (and joins the customer by e-mail).
  const plain = await post('/v1/ingest/customers?source=shop', shop, [{ source_id: 'SH-OWN-2', name: 'Bert Shop', email: 'bert@crm.example', updated_at: '2026-12-01 00:00:00' }]);
  assert.equal(plain.status, 200, await plain.text());
  assert.deepEqual(await golden(), ['OWN-A']);
  // The ingest token (the CRM's own system) still assigns owners.
  const reassigned = await post('/v1/ingest/customers?source=sales', TOKEN, [{ source_id: 'SA-OWN-1', name: 'Bert Crm', email: 'bert@crm.example', owner_id: 'OWN-C', updated_at: '2026-12-05 00:00:00' }]);
  assert.equal(reassigned.status, 200, await reassigned.text());
  assert.deepEqual(await golden(), ['OWN-C']);
});

// Tenth review's leftover: identity resolution trusted every source alike. A source token's holder
// who knew a CRM customer's e-mail or phone made its record the newest for the customer's golden
// name, e-mail, phone, city and company (a newer e-mail receives the customer's campaign mail),
// bridged two customers into one, and put a customer who withdrew consent through the CRM back
// into campaign pushes with a newer `granted`. The ingest token (the CRM's own system) keeps the
// rules as they were.
const resolved = async (where: string): Promise<Record<string, string>[]> => {
  const rs = await tw.warehouse.client.query({ query: `SELECT customer_id, name, email, phone, city, company, country, sources FROM customers_resolved WHERE ${where} ORDER BY customer_id`, format: 'JSONEachRow' });
  return rs.json<Record<string, string>>();
};

test("a source token's record fills only the golden fields no other sender gives, and the 360 lists it", async () => {
  const { sourceToken } = await import('../../ingest/http/auth.ts');
  const { sourceRecordsOf } = await import('../../ingest/identity/source-records.ts');
  const shop = sourceToken(TOKEN, 'shop');
  const crm = await post('/v1/ingest/customers?source=sales', TOKEN, [
    { source_id: 'SA-GOLD-1', name: 'Carla Crm', email: 'carla@crm.example', phone: '+4930111111', city: 'Berlin', company: 'Crm GmbH', updated_at: '2026-01-01 00:00:00' },
  ]);
  assert.equal(crm.status, 200, await crm.text());
  const [before] = await resolved("email = 'carla@crm.example'");
  // By e-mail, newer, other values for every field, and one field the CRM does not give.
  const byEmail = await post('/v1/ingest/customers?source=shop', shop, [
    { source_id: 'SH-GOLD-1', name: 'Mallory', email: 'carla@crm.example', phone: '+4930999999', city: 'Paris', company: 'Evil Ltd', country: 'DE', updated_at: '2026-12-01 00:00:00' },
  ]);
  assert.equal(byEmail.status, 200, await byEmail.text());
  // By phone, with a new e-mail (the one that would receive Carla's campaign mail).
  const byPhone = await post('/v1/ingest/customers?source=shop', shop, [{ source_id: 'SH-GOLD-2', email: 'mallory@evil.example', phone: '+49 30 111111', updated_at: '2026-12-02 00:00:00' }]);
  assert.equal(byPhone.status, 200, await byPhone.text());
  const after = await resolved(`customer_id = '${before!.customer_id}'`);
  assert.deepEqual(after, [
    { customer_id: before!.customer_id, name: 'Carla Crm', email: 'carla@crm.example', phone: '+4930111111', city: 'Berlin', company: 'Crm GmbH', country: 'DE', sources: ['sales', 'shop'] as unknown as string },
  ]);
  assert.deepEqual((await resolved("email = 'mallory@evil.example' OR name = 'Mallory'")).length, 0);
  // The 360 page still shows both shop records, joined to Carla by the rule that matched them.
  const records = await sourceRecordsOf(tw.warehouse.client, before!.customer_id);
  assert.deepEqual(
    records.map((r) => [`${r.source}:${r.sourceId}`, r.rule, r.matchedOn]),
    [
      ['sales:SA-GOLD-1', 'new', ''],
      ['shop:SH-GOLD-1', 'email', 'carla@crm.example'],
      ['shop:SH-GOLD-2', 'phone', '+4930111111'],
    ],
  );
  // The CRM's own system (the ingest token) still wins by being newest, from any of its sources.
  const desk = await post('/v1/ingest/customers?source=support', TOKEN, [{ source_id: 'SU-GOLD-1', name: 'Carla New', email: 'carla@crm.example', city: 'Hamburg', updated_at: '2026-12-03 00:00:00' }]);
  assert.equal(desk.status, 200, await desk.text());
  const [trusted] = await resolved(`customer_id = '${before!.customer_id}'`);
  assert.deepEqual([trusted!.name, trusted!.city, trusted!.company], ['Carla New', 'Hamburg', 'Crm GmbH']);
});

test("a source token's record never bridges two existing customers: linked to one it alone matches, else kept apart", async () => {
  const { sourceToken } = await import('../../ingest/http/auth.ts');
  const { customerIdFor } = await import('../../ingest/identity/customer-id.ts');
  const shop = sourceToken(TOKEN, 'shop');
  const crm = await post('/v1/ingest/customers?source=sales', TOKEN, [
    { source_id: 'SA-BR-1', name: 'Dora Crm', email: 'dora@crm.example', updated_at: '2026-01-01 00:00:00' },
    { source_id: 'SA-BR-2', name: 'Emil Crm', phone: '+4930222222', updated_at: '2026-01-01 00:00:00' },
  ]);
  assert.equal(crm.status, 200, await crm.text());
  const ids = async (): Promise<string[]> => (await resolved("name IN ('Dora Crm', 'Emil Crm')")).map((r) => `${r.name} ${r.customer_id}`);
  const byName = Object.fromEntries((await resolved("name IN ('Dora Crm', 'Emil Crm')")).map((r) => [r.name!, r.customer_id!]));
  const [dora, emil] = [byName['Dora Crm'], byName['Emil Crm']];
  const customers = await ids();
  assert.ok(dora && emil && dora !== emil);
  const aliases = async (): Promise<number> => {
    const rs = await tw.warehouse.client.query({ query: `SELECT count() AS n FROM customer_aliases WHERE to_id IN ('${dora}', '${emil}') OR from_id IN ('${dora}', '${emil}')`, format: 'JSONEachRow' });
    return Number((await rs.json<{ n: string }>())[0]!.n);
  };
  // Dora's e-mail and Emil's phone in one shop record; and one that matches Dora alone.
  const bridge = await post('/v1/ingest/customers?source=shop', shop, [
    { source_id: 'SH-BR-1', name: 'Bridge', email: 'dora@crm.example', phone: '+4930222222', updated_at: '2026-12-01 00:00:00' },
    { source_id: 'SH-BR-2', name: 'Only Dora', email: 'DORA@crm.example', updated_at: '2026-12-01 00:00:00' },
  ]);
  assert.equal(bridge.status, 200, await bridge.text());
  assert.deepEqual(await ids(), customers);
  assert.equal(await aliases(), 0);
  const identity = async (): Promise<string[][]> => {
    const rs = await tw.warehouse.client.query({ query: "SELECT source_id, customer_id, rule FROM identity_map FINAL WHERE source = 'shop' AND source_id LIKE 'SH-BR-%' ORDER BY source_id", format: 'JSONEachRow' });
    return (await rs.json<{ source_id: string; customer_id: string; rule: string }>()).map((r) => [r.source_id, r.customer_id, r.rule]);
  };
  const apart = customerIdFor('shop', 'SH-BR-1');
  assert.deepEqual(await identity(), [
    ['SH-BR-1', apart, 'new'],
    ['SH-BR-2', dora, 'email'],
  ]);
  // The record kept apart is a customer of its own with what it sent; Dora and Emil keep theirs.
  assert.deepEqual((await resolved(`customer_id IN ('${apart}', '${dora}', '${emil}')`)).map((r) => [r.customer_id, r.name, r.email, r.phone]).sort(), [
    [apart, 'Bridge', 'dora@crm.example', '+4930222222'],
    [dora, 'Dora Crm', 'dora@crm.example', ''],
    [emil, 'Emil Crm', '', '+4930222222'],
  ].sort());
  // A record already joined to Dora, re-sent with Emil's phone, stays Dora's: still no merge.
  const again = await post('/v1/ingest/customers?source=shop', shop, [{ source_id: 'SH-BR-2', name: 'Only Dora', email: 'dora@crm.example', phone: '+4930222222', updated_at: '2026-12-02 00:00:00' }]);
  assert.equal(again.status, 200, await again.text());
  assert.equal(await aliases(), 0);
  assert.deepEqual(await identity(), [
    ['SH-BR-1', apart, 'new'],
    ['SH-BR-2', dora, 'email'],
  ]);
  // The ingest token's sources still merge customers as before.
  const merged = await post('/v1/ingest/customers?source=support', TOKEN, [{ source_id: 'SU-BR-1', email: 'dora@crm.example', phone: '+4930222222', updated_at: '2026-12-03 00:00:00' }]);
  assert.equal(merged.status, 200, await merged.text());
  assert.ok((await aliases()) > 0);
  assert.equal((await resolved("name IN ('Dora Crm', 'Emil Crm')")).length, 1);
});

test("a source token's granted does not override a withdrawal another sender recorded; withdrawals always count", async () => {
  const { sourceToken } = await import('../../ingest/http/auth.ts');
  const shop = sourceToken(TOKEN, 'shop');
  assert.equal((await post('/v1/ingest/customers?source=sales', TOKEN, [{ source_id: 'SA-CON-1', name: 'Finn Crm', email: 'finn@crm.example', updated_at: '2026-01-01 00:00:00' }])).status, 200);
  assert.equal((await post('/v1/ingest/customers?source=shop', shop, [{ source_id: 'SH-CON-1', email: 'finn@crm.example', updated_at: '2026-01-02 00:00:00' }])).status, 200);
  const [finn] = await resolved("email = 'finn@crm.example'");
  const status = async (): Promise<string[]> => {
    const rs = await tw.warehouse.client.query({ query: `SELECT status, toString(changed_at) AS changed_at FROM consent_current WHERE customer_id = '${finn!.customer_id}' AND purpose = 'marketing_email'`, format: 'JSONEachRow' });
    return (await rs.json<{ status: string; changed_at: string }>()).map((r) => `${r.status} ${r.changed_at}`);
  };
  const consent = (token: string, source: string, ref: string, id: string, s: string, at: string) =>
    post(`/v1/ingest/consents?source=${source}`, token, [{ consent_id: id, customer_ref: ref, purpose: 'marketing_email', status: s, occurred_at: at }]);
  // The shop's own grant, then a withdrawal through the CRM: withdrawn.
  assert.equal((await consent(shop, 'shop', 'SH-CON-1', 'C-1', 'granted', '2026-02-01 00:00:00')).status, 200);
  assert.equal((await consent(TOKEN, 'sales', 'SA-CON-1', 'C-2', 'withdrawn', '2026-03-01 00:00:00')).status, 200);
  assert.deepEqual(await status(), ['withdrawn 2026-03-01 00:00:00']);
  // A newer grant through the shop's token: still withdrawn (it was `granted` before).
  const grant = await consent(shop, 'shop', 'SH-CON-1', 'C-3', 'granted', '2026-04-01 00:00:00');
  assert.equal(grant.status, 200, await grant.text());
  assert.deepEqual(await status(), ['withdrawn 2026-03-01 00:00:00']);
  // The CRM's own grant restores it; a withdrawal through the shop's token counts as ever.
  assert.equal((await consent(TOKEN, 'sales', 'SA-CON-1', 'C-4', 'granted', '2026-05-01 00:00:00')).status, 200);
  assert.deepEqual(await status(), ['granted 2026-05-01 00:00:00']);
  assert.equal((await consent(shop, 'shop', 'SH-CON-1', 'C-5', 'withdrawn', '2026-06-01 00:00:00')).status, 200);
  assert.deepEqual(await status(), ['withdrawn 2026-06-01 00:00:00']);
  // Nor may it say which CRM user recorded an event (shown on the 360 page), in any spelling.
  const attributed = await post('/v1/ingest/consents?source=shop', shop, [{ consent_id: 'C-6', customer_ref: 'SH-CON-1', purpose: 'marketing_email', status: 'granted', occurred_at: '2026-07-01 00:00:00', recorded_by: 'U-ADMIN' }]);
  const attributedText = await attributed.text();
  assert.equal(attributed.status, 403, attributedText);
  assert.match(attributedText, /forbidden_field.*records\[0\], field \\"recorded_by\\"/);
  const spelled = await post('/v1/ingest/consents?source=shop', shop, `${JSON.stringify({ consent_id: 'C-7', customer_ref: 'SH-CON-1', purpose: 'marketing_email', status: 'withdrawn', occurred_at: '2026-07-02 00:00:00', ' Recorded By ': 'U-ADMIN' })}\n`, 'application/x-ndjson');
  const spelledText = await spelled.text();
  assert.equal(spelled.status, 403, spelledText);
  assert.match(spelledText, /Record 1 .*Recorded By/);
  const rs = await tw.warehouse.client.query({ query: "SELECT count() AS n FROM consent_events WHERE consent_id IN ('C-6', 'C-7')", format: 'JSONEachRow' });
  assert.equal(Number((await rs.json<{ n: string }>())[0]!.n), 0);
  // The ingest token (the dashboard's own path) still records who did it.
  assert.equal((await post('/v1/ingest/consents?source=sales', TOKEN, [{ consent_id: 'C-8', customer_ref: 'SA-CON-1', purpose: 'marketing_email', status: 'granted', occurred_at: '2026-07-03 00:00:00', recorded_by: 'U-ADMIN' }])).status, 200);
  assert.deepEqual(await status(), ['granted 2026-07-03 00:00:00']);
});
