/**
 * What a push's ~20 statements must not wait for (issue 17: under 50 dashboard users a 1,000-row
 * push answered after 116 s, its statements 0.1–2 s each in the engine):
 * - the client it is given: in `npm start` the dashboard's, whose 10 connections were always taken
 *   by session checks, each of the push's statements waiting at the back of the client's queue;
 * - the embedded engine's process-wide parameter lock, which every statement with query parameters
 *   takes in turn (session checks included): 7–9 s per statement there.
 * Each test holds one of them with statements that run until the test stops them; a push must still
 * be answered and its rows stored. States are waited for through the endpoint's stats, never by time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { LANE_HEADER } from '../../lib/warehouse/embedded/server.ts';
import { startIngestServer, type BatchSummary, type IngestServer } from '../../ingest/http/index.ts';
import { holdSession, startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const TOKEN = 'http-connections-token-9d1e';
/** @clickhouse/client's default connection limit (max_open_connections), which connectWarehouse keeps. */
const CLIENT_CONNECTIONS = 10;
/** A statement that runs until it is cancelled (300 s of 0.5 s blocks: longer than BOUND_MS). */
const ENDLESS = 'SELECT sleepEachRow(0.5) AS s FROM numbers(600) SETTINGS max_block_size = 1';
/**
 * Reached in well under a second when the ingest has its own connections; the bound only turns
 * the old behaviour (a push that waits for a connection until the holders end) into a failure
 * instead of a hang.
 */
const BOUND_MS = 60_000;

let tw: TestWarehouse;
let server: IngestServer;

before(async () => {
  // 2 engine sessions, 1 kept for the product's own statements: background work holds the other.
  tw = await startTestWarehouse({ poolSize: 2, reservedSessions: 1 });
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  server = await startIngestServer({ warehouse: tw.warehouse, token: TOKEN, port: 0, log: () => {} });
});

after(async () => {
  await server?.close();
  await tw?.close();
});

function records(prefix: string) {
  return Array.from({ length: 25 }, (_, i) => ({
    transaction_id: `${prefix}-${i}`,
    // A quote and a backslash in some references: they reach the engine as literals.
    customer_ref: i % 5 === 0 ? `O'Brien\\' ${i % 7}` : `${prefix}-C${i % 7}`,
    order_date: '2026-03-01T10:00:00Z',
    status: 'completed',
    amount: (i + 1).toFixed(2),
  }));
}

async function push(
  source: string,
  key: string,
  batch: Record<string, unknown>[],
  what: string,
  boundMs = BOUND_MS,
): Promise<BatchSummary> {
  const res = await fetch(`${server.url}/v1/ingest/transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ source, records: batch }),
    signal: AbortSignal.timeout(boundMs),
  }).catch((err: Error) => assert.fail(`no answer within ${boundMs / 1000} s while ${what} (${err.name})`));
  const body = (await res.json()) as BatchSummary;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** Rows and amount stored for `source`, read through the given client, and the distinct references. */
async function stored(source: string): Promise<{ n: number; total: number; refs: string[] }> {
  const rs = await tw.warehouse.client.query({
    query: `SELECT count() AS n, sum(amount) AS total, groupUniqArray(customer_ref) AS refs FROM ${tw.config.database}.transactions FINAL WHERE source = {source:String}`,
    query_params: { source },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string; total: string | number; refs: string[] }>();
  return { n: Number(row.n), total: Number(row.total), refs: [...row.refs].sort() };
}

test('a push is answered while every connection of the client it was given is taken', async () => {
  // Background-lane statements never take the product's session: one runs, the others wait for
  // the second session, and all of them keep their connection of the given client.
  const holders = Array.from({ length: CLIENT_CONNECTIONS }, () =>
    holdSession(tw.warehouse.client, ENDLESS, { [LANE_HEADER]: 'background' }),
  );
  try {
    const held = await tw.server.whenStats(
      (s) => s.pool.longBusy === 1 && s.pool.queued === CLIENT_CONNECTIONS - 1,
      AbortSignal.timeout(BOUND_MS),
    );
    assert.equal(held.pool.queued, CLIENT_CONNECTIONS - 1);

    const batch = records('HC');
    const body = await push(
      'held',
      'http-connections-1',
      batch,
      `the given client's ${CLIENT_CONNECTIONS} connections were taken`,
    );
    assert.equal(body.loaded, batch.length);
    // The holders were still there when the answer came: nothing in between freed a connection.
    const during = await tw.server.whenStats(() => true);
    assert.equal(during.pool.longBusy, 1);
  } finally {
    await Promise.all(holders.map((h) => h.stop()));
  }
  // Read back through the given client, now free: the rows and their sum, computed here.
  const got = await stored('held');
  assert.equal(got.n, 25);
  assert.equal(got.total, (25 * 26) / 2);
});

/**
 * How long the lock holder below runs: longer than the push may take (LOCK_BOUND_MS), so the old
 * behaviour (the push's statements waiting for the lock) fails, and short enough that the test
 * does not sit long once the push is answered (a statement run whole cannot be cancelled).
 */
const LOCK_HOLD_SECONDS = 50;
const LOCK_BOUND_MS = 40_000;

test('a push is answered while another statement holds the parameter lock', async () => {
  // A statement with a query parameter whose result is sent whole (JSON) holds the embedded
  // engine's parameter lock for its whole run (chdb-native.ts), as a session check does for its own.
  const holder = tw.warehouse.client
    .query({
      query: `SELECT sleepEachRow(0.5) AS s, {tag:String} AS t FROM numbers(${LOCK_HOLD_SECONDS * 4}) SETTINGS max_block_size = 1`,
      query_params: { tag: 'lock' },
      format: 'JSON',
      clickhouse_settings: { max_execution_time: LOCK_HOLD_SECONDS, timeout_overflow_mode: 'throw' },
    })
    .then((rs) => rs.text())
    .catch(() => undefined);
  const batch = records('PL');
  try {
    await tw.server.whenStats((s) => s.pool.busy === 1, AbortSignal.timeout(BOUND_MS));
    const body = await push(
      'locked',
      'http-connections-2',
      batch,
      'another statement held the parameter lock',
      LOCK_BOUND_MS,
    );
    assert.equal(body.loaded, batch.length);
    assert.equal(
      (await tw.server.whenStats(() => true)).pool.busy >= 1,
      true,
      'the holder still ran when the answer came',
    );
  } finally {
    await holder;
  }
  const got = await stored('locked');
  assert.equal(got.n, 25);
  assert.equal(got.total, (25 * 26) / 2);
  // The references went through as literals and came back byte for byte.
  assert.deepEqual(got.refs, [...new Set(batch.map((r) => r.customer_ref))].sort());
});
