import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { counts, fixture, one, rows, warehouseWithSchema } from './helpers.ts';

// Each fixture's counts and sums were worked out by hand from the file (see the comments).
describe('each entity loads from a fixture', () => {
  let tw: TestWarehouse;
  before(async () => {
    tw = await warehouseWithSchema();
  });
  after(() => tw.close());

  it('transactions (CSV: quoted commas, doubled quotes, a newline inside quotes, ISO/offset dates, defaults)', async () => {
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file: fixture('transactions.csv'), rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual([s.read, s.loaded, s.rejected, s.duplicates], [7, 7, 0, 0]);
    assert.equal(s.unknownCustomers, 4); // C100..C103 have no customer record
    const t = await one<{ n: string; amount: number; qty: string; t5: string; t6: string; t3: string; t4: string; t7: string }>(
      tw.warehouse,
      `SELECT count() AS n, sum(amount) AS amount, sum(quantity) AS qty,
              anyIf(product_name, transaction_id = 'T5') AS t5, anyIf(product_name, transaction_id = 'T6') AS t6,
              anyIf(status, transaction_id = 'T3') AS t3, anyIf(toString(order_date), transaction_id = 'T3') AS t3date,
              anyIf(concat(original_currency, ' ', toString(quantity)), transaction_id = 'T4') AS t4,
              anyIf(toString(order_date), transaction_id = 'T7') AS t7
       FROM crm.transactions FINAL`,
    );
    assert.equal(Number(t.n), 7);
    assert.equal(t.amount, 1435.05); // 19.99 + 5 + 120 + 0 + 45.50 + 1234.56 + 10
    assert.equal(Number(t.qty), 13); // T4 has no quantity: default 1
    assert.equal(t.t5, 'Lamp, "deluxe"');
    assert.equal(t.t6, 'Poster\n(large)');
    assert.equal(t.t3, 'refunded'); // "Refunded" matched case-insensitively
    assert.equal(t.t4, 'EUR 1'); // no currency: the base currency
    assert.equal(t.t7, '2024-04-02 09:00:00'); // +02:00 stored as UTC
    const ids = await rows<{ customer_ref: string; customer_id: string }>(tw.warehouse, 'SELECT DISTINCT customer_ref, customer_id FROM crm.transactions ORDER BY customer_ref');
    assert.deepEqual(ids, ['C100', 'C101', 'C102', 'C103'].map((r) => ({ customer_ref: r, customer_id: customerIdFor('shop', r) })));
    const stubs = await rows<{ source_id: string; rule: string }>(tw.warehouse, "SELECT source_id, rule FROM crm.identity_map FINAL WHERE source = 'shop' ORDER BY source_id");
    assert.deepEqual(stubs, ['C100', 'C101', 'C102', 'C103'].map((r) => ({ source_id: r, rule: 'unmatched' })));
  });

  it('interactions (NDJSON: nulls, a blank line, missing optional fields)', async () => {
    const s = await ingestFile(tw.warehouse, { entity: 'interactions', file: fixture('interactions.ndjson'), rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual([s.read, s.loaded, s.rejected], [4, 4, 0]);
    const r = await rows<{ interaction_id: string; csat: number | null; duration_seconds: number; occurred_at: string; direction: string }>(
      tw.warehouse,
      'SELECT interaction_id, csat, duration_seconds, toString(occurred_at) AS occurred_at, direction FROM crm.interactions FINAL ORDER BY interaction_id',
    );
    assert.deepEqual(r, [
      { interaction_id: 'I1', csat: 5, duration_seconds: 0, occurred_at: '2024-01-10 09:00:00', direction: 'inbound' },
      { interaction_id: 'I2', csat: null, duration_seconds: 45, occurred_at: '2024-01-11 14:00:00', direction: 'outbound' },
      { interaction_id: 'I3', csat: 1, duration_seconds: 0, occurred_at: '2024-02-01 07:30:00', direction: 'inbound' },
      { interaction_id: 'I4', csat: null, duration_seconds: 0, occurred_at: '2024-02-03 10:00:00', direction: '' },
    ]);
  });

  it('opportunities (stage history JSON in a quoted CSV field, nullable dates)', async () => {
    const s = await ingestFile(tw.warehouse, { entity: 'opportunities', file: fixture('opportunities.csv'), rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual([s.read, s.loaded, s.rejected], [3, 3, 0]);
    const r = await rows<{ opportunity_id: string; amount: number; status: string; closed_at: string | null; stages: string[] }>(
      tw.warehouse,
      'SELECT opportunity_id, amount, status, closed_at, arrayMap(x -> concat(x.1, \'@\', toString(x.2)), stage_history) AS stages FROM crm.opportunities FINAL ORDER BY opportunity_id',
    );
    assert.deepEqual(r, [
      { opportunity_id: 'OP1', amount: 50000, status: 'open', closed_at: null, stages: ['qualification@2024-01-15', 'negotiation@2024-03-01'] },
      { opportunity_id: 'OP2', amount: 12000.5, status: 'lost', closed_at: '2024-04-10', stages: [] },
      { opportunity_id: 'OP3', amount: 8000, status: 'won', closed_at: '2024-03-28', stages: [] },
    ]);
  });

  it('campaigns, campaign members and users', async () => {
    const c = await ingestFile(tw.warehouse, { entity: 'campaigns', file: fixture('campaigns.csv'), rejectsFile: false });
    const m = await ingestFile(tw.warehouse, { entity: 'campaign_members', file: fixture('campaign_members.csv'), rejectsFile: false });
    const u = await ingestFile(tw.warehouse, { entity: 'users', file: fixture('users.csv'), rejectsFile: false });
    for (const s of [c, m, u]) assert.equal(s.status, 'completed', s.error);
    assert.deepEqual([c.loaded, m.loaded, u.loaded], [2, 3, 3]);
    assert.deepEqual([(await counts(tw.warehouse, 'campaigns')).final, (await counts(tw.warehouse, 'campaign_members')).final, (await counts(tw.warehouse, 'users')).final], [2, 3, 3]);
    const budget = await one<{ b: number; ended: string | null }>(tw.warehouse, "SELECT sum(budget) AS b, anyIf(ended_at, campaign_id = 'CMP2') AS ended FROM crm.campaigns FINAL");
    assert.deepEqual(budget, { b: 2300, ended: null });
    // Members resolve customer refs through the identity map: the transactions' C100 and C101.
    // An empty revenue cell is "not reported", stored NULL (it was 0, read on the segments page as "earned nothing").
    const members = await rows<{ campaign_id: string; customer_id: string; revenue: number | null }>(tw.warehouse, 'SELECT campaign_id, customer_id, revenue FROM crm.campaign_members FINAL ORDER BY campaign_id, customer_id');
    assert.deepEqual(
      members,
      [
        { campaign_id: 'CMP1', customer_id: customerIdFor('shop', 'C100'), revenue: null },
        { campaign_id: 'CMP1', customer_id: customerIdFor('shop', 'C101'), revenue: 99.9 },
        { campaign_id: 'CMP2', customer_id: customerIdFor('shop', 'C100'), revenue: null },
      ].sort((a, b) => (a.campaign_id + a.customer_id < b.campaign_id + b.customer_id ? -1 : 1)),
    );
    const roles = await rows<{ user_id: string; role: string; active: number }>(tw.warehouse, 'SELECT user_id, role, active FROM crm.users FINAL ORDER BY user_id');
    assert.deepEqual(roles, [
      { user_id: 'U1', role: 'owner', active: 1 },
      { user_id: 'U2', role: 'owner', active: 1 },
      { user_id: 'U3', role: 'analyst', active: 1 },
    ]);
    // Loading users again is recognised as unchanged although the table has no row_hash.
    const again = await ingestFile(tw.warehouse, { entity: 'users', file: fixture('users.csv'), rejectsFile: false });
    assert.deepEqual([again.loaded, again.updated, again.duplicates], [0, 0, 3]);
    assert.equal((await counts(tw.warehouse, 'users')).raw, 3);
  });

  it('logs every load in ingest_batches', async () => {
    const r = await rows<{ entity: string; status: string; rows_loaded: string }>(tw.warehouse, 'SELECT entity, status, rows_loaded FROM crm.ingest_batches FINAL ORDER BY started_at');
    assert.deepEqual(
      r.map((x) => `${x.entity}:${x.status}:${x.rows_loaded}`),
      ['transactions:completed:7', 'interactions:completed:4', 'opportunities:completed:3', 'campaigns:completed:2', 'campaign_members:completed:3', 'users:completed:3', 'users:completed:0'],
    );
  });
});
