/**
 * Deterministic synthetic churn-like data for tests and benchmarks: skewed counts and recencies,
 * small-integer and categorical columns, optional missing spend, an interaction, and noise columns
 * (some correlated with real drivers). Labels are Bernoulli draws of a known logistic model.
 */
import { Xoshiro128 } from './rng.ts';

export interface SyntheticChurn {
  nRows: number;
  nCols: number;
  /** Row-major features. */
  values: Float64Array;
  y: Uint8Array;
  featureNames: string[];
  /** Indices of the features the label depends on. */
  signalFeatures: number[];
  /** True churn probability of each row (the Bayes-optimal score). */
  probability: Float64Array;
}

export interface SyntheticChurnOptions {
  rows: number;
  /** Extra columns: the first third noisy copies of real drivers, the rest pure noise (default 17). */
  noiseFeatures?: number;
  /** Share of rows whose spend is missing (NaN), which raises churn (default 0). */
  missingRate?: number;
  seed?: number;
}

const DRIVERS = [
  'tenure_months',
  'days_since_last_order',
  'orders_90d',
  'support_tickets_90d',
  'plan_tier',
  'monthly_spend',
  'nps_score',
  'discount_share',
];

export function syntheticChurn(options: SyntheticChurnOptions): SyntheticChurn {
  const n = options.rows;
  const noise = options.noiseFeatures ?? 17;
  const missingRate = options.missingRate ?? 0;
  const rng = new Xoshiro128(options.seed ?? 1);
  const normal = (): number => {
    // Box–Muller; 1 - u keeps the log argument in (0, 1].
    const u = 1 - rng.next();
    const v = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const poisson = (lambda: number): number => {
    const l = Math.exp(-lambda);
    let k = 0;
    let p = rng.next();
    while (p > l) {
      k++;
      p *= rng.next();
    }
    return k;
  };
  const nCols = DRIVERS.length + noise;
  const nCopies = Math.floor(noise / 3);
  const featureNames = [...DRIVERS];
  for (let k = 0; k < noise; k++) featureNames.push(k < nCopies ? `noisy_${DRIVERS[k % 4]}${k >= 4 ? `_${Math.floor(k / 4) + 1}` : ''}` : `noise_${k - nCopies}`);
  const values = new Float64Array(n * nCols);
  const y = new Uint8Array(n);
  const probability = new Float64Array(n);
  const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

  for (let i = 0; i < n; i++) {
    const engagement = normal();
    const tenure = Math.min(120, Math.floor(Math.exp(2.8 + 0.9 * normal())));
    const days = Math.min(365, Math.floor(Math.exp(2.5 - 0.6 * engagement + normal())));
    const orders = poisson(Math.exp(0.8 + 0.5 * engagement));
    const tickets = poisson(engagement < -0.5 ? 0.9 : 0.35);
    const u = rng.next();
    const tier = u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
    const spendMissing = rng.next() < missingRate;
    const spend = Math.exp(3.5 + 0.3 * tier + 0.6 * normal());
    const nps = Math.max(0, Math.min(10, Math.round(7 + 1.5 * engagement + 2 * normal())));
    const discount = rng.next() ** 2;

    const z =
      -1.3 +
      0.6 * (Math.log1p(days) - 2.5) -
      0.35 * (Math.log1p(tenure) - 2.8) -
      0.25 * Math.min(orders, 10) +
      0.45 * tickets +
      (tier === 0 ? 0.4 : 0) +
      (days > 60 && tier === 0 ? 0.8 : 0) -
      0.08 * (nps - 7) +
      (spendMissing ? 0.5 : -0.3 * (Math.log(spend) - 3.8)) +
      0.5 * (discount - 0.33);
    const p = sigmoid(z);
    probability[i] = p;
    y[i] = rng.next() < p ? 1 : 0;

    const row = i * nCols;
    const drivers = [tenure, days, orders, tickets, tier, spendMissing ? NaN : spend, nps, discount];
    for (let j = 0; j < drivers.length; j++) values[row + j] = drivers[j];
    for (let k = 0; k < noise; k++) {
      let v: number;
      if (k < nCopies) v = drivers[k % 4] * (1 + 0.5 * normal()) + 2 * normal();
      else if (k % 3 === 0) v = normal();
      else if (k % 3 === 1) v = Math.floor(rng.next() * 12);
      else v = Math.exp(normal());
      values[row + DRIVERS.length + k] = v;
    }
  }
  return { nRows: n, nCols, values, y, featureNames, signalFeatures: DRIVERS.map((_, j) => j), probability };
}
