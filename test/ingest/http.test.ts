/**
 * HTTP ingestion end to end: the real embedded engine, the real ingest pipeline, real HTTP (fetch).
 * Counts are read back with SQL (FINAL applies pending upserts).
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startIngestServer, type BatchSummary, type IngestServer } from '../../ingest/http/index.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const TOKEN = 'http-test-token-4f7c2a';
const MAX_BODY = 256 * 1024;

let tw: TestWarehouse;
let server: IngestServer;
const logLines: string[] = [];

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  server = await startIngestServer({ warehouse: tw.warehouse, token: TOKEN, port: 0, maxBodyBytes: MAX_BODY, log: (l) => logLines.push(l) });
});

after(async () => {
  await server?.close();
  await tw?.close();
});

async function scalar(query: string, params: Record<string, unknown> = {}): Promise<number> {
  const rs = await tw.warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' });
  const rows = await rs.json<{ n: string | number }>();
  return Number(rows[0]?.n ?? 0);
}
const countOf = (table: string, source: string) =>
  scalar(`SELECT count() AS n FROM ${table} FINAL WHERE source = {source:String}`, { source });

type Body = BatchSummary & { error?: { code: string; message: string } };

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body),
  });
}

const customer = (id: string, email: string) => ({ source_id: id, name: `Customer ${id}`, email, country: 'DE', signup_date: '2026-01-15' });
const txn = (id: string, ref: string, amount: number | string) => ({
  transaction_id: id, order_id: `O-${id}`, customer_ref: ref, order_date: '2026-03-01 10:00:00', status: 'completed', amount, currency: 'EUR', quantity: 1, product_id: 'P-1',
});
const touch = (id: string, ref: string, extra: Record<string, unknown> = {}) => ({
  interaction_id: id, customer_ref: ref, occurred_at: '2026-03-02T09:30:00Z', type: 'support_ticket', channel: 'web', ...extra,
});

describe('HTTP ingestion (real engine)', () => {
  test('health answers without a token', async () => {
    const res = await fetch(`${server.url}/v1/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('missing token → 401 saying where the token is; wrong token → 401; nothing loads', async () => {
    const batch = { source: 'auth-check', records: [txn('A1', 'C1', 10)] };
    const missing = await fetch(`${server.url}/v1/ingest/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    assert.equal(missing.status, 401);
    const body = (await missing.json()) as Body;
    assert.equal(body.error?.code, 'unauthorized');
    assert.match(body.error!.message, /INGEST_TOKEN/);
    assert.match(body.error!.message, /secrets\.json/);

    const wrong = await post('/v1/ingest/transactions', batch, { authorization: 'Bearer guessed-token' });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as Body).error?.code, 'invalid_token');
    assert.equal(await countOf('transactions', 'auth-check'), 0);
  });

  test('right token loads transactions', async () => {
    const res = await post('/v1/ingest/transactions', { source: 'shop', records: [txn('T1', 'C1', 19.99), txn('T2', 'C1', 5), txn('T3', 'C2', '42.50')] }, { 'idempotency-key': 'shop-batch-1' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('idempotent-replayed'), null);
    const body = (await res.json()) as Body;
    assert.deepEqual({ received: body.received, loaded: body.loaded, rejected: body.rejected, rejects: body.rejects }, { received: 3, loaded: 3, rejected: 0, rejects: [] });
    assert.equal(await countOf('transactions', 'shop'), 3);
    assert.equal(await scalar('SELECT toString(sum(amount)) AS n FROM transactions FINAL WHERE source = {s:String}', { s: 'shop' }), 67.49);
    const batches = await scalar('SELECT count() AS n FROM ingest_batches FINAL WHERE source_file = {f:String} AND batch_id = {b:String}', { f: 'http:shop-batch-1', b: body.batch_id });
    assert.equal(batches, 1);
    assert.equal(await scalar('SELECT count() AS n FROM ingest_requests FINAL WHERE idempotency_key = {k:String}', { k: 'shop-batch-1' }), 1);
  });

  test('a retried batch with the same Idempotency-Key gets the first answer and loads nothing', async () => {
    const batch = { source: 'shop', records: [txn('T1', 'C1', 19.99), txn('T2', 'C1', 5), txn('T3', 'C2', '42.50')] };
    const batchesBefore = await scalar('SELECT count() AS n FROM ingest_batches FINAL');
    const first = (await (await post('/v1/ingest/transactions', batch, { 'idempotency-key': 'shop-batch-1' })).json()) as Body;
    // …and gzip-compressed, which is the same request.
    const retry = await post('/v1/ingest/transactions', gzipSync(JSON.stringify(batch)), { 'idempotency-key': 'shop-batch-1', 'content-encoding': 'gzip' });
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    const again = (await retry.json()) as Body;
    assert.deepEqual(again, first);
    assert.equal(again.loaded, 3, 'the replay is the first answer, not a fresh "0 loaded"');
    assert.equal(await countOf('transactions', 'shop'), 3);
    assert.equal(await scalar('SELECT count() AS n FROM ingest_batches FINAL'), batchesBefore, 'no new load ran');
  });

  test('the same key with a different body → 422 conflict, nothing loads', async () => {
    const res = await post('/v1/ingest/transactions', { source: 'shop', records: [txn('T9', 'C1', 1)] }, { 'idempotency-key': 'shop-batch-1' });
    assert.equal(res.status, 422);
    assert.equal(((await res.json()) as Body).error?.code, 'idempotency_conflict');
    assert.equal(await countOf('transactions', 'shop'), 3);
  });

  test('without a key a retry is still not double counted (upserts by id)', async () => {
    const batch = { source: 'shop', records: [txn('T1', 'C1', 19.99), txn('T2', 'C1', 5)] };
    const res = await post('/v1/ingest/transactions', batch);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Body;
    assert.deepEqual({ loaded: body.loaded, duplicates: body.duplicates }, { loaded: 0, duplicates: 2 });
    assert.equal(await countOf('transactions', 'shop'), 3);
  });

  test('racing copies of a keyed batch load once', async () => {
    const batch = { source: 'race', records: [touch('R1', 'C1'), touch('R2', 'C2')] };
    const responses = await Promise.all([1, 2, 3, 4].map(() => post('/v1/ingest/interactions', batch, { 'idempotency-key': 'race-1' })));
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 200, 200]);
    assert.equal(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 3);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Body[];
    assert.ok(bodies.every((b) => b.batch_id === bodies[0]!.batch_id && b.loaded === 2));
    assert.equal(await scalar(`SELECT count() AS n FROM ingest_batches FINAL WHERE source_file = 'http:race-1'`), 1);
    assert.equal(await countOf('interactions', 'race'), 2);
  });

  test('an oversize body → 413 with a clear message, nothing loads', async () => {
    const records = Array.from({ length: 3000 }, (_, i) => txn(`BIG${i}`, 'C1', 1));
    const big = JSON.stringify({ source: 'big', records });
    assert.ok(big.length > MAX_BODY);
    const res = await post('/v1/ingest/transactions', big);
    assert.equal(res.status, 413);
    const body = (await res.json()) as Body;
    assert.equal(body.error?.code, 'payload_too_large');
    assert.match(body.error!.message, /256 KiB/);
    assert.equal(await countOf('transactions', 'big'), 0);
  });

  test('a partly bad batch loads the good records and lists the bad ones', async () => {
    const records = [
      touch('I1', 'C1'),
      touch('I2', 'C1', { type: 'carrier_pigeon' }),
      touch('I3', 'C2', { csat: 4 }),
      touch('I4', 'C2', { occurred_at: '2026-13-45' }),
      { customer_ref: 'C2', occurred_at: '2026-03-02 10:00:00', type: 'call' },
      touch('I6', 'C2', { csat: 9 }),
    ];
    const res = await post('/v1/ingest/interactions', { source: 'shop', records });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Body;
    assert.deepEqual({ received: body.received, loaded: body.loaded, rejected: body.rejected }, { received: 6, loaded: 2, rejected: 4 });
    const byIndex = new Map(body.rejects.map((r) => [r.index, r]));
    assert.deepEqual([...byIndex.keys()].sort(), [1, 3, 4, 5]);
    assert.deepEqual([byIndex.get(1)!.record_id, byIndex.get(1)!.field], ['I2', 'type']);
    assert.deepEqual([byIndex.get(3)!.record_id, byIndex.get(3)!.field], ['I4', 'occurred_at']);
    assert.equal(byIndex.get(4)!.field, 'interaction_id');
    assert.equal(byIndex.get(5)!.field, 'csat');
    assert.ok(body.rejects.every((r) => r.reason.length > 0));
    assert.equal(await countOf('interactions', 'shop'), 2);
    // Quarantined like file rows.
    assert.equal(await scalar('SELECT count() AS n FROM rejects FINAL WHERE batch_id = {b:String}', { b: body.batch_id }), 4);
  });

  test('an all-bad batch → 422 with the rejects', async () => {
    const res = await post('/v1/ingest/interactions', { source: 'shop', records: [touch('X1', 'C1', { type: 'nope' }), touch('X2', 'C1', { occurred_at: 'yesterday' })] });
    assert.equal(res.status, 422);
    const body = (await res.json()) as Body;
    assert.equal(body.error?.code, 'all_rejected');
    assert.equal(body.rejected, 2);
    assert.deepEqual(body.rejects.map((r) => r.index).sort(), [0, 1]);
  });

  test('a gzip-compressed NDJSON body loads', async () => {
    const ndjson = [touch('G1', 'C1'), touch('G2', 'C2'), touch('G3', 'C2')].map((r) => JSON.stringify(r)).join('\n');
    const res = await post('/v1/ingest/interactions?source=desk', gzipSync(ndjson), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Body;
    assert.equal(body.loaded, 3);
    assert.equal(await countOf('interactions', 'desk'), 3);
  });

  test('a web shop pushes sign-ups (customers); its orders resolve to them', async () => {
    const signups = await post('/v1/ingest/customers', { source: 'webshop', records: [customer('W1', 'Ann@Example.com '), customer('W2', 'bob@example.com')] });
    assert.equal(signups.status, 200);
    const s = (await signups.json()) as Body;
    assert.deepEqual({ received: s.received, loaded: s.loaded, rejected: s.rejected }, { received: 2, loaded: 2, rejected: 0 });
    assert.equal(await countOf('customer_records', 'webshop'), 2);
    const orders = await post('/v1/ingest/transactions', { source: 'webshop', records: [txn('WT1', 'W1', 10), txn('WT2', 'W2', 20)] });
    assert.equal(orders.status, 200);
    const resolved = await scalar(`SELECT count() AS n FROM transactions FINAL
      WHERE source = 'webshop' AND customer_id IN (SELECT customer_id FROM identity_map FINAL WHERE source = 'webshop')`);
    assert.equal(resolved, 2);
  });

  test('one log line per request, never a token', () => {
    assert.ok(logLines.length >= 10);
    assert.ok(logLines.every((l) => !l.includes(TOKEN) && !l.includes('guessed-token')));
    assert.ok(logLines.some((l) => /^ingest-http POST \/v1\/ingest\/transactions 200 records=3 \d+ms batch=\S+ replayed$/.test(l)), logLines.join('\n'));
  });
});
