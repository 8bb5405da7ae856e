import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClvModelError } from '../../../models/clv/errors.ts';
import {
  fitGammaGamma,
  gammaGammaExpectedValue,
  gammaGammaExpectedValueOne,
  gammaGammaLogLikelihood,
  gammaGammaLogLikelihoodGradient,
  gammaGammaLogLikelihoodOne,
} from '../../../models/clv/gamma-gamma.ts';
import { sampleGamma, seededUniform } from '../../../models/clv/simulate.ts';
import { assertClose, assertRel } from './helpers.ts';

/** Spend data from the model: ν ~ Gamma(q, γ), each of x transactions ~ Gamma(p, ν). */
function simulateSpend(p: number, q: number, gamma: number, n: number, seed: number) {
  const u = seededUniform(seed);
  const frequency = new Int32Array(n);
  const monetaryValue = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = 1 + (i % 6);
    const nu = sampleGamma(u, q, gamma);
    let total = 0;
    for (let j = 0; j < x; j++) total += sampleGamma(u, p, nu);
    frequency[i] = x;
    monetaryValue[i] = total / x;
  }
  return { frequency, monetaryValue };
}

describe('Gamma-Gamma likelihood', () => {
  test('matches the non-log formula at a point with integer Γ values', () => {
    // p = 2, q = 3, γ = 4, x = 2, m̄ = 5: Γ(7)/(Γ(4)Γ(3)) · 4³ · 5³ · 2⁴ / 14⁷
    const direct = (720 / (6 * 2)) * 4 ** 3 * 5 ** 3 * 2 ** 4 / 14 ** 7;
    const params = { p: 2, q: 3, gamma: 4 };
    assertClose(gammaGammaLogLikelihoodOne(params, 2, 5), Math.log(direct), 1e-13);
    assertClose(gammaGammaLogLikelihood(params, { frequency: [2], monetaryValue: [5] }), Math.log(direct), 1e-13);
  });

  test('x = 1 reduces to the density of a Gamma(p) value with a Gamma(q, γ) rate (a Pareto-type density)', () => {
    // ∫ Gamma(m | p, ν) Gamma(ν | q, γ) dν = Γ(p+q)/(Γ(p)Γ(q)) · γ^q m^(p−1) / (γ+m)^(p+q); p = 1, q = 2: 2γ²/(γ+m)³
    assertClose(gammaGammaLogLikelihoodOne({ p: 1, q: 2, gamma: 3 }, 1, 4), Math.log((2 * 9) / 7 ** 3), 1e-14);
  });

  test('skips customers without repeat purchases or with a non-positive mean', () => {
    const params = { p: 2, q: 3, gamma: 4 };
    const with0 = gammaGammaLogLikelihood(params, { frequency: [0, 2, 3, 1], monetaryValue: [0, 5, -1, 0] });
    assertClose(with0, gammaGammaLogLikelihoodOne(params, 2, 5), 1e-14);
  });

  test('analytic gradient matches central differences', () => {
    const data = simulateSpend(4, 3, 20, 400, 9);
    const params = { p: 3.1, q: 2.4, gamma: 12 };
    const g = gammaGammaLogLikelihoodGradient(params, data);
    for (const k of ['p', 'q', 'gamma'] as const) {
      const h = 1e-6 * params[k];
      const up = gammaGammaLogLikelihood({ ...params, [k]: params[k] + h }, data);
      const down = gammaGammaLogLikelihood({ ...params, [k]: params[k] - h }, data);
      assertRel(g[k], (up - down) / (2 * h), 1e-6, `∂LL/∂${k}`);
    }
  });
});

describe('Gamma-Gamma expected value', () => {
  test('by hand: (γ + x m̄) p / (p x + q − 1) = 14·2/6, and p γ / (q − 1) = 4 for x = 0', () => {
    const params = { p: 2, q: 3, gamma: 4 };
    assertClose(gammaGammaExpectedValueOne(params, 2, 5), 28 / 6, 1e-15);
    assertClose(gammaGammaExpectedValueOne(params, 0, 0), 4, 1e-15);
    assert.deepEqual([...gammaGammaExpectedValue(params, { frequency: [2, 0], monetaryValue: [5, 0] })], [28 / 6, 4]);
  });

  test('shrinks the customer mean towards the population mean, less with more purchases', () => {
    const params = { p: 6.25, q: 3.74, gamma: 15.44 };
    const population = gammaGammaExpectedValueOne(params, 0, 0);
    const one = gammaGammaExpectedValueOne(params, 1, 100);
    const ten = gammaGammaExpectedValueOne(params, 10, 100);
    assert.ok(population < one && one < ten && ten < 100);
  });

  test('q ≤ 1: no population mean (NaN), not a silent number', () => {
    assert.ok(Number.isNaN(gammaGammaExpectedValueOne({ p: 2, q: 0.8, gamma: 4 }, 0, 0)));
  });
});

describe('Gamma-Gamma fit', () => {
  test('recovers simulated parameters within 4 standard errors', () => {
    const truth = { p: 4, q: 3, gamma: 20 };
    const fit = fitGammaGamma(simulateSpend(truth.p, truth.q, truth.gamma, 20_000, 21));
    assert.ok(fit.converged);
    for (const k of ['p', 'q', 'gamma'] as const) {
      const se = fit.standardErrors![k];
      assert.ok(se > 0 && Math.abs(fit.params[k] - truth[k]) < 4 * se, `${k}: ${fit.params[k]} vs ${truth[k]} (se ${se})`);
    }
    assert.ok(Math.abs(fit.frequencyMonetaryCorrelation) < 0.05);
  });

  test('BFGS and Nelder–Mead agree', () => {
    const data = simulateSpend(4, 3, 20, 2000, 5);
    const a = fitGammaGamma(data);
    const b = fitGammaGamma(data, { optimizer: 'nelder-mead' });
    for (const k of ['p', 'q', 'gamma'] as const) assertRel(a.params[k], b.params[k], 1e-4, k);
  });

  test('no repeat customers is a coded error', () => {
    assert.throws(
      () => fitGammaGamma({ frequency: [0, 0], monetaryValue: [0, 0] }),
      (e: unknown) => e instanceof ClvModelError && e.code === 'NO_REPEAT_CUSTOMERS',
    );
  });
});
