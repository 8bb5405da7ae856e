/**
 * Migration 025 (the derived tables sorted by owner as well, in a projection): an account owner's
 * row-level filter reads about its share of the rows, and answers exactly what it did.
 *
 * 20 owners × 1,000 customers, 10 paid orders and 10 retention cells per customer (200k rows each,
 * ~25 granules), written before the migration as a full rebuild would, so MATERIALIZE is what gives
 * the old parts their projection; then an incremental snapshot written after it (the refresher's
 * own inserts must build the projection too). Rows read come from EXPLAIN ESTIMATE (the engine's
 * own count of the rows its indexes leave to read): no timing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrations } from '../../lib/warehouse/migrations/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { OWNER_PROJECTION, ownerProjectionStatements } from '../../lib/warehouse/migrations/025-owner-projections.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const OWNERS = 20;
const CUSTOMERS = 20_000;
const ROWS = 200_000;
const BASE = 1_000;
const OVERLAY = 2_000;
const OWNER = 'O03';
let tw: TestWarehouse;

const rows = async <T>(query: string): Promise<T[]> =>
  (await tw.warehouse.client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<T>();
const run = (query: string) => tw.warehouse.client.command({ query });

/** The owner's filter as the cubes write it (semantic/model: paid_orders, customer_value, cohort_retention). */
const ownerFilter = (owner: string) =>
  `owner_id = '${owner}' AND customer_id IN (SELECT customer_id FROM customers_resolved WHERE owner_id = '${owner}')`;

const queries = (owner: string) => ({
  paid_orders: `SELECT toString(sum(net_revenue)) AS v, count() AS n FROM paid_orders_current WHERE ${ownerFilter(owner)}`,
  customer_retention: `SELECT toString(sum(is_active)) AS v, count() AS n FROM customer_retention_current WHERE ${ownerFilter(owner)}`,
  customer_value: `SELECT toString(sum(net_revenue)) AS v, count() AS n FROM customer_value WHERE snapshot = ${BASE} AND ${ownerFilter(owner)}`,
});

/** Rows the engine's indexes leave to read, summed over the tables of the query. */
async function rowsRead(query: string): Promise<number> {
  const estimate = await rows<{ rows: number }>(`EXPLAIN ESTIMATE ${query}`);
  return estimate.reduce((s, r) => s + Number(r.rows), 0);
}

const ownerOf = (customer: number) => `O${String(customer % OWNERS).padStart(2, '0')}`;

before(async () => {
  tw = await startTestWarehouse();
  const { client, database } = tw.warehouse;
  await applyMigrations(client, { database }, migrations.filter((m) => m.version < 25));
  await run(`INSERT INTO customers (customer_id, customer_type, name, owner_id, version)
    SELECT concat('C', toString(number)), 'person', 'x', concat('O', leftPad(toString(number % ${OWNERS}), 2, '0')), 1 FROM numbers(${CUSTOMERS})`);
  // As a full rebuild writes them: order date first in paid_orders' key, so an owner's orders lie
  // all over the table.
  await run(`INSERT INTO paid_orders (snapshot, source, order_id, customer_id, customer_key, order_date, status, channel, lines, quantity, gross_revenue, net_revenue, customer_order_number, cohort_month, owner_id)
    SELECT ${BASE}, 'shop', concat('O', toString(number)), concat('C', toString(number % ${CUSTOMERS})), number % ${CUSTOMERS},
           toDateTime('2024-01-01 00:00:00', 'UTC') + number * 60, 'completed', 'web', 1, 1, number % 100, number % 100, 1, toDate('2024-01-01'),
           concat('O', leftPad(toString(number % ${CUSTOMERS} % ${OWNERS}), 2, '0'))
    FROM numbers(${ROWS})`);
  await run(`INSERT INTO customer_retention (snapshot, customer_id, owner_id, cohort_month, months_since, activity_month, is_active, orders, net_revenue)
    SELECT ${BASE}, concat('C', toString(number % ${CUSTOMERS})), concat('O', leftPad(toString(number % ${CUSTOMERS} % ${OWNERS}), 2, '0')),
           toDate('2024-01-01') + toIntervalMonth(intDiv(number, ${CUSTOMERS})), intDiv(number, ${CUSTOMERS}), toDate('2024-01-01'), number % 3 = 0, 1, number % 100
    FROM numbers(${ROWS})`);
  await run(`INSERT INTO customer_value (snapshot, as_of, customer_id, owner_id, orders, net_revenue)
    SELECT ${BASE}, toDate('2025-01-01'), concat('C', toString(number)), concat('O', leftPad(toString(number % ${OWNERS}), 2, '0')), 10, number % 1000
    FROM numbers(${CUSTOMERS})`);
  await run(`INSERT INTO derived_snapshots (table_name, snapshot, as_of, rows) VALUES ('paid_orders', ${BASE}, '2025-01-01', ${ROWS}), ('customer_retention', ${BASE}, '2025-01-01', ${ROWS}), ('customer_value', ${BASE}, '2025-01-01', ${CUSTOMERS})`);
});

after(async () => {
  await tw?.close();
});

test("before 025 an owner's filter reads every row; after it about the owner's share, with the same answers", async () => {
  const before = queries(OWNER);
  const answersBefore: Record<string, unknown> = {};
  for (const [table, query] of Object.entries(before)) {
    // The failure this migration fixes: the live owner set prunes nothing.
    assert.ok((await rowsRead(query)) >= (table === 'customer_value' ? CUSTOMERS : ROWS), `${table} before 025`);
    answersBefore[table] = (await rows(query))[0];
  }

  const { applied } = await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database }, migrations.filter((m) => m.version <= 25));
  assert.deepEqual(
    applied.map((m) => m.version),
    [25],
  );
  const projections = await rows<{ table: string }>(
    `SELECT table FROM system.projections WHERE database = currentDatabase() AND name = '${OWNER_PROJECTION}' ORDER BY table`,
  );
  assert.deepEqual(
    projections.map((p) => p.table),
    ['customer_retention', 'customer_value', 'paid_orders'],
  );

  // Expected values computed here, from the generator's rules, not by the engine.
  let revenue = 0;
  let orders = 0;
  let active = 0;
  for (let n = 0; n < ROWS; n++) {
    if (ownerOf(n % CUSTOMERS) !== OWNER) continue;
    revenue += n % 100;
    orders += 1;
    if (n % 3 === 0) active += 1;
  }
  let value = 0;
  for (let c = 0; c < CUSTOMERS; c++) if (ownerOf(c) === OWNER) value += c % 1000;
  const expected = { paid_orders: [String(revenue), orders], customer_retention: [String(active), orders], customer_value: [String(value), CUSTOMERS / OWNERS] };

  for (const [table, query] of Object.entries(queries(OWNER))) {
    const read = await rowsRead(query);
    const share = table === 'customer_value' ? CUSTOMERS / OWNERS : ROWS / OWNERS;
    // The owner's share plus at most a granule (8,192 rows) at each end of its range per part.
    assert.ok(read <= share + 4 * 8192, `${table}: ${read} rows read for an owner's ${share}`);
    const [answer] = await rows<{ v: string; n: number }>(query);
    assert.deepEqual([answer.v, Number(answer.n)], expected[table as keyof typeof expected], table);
    assert.deepEqual(answer, answersBefore[table], `${table}: the same answer as before the migration`);
  }

  // Idempotent: running the statements again changes nothing.
  for (const statement of ownerProjectionStatements({ database: tw.warehouse.database })) await run(statement);
  assert.deepEqual((await rows(queries(OWNER).paid_orders))[0], answersBefore.paid_orders);
});

test('an incremental snapshot written after 025 is read through the projection too, and the live owner still decides', async () => {
  // C3 (owner O03) moves to O04 in the golden record; the refresher then writes its rows into an
  // overlay snapshot with the new owner, as an incremental refresh does.
  const value = async (owner: string) => {
    const [r] = await rows<{ v: string; n: number }>(queries(owner).paid_orders);
    return { v: Number(r.v), n: Number(r.n) };
  };
  const c3 = Number((await rows<{ v: string }>(`SELECT toString(sum(net_revenue)) AS v FROM paid_orders WHERE snapshot = ${BASE} AND customer_id = 'C3'`))[0].v);
  assert.ok(c3 > 0);
  const o3Before = await value(OWNER);
  const o4Before = await value('O04');
  await run(`INSERT INTO customers (customer_id, customer_type, name, owner_id, version) VALUES ('C3', 'person', 'x', 'O04', 2)`);
  // Before the refresh commits, the table still says O03 for C3: O03 loses it at once (the live
  // condition); O04 gets it with the commit (the table's owner), never before.
  assert.deepEqual(await value(OWNER), { v: o3Before.v - c3, n: o3Before.n - 10 });
  assert.deepEqual(await value('O04'), o4Before);

  await run(`INSERT INTO paid_orders (snapshot, source, order_id, customer_id, customer_key, order_date, status, channel, lines, quantity, gross_revenue, net_revenue, customer_order_number, cohort_month, owner_id)
    SELECT ${OVERLAY}, source, order_id, customer_id, customer_key, order_date, status, channel, lines, quantity, gross_revenue, net_revenue, customer_order_number, cohort_month, 'O04'
    FROM paid_orders WHERE snapshot = ${BASE} AND customer_id = 'C3'`);
  await run(`INSERT INTO derived_overlay (snapshot, customer_id) VALUES (${OVERLAY}, 'C3')`);
  await run(`INSERT INTO derived_snapshots (table_name, snapshot, as_of, rows, base_snapshot) VALUES ('paid_orders', ${OVERLAY}, '2025-01-01', 10, ${BASE})`);
  const parts = await rows<{ n: number }>(
    `SELECT count() AS n FROM system.projection_parts WHERE database = currentDatabase() AND table = 'paid_orders' AND name = '${OWNER_PROJECTION}' AND active AND partition = '${OVERLAY}'`,
  );
  assert.ok(Number(parts[0].n) >= 1, 'the overlay insert built its projection part');

  assert.deepEqual(await value('O04'), { v: o4Before.v + c3, n: o4Before.n + 10 });
  assert.deepEqual(await value(OWNER), { v: o3Before.v - c3, n: o3Before.n - 10 });
  assert.ok((await rowsRead(queries('O04').paid_orders)) <= ROWS / OWNERS + 4 * 8192 + 10);
});
