/**
 * Retention (issue 16, item 5): every CRM_RETENTION_*_DAYS variable becomes the TTL of its table at
 * migrate, only a change is applied, 0 removes it, and an expired row really goes (open deals stay).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../lib/config/schema.ts';
import { currentTtlDays, reconcileRetention, RETENTION_RULES } from '../../../lib/warehouse/migrations/013-privacy.ts';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { rows } from '../../../lib/warehouse/sql.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

let tw: TestWarehouse;
const engine = async (table: string): Promise<string> =>
  (
    await rows<{ engine_full: string }>(tw.warehouse.client, {
      query: 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      query_params: { db: tw.config.database, t: table },
    })
  )[0].engine_full;

describe('retention TTLs', { timeout: 300_000 }, () => {
  before(async () => {
    tw = await startTestWarehouse();
    await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  });
  after(() => tw?.close());

  test('the defaults: rejects 90 days, idempotency records 30, the rest kept', async () => {
    const defaults = loadConfig({});
    for (const rule of RETENTION_RULES) {
      assert.equal(currentTtlDays(await engine(rule.table)), Number(defaults[rule.variable]), rule.table);
    }
    assert.equal(currentTtlDays(await engine('rejects')), 90);
    assert.equal(currentTtlDays(await engine('transactions')), 0);
  });

  test('a changed variable changes the TTL, an unchanged one is left alone, 0 removes it', async () => {
    const ctx = { database: tw.config.database };
    const env = { CRM_RETENTION_TRANSACTIONS_DAYS: '400', CRM_RETENTION_OPPORTUNITIES_DAYS: '30', CRM_RETENTION_REJECTS_DAYS: '0' };
    const first = await reconcileRetention(tw.warehouse.client, ctx, () => {}, loadConfig(env));
    assert.deepEqual(
      first.filter((r) => r.changed).map((r) => r.table).sort(),
      ['opportunities', 'rejects', 'transactions'],
    );
    assert.equal(currentTtlDays(await engine('transactions')), 400);
    assert.equal(currentTtlDays(await engine('rejects')), 0);
    assert.doesNotMatch(await engine('rejects'), /\bTTL\b/);
    const again = await reconcileRetention(tw.warehouse.client, ctx, () => {}, loadConfig(env));
    assert.deepEqual(again.filter((r) => r.changed), []);
  });

  test('expired closed deals and orders go, open deals stay', async () => {
    const c = tw.warehouse.client;
    const old = '2001-02-03';
    await c.insert({
      table: 'opportunities',
      values: [
        { source: 's', opportunity_id: 'o-open', customer_id: 'C-1', created_at: old, status: 'open', version: 1 },
        { source: 's', opportunity_id: 'o-lost', customer_id: 'C-1', created_at: old, closed_at: old, status: 'lost', version: 1 },
      ],
      format: 'JSONEachRow',
    });
    await c.insert({
      table: 'transactions',
      values: [
        { source: 's', transaction_id: 't-old', customer_id: 'C-1', order_date: `${old} 10:00:00`, version: 1 },
        { source: 's', transaction_id: 't-new', customer_id: 'C-1', order_date: '2099-01-01 10:00:00', version: 1 },
      ],
      format: 'JSONEachRow',
    });
    // TTL is applied by merges; OPTIMIZE … FINAL runs one now.
    for (const t of ['opportunities', 'transactions']) await c.command({ query: `OPTIMIZE TABLE ${t} FINAL` });
    const ids = async (q: string): Promise<string[]> => (await rows<{ id: string }>(c, { query: q })).map((r) => r.id).sort();
    assert.deepEqual(await ids('SELECT opportunity_id AS id FROM opportunities'), ['o-open']);
    assert.deepEqual(await ids('SELECT transaction_id AS id FROM transactions'), ['t-new']);
  });
});
