/**
 * RFM segment names never contradict the customer's own recency: a buyer without a paid order in the
 * 180 days before the as-of date is never Champions, Loyal, Potential Loyalists, New, Promising,
 * Need Attention or About to Sleep, and a buyer within them is never Lost, Hibernating, At Risk or
 * Can't Lose. Before, R was a quintile of all buyers: on a mostly lapsed base a customer last seen
 * long ago reached R = 3 ("Loyal" with F ≥ 4). Real embedded engine, real ingest jobs; the expected
 * scores are worked out by hand below from the fixture's dates and order counts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import { ingestRecords } from '../../ingest/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { RFM_ACTIVE_DAYS } from '../../semantic/derived/sql.ts';
import { RFM_SEGMENT_HINT } from '../../web/src/lib/segments/rules.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

const AS_OF = '2024-12-31';
let tw: TestWarehouse;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
});
after(() => tw?.close());

/** Buyer → [day of the last paid order, paid orders]. Days since the last order before 2024-12-31 beside each. */
const BUYERS: Record<string, [string, number]> = {
  A1: ['2024-12-30', 7], // 1 day
  A2: ['2024-12-01', 1], // 30
  A3: ['2024-11-01', 5], // 60
  A4: ['2024-10-01', 2], // 91
  A5: ['2024-08-01', 6], // 152
  A6: ['2024-07-04', 3], // 180: the last active day
  L1: ['2024-07-03', 7], // 181: the first lapsed day; the old quintile gave it R = 3, F = 5: "Loyal"
  L2: ['2024-05-01', 1], // 244
  L3: ['2024-03-01', 4], // 305
  L4: ['2024-01-15', 2], // 351
  L5: ['2023-10-01', 5], // 457
  L6: ['2023-06-01', 1], // 579
};

/**
 * R: active buyers (6) 3 + floor(3 · before / 6), before = active buyers seen longer ago:
 * A6 0 → 3, A5 1 → 3, A4 2 → 4, A3 3 → 4, A2 4 → 5, A1 5 → 5; lapsed (6) 1 + floor(2 · before / 6):
 * L6 0 → 1, L5 1 → 1, L4 2 → 1, L3 3 → 2, L2 4 → 2, L1 5 → 2.
 * F among the 12 buyers, 1 + floor(5 · fewer / 12): 1 order (3 buyers) 0 → 1; 2 (2) 3 → 2; 3 (1) 5 → 3;
 * 4 (1) 6 → 3; 5 (2) 7 → 3; 6 (1) 9 → 4; 7 (2) 10 → 5.
 * Segment from the (R, F) table in semantic/README.md.
 */
const EXPECTED: Record<string, string> = {
  A1: '55 Champions',
  A2: '51 New',
  A3: '43 Potential Loyalists',
  A4: '42 Potential Loyalists',
  A5: '34 Loyal',
  A6: '33 Need Attention',
  L1: "25 Can't Lose",
  L2: '21 Hibernating',
  L3: '23 At Risk',
  L4: '12 Hibernating',
  L5: '13 At Risk',
  L6: '11 Lost',
  N1: '00 No Purchases',
};

const ACTIVE_SEGMENTS = ['Champions', 'Loyal', 'Potential Loyalists', 'New', 'Promising', 'Need Attention', 'About to Sleep'];
const LAPSED_SEGMENTS = ['Lost', 'Hibernating', 'At Risk', "Can't Lose"];

const minusDays = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

async function load(entity: 'customers' | 'transactions', records: Record<string, string>[]): Promise<void> {
  const s = await ingestRecords(tw.warehouse, entity, records, { batchLabel: `test:rfm-recency-${entity}` });
  assert.equal(s.status, 'completed', s.error);
  assert.equal(s.rejected, 0, JSON.stringify(s.rejects));
}

test('R is scored within the lapsed and the active buyers; every segment agrees with the recency', async () => {
  const ids = [...Object.keys(BUYERS), 'N1'];
  await load(
    'customers',
    ids.map((id) => ({
      source: 'shop', source_id: id, customer_type: 'person', name: `Customer ${id}`, email: `${id.toLowerCase()}@example.com`,
      phone: '', region: 'north', country: 'DE', city: 'Berlin', acquisition_channel: 'web', owner_id: 'OWN-1',
      signup_date: '2023-01-01', updated_at: '2024-06-01 00:00:00',
    })),
  );
  // Orders a week apart, the newest on the buyer's last day; 23:30 so the day is the stored day, not the next.
  await load(
    'transactions',
    Object.entries(BUYERS).flatMap(([id, [last, orders]]) =>
      Array.from({ length: orders }, (_, k) => ({
        source: 'shop', transaction_id: `T-${id}-${k}`, order_id: `O-${id}-${k}`, customer_ref: id,
        order_date: `${minusDays(last, 7 * k)} 23:30:00`, status: 'completed', amount: '10.00', currency: 'EUR',
        quantity: '1', product_id: 'P1', product_name: 'Thing', category: 'misc', channel: 'web', updated_at: '2024-06-01 00:00:00',
      })),
    ),
  );
  await refreshDerived(tw.warehouse.client, tw.config.database, { mode: 'full', configuredAsOf: AS_OF });

  const rows = (await (
    await tw.warehouse.client.query({
      query: `SELECT customer_id AS id, recency_days AS days, r_score AS r, f_score AS f, rfm_segment AS segment FROM customer_value_current`,
      format: 'JSONEachRow',
    })
  ).json()) as { id: string; days: number | null; r: number; f: number; segment: string }[];
  const sourceId = new Map(ids.map((id) => [customerIdFor('shop', id), id]));
  for (const r of rows) r.id = sourceId.get(r.id) ?? r.id;
  rows.sort((a, b) => a.id.localeCompare(b.id));

  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.id, `${r.r}${r.f} ${r.segment}`])), EXPECTED);
  for (const r of rows.filter((x) => x.days !== null)) {
    const lapsed = Number(r.days) > RFM_ACTIVE_DAYS;
    assert.ok((lapsed ? LAPSED_SEGMENTS : ACTIVE_SEGMENTS).includes(r.segment), `${r.id}: ${r.days} days, ${r.segment}`);
  }
});

test("the segment builder's hint names the same lapse window and the same segments", () => {
  assert.match(RFM_SEGMENT_HINT, new RegExp(`\\b${RFM_ACTIVE_DAYS} days\\b`));
  const [active, lapsed] = RFM_SEGMENT_HINT.split(';');
  for (const s of ACTIVE_SEGMENTS) assert.ok(active!.includes(s), `${s} named as active`);
  for (const s of LAPSED_SEGMENTS) assert.ok(lapsed!.includes(s), `${s} named as lapsed`);
  // The cockpit's dormancy rate counts the same buyers as RFM's dormant segments.
  const cube = readFileSync(new URL('../../semantic/model/cubes/value/customer_value.yml', import.meta.url), 'utf8');
  assert.ok(cube.includes(`{CUBE}.orders > 0 AND {CUBE}.recency_days > ${RFM_ACTIVE_DAYS}`), 'dormant_customers uses the same window');
});
