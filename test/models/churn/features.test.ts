/**
 * Features in a real engine: no leakage (inserting or changing facts on or after the cutoff leaves
 * every feature unchanged), the label window, and the CSV/Parquet export.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { exportFeatures } from '../../../models/churn/export.ts';
import { FEATURE_NAMES, loadFeatures, rowValues, type FeatureSet } from '../../../models/churn/features.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';
import { loadFixture } from './fixture.ts';

const TODAY = '2025-01-01';
const CUTOFF = '2024-09-01';

let tw: TestWarehouse;
const insert = (table: string, values: Record<string, unknown>[]) => tw.warehouse.client.insert({ table, values, format: 'JSONEachRow' });

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await loadFixture(tw.warehouse, { customers: 300, today: TODAY, seed: 11 });
  // Facts the mutations below will touch: a deal open at the cutoff, a campaign membership
  // from before the cutoff, and an order a few days before it.
  await insert('opportunities', [
    { source: 't', opportunity_id: 'P-open', customer_id: 'C000001', status: 'open', stage: 'proposal', amount: '5000', created_at: '2024-06-01', closed_at: null, version: 1 },
  ]);
  await insert('campaign_members', [{ campaign_id: 'K1', customer_id: 'C000002', added_at: '2024-08-01 10:00:00', status: 'sent', responded_at: null, version: 1 }]);
  await insert('transactions', [
    { source: 't', transaction_id: 'T-pre', order_id: 'O-pre', customer_id: 'C000003', order_date: '2024-08-28 12:00:00', status: 'completed', amount: '80', version: 1 },
  ]);
});

after(async () => {
  await tw?.close();
});

function assertSameFeatures(a: FeatureSet, b: FeatureSet): void {
  assert.deepEqual(b.customerIds, a.customerIds);
  for (let j = 0; j < a.features.length; j++) {
    for (let i = 0; i < a.customerIds.length; i++) {
      const x = a.columns[j][i];
      const y = b.columns[j][i];
      assert.ok(Object.is(x, y) || x === y, `${a.customerIds[i]} ${a.features[j]}: ${x} → ${y}`);
    }
  }
}

describe('no leakage', () => {
  test('inserting and changing facts on or after the cutoff changes no feature (only labels)', async () => {
    const beforeDef = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, withLabels: true });
    const beforeAll = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, population: 'buyers' });
    assert.ok(beforeDef.customerIds.length > 100);
    const ids = beforeDef.customerIds.slice(0, 40);

    // New orders on and after the cutoff (one exactly at midnight), for known and new customers.
    await insert(
      'transactions',
      ids.flatMap((id, k) => [
        { source: 't', transaction_id: `T-after-${k}`, order_id: `O-after-${k}`, customer_id: id, order_date: `${CUTOFF} 00:00:00`, status: 'completed', amount: '999', version: 5 },
        { source: 't', transaction_id: `T-later-${k}`, order_id: `O-later-${k}`, customer_id: id, order_date: '2024-10-15 09:00:00', status: 'refunded', amount: '5', version: 5 },
      ]).concat([{ source: 't', transaction_id: 'T-new', order_id: 'O-new', customer_id: 'NEW-1', order_date: '2024-09-02 10:00:00', status: 'completed', amount: '10', version: 5 }]),
    );
    // A later version of an order placed after the cutoff (refunded, amount changed).
    const later = await (
      await tw.warehouse.client.query({
        query: `SELECT source, transaction_id, order_id, customer_id, order_date FROM transactions FINAL WHERE order_date >= {c:Date} AND source = 'fixture' LIMIT 20`,
        query_params: { c: CUTOFF },
        format: 'JSONEachRow',
      })
    ).json<Record<string, string>>();
    assert.ok(later.length > 0);
    await insert('transactions', later.map((r) => ({ ...r, status: 'refunded', amount: '1', version: 9 })));
    // Complaints with a low score, opens, visits, calls after the cutoff.
    await insert(
      'interactions',
      ids.flatMap((id, k) =>
        ['complaint', 'email_open', 'email_sent', 'web_visit', 'call', 'meeting', 'chat', 'support_ticket', 'campaign_response'].map((type, t) => ({
          source: 't',
          interaction_id: `I-after-${k}-${t}`,
          customer_id: id,
          occurred_at: t === 0 ? `${CUTOFF} 00:00:00` : '2024-09-10 08:00:00',
          type,
          csat: type === 'complaint' ? 1 : null,
          version: 5,
        })),
      ),
    );
    // Deals: one created after the cutoff, and the deal open at the cutoff now closed (lost) after it.
    await insert('opportunities', [
      { source: 't', opportunity_id: 'P-new', customer_id: ids[0], status: 'lost', stage: 'lost', amount: '1', created_at: '2024-09-05', closed_at: '2024-09-20', version: 5 },
      { source: 't', opportunity_id: 'P-open', customer_id: 'C000001', status: 'lost', stage: 'lost', amount: '5000', created_at: '2024-06-01', closed_at: '2024-09-15', version: 5 },
    ]);
    // Campaigns: a membership from before the cutoff answered after it, and a new one.
    await insert('campaign_members', [
      { campaign_id: 'K1', customer_id: 'C000002', added_at: '2024-08-01 10:00:00', status: 'responded', responded_at: '2024-09-03 10:00:00', version: 5 },
      { campaign_id: 'K2', customer_id: ids[1], added_at: '2024-09-03 10:00:00', status: 'responded', responded_at: '2024-09-04 10:00:00', version: 5 },
    ]);

    const afterDef = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, withLabels: true });
    const afterAll = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, population: 'buyers' });
    assertSameFeatures(beforeDef, afterDef);
    assertSameFeatures(beforeAll, afterAll);
    // The mutations were visible: labels (which do look after the cutoff) changed.
    let flipped = 0;
    for (let i = 0; i < beforeDef.labels!.length; i++) if (beforeDef.labels![i] !== afterDef.labels![i]) flipped++;
    assert.ok(flipped > 0, 'the new orders should have turned some churners into retained customers');
    for (const id of ids) assert.equal(afterDef.labels![afterDef.customerIds.indexOf(id)], 0, `${id} bought at the cutoff`);
  });

  test('a fact one second before the cutoff does count (the test above is not vacuous)', async () => {
    const id = 'C000003';
    const before1 = rowValues(await loadFeatures(tw.warehouse, { cutoff: CUTOFF, customerIds: [id] }), 0);
    await insert('interactions', [{ source: 't', interaction_id: 'I-edge', customer_id: id, occurred_at: '2024-08-31 23:59:59', type: 'complaint', csat: 1, version: 1 }]);
    const after1 = rowValues(await loadFeatures(tw.warehouse, { cutoff: CUTOFF, customerIds: [id] }), 0);
    assert.equal(after1.complaints_30d, before1.complaints_30d + 1);
    assert.equal(after1.days_since_last_contact, 1);
  });
});

describe('features and labels on hand-made customers', () => {
  before(async () => {
    const order = (id: string, day: string, status = 'completed', amount = '100') => ({
      source: 'h',
      transaction_id: `${id}-${day}-${status}`,
      order_id: `${id}-${day}`,
      customer_id: id,
      order_date: `${day} 12:00:00`,
      status,
      amount,
      version: 1,
    });
    await insert('transactions', [
      // Bought on cutoff + 89 days: retained.
      order('H-ret', '2024-06-01'), order('H-ret', '2024-11-29'),
      // Next purchase on cutoff + 90 days: outside the window, churned.
      order('H-late', '2024-06-01'), order('H-late', '2024-11-30'),
      // Only a refunded order in the window: churned.
      order('H-ref', '2024-06-01'), order('H-ref', '2024-10-01', 'refunded'),
      // Last order 366 days before the cutoff: not in the population, but scored as a buyer.
      order('H-old', '2023-08-31'),
      // Spend trend: 300 in days 91-180 before the cutoff, 120 in the last 90 days (two orders).
      order('H-trend', '2024-04-01', 'completed', '300'), order('H-trend', '2024-07-01', 'completed', '60'), order('H-trend', '2024-08-01', 'completed', '60'),
    ]);
  });

  test('label window is [cutoff, cutoff + 90 days); population is the 365 days before', async () => {
    const set = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, withLabels: true, customerIds: ['H-ret', 'H-late', 'H-ref', 'H-old', 'H-trend'] });
    const label = Object.fromEntries(set.customerIds.map((id, i) => [id, set.labels![i]]));
    assert.deepEqual(label, { 'H-late': 1, 'H-ref': 1, 'H-ret': 0, 'H-trend': 1 });
    const buyers = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, population: 'buyers', customerIds: ['H-old'] });
    assert.equal(rowValues(buyers, 0).recency_days, 367);
  });

  test('recency, frequency, spend trend, gap', async () => {
    const set = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, customerIds: ['H-trend'] });
    const v = rowValues(set, 0);
    assert.equal(v.recency_days, 31);
    assert.equal(v.orders_90d, 2);
    assert.equal(v.orders_prev_90d, 1);
    assert.equal(v.revenue_90d, 120);
    assert.equal(v.revenue_prev_90d, 300);
    assert.ok(Math.abs(v.spend_change_90d - -0.6) < 1e-12);
    assert.equal(v.aov_365d, 140);
    assert.equal(v.tenure_days, 153);
    assert.equal(v.order_gap_days, 61);
    assert.ok(Number.isNaN(v.csat_avg_180d), 'no CSAT on record → missing, not 0');
    assert.ok(Number.isNaN(v.email_open_rate_90d), 'no e-mail sent → missing open rate');
  });

  // Session 13: the forecast reason read the BG/NBD's expected purchase days against orders_total's
  // gap; this is the purchase-day gap it reads now. Three orders on 2024-05-01, three on 2024-06-01,
  // two on 2024-07-02: 8 orders over 62 days (order gap 62 / 7), 3 purchase days (62 / 2 = 31).
  test('the gap between purchase days counts several orders on one day once', async () => {
    const line = (k: number, day: string) => ({
      source: 'h',
      transaction_id: `H-multi-T${k}`,
      order_id: `H-multi-O${k}`,
      customer_id: 'H-multi',
      order_date: `${day} ${String(8 + k).padStart(2, '0')}:00:00`,
      status: 'completed',
      amount: '10',
      version: 1,
    });
    const days = ['2024-05-01', '2024-05-01', '2024-05-01', '2024-06-01', '2024-06-01', '2024-06-01', '2024-07-02', '2024-07-02'];
    await insert('transactions', days.map((d, k) => line(k, d)));
    await insert('transactions', [{ ...line(9, '2024-08-15'), customer_id: 'H-one-day', transaction_id: 'H-one-T1', order_id: 'H-one-O1' }, { ...line(10, '2024-08-15'), customer_id: 'H-one-day', transaction_id: 'H-one-T2', order_id: 'H-one-O2' }]);
    const set = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, customerIds: ['H-multi', 'H-one-day'] });
    const multi = rowValues(set, set.customerIds.indexOf('H-multi'));
    assert.equal(multi.orders_total, 8);
    assert.ok(Math.abs(multi.order_gap_days - 62 / 7) < 1e-12, String(multi.order_gap_days));
    assert.equal(multi.purchase_day_gap_days, 31);
    // Two orders on one day: no gap between purchase days (missing), though the order gap is 0.
    const one = rowValues(set, set.customerIds.indexOf('H-one-day'));
    assert.equal(one.order_gap_days, 0);
    assert.ok(Number.isNaN(one.purchase_day_gap_days), String(one.purchase_day_gap_days));
  });
});

describe('interaction features on a hand-made customer', () => {
  test('counts by type and window, the CSAT mean, e-mail rates, days since the last contact and interaction', async () => {
    const at = (type: string, when: string, csat: number | null = null) => ({
      source: 'h',
      interaction_id: `H-ix-${type}-${when}`,
      customer_id: 'H-ix',
      customer_ref: 'H-ix',
      occurred_at: when,
      type,
      csat,
      version: 1,
    });
    await insert('transactions', [
      { source: 'h', transaction_id: 'H-ix-T1', order_id: 'H-ix-O1', customer_id: 'H-ix', order_date: '2024-08-01 12:00:00', status: 'completed', amount: '10', version: 1 },
    ]);
    // Cutoff 2024-09-01: 30 days back is 2024-08-02, 90 days 2024-06-03, 180 days 2024-03-05, 365 days 2023-09-02.
    await insert('interactions', [
      at('complaint', '2024-08-25 10:00:00', 2), // 30 and 90 days
      at('complaint', '2024-07-01 10:00:00'), // 90 days only
      at('support_ticket', '2024-08-31 23:00:00', 5), // the last contact and interaction, 1 day before
      at('chat', '2024-06-10 10:00:00'),
      at('meeting', '2024-05-01 10:00:00'), // outside 90 days
      at('email_sent', '2024-08-01 10:00:00'),
      at('email_sent', '2024-08-02 10:00:00'),
      at('email_open', '2024-08-03 10:00:00'),
      at('email_click', '2024-08-03 11:00:00'),
      at('email_click', '2024-08-04 11:00:00'),
      at('email_click', '2024-08-05 11:00:00'), // 3 clicks on 2 e-mails: the rate is capped at 1
      at('campaign_response', '2024-01-15 10:00:00'), // within 365 days
      at('call', '2024-02-01 10:00:00', 1), // outside 90 days; its CSAT outside 180 days
      at('web_visit', '2024-09-01 00:00:00', 1), // on the cutoff: not a feature
    ]);
    const set = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, population: 'buyers', customerIds: ['H-ix'] });
    assert.deepEqual(set.customerIds, ['H-ix']);
    const v = rowValues(set, 0);
    assert.deepEqual(
      {
        complaints_30d: v.complaints_30d,
        complaints_90d: v.complaints_90d,
        support_tickets_90d: v.support_tickets_90d,
        chats_90d: v.chats_90d,
        meetings_90d: v.meetings_90d,
        calls_90d: v.calls_90d,
        web_visits_90d: v.web_visits_90d,
        emails_sent_90d: v.emails_sent_90d,
        email_open_rate_90d: v.email_open_rate_90d,
        email_click_rate_90d: v.email_click_rate_90d,
        campaign_responses_365d: v.campaign_responses_365d,
        csat_avg_180d: v.csat_avg_180d,
        days_since_last_contact: v.days_since_last_contact,
        days_since_last_interaction: v.days_since_last_interaction,
      },
      {
        complaints_30d: 1,
        complaints_90d: 2,
        support_tickets_90d: 1,
        chats_90d: 1,
        meetings_90d: 0,
        calls_90d: 0,
        web_visits_90d: 0,
        emails_sent_90d: 2,
        email_open_rate_90d: 0.5,
        email_click_rate_90d: 1,
        campaign_responses_365d: 1,
        csat_avg_180d: 3.5,
        days_since_last_contact: 1,
        days_since_last_interaction: 1,
      },
    );
  });
});

describe('export', () => {
  test('Parquet and CSV exports hold the same matrix as the in-memory features', async () => {
    const set = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, withLabels: true });
    const pq = await exportFeatures(tw.warehouse, { cutoff: CUTOFF, withLabels: true, out: `${tw.dir}/export/features.parquet` });
    assert.equal(pq.format, 'parquet');
    const buf = readFileSync(pq.path);
    const rows = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors })) as Record<string, unknown>[];
    assert.equal(rows.length, set.customerIds.length);
    assert.deepEqual(Object.keys(rows[0]), pq.columns);
    rows.forEach((r, i) => {
      assert.equal(r.customer_id, set.customerIds[i]);
      assert.equal(Number(r.churned), set.labels![i]);
      FEATURE_NAMES.forEach((f, j) => {
        const want = set.columns[j][i];
        const got = r[f] === null ? NaN : Number(r[f]);
        assert.ok(Object.is(got, want) || Math.abs(got - want) < 1e-9, `${set.customerIds[i]} ${f}: ${got} vs ${want}`);
      });
    });

    const csv = await exportFeatures(tw.warehouse, { cutoff: CUTOFF, out: `${tw.dir}/export/features.csv` });
    const lines = readFileSync(csv.path, 'utf8').trim().split('\n');
    assert.equal(lines[0], csv.columns.map((c) => `"${c}"`).join(','));
    assert.equal(lines.length, set.customerIds.length + 1);
    assert.ok(lines[1].startsWith(`"${set.customerIds[0]}",`));
  });
});
