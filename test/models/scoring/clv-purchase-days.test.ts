/**
 * The CLV figures count purchase days (numbers a user could misread, tenth pass, 2026-12-07): the
 * BG/NBD's event is a day with at least one completed order, several orders on one day are one
 * event, and Gamma-Gamma's value is what such a day brings in, the day's orders together. The
 * customer page read "2.0 orders expected in 90 days" and the semantic layer "expected value of a
 * future order"; this checks, on the CDNOW sample plus two customers with the same purchase days —
 * one order a day against three — that the stored figures are per purchase day:
 * - both twins get the same expected_purchases_90d (orders would give the second three times it);
 * - the second's expected_order_value is Gamma-Gamma's posterior mean with the day's three orders
 *   summed, p(γ + x·m̄) / (p·x + q − 1), computed here from the fit's p, q, γ (per order it is a
 *   third of the amount).
 * Skips without ../shared/data/cdnow.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { loadCdnowIntoWarehouse } from '../../../models/bench/cdnow-load.ts';
import { cdnowAvailable, CDNOW_FILE } from '../../../models/clv/cdnow.ts';
import { scoreLifetimeValue, type ClvScoringResult } from '../../../models/scoring/score-clv.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

/** The semantic layer's description of a member of the predicted_value cube. */
function describedAs(member: string): string {
  const yml = readFileSync(new URL('../../../semantic/model/cubes/value/predicted_value.yml', import.meta.url), 'utf8');
  const at = yml.indexOf(`- name: ${member}\n`);
  assert.ok(at >= 0, `predicted_value.yml has ${member}`);
  const m = /\n\s+description: (.*)\n/.exec(yml.slice(at));
  return m![1];
}

// Without the sample too: the API's words for the two figures say what they count.
test('the semantic layer describes both figures per purchase day, not per order', () => {
  assert.match(describedAs('expected_purchases_90d'), /^"Expected purchase days in the next 90 days .*several orders on one day counted once/);
  assert.match(describedAs('expected_order_value'), /^"Expected value of a future purchase day .*that day's orders summed/);
});

const skip = cdnowAvailable() ? false : `CDNOW sample not found at ${CDNOW_FILE}`;
const TODAY = '1998-07-01';
const DAYS = ['1997-02-10', '1997-05-03', '1997-09-21', '1998-01-15', '1998-05-30'];
/** Each purchase day's order amounts: the same days, one order of 45 against three of 45. */
const TWINS: Record<string, number[]> = { 'twin-one': [45], 'twin-three': [45, 45, 45] };
let tw: TestWarehouse;
let result: ClvScoringResult;
let stored: Map<string, { expected_purchases_90d: number; expected_order_value: number }>;

before(async () => {
  if (skip) return;
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
  await loadCdnowIntoWarehouse(tw.warehouse);
  const rows = Object.entries(TWINS).flatMap(([customer, amounts]) =>
    DAYS.flatMap((day, d) =>
      amounts.map((amount, k) => ({
        source: 'cdnow',
        transaction_id: `${customer}-${d}-${k}`,
        // A separate order each: the day's orders are not one order.
        order_id: `${customer}-${d}-${k}`,
        customer_id: customer,
        customer_ref: customer,
        order_date: `${day} ${String(9 + k).padStart(2, '0')}:00:00`,
        status: 'completed',
        amount: amount.toFixed(2),
        original_amount: amount.toFixed(2),
        original_currency: 'USD',
        quantity: 1,
        product_id: '',
        product_name: '',
        category: 'music',
        channel: 'online',
        batch_id: 'twins',
        row_hash: 0,
        version: 1,
      })),
    ),
  );
  await tw.warehouse.client.insert({ table: 'transactions', values: rows, format: 'JSONEachRow' });
  result = await scoreLifetimeValue(tw.warehouse, { runId: 'twins-run', today: TODAY, dataDir: tw.dir });
  const got = await (
    await tw.warehouse.client.query({
      query: "SELECT customer_id, expected_purchases_90d, expected_order_value FROM clv_scores_runs WHERE run_id = 'twins-run' AND customer_id LIKE 'twin-%'",
      format: 'JSONEachRow',
    })
  ).json<{ customer_id: string; expected_purchases_90d: number; expected_order_value: number }>();
  stored = new Map(got.map((r) => [r.customer_id, r]));
});

after(async () => {
  await tw?.close();
});

describe('CLV figures per purchase day', { skip }, () => {
  test('three orders a day forecast as many purchase days as one order a day', () => {
    const one = stored.get('twin-one')!;
    const three = stored.get('twin-three')!;
    assert.ok(one.expected_purchases_90d > 0.1, `twin-one expects ${one.expected_purchases_90d}`);
    assert.ok(Math.abs(three.expected_purchases_90d - one.expected_purchases_90d) < 1e-9, `${three.expected_purchases_90d} vs ${one.expected_purchases_90d}`);
  });

  test("the expected order value is Gamma-Gamma's value of a purchase day, the day's orders summed", () => {
    const { p, q, gamma } = result.params;
    // Repeat purchase days (the first day is not a repeat) and what each brought in.
    const x = DAYS.length - 1;
    const perDay = (amounts: number[]): number => p * (gamma + x * amounts.reduce((a, b) => a + b, 0)) / (p * x + q - 1);
    for (const [customer, amounts] of Object.entries(TWINS)) {
      const got = stored.get(customer)!.expected_order_value;
      assert.ok(Math.abs(got - perDay(amounts)) < 1e-6 * perDay(amounts), `${customer}: ${got} vs ${perDay(amounts)}`);
    }
    // Per order the twins would be worth the same; per purchase day the second brings in three times as much.
    assert.ok(stored.get('twin-three')!.expected_order_value > 2 * stored.get('twin-one')!.expected_order_value);
  });
});
