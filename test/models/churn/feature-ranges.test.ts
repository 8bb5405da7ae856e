/**
 * Scoring reads the features in ranges of customer ids (features.ts: featureRanges, and the range
 * option that cuts each fact table before its alias join instead of reading it whole through the
 * *_resolved view). In a real engine, with aliases that resolve across the ranges' bounds, an alias
 * whose newest version undoes the merge, and lines of one order under both ids: the ranges' rows
 * together are the rows of the one query through the views, value for value, at a past cutoff
 * (scoring's population) and for training (definition population with labels).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import {
  featureRanges,
  loadFeatures,
  type FeatureSet,
  type IdRange,
  type LoadOptions,
} from '../../../models/churn/features.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';
import { loadFixture } from './fixture.ts';

const TODAY = '2025-01-01';
const CUTOFF = '2024-09-01';

let tw: TestWarehouse;
const insert = (table: string, values: Record<string, unknown>[]) =>
  tw.warehouse.client.insert({ table, values, format: 'JSONEachRow' });

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await loadFixture(tw.warehouse, { customers: 300, today: TODAY, seed: 23 });
  await insert('customer_aliases', [
    // Across the bounds, both ways: a high id into a low one and a low one into a high one.
    { from_id: 'C000290', to_id: 'C000005', rule: 'email', version: 1 },
    { from_id: 'C000004', to_id: 'C000280', rule: 'email', version: 1 },
    // Ids that are no customer, resolving into the middle and to the far end.
    { from_id: 'A-legacy-1', to_id: 'C000150', rule: 'phone', version: 1 },
    { from_id: 'ZZ-legacy-2', to_id: 'C000001', rule: 'phone', version: 1 },
    // Re-pointed: the newest version wins (to C000200, not C000100).
    { from_id: 'C000120', to_id: 'C000100', rule: 'email', version: 1 },
    { from_id: 'C000120', to_id: 'C000200', rule: 'email', version: 2 },
    // Undone: the newest version maps to nothing, so the facts stay with their own id.
    { from_id: 'C000130', to_id: 'C000010', rule: 'email', version: 1 },
    { from_id: 'C000130', to_id: '', rule: 'undo', version: 2 },
  ]);
  const line = (customer: string, tx: string, order: string, at: string, amount: string, status = 'completed') => ({
    source: 't',
    transaction_id: tx,
    order_id: order,
    customer_id: customer,
    customer_ref: customer,
    order_date: at,
    status,
    amount,
    version: 1,
  });
  await insert('transactions', [
    line('A-legacy-1', 'T-a1', 'O-a1', '2024-07-03 10:00:00', '120.50'),
    line('A-legacy-1', 'T-a2', 'O-a1', '2024-07-04 09:00:00', '19.99'),
    // The same order id under the alias and the surviving id: one order once resolved.
    line('C000150', 'T-a3', 'O-shared', '2024-05-01 10:00:00', '40.00'),
    line('A-legacy-1', 'T-a4', 'O-shared', '2024-05-02 10:00:00', '2.01', 'refunded'),
    line('ZZ-legacy-2', 'T-z1', 'O-z1', '2024-08-20 10:00:00', '999999999.99'),
    line('ZZ-legacy-2', 'T-z2', 'O-z2', '2024-09-10 10:00:00', '50.00'),
    line('C000290', 'T-x1', 'O-x1', '2024-08-30 23:59:59', '-15.00', 'refunded'),
  ]);
  await insert('interactions', [
    {
      source: 't',
      interaction_id: 'I-a1',
      customer_id: 'A-legacy-1',
      customer_ref: 'A-legacy-1',
      occurred_at: '2024-08-15 10:00:00',
      type: 'complaint',
      csat: 2,
      version: 1,
    },
    {
      source: 't',
      interaction_id: 'I-z1',
      customer_id: 'ZZ-legacy-2',
      customer_ref: 'ZZ-legacy-2',
      occurred_at: '2024-08-25 10:00:00',
      type: 'call',
      version: 1,
    },
  ]);
  await insert('opportunities', [
    {
      source: 't',
      opportunity_id: 'P-a1',
      customer_id: 'A-legacy-1',
      status: 'open',
      stage: 'proposal',
      amount: '500',
      created_at: '2024-06-01',
      closed_at: null,
      version: 1,
    },
  ]);
  await insert('campaign_members', [
    {
      campaign_id: 'K1',
      customer_id: 'C000004',
      added_at: '2024-06-01 10:00:00',
      status: 'sent',
      responded_at: '2024-06-02 10:00:00',
      version: 1,
    },
  ]);
});

after(async () => {
  await tw?.close();
});

/** The ranges' rows together, in customer order. */
async function byRanges(ranges: IdRange[], opts: LoadOptions): Promise<FeatureSet> {
  const parts = await Promise.all(ranges.map((range) => loadFeatures(tw.warehouse, { ...opts, range })));
  const rows = parts.flatMap((p) => p.customerIds.map((id, i) => ({ id, p, i })));
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: FeatureSet = {
    cutoff: opts.cutoff,
    features: parts[0].features,
    customerIds: rows.map((r) => r.id),
    columns: parts[0].columns.map((_, j) => Float64Array.from(rows, (r) => r.p.columns[j][r.i])),
  };
  if (opts.withLabels) out.labels = Uint8Array.from(rows, (r) => r.p.labels![r.i]);
  return out;
}

function assertSame(want: FeatureSet, got: FeatureSet, what: string): void {
  assert.deepEqual(got.customerIds, want.customerIds, `${what}: the same customers, each once`);
  for (let j = 0; j < want.features.length; j++) {
    for (let i = 0; i < want.customerIds.length; i++) {
      const x = want.columns[j][i];
      const y = got.columns[j][i];
      assert.ok(
        Object.is(x, y),
        `${what}: ${want.customerIds[i]} ${want.features[j]}: ${x} through the views, ${y} by ranges`,
      );
    }
  }
  if (want.labels) assert.deepEqual([...got.labels!], [...want.labels], `${what}: labels`);
}

// Bounds right at the aliases' ids (a bound is the first id of its range), and the ranges scoring asks for.
const HAND: IdRange[] = [
  { below: 'C000004' },
  { from: 'C000004', below: 'C000150' },
  { from: 'C000150', below: 'C000290' },
  { from: 'C000290' },
];

test('featureRanges cover every id once, in order, about evenly', async () => {
  const ranges = await featureRanges(tw.warehouse, 3);
  assert.equal(ranges.length, 3);
  assert.equal(ranges[0].from, undefined);
  assert.equal(ranges.at(-1)!.below, undefined);
  for (let k = 1; k < ranges.length; k++) {
    assert.equal(ranges[k].from, ranges[k - 1].below, 'each range starts where the last ended');
    assert.ok(ranges[k].from! > (ranges[k - 1].from ?? ''), 'bounds strictly increase');
  }
  // 300 customers C000000…C000299, all sampled at this size: bounds at the 100th and 200th.
  assert.deepEqual(
    ranges.map((r) => r.below),
    ['C000100', 'C000200', undefined],
  );
  assert.deepEqual(await featureRanges(tw.warehouse, 1), [{}]);
  await assert.rejects(featureRanges(tw.warehouse, 0), /count must be an integer >= 1/);
});

test('scoring population: the ranges give the rows of one query through the views, at a past cutoff', async () => {
  const plain = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, population: 'buyers' });
  // Not vacuous: the aliases' facts moved features of their targets.
  const at = (id: string, f: string) => plain.columns[plain.features.indexOf(f)][plain.customerIds.indexOf(id)];
  assert.ok(plain.customerIds.includes('C000150') && !plain.customerIds.includes('A-legacy-1'));
  assert.equal(at('C000150', 'complaints_90d'), 1);
  assert.equal(at('C000001', 'revenue_90d') >= 999999999.99, true);
  for (const [name, ranges] of [
    ['featureRanges(3)', await featureRanges(tw.warehouse, 3)],
    ['bounds at the aliases', HAND],
  ] as const) {
    assertSame(plain, await byRanges(ranges, { cutoff: CUTOFF, population: 'buyers' }), name);
    // Scoring's own options: unordered, with the profiling filter.
    assertSame(
      await loadFeatures(tw.warehouse, { cutoff: CUTOFF, population: 'buyers', profilingConsent: 'granted' }),
      await byRanges(ranges, { cutoff: CUTOFF, population: 'buyers', profilingConsent: 'granted', ordered: false }),
      `${name}, unordered, consent`,
    );
  }
});

test('training population with labels: the ranges give the same rows and labels', async () => {
  const plain = await loadFeatures(tw.warehouse, { cutoff: CUTOFF, withLabels: true });
  assert.ok(plain.customerIds.length > 50);
  assertSame(plain, await byRanges(HAND, { cutoff: CUTOFF, withLabels: true }), 'labels');
});

test('a range bound that is not a string is refused', async () => {
  await assert.rejects(
    loadFeatures(tw.warehouse, { cutoff: CUTOFF, range: { from: 5 as unknown as string } }),
    /range\.from must be a string/,
  );
});
