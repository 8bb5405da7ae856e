/**
 * From transactions to the BG/NBD / Gamma-Gamma inputs, with the convention of the CDNOW papers
 * (Fader, Hardie & Lee 2005):
 * - purchases on the same calendar day are one purchase (their amounts summed);
 * - x (frequency) = purchase days after the first one, up to and including the cutoff day;
 * - t_x (recency) = (last purchase day − first purchase day) / 7, in weeks; 0 when x = 0;
 * - T = (cutoff day − first purchase day) / 7;
 * - monetary value = mean value of the x repeat purchase days (the first purchase is excluded,
 *   as it is for x); 0 when x = 0.
 * Customers whose first purchase is after the cutoff are not in the summary. Amounts are taken as
 * given (refunds included as negative amounts are netted within their day).
 */
import { type DateInput, toEpochDay } from './dates.ts';
import { ClvModelError } from './errors.ts';

export type CustomerId = string | number;

export interface Transaction<TId extends CustomerId = string> {
  customerId: TId;
  /** Day of purchase: a Date (its UTC day) or a string starting YYYY-MM-DD (the day as written), or YYYYMMDD. */
  date: DateInput;
  amount: number;
}

export interface RfmSummaryOptions {
  /** Also count repeat purchase days in (cutoff, holdoutEnd], to validate predictions. */
  holdoutEnd?: DateInput;
}

/** One entry per customer, in order of the customer's first transaction in the input. */
export interface RfmSummary<TId extends CustomerId = string> {
  customerIds: TId[];
  frequency: Int32Array;
  /** Weeks. */
  recency: Float64Array;
  /** Weeks. */
  T: Float64Array;
  monetaryValue: Float64Array;
  /** Days since 1970-01-01 (UTC calendar). */
  firstPurchaseDay: Int32Array;
  /** Last purchase day on or before the cutoff. */
  lastPurchaseDay: Int32Array;
  cutoffDay: number;
  /** Only with `holdoutEnd`: repeat purchase days after the cutoff, up to holdoutEnd inclusive. */
  holdoutFrequency?: Int32Array;
  /** Only with `holdoutEnd`: length of the holdout period in days. */
  holdoutDays?: number;
}

export function buildRfmSummary<TId extends CustomerId = string>(
  transactions: Iterable<Transaction<TId>>,
  cutoff: DateInput,
  options: RfmSummaryOptions = {},
): RfmSummary<TId> {
  const cutoffDay = toEpochDay(cutoff);
  const endDay = options.holdoutEnd === undefined ? cutoffDay : toEpochDay(options.holdoutEnd);
  if (endDay < cutoffDay) throw new ClvModelError('INVALID_INPUT', 'holdoutEnd must not be before the cutoff');

  // Pass 1: index customers, keep the transactions up to endDay, note each customer's first day.
  const index = new Map<TId, number>();
  const ids: TId[] = [];
  const txCustomer: number[] = [];
  const txDay: number[] = [];
  const txAmount: number[] = [];
  const first: number[] = [];
  let minDay = Infinity;
  let row = 0;
  // Dates repeat a lot (one string per day): parse each distinct string once.
  const dayOfString = new Map<string, number>();
  for (const t of transactions) {
    let day: number;
    if (typeof t.date === 'string') {
      const known = dayOfString.get(t.date);
      if (known === undefined) dayOfString.set(t.date, (day = toEpochDay(t.date)));
      else day = known;
    } else {
      day = toEpochDay(t.date);
    }
    if (!Number.isFinite(t.amount)) {
      throw new ClvModelError('INVALID_INPUT', `transaction ${row}: amount must be a finite number, got ${t.amount}`);
    }
    row++;
    if (day > endDay) continue;
    let c = index.get(t.customerId);
    if (c === undefined) {
      c = ids.length;
      index.set(t.customerId, c);
      ids.push(t.customerId);
      first.push(day);
    }
    if (day < first[c]) first[c] = day;
    txCustomer.push(c);
    txDay.push(day);
    txAmount.push(t.amount);
    if (day < minDay) minDay = day;
  }

  // Pass 2: distinct (customer, day) pairs by sorting packed keys customer·span + day offset
  // (a native numeric sort; exact while customers·span < 2^53).
  const span = txDay.length ? endDay - minDay + 1 : 1;
  if (ids.length * span >= 2 ** 53) throw new ClvModelError('INVALID_INPUT', 'too many customers × days to summarise');
  const keys = new Float64Array(txDay.length);
  for (let i = 0; i < keys.length; i++) keys[i] = txCustomer[i] * span + (txDay[i] - minDay);
  keys.sort();
  const purchaseDays = new Int32Array(ids.length);
  const holdoutDays = new Int32Array(ids.length);
  const last = new Int32Array(ids.length);
  let prev = -1;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === prev) continue;
    prev = k;
    const c = Math.floor(k / span);
    const day = k - c * span + minDay;
    if (day <= cutoffDay) {
      purchaseDays[c]++;
      last[c] = day; // keys are sorted, so the last one seen is the latest
    } else {
      holdoutDays[c]++;
    }
  }

  // Pass 3: value of the repeat purchases = everything up to the cutoff except the first day.
  const repeatAmount = new Float64Array(ids.length);
  for (let i = 0; i < txDay.length; i++) {
    const c = txCustomer[i];
    if (txDay[i] <= cutoffDay && txDay[i] !== first[c]) repeatAmount[c] += txAmount[i];
  }

  // Keep customers acquired on or before the cutoff, in input order.
  const keep: number[] = [];
  for (let c = 0; c < ids.length; c++) if (first[c] <= cutoffDay) keep.push(c);
  const n = keep.length;
  const out: RfmSummary<TId> = {
    customerIds: keep.map((c) => ids[c]),
    frequency: new Int32Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetaryValue: new Float64Array(n),
    firstPurchaseDay: new Int32Array(n),
    lastPurchaseDay: new Int32Array(n),
    cutoffDay,
  };
  if (options.holdoutEnd !== undefined) {
    out.holdoutFrequency = new Int32Array(n);
    out.holdoutDays = endDay - cutoffDay;
  }
  keep.forEach((c, i) => {
    const x = purchaseDays[c] - 1;
    out.frequency[i] = x;
    out.firstPurchaseDay[i] = first[c];
    out.lastPurchaseDay[i] = last[c];
    out.recency[i] = (last[c] - first[c]) / 7;
    out.T[i] = (cutoffDay - first[c]) / 7;
    out.monetaryValue[i] = x > 0 ? repeatAmount[c] / x : 0;
    if (out.holdoutFrequency) out.holdoutFrequency[i] = holdoutDays[c];
  });
  return out;
}
