/**
 * The published CDNOW fits (Fader, Hardie & Lee 2005; Fader & Hardie 2013). The data lives outside
 * the repository; without it these tests are skipped with a message saying where it is expected.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bgNbdExpectedPurchasesOne, bgNbdLogLikelihood, fitBgNbd } from '../../../models/clv/bg-nbd.ts';
import { CDNOW_CALIBRATION_END, CDNOW_FILE, CDNOW_HOLDOUT_END, cdnowAvailable, loadCdnow, parseCdnow } from '../../../models/clv/cdnow.ts';
import { fitClv } from '../../../models/clv/fit-clv.ts';
import { fitGammaGamma } from '../../../models/clv/gamma-gamma.ts';
import { buildRfmSummary } from '../../../models/clv/rfm-summary.ts';
import { assertClose } from './helpers.ts';

const skip = cdnowAvailable()
  ? false
  : `CDNOW sample not found: expected at ${CDNOW_FILE} (../shared/data/cdnow/CDNOW_sample.txt from the repository root, or set CRM_CDNOW_FILE)`;
if (skip) console.log(`# ${skip}`);

test('parseCdnow reads whitespace- and tab-separated lines with CRLF ends', () => {
  const rows = parseCdnow(' 00004 0001 19970101  2\t  29.33\r\n 00021 0002 19970102  3   63.34\r\n');
  assert.deepEqual(rows, [
    { customerId: '00004', date: '1997-01-01', quantity: 2, amount: 29.33 },
    { customerId: '00021', date: '1997-01-02', quantity: 3, amount: 63.34 },
  ]);
  assert.throws(() => parseCdnow('00004 0001 1997-01-01 2 29.33'));
});

describe('CDNOW sample, calibration to 1997-09-30', { skip }, () => {
  const transactions = skip ? [] : loadCdnow();
  const summary = skip ? undefined : buildRfmSummary(transactions, CDNOW_CALIBRATION_END);

  test('file: 6,919 lines, 2,357 customers, 946 with repeat purchases', () => {
    assert.equal(transactions.length, 6919);
    assert.equal(summary!.customerIds.length, 2357);
    assert.equal(summary!.frequency.filter((x) => x > 0).length, 946);
  });

  test("customer 00004 is the papers' worked example: x = 2, t_x = 30.43, T = 38.86", () => {
    const s = summary!;
    const i = s.customerIds.indexOf('00004');
    assert.equal(s.frequency[i], 2);
    assert.equal(s.recency[i].toFixed(2), '30.43');
    assert.equal(s.T[i].toFixed(2), '38.86');
    assertClose(s.monetaryValue[i], (29.73 + 14.96) / 2, 1e-12);
  });

  test('BG/NBD: r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4', () => {
    const fit = fitBgNbd(summary!);
    assert.ok(fit.converged);
    assert.equal(fit.params.r.toFixed(3), '0.243');
    assert.equal(fit.params.alpha.toFixed(3), '4.414');
    assert.equal(fit.params.a.toFixed(3), '0.793');
    assert.equal(fit.params.b.toFixed(3), '2.426');
    assert.equal(fit.logLikelihood.toFixed(1), '-9582.4');
    // The Nelder–Mead cross-check lands on the same optimum.
    const nm = fitBgNbd(summary!, { optimizer: 'nelder-mead' });
    for (const k of ['r', 'alpha', 'a', 'b'] as const) assert.equal(nm.params[k].toFixed(4), fit.params[k].toFixed(4), k);
  });

  test('BG/NBD log-likelihood at the published parameters is −9582.4', () => {
    const ll = bgNbdLogLikelihood({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, summary!);
    assertClose(ll, -9582.4, 0.1);
  });

  test('Gamma-Gamma on 946 repeat customers: p = 6.25, q = 3.744, γ = 15.44', () => {
    const fit = fitGammaGamma(summary!);
    assert.ok(fit.converged);
    assert.equal(fit.customers, 946);
    assert.equal(fit.params.p.toFixed(2), '6.25');
    assert.equal(fit.params.q.toFixed(3), '3.744');
    assert.equal(fit.params.gamma.toFixed(2), '15.44');
    assert.equal(fit.logLikelihood.toFixed(2), '-4055.92');
  });

  test('conditional expectation with the published parameters: 1.226', () => {
    const e = bgNbdExpectedPurchasesOne({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 2, 30.43, 38.86, 39);
    assert.equal(e.toFixed(3), '1.226');
  });

  test('fitClv end to end, with the 39-week holdout', () => {
    const fit = fitClv(transactions, CDNOW_CALIBRATION_END, { holdoutEnd: CDNOW_HOLDOUT_END });
    assert.equal(fit.bgNbd.params.r.toFixed(3), '0.243');
    assert.equal(fit.gammaGamma.params.q.toFixed(3), '3.744');
    assert.deepEqual(fit.warnings, []);
    const c = fit.customers;
    assert.equal(c.customerIds.length, 2357);
    for (let i = 0; i < c.clv.length; i++) assert.ok(Number.isFinite(c.clv[i]) && c.clv[i] >= 0);
    // 39-week holdout (weeks 40–78), repeat purchase days: a regression guard on our own numbers.
    assert.equal(fit.holdout!.actualPurchases, 1882);
    assertClose(fit.holdout!.predictedPurchases, 1653.4, 0.5);
  });
});
