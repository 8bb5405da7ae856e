/**
 * Reasons measured against the population: "no purchase for 201 days — longer than 80% of
 * customers" instead of a bare number, and no "only" where the value is not low for this customer
 * base ("customer for only 273 days" when 273 days is the longest tenure there is).
 *
 * The population is the set being scored (every buyer at the scoring day), so the share is a true
 * statement about today's customers. Each feature keeps a sorted sample of at most SAMPLE values
 * (evenly spaced order statistics), enough for whole percentages.
 *
 * Scoring compares a customer with the customers in the same state at the as-of date (cohortsOf):
 * an active one with the active, a lapsed one with the lapsed, and the text names which ("longer
 * than 80% of active customers"). Against everyone, on the CDNOW sample (65% of the buyers lapsed)
 * an active customer's silence was never longer than half of them, and a long one read as usual.
 */

const SAMPLE = 2001;

/** Sorted samples per feature, and whom they are of ("customers", "active customers"). */
export type Population = ReadonlyMap<string, Float64Array> & { readonly who?: string };

/** Active and lapsed customers apart (churn-rows.ts isLapsed at the model's active window). */
export interface Cohorts {
  active: Population;
  lapsed: Population;
}

/** Features where a high value is the risk (the share below is quoted) … */
const HIGH_IS_RISK: Readonly<Record<string, string>> = {
  recency_days: 'longer',
  overdue_ratio: 'longer',
  recency_over_max_gap: 'longer',
  recency_gap_z: 'longer',
  order_gap_days: 'longer',
  gap_max_days: 'longer',
  purchase_day_gap_days: 'longer',
  days_since_last_contact: 'longer',
  days_since_last_interaction: 'longer',
  complaints_30d: 'more',
  complaints_90d: 'more',
  refunds_365d: 'more',
  bgnbd_logodds_no_purchase: 'higher',
};

/** … and where a low value is (the share above is quoted, and "only" needs the bottom quarter). */
const LOW_IS_RISK: Readonly<Record<string, string>> = {
  tenure_days: 'newer',
  orders_90d: 'fewer',
  orders_365d: 'fewer',
  orders_total: 'fewer',
  active_months_365d: 'fewer',
  revenue_90d: 'less',
  revenue_365d: 'less',
  bgnbd_expected_purchases: 'fewer',
  bgnbd_p_alive: 'lower',
  // 1-5, 5 the most satisfied: without a direction a forest's credit put "average satisfaction
  // 4.8/5" among a customer's churn reasons, and nothing said whether 4.8 was good or bad here.
  csat_avg_180d: 'lower',
};

/**
 * Whom the share counts where the population is not every customer: a feature that is unknown for
 * a customer without such facts leaves them out of its sample (populationOf keeps finite values), and
 * "lower than 62% of customers" read as all customers when a tenth of them had ever given a score.
 */
const POPULATION_OF: Readonly<Record<string, string>> = {
  csat_avg_180d: ' with a score',
};

/** Whom a feature's share counts in population p: "active customers with a score". */
const whomOf = (feature: string, p: Population): string => `${p.who ?? 'customers'}${POPULATION_OF[feature] ?? ''}`;

/**
 * The plain reading's direction of a feature: 1 where a high value is the risk, −1 where a low one
 * is, 0 where the words do not say (reasons.ts keeps a reason that raises the risk only when the
 * value points this way against the population).
 */
export function riskDirection(feature: string): 1 | -1 | 0 {
  return HIGH_IS_RISK[feature] ? 1 : LOW_IS_RISK[feature] ? -1 : 0;
}

/** The median of each feature's sorted sample: where "more than most customers" starts. */
export function mediansOf(population: Population): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [f, sample] of population) {
    const n = sample.length;
    if (n > 0) out[f] = n % 2 === 1 ? sample[(n - 1) / 2] : (sample[n / 2 - 1] + sample[n / 2]) / 2;
  }
  return out;
}

/** The features whose texts are compared with the population, in the population's order. */
export const POPULATION_FEATURES: readonly string[] = [...Object.keys(HIGH_IS_RISK), ...Object.keys(LOW_IS_RISK)];

/**
 * A sorted sample of the finite values of each listed feature, of whom `who` names; with `mask`,
 * of the rows i where mask[i] === want only.
 */
export function populationOf(
  set: { features: readonly string[]; columns: readonly ArrayLike<number>[] },
  features: readonly string[] = POPULATION_FEATURES,
  who = 'customers',
  mask?: ArrayLike<number>,
  want = 1,
): Population {
  const out = Object.assign(new Map<string, Float64Array>(), { who });
  for (const f of features) {
    const j = set.features.indexOf(f);
    if (j < 0) continue;
    // A plain loop into a preallocated array: Float64Array.from goes through the iterator and
    // .filter calls back per value, together ~0.9 s of CPU per 200k customers × 18 features.
    const col = set.columns[j] as ArrayLike<number>;
    const buffer = new Float64Array(col.length);
    let m = 0;
    if (mask)
      for (let i = 0; i < col.length; i++) {
        const v = col[i];
        if (mask[i] === want && v - v === 0) buffer[m++] = v;
      }
    else
      for (let i = 0; i < col.length; i++) {
        const v = col[i];
        if (v - v === 0) buffer[m++] = v; // finite: NaN and ±Infinity give NaN
      }
    if (m === 0) continue;
    const finite = buffer.subarray(0, m).sort();
    if (finite.length <= SAMPLE) out.set(f, finite);
    else
      out.set(
        f,
        Float64Array.from({ length: SAMPLE }, (_, k) => finite[Math.round((k * (finite.length - 1)) / (SAMPLE - 1))]),
      );
  }
  return out;
}

/**
 * The active and the lapsed customers' populations (`lapsed[i]` 1 for a lapsed row). A lapsed
 * customer is compared with the lapsed: among the customers already gone, how far gone (a win-back
 * list's question), where against everyone every lapsed silence reads "longer than most".
 */
export function cohortsOf(
  set: { features: readonly string[]; columns: readonly ArrayLike<number>[] },
  lapsed: ArrayLike<number>,
  features: readonly string[] = POPULATION_FEATURES,
): Cohorts {
  return {
    active: populationOf(set, features, 'active customers', lapsed, 0),
    lapsed: populationOf(set, features, 'lapsed customers', lapsed, 1),
  };
}

/** Index of the first element ≥ v (lower) or > v (upper) in a sorted array. */
function bound(a: Float64Array, v: number, upper: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v || (upper && a[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Share of the sorted sample strictly below v (as sharesAround's `below`). */
export function shareBelow(sample: Float64Array, v: number): number {
  return bound(sample, v, false) / sample.length;
}

/** Share of the sorted sample strictly above v (as sharesAround's `above`). */
export function shareAbove(sample: Float64Array, v: number): number {
  return (sample.length - bound(sample, v, true)) / sample.length;
}

/** Shares of the population strictly below and strictly above v. */
export function sharesAround(sample: Float64Array, v: number): { below: number; above: number } {
  return {
    below: bound(sample, v, false) / sample.length,
    above: (sample.length - bound(sample, v, true)) / sample.length,
  };
}

/**
 * Whole percent of a share k / n (n ≤ SAMPLE), rounded down so the text never claims more than the
 * data says. The nudge: 174 / 300 × 100 is 57.99999999999999 in floating point, and "57%" was written
 * for 58% exactly; a share's distance to the next whole percent is at least 1 / n, far above it.
 */
export const wholePercent = (share: number): number => Math.floor(share * 100 + 1e-9);
const pct = (share: number): string => `${wholePercent(share)}%`;

/**
 * againstPopulation's rule for one feature, prepared once per scoring run: scoring words a million
 * customers' reasons against the same population, and a Map lookup, an object per comparison and a
 * fresh suffix string per reason were most of the time of that step.
 */
export interface Comparison {
  sample: Float64Array;
  /** True where a high value is the risk (the share below is quoted), false where a low one is. */
  high: boolean;
  /** The suffix for a whole percent p: " — longer than p% of customers" (built once per p). */
  suffix: (percent: number) => string;
  /** The model's reference median (referenceSuffix's rule), NaN without one. */
  reference: number;
  /** " — longer than the median low-risk customer". */
  referenceSuffix: string;
}

/**
 * The words for a reason past the reference median (the customers the model scores at low risk,
 * predict.ts) but not past the population's. A reason is kept when its value is past the former
 * (reasons.ts pickReasons), so without these words it had no direction at all: on the CDNOW sample,
 * where most buyers bought once or twice, "16 orders so far" was a churn reason (the low-risk
 * customers' median is 17) and read as a reason to stay.
 */
const referenceWords = (word: string): string => ` — ${word} than the median low-risk customer`;

/** Whether `value` is strictly past the reference median `m` the risky way (`high`: above it). */
const pastReference = (high: boolean, value: number, m: number): boolean => (high ? value > m : value < m);

/**
 * The comparison of `feature` against `population` (and the model's reference medians, when
 * given), or undefined when its text is never changed.
 */
export function comparisonOf(
  feature: string,
  population: Population | undefined,
  medians?: Readonly<Record<string, number>>,
): Comparison | undefined {
  const sample = population?.get(feature);
  const high = HIGH_IS_RISK[feature];
  const word = high ?? LOW_IS_RISK[feature];
  if (!sample || !word) return undefined;
  const cache: string[] = [];
  const of = whomOf(feature, population!);
  const m = medians?.[feature];
  return {
    sample,
    high: high !== undefined,
    suffix: (p) => (cache[p] ??= ` — ${word} than ${p}% of ${of}`),
    reference: m !== undefined && Number.isFinite(m) ? m : NaN,
    referenceSuffix: referenceWords(word),
  };
}

/** Whether comparison c adds its reference words to a text of value (no population share quoted). */
export function referencePlace(c: Comparison, value: number): boolean {
  return c.reference === c.reference && pastReference(c.high, value, c.reference);
}

/** The text with "only " removed as againstPopulation removes it. */
export function withoutOnly(text: string): string {
  return text.includes('only ') ? text.replace(/\bonly /g, '') : text;
}

/**
 * The reason text with its place in the population: a comparison when the customer is past the
 * median in the risky direction, and "only" removed unless the value is in the bottom quarter.
 * Given the model's reference medians (scoring's), a value not past the population's median but
 * past the reference's says so: "16 orders so far — fewer than the median low-risk customer".
 */
export function againstPopulation(
  feature: string,
  text: string,
  value: number,
  population: Population | undefined,
  medians?: Readonly<Record<string, number>>,
): string {
  const sample = population?.get(feature);
  if (!sample || !Number.isFinite(value)) return text;
  const { below, above } = sharesAround(sample, value);
  const high = HIGH_IS_RISK[feature];
  const of = whomOf(feature, population!);
  const m = medians?.[feature];
  const reference = (word: string): string =>
    m !== undefined && Number.isFinite(m) && pastReference(word === high, value, m) ? referenceWords(word) : '';
  if (high) return below >= 0.5 ? `${text} — ${high} than ${pct(below)} of ${of}` : `${text}${reference(high)}`;
  const low = LOW_IS_RISK[feature];
  if (!low) return text;
  // "only" claims the value is low: keep it for the bottom quarter (most customers above it).
  const plain = above >= 0.75 ? text : text.replace(/\bonly /g, '');
  return above >= 0.5 ? `${plain} — ${low} than ${pct(above)} of ${of}` : `${plain}${reference(low)}`;
}
