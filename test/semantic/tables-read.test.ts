/**
 * Answers keyed by the tables they read (semantic/tables-read.ts), on a real embedded warehouse and a
 * real Cube: the read set the cache computes for each member (alone and beside a measure) covers every table in the SQL Cube generates for it (through the engine's
 * view definitions), and a write to a table an answer does
 * not read leaves that answer a hit, while the answers that read it are renewed and show the new
 * rows (counted in the warehouse, not through Cube). Before, every write made every answer stale.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { IncomingMessage } from 'node:http';
import { CACHE_HEADER, STATS_PATH, answerKeyOf, type CacheStats } from '../../semantic/answer-cache.ts';
import { ModelReads, TABLE_DEFINITIONS_SQL, TableGraph, tablesReadBy, type TableDefinition } from '../../semantic/tables-read.ts';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { OWNER_ANN, customers, transactions } from './fixture.ts';
import { startSemanticFixture, type SemanticFixture } from './support.ts';

let fx: SemanticFixture;
before(async () => {
  fx = await startSemanticFixture();
});
after(async () => {
  await fx?.close();
});

const MODEL = join(PROJECT_ROOT, 'semantic', 'model');
const DEADLINE_MS = 90_000;

function modelReads(): ModelReads {
  const yaml = createRequire(createRequire(import.meta.url).resolve('@cubejs-backend/schema-compiler'))('js-yaml') as { load(text: string): unknown };
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []));
  return new ModelReads(files(MODEL).map((f) => yaml.load(readFileSync(f, 'utf8'))));
}

async function graph(): Promise<TableGraph> {
  const rs = await fx.tw.warehouse.client.query({ query: TABLE_DEFINITIONS_SQL.replace('currentDatabase()', `'${fx.tw.config.database}'`), format: 'JSONEachRow' });
  return new TableGraph(await rs.json<TableDefinition>());
}

/** The answer cache's key for a POSTed query in a scope, as the Cube process computes it. */
const keyOf = (query: unknown, ctx: { role: string; owner_id?: string }): string =>
  answerKeyOf({ method: 'POST', url: '/cubejs-api/v1/load', headers: {}, body: { query } } as unknown as IncomingMessage & { body: unknown }, { sub: 'test', ...ctx } as never)!;

test('every member’s read set covers the tables of the SQL Cube generates for it, alone and beside a measure; an owner’s adds the row filter’s', async () => {
  const model = modelReads();
  assert.ok(model.complete, 'the shipped model is all YAML the resolver reads');
  const g = await graph();
  const admin = fx.token('admin');
  const meta = await fetch(`${fx.semantic.url}/v1/meta`, { headers: { authorization: `Bearer ${admin}` } });
  const views = ((await meta.json()) as { cubes: { name: string; type?: string; measures: { name: string }[]; dimensions: { name: string }[]; segments: { name: string }[] }[] }).cubes;
  assert.ok(views.length >= 10, `views from /v1/meta: ${views.map((v) => v.name).join(', ')}`);
  // Read sets are per member since session 11: every dimension is also checked beside a measure,
  // where Cube adds the primary keys of a join that multiplies rows. Generated SQL is shown to
  // admins and analysts only, so an owner's read set is checked to hold the admin's (its row
  // filter adds to it: below).
  const ownerCtx = { role: 'owner', owner_id: OWNER_ANN };
  let checked = 0;
  for (const view of views) {
    const anyMeasure = view.measures[0]?.name;
    const queries = [
      ...view.measures.map((m) => ({ measures: [m.name] })),
      ...view.dimensions.map((d) => ({ dimensions: [d.name] })),
      ...(anyMeasure ? view.dimensions.map((d) => ({ measures: [anyMeasure], dimensions: [d.name] })) : []),
      ...view.segments.map((s) => (anyMeasure ? { measures: [anyMeasure], segments: [s.name] } : { dimensions: [view.dimensions[0].name], segments: [s.name] })),
    ];
    for (const query of queries) {
      const answer = await fx.post('v1/sql', { query }, admin);
      assert.equal(answer.status, 200, `${JSON.stringify(query)}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      const sql = answer.body.sql!.sql[0];
      const generated = g.tablesIn(sql);
      const read = tablesReadBy(keyOf(query, { role: 'admin' }), model, g);
      assert.ok(read, `${JSON.stringify(query)}: resolved`);
      const missing = generated.filter((t) => !read.includes(t));
      assert.deepEqual(missing, [], `${JSON.stringify(query)}: Cube's SQL reads ${generated.join(', ')}; the read set ${read.join(', ')}`);
      const owners = tablesReadBy(keyOf(query, ownerCtx), model, g)!;
      assert.deepEqual(read.filter((t) => !owners.includes(t)), [], `an owner's ${JSON.stringify(query)}: ${owners.join(', ')}`);
      checked++;
    }
  }
  assert.ok(checked > 200, `${checked} queries checked`);

  // The point of it: a member over deals does not read the order lines or the derived tables, for
  // an executive not even the customers; an owner's row filter reads the customers.
  const deals = { measures: ['pipeline.deals'] };
  const exec = tablesReadBy(keyOf(deals, { role: 'executive' }), model, g)!;
  const owner = tablesReadBy(keyOf(deals, { role: 'owner', owner_id: OWNER_ANN }), model, g)!;
  for (const t of ['transactions', 'derived_snapshots', 'customers', 'churn_scores']) assert.ok(!exec.includes(t), `the executive's deals read ${t}: ${exec.join(', ')}`);
  assert.ok(exec.includes('opportunities') && exec.includes('customer_aliases'), exec.join(', '));
  assert.ok(owner.includes('customers'), `the owner's deals read the customers (row filter): ${owner.join(', ')}`);
  const revenue = tablesReadBy(keyOf({ measures: ['sales.revenue'] }, { role: 'executive' }), model, g)!;
  assert.ok(revenue.includes('derived_snapshots'), `revenue reads the derived tables' commit: ${revenue.join(', ')}`);
  // Per member: the source ids read the identity map, which every load writes; the customer count
  // by region (the cockpit's filter list) and the order count read neither it nor, for an
  // executive, the customers' tenure or the derived tables they do not select.
  const byRegion = tablesReadBy(keyOf({ measures: ['customer_base.customers'], dimensions: ['customer_base.region'] }, { role: 'executive' }), model, g)!;
  for (const t of ['identity_map', 'customer_records', 'derived_snapshots', 'transactions']) assert.ok(!byRegion.includes(t), `customers by region read ${t}: ${byRegion.join(', ')}`);
  const sourceIds = tablesReadBy(keyOf({ dimensions: ['customer_base.customer_id', 'customer_base.source_ids'] }, { role: 'executive' }), model, g)!;
  assert.ok(sourceIds.includes('identity_map') && sourceIds.includes('customer_records'), `source ids: ${sourceIds.join(', ')}`);
  const tenure = tablesReadBy(keyOf({ measures: ['customer_base.avg_tenure_days'] }, { role: 'executive' }), model, g)!;
  assert.ok(tenure.includes('derived_snapshots'), `tenure counts to the derived tables' as-of day: ${tenure.join(', ')}`);
  const orders = tablesReadBy(keyOf({ measures: ['sales.orders'] }, { role: 'executive' }), model, g)!;
  for (const t of ['identity_map', 'customers', 'transactions']) assert.ok(!orders.includes(t), `the executive's order count reads ${t}: ${orders.join(', ')}`);
  assert.equal(tablesReadBy(keyOf({ measures: ['no_such_view.x'] }, { role: 'executive' }), model, g), undefined, 'a query the model does not resolve reads everything');
});

interface Asked {
  cache: string | null;
  value: number;
}

async function ask(token: string, member: string): Promise<Asked> {
  const res = await fetch(`${fx.semantic.url}/v1/load`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: { measures: [member] } }) });
  const body = (await res.json()) as { data?: Record<string, string>[]; error?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return { cache: res.headers.get(CACHE_HEADER), value: Number(body.data![0][member]) };
}

async function stats(): Promise<CacheStats> {
  // The counters want a token of the semantic API (eighth security review).
  return (await (await fetch(`${new URL(fx.semantic.url).origin}${STATS_PATH}`, { headers: { authorization: `Bearer ${fx.token('admin')}` } })).json()) as CacheStats;
}

async function untilHit(token: string, member: string): Promise<Asked> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const a = await ask(token, member);
    if (a.cache === 'hit') return a;
    assert.ok(Date.now() < deadline, `${member} was not kept within ${DEADLINE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Asks `member` until the cache has seen a data version newer than `changes`; every answer meanwhile must be a hit of `want`. */
async function hitsThroughChange(token: string, member: string, want: number, changes: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const a = await ask(token, member);
    assert.deepEqual(a, { cache: 'hit', value: want }, `${member} through a change to tables it does not read`);
    if ((await stats()).versionChanges > changes) return;
    assert.ok(Date.now() < deadline, 'the cache did not see the write as a new data version');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const count = async (sql: string): Promise<number> => {
  const rs = await fx.tw.warehouse.client.query({ query: sql, format: 'JSONEachRow' });
  return Number(Object.values((await rs.json<Record<string, string>>())[0])[0]);
};

test('a write leaves the answers that do not read its table hits; those that do are renewed with the new rows', async () => {
  const db = fx.tw.config.database;
  const exec = fx.token('executive');
  const ann = fx.token('owner', OWNER_ANN);
  const dealsExec = await untilHit(exec, 'pipeline.deals');
  const dealsAnn = await untilHit(ann, 'pipeline.deals');
  const linesBefore = await count(`SELECT count() FROM ${db}.transactions_resolved`);
  assert.equal((await untilHit(exec, 'product_sales.lines')).value, linesBefore);

  // An order line arrives: the line count reads it, the deals do not.
  let changes = (await stats()).versionChanges;
  await fx.tw.warehouse.client.insert({ table: `${db}.transactions`, values: [{ ...transactions[0], transaction_id: 'T-TABLES-1', order_id: 'O-TABLES-1', version: 1 }], format: 'JSONEachRow' });
  const linesAfter = await count(`SELECT count() FROM ${db}.transactions_resolved`);
  assert.equal(linesAfter, linesBefore + 1);
  await hitsThroughChange(exec, 'pipeline.deals', dealsExec.value, changes);
  assert.deepEqual(await ask(ann, 'pipeline.deals'), { cache: 'hit', value: dealsAnn.value }, "the owner's deals too");
  const renewed = await ask(exec, 'product_sales.lines');
  assert.notEqual(renewed.cache, 'hit', 'the line count is not served as current');
  const deadline = Date.now() + DEADLINE_MS;
  let lines = renewed;
  while (lines.value !== linesAfter && Date.now() < deadline) {
    assert.equal(lines.value, linesBefore, 'until the new line shows, the earlier count (never anything else)');
    await new Promise((r) => setTimeout(r, 250));
    lines = await ask(exec, 'product_sales.lines');
  }
  assert.equal(lines.value, linesAfter, 'the new line shows');

  // A customer record changes: an owner's row filter reads the customers, the executive's deals do not.
  changes = (await stats()).versionChanges;
  const c01 = customers.find((c) => c.customer_id === 'C01')!;
  await fx.tw.warehouse.client.insert({ table: `${db}.customers`, values: [{ ...c01, city: 'Hamburg', version: c01.version + 10 }], format: 'JSONEachRow' });
  await hitsThroughChange(exec, 'pipeline.deals', dealsExec.value, changes);
  const annAfter = await ask(ann, 'pipeline.deals');
  assert.notEqual(annAfter.cache, 'hit', "the owner's deals read the customers: renewed");
  assert.equal(annAfter.value, dealsAnn.value, 'same deals (the change was a city)');
  assert.ok((await stats()).unchanged > 0);
});
