import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bgNbdExpectedPurchases,
  bgNbdExpectedPurchasesNewCustomer,
  bgNbdExpectedPurchasesOne,
  bgNbdLogLikelihood,
  bgNbdLogLikelihoodGradient,
  bgNbdLogLikelihoodOne,
  bgNbdProbabilityAlive,
  bgNbdProbabilityAliveOne,
  expectationByQuadrature,
  fitBgNbd,
} from '../../../models/clv/bg-nbd.ts';
import { ClvModelError } from '../../../models/clv/errors.ts';
import { simulateBgNbdRfm } from '../../../models/clv/simulate.ts';
import { hyp2f1 } from '../../../models/clv/special.ts';
import type { BgNbdParams } from '../../../models/clv/types.ts';
import { assertClose, assertRel } from './helpers.ts';

const PUBLISHED: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('BG/NBD likelihood', () => {
  test('matches the non-log formula at a point with integer Γ and B values', () => {
    // r = α = … : B(1, 3) = 1/3, B(2, 2) = 1/6, B(1, 1) = 1, Γ(3)/Γ(1) = 2, α^r = 2.
    const p = { r: 1, alpha: 2, a: 1, b: 1 };
    const direct = (1 / 3) * ((2 * 2) / 7 ** 3) + (1 / 6) * ((2 * 2) / 5 ** 3);
    assertClose(bgNbdLogLikelihoodOne(p, 2, 3, 5), Math.log(direct), 1e-14);
    assertClose(bgNbdLogLikelihood(p, { frequency: [2], recency: [3], T: [5] }), Math.log(direct), 1e-14);
  });

  test('matches the non-log formula at a point with half-integer Γ values', () => {
    // r = 0.5, α = 3, a = 1.5, b = 2.5, x = 3, t_x = 4, T = 10.
    // Γ(3.5)/Γ(0.5) = 15/8; B(1.5, 2.5) = π/16; B(1.5, 5.5) = 945π/46080; B(2.5, 4.5) = 315π/46080.
    const p = { r: 0.5, alpha: 3, a: 1.5, b: 2.5 };
    const gammaRatio = 15 / 8;
    const bAB = Math.PI / 16;
    const term1 = ((945 * Math.PI) / 46080 / bAB) * gammaRatio * Math.sqrt(3) / 13 ** 3.5;
    const term2 = ((315 * Math.PI) / 46080 / bAB) * gammaRatio * Math.sqrt(3) / 7 ** 3.5;
    assertClose(bgNbdLogLikelihoodOne(p, 3, 4, 10), Math.log(term1 + term2), 1e-13);
    assertClose(bgNbdLogLikelihood(p, { frequency: [3], recency: [4], T: [10] }), Math.log(term1 + term2), 1e-13);
  });

  test('x = 0: the likelihood is (α/(α+T))^r, whatever a and b', () => {
    const ll = bgNbdLogLikelihood({ r: 0.5, alpha: 2, a: 0.3, b: 7 }, { frequency: [0], recency: [0], T: [6] });
    assertClose(ll, Math.log(0.5), 1e-15);
  });

  test('fast path (per-x recurrences) equals the lgamma formula over many customers', () => {
    const sim = simulateBgNbdRfm(PUBLISHED, Array.from({ length: 500 }, (_, i) => 5 + (i % 70)), 3);
    let direct = 0;
    for (let i = 0; i < 500; i++) direct += bgNbdLogLikelihoodOne(PUBLISHED, sim.frequency[i], sim.recency[i], sim.T[i]);
    assertRel(bgNbdLogLikelihood(PUBLISHED, sim), direct, 1e-12);
  });

  test('weights count repeated customers', () => {
    const p = { r: 0.7, alpha: 3, a: 0.9, b: 2 };
    const once = bgNbdLogLikelihood(p, { frequency: [1, 4], recency: [2, 9], T: [5, 12], weight: [3, 2] });
    const expanded = bgNbdLogLikelihood(p, { frequency: [1, 1, 1, 4, 4], recency: [2, 2, 2, 9, 9], T: [5, 5, 5, 12, 12] });
    assertRel(once, expanded, 1e-14);
  });

  test('analytic gradient matches central differences', () => {
    const sim = simulateBgNbdRfm(PUBLISHED, Array.from({ length: 300 }, (_, i) => 10 + (i % 40)), 5);
    const p = { r: 0.4, alpha: 3.1, a: 1.3, b: 1.9 };
    const g = bgNbdLogLikelihoodGradient(p, sim);
    for (const k of ['r', 'alpha', 'a', 'b'] as const) {
      const h = 1e-6 * p[k];
      const up = bgNbdLogLikelihood({ ...p, [k]: p[k] + h }, sim);
      const down = bgNbdLogLikelihood({ ...p, [k]: p[k] - h }, sim);
      assertRel(g[k], (up - down) / (2 * h), 1e-6, `∂LL/∂${k}`);
    }
  });

  test('rejects invalid columns with a coded error', () => {
    const bad = [
      { frequency: [1.5], recency: [1], T: [2] },
      { frequency: [1], recency: [3], T: [2] },
      { frequency: [-1], recency: [0], T: [2] },
      { frequency: [1, 2], recency: [1], T: [2] },
    ];
    for (const data of bad) {
      assert.throws(() => bgNbdLogLikelihood(PUBLISHED, data), (e: unknown) => e instanceof ClvModelError && e.code === 'INVALID_INPUT');
    }
  });
});

describe('BG/NBD predictions', () => {
  test('P(alive) = 1 for customers without repeat purchases', () => {
    const pa = bgNbdProbabilityAlive(PUBLISHED, { frequency: [0, 0, 0], recency: [0, 0, 0], T: [0, 10, 1000] });
    assert.deepEqual([...pa], [1, 1, 1]);
  });

  test('P(alive) by hand: a = 1, b = 2, r = 1, α = 1, x = 1, t_x = 1, T = 3 → 1/(1 + ½·2²) = 1/3', () => {
    assertClose(bgNbdProbabilityAliveOne({ r: 1, alpha: 1, a: 1, b: 2 }, 1, 1, 3), 1 / 3, 1e-15);
  });

  test('P(alive) is 1 / (1 + odds) with the odds as published, and falls with time since the last purchase', () => {
    const { r, alpha, a, b } = PUBLISHED;
    const odds = (a / (b + 2 - 1)) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2);
    assertClose(bgNbdProbabilityAliveOne(PUBLISHED, 2, 30.43, 38.86), 1 / (1 + odds), 1e-15);
    assert.ok(bgNbdProbabilityAliveOne(PUBLISHED, 2, 10, 38.86) < bgNbdProbabilityAliveOne(PUBLISHED, 2, 30, 38.86));
  });

  test('published conditional expectation: x = 2, t_x = 30.43, T = 38.86, t = 39 → 1.226', () => {
    assert.equal(bgNbdExpectedPurchasesOne(PUBLISHED, 2, 30.43, 38.86, 39).toFixed(3), '1.226');
  });

  test('the Euler-transformed series equals the textbook ₂F₁(r+x, b+x; a+b+x−1; z) form', () => {
    const { r, alpha, a, b } = PUBLISHED;
    for (const [x, tx, T, t] of [[0, 0, 20, 10], [2, 30.43, 38.86, 39], [7, 30, 40, 52], [1, 5, 60, 13]]) {
      const z = t / (alpha + T + t);
      const bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
      const textbook = ((a + b + x - 1) / (a - 1)) * bracket * bgNbdProbabilityAliveOne(PUBLISHED, x, tx, T);
      assertRel(bgNbdExpectedPurchasesOne(PUBLISHED, x, tx, T, t), textbook, 1e-12, `x=${x}`);
    }
  });

  test('series and the independent quadrature over the dropout probability agree', () => {
    const params: BgNbdParams[] = [
      PUBLISHED,
      { r: 2, alpha: 0.5, a: 3, b: 0.3 },
      { r: 0.1, alpha: 40, a: 0.05, b: 10 },
      { r: 1.5, alpha: 2, a: 300, b: 900 },
      { r: 1.5, alpha: 2, a: 1, b: 9 },
    ];
    for (const p of params) {
      for (const [x, tx, T, t] of [[0, 0, 30, 13], [3, 20, 30, 52], [40, 29, 30, 520]]) {
        const pa = bgNbdProbabilityAliveOne(p, x, tx, T);
        assertRel(expectationByQuadrature(p, x, T, t, pa), bgNbdExpectedPurchasesOne(p, x, tx, T, t), 1e-10, JSON.stringify({ p, x }));
      }
    }
  });

  test('a + b ≤ 1 (₂F₁ lower parameter ≤ 0 for a one-time buyer): finite, equal to the textbook form by a plain series', () => {
    // A fit on a log of 60 accounts reached a + b < 1; scoring a customer with x = 0 then threw
    // "hyp2f1: c must be > 0". The plain power series of ₂F₁(r, b; a+b−1; z) converges for |z| < 1
    // whenever c is not 0, −1, −2, …: summed here term by term, independently of the product's code.
    const plain2f1 = (A: number, B: number, C: number, z: number): number => {
      let term = 1;
      let sum = 1;
      for (let n = 0; n < 100_000; n++) {
        term *= ((A + n) * (B + n) * z) / ((C + n) * (n + 1));
        sum += term;
        if (Math.abs(term) < 1e-16 * Math.abs(sum) && n > 10) break;
      }
      return sum;
    };
    for (const p of [
      { r: 0.7, alpha: 9, a: 0.3, b: 0.4 },
      { r: 2, alpha: 30, a: 0.05, b: 0.2 },
      { r: 0.5, alpha: 4, a: 0.6, b: 0.9 }, // c = 0.5: the series' own side of the switch
    ]) {
      for (const [T, t] of [[0, 13], [20, 13], [40, 52]]) {
        const z = t / (p.alpha + T + t);
        const c = p.a + p.b - 1;
        const bracket = 1 - ((p.alpha + T) / (p.alpha + T + t)) ** p.r * plain2f1(p.r, p.b, c, z);
        const textbook = (c / (p.a - 1)) * bracket; // x = 0: P(alive) = 1
        const got = bgNbdExpectedPurchasesOne(p, 0, 0, T, t);
        assert.ok(Number.isFinite(got) && got > 0, JSON.stringify({ p, T, t, got }));
        assertRel(got, textbook, 1e-8, JSON.stringify({ p, T, t }));
      }
    }
    // Through the array path the CLV scorer uses, too.
    const data = { frequency: [0, 0, 3], recency: [0, 0, 10], T: [5, 30, 30] };
    const e = bgNbdExpectedPurchases({ r: 0.7, alpha: 9, a: 0.3, b: 0.4 }, data, 13);
    assert.ok([...e].every((v) => Number.isFinite(v) && v > 0));
  });

  test('a → 1 (0/0 in the formula) is continuous', () => {
    const at = (a: number) => bgNbdExpectedPurchasesOne({ ...PUBLISHED, a }, 2, 30.43, 38.86, 39);
    assertClose(at(1), (at(1 - 1e-4) + at(1 + 1e-4)) / 2, 1e-8);
    assertClose(at(1 + 1e-9), at(1), 1e-8);
  });

  test('degenerate fits (a, b → ∞) stay finite and approach their limit', () => {
    const big = { r: 0.5, alpha: 3, a: 5e12, b: 5e11 };
    const e = bgNbdExpectedPurchasesOne(big, 3, 10, 20, 52);
    assert.ok(Number.isFinite(e) && e > 0);
    assertRel(bgNbdExpectedPurchasesOne({ ...big, a: 5e6, b: 5e5 }, 3, 10, 20, 52), e, 1e-4);
  });

  test('new customer: E[X(t)] ≈ (r/α)·t for small t, and is increasing', () => {
    const { r, alpha } = PUBLISHED;
    assertRel(bgNbdExpectedPurchasesNewCustomer(PUBLISHED, 1e-4) / 1e-4, r / alpha, 1e-4);
    assert.ok(bgNbdExpectedPurchasesNewCustomer(PUBLISHED, 52) > bgNbdExpectedPurchasesNewCustomer(PUBLISHED, 26));
  });

  test('array functions equal the per-customer ones (with and without grouping)', () => {
    // Rows 1, 2 and 5 share (x, T) but not t_x: P(alive) differs, the series part is shared.
    const data = { frequency: [0, 2, 2, 5, 0, 2], recency: [0, 30, 30, 10, 0, 5], T: [39, 38, 38, 20, 1, 38] };
    const want = data.frequency.map((x, i) => bgNbdExpectedPurchasesOne(PUBLISHED, x, data.recency[i], data.T[i], 13));
    assert.deepEqual([...bgNbdExpectedPurchases(PUBLISHED, data, 13)], want);
    const dayAligned = { frequency: [1, 1, 1, 1, 3], recency: [1, 1, 1, 1, 2], T: [3, 3, 3, 3, 4] };
    const want2 = dayAligned.frequency.map((x, i) => bgNbdExpectedPurchasesOne(PUBLISHED, x, dayAligned.recency[i], dayAligned.T[i], 13));
    assert.deepEqual([...bgNbdExpectedPurchases(PUBLISHED, dayAligned, 13)], want2);
  });
});

describe('BG/NBD fit', () => {
  test('recovers simulated parameters (continuous time, 20 000 customers) within 4 standard errors', () => {
    const truth = { r: 0.5, alpha: 6, a: 0.8, b: 2.5 };
    const T = Array.from({ length: 20_000 }, (_, i) => 26 + (i % 53));
    const fit = fitBgNbd(simulateBgNbdRfm(truth, T, 11));
    assert.ok(fit.converged);
    for (const k of ['r', 'alpha', 'a', 'b'] as const) {
      const se = fit.standardErrors![k];
      assert.ok(se > 0 && Math.abs(fit.params[k] - truth[k]) < 4 * se, `${k}: ${fit.params[k]} vs ${truth[k]} (se ${se})`);
    }
  });

  test('BFGS and Nelder–Mead reach the same optimum; the score there is ≈ 0', () => {
    const data = simulateBgNbdRfm(PUBLISHED, Array.from({ length: 3000 }, (_, i) => 10 + (i % 60)), 2);
    const a = fitBgNbd(data, { optimizer: 'bfgs' });
    const b = fitBgNbd(data, { optimizer: 'nelder-mead' });
    assert.equal(a.optimizer, 'bfgs');
    assert.equal(b.optimizer, 'nelder-mead');
    for (const k of ['r', 'alpha', 'a', 'b'] as const) assertRel(a.params[k], b.params[k], 1e-4, k);
    assertClose(a.logLikelihood, b.logLikelihood, 1e-6);
    assert.ok(a.maxScore < 1e-4, `score ${a.maxScore}`);
  });

  test('is deterministic', () => {
    const data = simulateBgNbdRfm(PUBLISHED, Array.from({ length: 1000 }, (_, i) => 10 + (i % 60)), 4);
    assert.deepEqual(fitBgNbd(data), fitBgNbd(data));
  });

  test('no customers is a coded error', () => {
    assert.throws(() => fitBgNbd({ frequency: [], recency: [], T: [] }), (e: unknown) => e instanceof ClvModelError && e.code === 'NO_CUSTOMERS');
  });
});
