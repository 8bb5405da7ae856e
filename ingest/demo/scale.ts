/**
 * Demo sizes. Per-customer volumes are fixed so any customer count scales the whole world; the
 * `bench` preset buys a little less per customer to land on issue #2's 500k customers / 10M lines.
 */
export interface Scale {
  name: string;
  customers: number;
  /** Target transaction lines per customer (drives the purchase rate). */
  transactionsPerCustomer: number;
}

export const SCALES: Readonly<Record<'small' | 'default' | 'bench', Scale>> = {
  small: { name: 'small', customers: 2_000, transactionsPerCustomer: 25 },
  default: { name: 'default', customers: 20_000, transactionsPerCustomer: 25 },
  bench: { name: 'bench', customers: 500_000, transactionsPerCustomer: 20 },
};

/** Largest customer count: phone numbers and e-mail suffixes are bijections of the index mod 10^7. */
export const MAX_CUSTOMERS = 5_000_000;

/** Per-customer targets (default world) the manifest states and the tests check within ±15%. */
export const PER_CUSTOMER = { interactions: 15, opportunities: 0.5 } as const;

/** "small" | "default" | "bench" | "50000" | "100k" | "1m" → Scale. */
export function parseScale(text: string): Scale {
  const key = text.trim().toLowerCase();
  if (key in SCALES) return SCALES[key as keyof typeof SCALES];
  const m = /^(\d+(?:\.\d+)?)([km]?)$/.exec(key);
  if (!m) throw new Error(`--scale must be small, default, bench or a customer count (e.g. 50000, 100k, 1m), got "${text}"`);
  const customers = Math.round(Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'm' ? 1e6 : 1));
  if (customers < 10 || customers > MAX_CUSTOMERS) throw new Error(`--scale: the customer count must be between 10 and ${MAX_CUSTOMERS}, got ${customers}`);
  return { name: String(customers), customers, transactionsPerCustomer: SCALES.default.transactionsPerCustomer };
}
