import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bgNbdExpectedPurchasesOne, bgNbdProbabilityAliveOne } from '../../../models/clv/bg-nbd.ts';
import { discountedExpectedPurchasesOne } from '../../../models/clv/clv.ts';
import { ClvModelError } from '../../../models/clv/errors.ts';
import { gammaGammaExpectedValueOne } from '../../../models/clv/gamma-gamma.ts';
import { fitClv, predictionRows, scoreClv } from '../../../models/clv/index.ts';
import { simulateTransactions } from '../../../models/clv/simulate.ts';
import { assertRel } from './helpers.ts';

const BG = { r: 0.6, alpha: 8, a: 0.8, b: 2.5 };
const GG = { p: 5, q: 4, gamma: 20 };
const transactions = simulateTransactions(BG, GG, { customers: 4000, seed: 3, start: '2023-01-01', acquisitionDays: 180, days: 730 });

describe('fitClv', () => {
  const fit = fitClv(transactions, '2023-12-31', { holdoutEnd: '2024-12-31', annualDiscountRate: 0.1 });
  const c = fit.customers;

  test('fits both models, converged, without warnings on data from the model', () => {
    assert.equal(fit.cutoff, '2023-12-31');
    assert.ok(fit.bgNbd.converged && fit.gammaGamma.converged);
    assert.deepEqual(fit.warnings, []);
    assert.equal(c.customerIds.length, 4000);
    assert.deepEqual(fit.settings, { months: 12, annualDiscountRate: 0.1, profitMargin: 1, weeksPerMonth: 365.25 / 84, horizonDays: 90 });
  });

  test('each prediction column is what the per-customer functions give', () => {
    const bg = fit.bgNbd.params;
    const gg = fit.gammaGamma.params;
    for (const i of [0, 1, 17, 400, 3999]) {
      const [x, tx, T, m] = [c.frequency[i], c.recency[i], c.T[i], c.monetaryValue[i]];
      assert.equal(c.probabilityAlive[i], bgNbdProbabilityAliveOne(bg, x, tx, T));
      assertRel(c.expectedPurchases[i], bgNbdExpectedPurchasesOne(bg, x, tx, T, 90 / 7), 1e-14);
      assert.equal(c.expectedOrderValue[i], gammaGammaExpectedValueOne(gg, x, m));
      assertRel(c.clv[i], discountedExpectedPurchasesOne(bg, x, tx, T, { annualDiscountRate: 0.1 }) * c.expectedOrderValue[i], 1e-14);
    }
  });

  test('predictions are finite and in range', () => {
    for (let i = 0; i < c.customerIds.length; i++) {
      assert.ok(c.probabilityAlive[i] >= 0 && c.probabilityAlive[i] <= 1);
      assert.ok(c.expectedPurchases[i] >= 0 && c.clv[i] >= 0 && c.expectedOrderValue[i] > 0);
    }
  });

  test('holdout: predicted repeat purchases within 10 % of the actual count', () => {
    const h = fit.holdout!;
    assert.equal(h.days, 366);
    assert.ok(Math.abs(h.predictedPurchases - h.actualPurchases) < 0.1 * h.actualPurchases, JSON.stringify(h));
  });

  test('scoreClv with the fitted parameters reproduces the predictions', () => {
    const again = scoreClv({ bgNbd: fit.bgNbd.params, gammaGamma: fit.gammaGamma.params }, c, { annualDiscountRate: 0.1 });
    assert.deepEqual(again, c);
  });

  test('is deterministic', () => {
    const other = fitClv(transactions, '2023-12-31', { holdoutEnd: '2024-12-31', annualDiscountRate: 0.1 });
    assert.deepEqual(other.bgNbd.params, fit.bgNbd.params);
    assert.deepEqual(other.customers.clv, c.clv);
  });

  test('predictionRows yields one row per customer', () => {
    const rows = [...predictionRows(c)];
    assert.equal(rows.length, 4000);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['T', 'clv', 'customerId', 'expectedOrderValue', 'expectedPurchases', 'frequency', 'monetaryValue', 'probabilityAlive', 'recency']);
    assert.equal(rows[5].clv, c.clv[5]);
  });
});

test('no customer before the cutoff is a coded error', () => {
  assert.throws(
    () => fitClv([{ customerId: 'a', date: '2024-05-01', amount: 3 }], '2024-01-01'),
    (e: unknown) => e instanceof ClvModelError && e.code === 'NO_CUSTOMERS',
  );
});
