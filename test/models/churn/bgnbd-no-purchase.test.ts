/**
 * BG/NBD P(no purchase in the next t weeks | x, t_x, T) (models/clv/bg-nbd.ts), the quantity the
 * churn label asks about, checked against numbers computed here by other routes:
 * - FHL 2005's P(X(t) = 0) = (α/(α+t))^r for a customer with no history;
 * - the posterior integral over λ and p done by quadrature (independent of the closed form);
 * - a simulation of the BG/NBD story: the mean predicted P(no purchase) matches the simulated share.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bgNbdLogOddsNoPurchase,
  bgNbdLogOddsNoPurchaseOne,
  bgNbdProbabilityNoPurchase,
  bgNbdProbabilityNoPurchaseOne,
} from '../../../models/clv/bg-nbd.ts';
import { lgamma } from '../../../models/clv/special.ts';
import { sampleBeta, sampleGamma, seededUniform, simulateTransactions } from '../../../models/clv/simulate.ts';
import { BGNBD_FEATURES, bgnbdColumnsFrom } from '../../../models/churn/bgnbd-features.ts';
import { resolveDefinition } from '../../../models/churn/definition.ts';
import { fitClv } from '../../../models/clv/fit-clv.ts';
import type { BgNbdParams } from '../../../models/clv/types.ts';

// CDNOW's published BG/NBD parameters (FHL 2005): a realistic scale for the checks.
const P: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/**
 * P(Y(t) = 0 | x, t_x, T) as a ratio of posterior integrals, by the midpoint rule on λ and p:
 * the customer is either alive at T (weight (1−p)^x λ^x e^(−λT)) and then buys nothing in t with
 * e^(−λt), or dropped out after the purchase at t_x (weight p(1−p)^(x−1) λ^x e^(−λ t_x)) and buys
 * nothing for sure.
 */
function byQuadrature(p: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  const n = 4000;
  // λ on a log grid wide enough for Gamma(r, α) posteriors with these parameters (with r = 0.24,
  // P(λ < 1e-7) is still 3%: the grid starts far below).
  const lamLo = Math.log(1e-40);
  const lamHi = Math.log(50);
  let lamAliveNone = 0;
  let lamAlive = 0;
  let lamDropped = 0;
  for (let i = 0; i < n; i++) {
    const lam = Math.exp(lamLo + ((i + 0.5) * (lamHi - lamLo)) / n);
    // density of Gamma(r, α) times the Jacobian dλ = λ d(log λ)
    const g = Math.exp(p.r * Math.log(p.alpha) + p.r * Math.log(lam) - p.alpha * lam - lgamma(p.r));
    const lx = Math.pow(lam, x);
    lamAlive += g * lx * Math.exp(-lam * T);
    lamAliveNone += g * lx * Math.exp(-lam * (T + t));
    lamDropped += g * lx * Math.exp(-lam * tx);
  }
  let pAlive = 0;
  let pDropped = 0;
  for (let i = 0; i < n; i++) {
    const q = (i + 0.5) / n;
    const h = Math.exp((p.a - 1) * Math.log(q) + (p.b - 1) * Math.log(1 - q));
    pAlive += h * Math.pow(1 - q, x);
    if (x > 0) pDropped += h * q * Math.pow(1 - q, x - 1);
  }
  const dropped = x > 0 ? lamDropped * pDropped : 0;
  return (lamAliveNone * pAlive + dropped) / (lamAlive * pAlive + dropped);
}

describe('BG/NBD P(no purchase in t weeks)', () => {
  test('a customer with no history: FHL 2005 P(X(t) = 0) = (α/(α+t))^r', () => {
    for (const t of [1, 13, 26, 52]) {
      const expected = Math.pow(P.alpha / (P.alpha + t), P.r);
      assert.ok(Math.abs(bgNbdProbabilityNoPurchaseOne(P, 0, 0, 0, t) - expected) < 1e-12, `t = ${t}`);
    }
  });

  test('matches the posterior integral by quadrature', () => {
    const cases: [x: number, tx: number, T: number, t: number][] = [
      [0, 0, 30, 13],
      [1, 2, 30, 13],
      [3, 10, 38, 26],
      [5, 35, 38, 13],
      [10, 20, 70, 13],
      [2, 30, 31, 52],
    ];
    for (const [x, tx, T, t] of cases) {
      const expected = byQuadrature(P, x, tx, T, t);
      const got = bgNbdProbabilityNoPurchaseOne(P, x, tx, T, t);
      assert.ok(Math.abs(got - expected) < 2e-4, `x=${x} tx=${tx} T=${T} t=${t}: ${got} vs quadrature ${expected}`);
    }
  });

  test('log-odds agree with the probability, and stay finite where 1 − P rounds to 0 or 1', () => {
    for (const [x, tx, T, t] of [
      [0, 0, 30, 13],
      [4, 20, 30, 13],
      [1, 1, 60, 52],
    ]) {
      const pr = bgNbdProbabilityNoPurchaseOne(P, x, tx, T, t);
      const lo = bgNbdLogOddsNoPurchaseOne(P, x, tx, T, t);
      assert.ok(Math.abs(lo - Math.log(pr / (1 - pr))) < 1e-9, `x=${x}: ${lo}`);
    }
    // A heavy buyer who bought at T and almost never drops out: P(no purchase) ≈ 9e-15, which
    // 1 − P(alive)·(1 − e^…) cannot resolve in double precision. Here P(no purchase) = (1 − A) + A·q
    // with 1 − A = e^d/(1 + e^d), d = ln(a/(b+x−1)) (t_x = T), and q = ((α+T)/(α+T+t))^(r+x).
    const q = { r: 2, alpha: 1, a: 1e-12, b: 50 };
    const d = Math.log(q.a / (q.b + 60 - 1));
    const p0 = Math.exp(d) / (1 + Math.exp(d)) + Math.pow(53 / 105, 62);
    const heavy = bgNbdLogOddsNoPurchaseOne(q, 60, 52, 52, 52);
    assert.ok(Math.abs(heavy - Math.log(p0 / (1 - p0))) < 1e-9, `${heavy} vs ${Math.log(p0 / (1 - p0))}`);
    assert.equal(bgNbdProbabilityNoPurchaseOne(P, 3, 10, 30, 0), 1);
  });

  test('columns: the vector forms equal the per-customer forms', () => {
    const data = { frequency: [0, 2, 7], recency: [0, 5, 30], T: [20, 30, 40] };
    const p = bgNbdProbabilityNoPurchase(P, data, 13);
    const lo = bgNbdLogOddsNoPurchase(P, data, 13);
    for (let i = 0; i < 3; i++) {
      assert.equal(p[i], bgNbdProbabilityNoPurchaseOne(P, data.frequency[i], data.recency[i], data.T[i], 13));
      assert.equal(lo[i], bgNbdLogOddsNoPurchaseOne(P, data.frequency[i], data.recency[i], data.T[i], 13));
    }
  });

  test('the BG/NBD story simulated: mean predicted P(no purchase) equals the simulated share', () => {
    // Each customer: λ ~ Gamma(r, α), p ~ Beta(a, b); repeat purchases at rate λ while alive; after
    // each, dropout with probability p. Observed for T weeks, then a horizon of t weeks.
    const u = seededUniform(14);
    const T = 39;
    const t = 13;
    const n = 40_000;
    let none = 0;
    let predicted = 0;
    for (let i = 0; i < n; i++) {
      const lam = sampleGamma(u, P.r, P.alpha);
      const p = sampleBeta(u, P.a, P.b);
      let time = 0;
      let x = 0;
      let tx = 0;
      let boughtLater = false;
      for (;;) {
        time += -Math.log(u()) / lam;
        if (time > T + t) break;
        if (time > T) {
          boughtLater = true;
          break;
        }
        x++;
        tx = time;
        if (u() < p) break;
      }
      if (!boughtLater) none++;
      predicted += bgNbdProbabilityNoPurchaseOne(P, x, tx, T, t);
    }
    const share = none / n;
    const se = Math.sqrt((share * (1 - share)) / n);
    assert.ok(Math.abs(predicted / n - share) < 4 * se, `predicted ${predicted / n}, simulated ${share} ± ${se}`);
  });
});

describe('BG/NBD churn columns (bgnbd-features.ts)', () => {
  const definition = resolveDefinition({ horizonDays: 91 });
  const history = simulateTransactions(P, { p: 6, q: 4, gamma: 16 }, { customers: 400, start: '2022-01-01', days: 730, seed: 7 }).map(
    (t) => ({ customerId: t.customerId, date: String(t.date).slice(0, 10), amount: t.amount }),
  );
  const cutoff = '2023-01-01';

  test('see only purchases before the cutoff: adding or changing later ones changes nothing (no leak)', () => {
    const before = history.filter((t) => t.date < cutoff);
    assert.ok(before.length > 400 && before.length < history.length);
    // The fit is handed the whole log, then a log whose future differs: the columns must not move.
    const a = bgnbdColumnsFrom(history, cutoff, definition);
    const future = history.map((t) => (t.date >= cutoff ? { ...t, amount: t.amount * 3 } : t));
    future.push({ customerId: 'c0', date: cutoff, amount: 50 }, { customerId: 'c1', date: '2023-06-01', amount: 9 });
    const b = bgnbdColumnsFrom(future, cutoff, definition);
    assert.equal(a.error, undefined);
    assert.deepEqual(b.customerIds, a.customerIds);
    for (const key of ['pAlive', 'expectedPurchases', 'clv', 'logOddsNoPurchase'] as const)
      assert.deepEqual([...b[key]], [...a[key]], key);
    assert.equal(BGNBD_FEATURES.length, 4);
  });

  test('the no-purchase column: log-odds of the closed form at the horizon in weeks, from x, t_x, T of the past', () => {
    const cols = bgnbdColumnsFrom(history, cutoff, definition);
    // The same fit the columns use (purchases up to the day before the cutoff), for its parameters.
    const params = fitClv(
      history.filter((t) => t.date < cutoff),
      '2022-12-31',
    ).bgNbd.params;
    // x, t_x, T recomputed here from the purchase days (weeks; T runs to the day before the cutoff).
    const days = new Map<string, Set<number>>();
    const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
    for (const t of history) {
      if (t.date >= cutoff) continue;
      if (!days.has(t.customerId)) days.set(t.customerId, new Set());
      days.get(t.customerId)!.add(day(t.date));
    }
    assert.equal(cols.customerIds.length, days.size);
    let repeaters = 0;
    cols.customerIds.forEach((id, i) => {
      const d = [...days.get(id)!].sort((a, b) => a - b);
      const x = d.length - 1;
      if (x > 0) repeaters++;
      const expected = bgNbdLogOddsNoPurchaseOne(params, x, (d[x] - d[0]) / 7, (day(cutoff) - 1 - d[0]) / 7, 13);
      assert.ok(Math.abs(cols.logOddsNoPurchase[i] - expected) < 1e-9, `${id}: ${cols.logOddsNoPurchase[i]} vs ${expected}`);
    });
    assert.ok(repeaters > 50, 'the check covers repeat buyers too');
  });
});
