import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coreTables } from '../../lib/warehouse/migrations/001-core.ts';
import { migrations, renderAll, type Migration } from '../../lib/warehouse/migrations/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

describe('cluster DDL rendering', () => {
  const ddl = renderAll({ database: 'crm', cluster: 'crm_cluster' });

  test('every statement runs ON CLUSTER', () => {
    for (const s of ddl) assert.match(s, /ON CLUSTER crm_cluster/, s.slice(0, 80));
  });

  test('each table is a Replicated local table plus a Distributed table over it', () => {
    for (const t of coreTables) {
      const local = ddl.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS crm.${t.name}_local `));
      assert.ok(local, `no local table for ${t.name}`);
      const family = t.engine.replace(/\(.*$/, '');
      assert.match(local, new RegExp(`ENGINE = Replicated${family}\\('/clickhouse/tables/\\{shard\\}/crm/${t.name}_local', '\\{replica\\}'`));
      const dist = ddl.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS crm.${t.name} ON CLUSTER`));
      assert.ok(dist, `no distributed table for ${t.name}`);
      assert.ok(dist.includes(`AS crm.${t.name}_local`), dist);
      assert.ok(dist.includes(`Distributed(crm_cluster, crm, ${t.name}_local, ${t.shardingKey})`), dist);
    }
  });

  test('facts are sharded by customer so a customer stays on one shard', () => {
    for (const name of ['transactions', 'interactions', 'opportunities', 'campaign_members', 'customers', 'churn_scores', 'clv_scores']) {
      const dist = ddl.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS crm.${name} ON CLUSTER`));
      assert.ok(dist?.endsWith('cityHash64(customer_id))'), `${name}: ${dist}`);
    }
  });

  test('views join the distributed alias table GLOBALly on a cluster, locally on one node', () => {
    const view = ddl.find((s) => s.includes('VIEW crm.transactions_resolved'));
    assert.ok(view?.includes('GLOBAL LEFT ANY JOIN'));
    const single = renderAll({ database: 'crm' }).find((s) => s.includes('VIEW crm.transactions_resolved'));
    assert.ok(single && !single.includes('GLOBAL') && !single.includes('ON CLUSTER'));
  });
});

describe('migrations on the embedded engine', () => {
  let tw: TestWarehouse;
  before(async () => {
    tw = await startTestWarehouse();
  });
  after(async () => {
    await tw?.close();
  });

  test('single-node DDL applies cleanly and is recorded; a second run applies nothing', async () => {
    const { client, database } = tw.warehouse;
    const first = await applyMigrations(client, { database });
    assert.deepEqual(first.applied.map((m) => m.version), migrations.map((m) => m.version));
    const rs = await client.query({ query: 'SELECT name, engine FROM system.tables WHERE database = {db:String}', query_params: { db: database }, format: 'JSONEachRow' });
    const tables = new Map((await rs.json<{ name: string; engine: string }>()).map((r) => [r.name, r.engine]));
    for (const t of coreTables) assert.equal(tables.get(t.name), t.engine.replace(/\(.*$/, ''), t.name);
    assert.equal(tables.get('transactions_resolved'), 'View');
    const second = await applyMigrations(client, { database });
    assert.deepEqual(second.applied, []);
    const count = await client.query({ query: `SELECT count() AS n FROM ${database}.schema_migrations FINAL`, format: 'JSONEachRow' });
    assert.equal(Number((await count.json<{ n: string }>())[0].n), migrations.length);
  });

  test("the engine's own parser accepts every statement the cluster path renders, and each shard table has the single-node columns", async () => {
    // chDB cannot run ON CLUSTER / Replicated DDL (no Keeper, no cluster), but it can parse it:
    // formatQuery is ClickHouse's parser and formatter, so a typo the string checks above would
    // miss fails here, and the columns are compared as ClickHouse reads them, not as we wrote them.
    const { client } = tw.warehouse;
    const parse = async (sql: string): Promise<string> => {
      const rs = await client.query({ query: 'SELECT formatQuery({q:String}) AS f', query_params: { q: sql }, format: 'JSONEachRow' });
      return (await rs.json<{ f: string }>())[0].f;
    };
    const columnsOf = (formatted: string): string => /\(\n([\s\S]*?)\n\)\nENGINE/.exec(formatted)?.[1] ?? '';
    const cluster = renderAll({ database: 'crm', cluster: 'crm_cluster' });
    const single = renderAll({ database: 'crm' });
    for (const sql of [...cluster, ...single]) {
      const formatted = await parse(sql).catch((err: Error) => assert.fail(`ClickHouse does not parse:\n${sql.slice(0, 300)}\n${err.message}`));
      if (cluster.includes(sql)) assert.match(formatted, /ON CLUSTER crm_cluster/, formatted.slice(0, 120));
    }
    for (const t of coreTables) {
      const local = await parse(cluster.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS crm.${t.name}_local `))!);
      const plain = await parse(single.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS crm.${t.name}\n`) || s.startsWith(`CREATE TABLE IF NOT EXISTS crm.${t.name} `))!);
      assert.ok(columnsOf(plain), `columns of ${t.name}: ${plain.slice(0, 200)}`);
      assert.equal(columnsOf(local), columnsOf(plain), `${t.name}_local has the columns the semantic layer's queries run against on one node`);
    }
  });

  test('an edited migration is refused with advice', async () => {
    const { client, database } = tw.warehouse;
    const edited: Migration[] = migrations.map((m) =>
      m.version === 1 ? { ...m, statements: () => [`SELECT 1`] } : m,
    );
    await assert.rejects(applyMigrations(client, { database }, edited), /migration 1 \(core\) was changed after it was applied.*add a new migration/);
  });
});
