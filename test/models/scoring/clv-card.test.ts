/**
 * The CLV model card end to end on a real engine: CLV scoring on the CDNOW sample stores its card
 * (model_cards, model 'clv'), and what the Models page reads (web/src/lib/models/card.server.ts)
 * equals the card computed from the raw file, while the holdout totals agree with the warehouse's
 * own count of what customers bought. Skipped without the sample.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { loadCdnowIntoWarehouse } from '../../../models/bench/cdnow-load.ts';
import { CDNOW_FILE, cdnowAvailable, loadCdnow } from '../../../models/clv/cdnow.ts';
import { validateClv } from '../../../models/clv/validate.ts';
import { latestClvCard as latestStoredClvCard } from '../../../models/scoring/clv-card.ts';
import { scoreLifetimeValue } from '../../../models/scoring/score-clv.ts';
import { latestClvCard } from '../../../web/src/lib/models/card.server.ts';
import { setWebContext, type WebContext } from '../../../web/src/lib/server/context.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const skip = cdnowAvailable() ? false : `CDNOW sample not found at ${CDNOW_FILE}`;
const TODAY = '1998-07-01';

describe('CLV model card on CDNOW', { skip }, () => {
  let tw: TestWarehouse;
  let version: string;
  before(async () => {
    tw = await startTestWarehouse();
    await applyMigrations(tw.warehouse.client, { database: tw.warehouse.database });
    await loadCdnowIntoWarehouse(tw.warehouse);
    // Returns on CDNOW (it has none): credit lines worth $2,500 before the as-of day, one after it.
    await tw.warehouse.client.insert({
      table: 'transactions',
      values: [
        ['c1', 'cdnow-00004', '1997-03-01', 1000],
        ['c2', 'cdnow-00021', '1998-01-15', 1500],
        ['c3', 'cdnow-00004', '1998-07-02', 9999],
      ].map(([id, customer, day, amount]) => ({
        source: 'cdnow', transaction_id: `credit-${id}`, order_id: `credit-${id}`, customer_id: customer,
        customer_ref: String(customer).slice(6), order_date: `${day} 00:00:00`, status: 'credit', amount: Number(amount).toFixed(2),
        original_amount: Number(amount).toFixed(2), original_currency: 'USD', quantity: 1, batch_id: 'credits', row_hash: 0, version: 1,
      })),
      format: 'JSONEachRow',
    });
    const res = await scoreLifetimeValue(tw.warehouse, { runId: 'run-clv-card-test', today: TODAY, dataDir: tw.dir });
    version = res.modelVersion;
    setWebContext({ warehouse: { client: tw.warehouse.client, database: tw.warehouse.database } } as WebContext);
  });
  after(async () => {
    await tw?.close();
  });

  test('the page reads the card scoring stored, and it equals the card computed from the file', async () => {
    const page = await latestClvCard();
    assert.ok(page, 'a CLV card');
    assert.equal(page.modelVersion, version);
    const fromFile = validateClv(
      loadCdnow().map((t) => ({ customerId: `cdnow-${t.customerId}`, date: t.date, amount: t.amount })),
      TODAY,
    );
    assert.equal(page.headline, fromFile.headline);
    // Cents: the warehouse sums a day's lines before the model does, so the last bits differ.
    const folds = (card: typeof fromFile) =>
      card.checks.map((c) => c.folds.map((f) => [f.cutoff, f.actualTotal.toFixed(2), f.scores.model.total.toFixed(2)]));
    assert.deepEqual(folds(page as unknown as typeof fromFile), folds(fromFile));
    assert.equal((await latestStoredClvCard(tw.warehouse))?.modelVersion, version);
  });

  test('credits are named on the card with their share of completed purchase value, from the file', async () => {
    const page = (await latestClvCard())!;
    const completed = loadCdnow().reduce((a, t) => a + t.amount, 0);
    const share = ((100 * 2500) / completed).toFixed(1);
    assert.ok(
      page.warnings.some((w) => w.startsWith(`credit lines (returns, refunded parts) were ${share}% of completed purchase value before ${TODAY}`)),
      page.warnings.join(' | '),
    );
  });

  test('each fold’s actual total is the warehouse’s own count of purchase days and dollars in its holdout', async () => {
    const page = (await latestClvCard())!;
    for (const check of page.checks)
      for (const f of check.folds) {
        const rs = await tw.warehouse.client.query({
          query: `SELECT uniqExact(customer_id, toDate(order_date)) AS days, sum(toFloat64(amount)) AS dollars
            FROM transactions_resolved WHERE status = 'completed'
              AND toDate(order_date) > {c:Date} AND toDate(order_date) <= {e:Date}
              AND customer_id IN (SELECT customer_id FROM transactions_resolved WHERE toDate(order_date) <= {c:Date})`,
          query_params: { c: f.cutoff, e: f.holdoutEnd },
          format: 'JSONEachRow',
        });
        const [row] = await rs.json<{ days: string; dollars: number }>();
        const want = check.measure === 'spend' ? Number(row.dollars) : Number(row.days);
        assert.ok(Math.abs(f.actualTotal - want) < 1e-6, `${check.key} ${f.cutoff}: ${f.actualTotal} vs ${want}`);
      }
  });
});
