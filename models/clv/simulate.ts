/**
 * Seeded simulation from the BG/NBD and Gamma-Gamma generative stories, for parameter-recovery tests
 * and scale benchmarks. Deterministic for a given seed.
 */
import type { BgNbdParams, GammaGammaParams } from './types.ts';
import type { Transaction } from './rfm-summary.ts';
import { epochDayToIso, toEpochDay } from './dates.ts';

/** mulberry32: small, fast, good enough for simulation; returns a generator of U(0, 1), never 0. */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000); shape < 1 via Gamma(shape+1)·U^(1/shape). */
export function sampleGamma(u: () => number, shape: number, rate: number): number {
  if (shape < 1) return sampleGamma(u, shape + 1, rate) * Math.pow(u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = normal(u);
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const w = u();
    if (Math.log(w) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

export function sampleBeta(u: () => number, a: number, b: number): number {
  const x = sampleGamma(u, a, 1);
  return x / (x + sampleGamma(u, b, 1));
}

/** Exact (continuous-time) BG/NBD summaries for customers observed for the given T (weeks). */
export function simulateBgNbdRfm(p: BgNbdParams, T: ArrayLike<number>, seed = 1) {
  const u = seededUniform(seed);
  const n = T.length;
  const frequency = new Int32Array(n);
  const recency = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lambda = sampleGamma(u, p.r, p.alpha);
    const drop = sampleBeta(u, p.a, p.b);
    let t = 0;
    for (;;) {
      t += -Math.log(u()) / lambda;
      if (t > T[i]) break;
      frequency[i]++;
      recency[i] = t;
      if (u() < drop) break; // becomes inactive after this purchase
    }
  }
  return { frequency, recency, T: Float64Array.from(T) };
}

export interface SimulatedTransactionsOptions {
  customers: number;
  /** First purchases are spread uniformly over this many days from `start` (default 365). */
  acquisitionDays?: number;
  /** Last day simulated, as days after `start` (default 3 × 365). */
  days?: number;
  start?: string;
  seed?: number;
}

/** Daily transactions (customer ids "c0", "c1", …) from BG/NBD purchases and Gamma-Gamma spend. */
export function simulateTransactions(
  p: BgNbdParams,
  spend: GammaGammaParams,
  o: SimulatedTransactionsOptions,
): Transaction<string>[] {
  const u = seededUniform(o.seed ?? 1);
  const startDay = toEpochDay(o.start ?? '2022-01-01');
  const acquisition = o.acquisitionDays ?? 365;
  const lastDay = o.days ?? 3 * 365;
  const out: Transaction<string>[] = [];
  const iso = new Map<number, string>();
  const date = (d: number): string => {
    let s = iso.get(d);
    if (s === undefined) iso.set(d, (s = epochDayToIso(startDay + d)));
    return s;
  };
  for (let c = 0; c < o.customers; c++) {
    const id = `c${c}`;
    const lambda = sampleGamma(u, p.r, p.alpha);
    const drop = sampleBeta(u, p.a, p.b);
    const nu = sampleGamma(u, spend.q, spend.gamma);
    const first = Math.floor(u() * acquisition);
    out.push({ customerId: id, date: date(first), amount: round2(sampleGamma(u, spend.p, nu)) });
    let t = first;
    for (;;) {
      t += (-Math.log(u()) / lambda) * 7;
      if (t >= lastDay + 1) break;
      out.push({ customerId: id, date: date(Math.floor(t)), amount: round2(sampleGamma(u, spend.p, nu)) });
      if (u() < drop) break;
    }
  }
  return out;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
