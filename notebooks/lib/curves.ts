/**
 * The points behind the model-evaluation charts, as pure functions of (labels, scores): ROC and
 * precision–recall curves, lift by decile, a calibration table; and, for CLV, repeat purchases per
 * week and expectations grouped by past frequency. Labels are 0/1; tied scores form one threshold,
 * as in models/churn/metrics.ts (so the curves and the AUCs printed beside them agree).
 */

type Labels = ArrayLike<number>;
type Scores = ArrayLike<number>;

function checked(labels: Labels, scores: Scores): { n: number; positives: number } {
  if (labels.length !== scores.length) throw new RangeError(`${labels.length} labels for ${scores.length} scores`);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`labels[${i}] = ${labels[i]}: labels must be 0 or 1`);
    if (Number.isNaN(scores[i])) throw new RangeError(`scores[${i}] is NaN`);
    positives += labels[i];
  }
  return { n: labels.length, positives };
}

/** Row indices by descending score; ties keep input order. */
function byScoreDesc(scores: Scores): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Per distinct score, high to low: cumulative true and false positives at "score ≥ threshold". */
function thresholds(labels: Labels, scores: Scores): { threshold: number; tp: number; fp: number }[] {
  const order = byScoreDesc(scores);
  const out: { threshold: number; tp: number; fp: number }[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i]];
    for (; i < order.length && scores[order[i]] === s; i++) {
      if (labels[order[i]] === 1) tp++;
      else fp++;
    }
    out.push({ threshold: s, tp, fp });
  }
  return out;
}

export interface RocPoint {
  threshold: number;
  falsePositiveRate: number;
  truePositiveRate: number;
}

/** ROC curve from (0, 0) to (1, 1), one point per distinct score. Empty with one class only. */
export function rocCurve(labels: Labels, scores: Scores): RocPoint[] {
  const { n, positives } = checked(labels, scores);
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return [];
  return [
    { threshold: Infinity, falsePositiveRate: 0, truePositiveRate: 0 },
    ...thresholds(labels, scores).map(({ threshold, tp, fp }) => ({ threshold, falsePositiveRate: fp / negatives, truePositiveRate: tp / positives })),
  ];
}

/** Area under a curve of (x, y) points by the trapezoid rule (for an ROC curve: the ROC-AUC, ties counting half). */
export function trapezoid(points: readonly { x: number; y: number }[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) area += ((points[i].x - points[i - 1].x) * (points[i].y + points[i - 1].y)) / 2;
  return area;
}

export interface PrPoint {
  threshold: number;
  recall: number;
  precision: number;
}

/**
 * Precision–recall curve, one point per distinct score from the highest down (recall rising to 1).
 * Average precision (the PR-AUC of metrics.ts) is Σ (recall step) × precision over these points.
 */
export function prCurve(labels: Labels, scores: Scores): PrPoint[] {
  const { positives } = checked(labels, scores);
  if (positives === 0) return [];
  return thresholds(labels, scores).map(({ threshold, tp, fp }) => ({ threshold, recall: tp / positives, precision: tp / (tp + fp) }));
}

export function averagePrecision(curve: readonly PrPoint[]): number {
  let ap = 0;
  let recall = 0;
  for (const p of curve) {
    ap += (p.recall - recall) * p.precision;
    recall = p.recall;
  }
  return ap;
}

export interface LiftRow {
  /** 1 = the highest-scored tenth. */
  decile: number;
  customers: number;
  positives: number;
  /** Share of positives among this decile's rows. */
  rate: number;
  /** rate ÷ overall rate. */
  lift: number;
  /** Share of all positives found in deciles 1..this one (the gains curve). */
  cumulativeCapture: number;
  /** Positive rate of deciles 1..this one ÷ overall rate. */
  cumulativeLift: number;
}

/**
 * Rows ranked by score (ties in input order) and cut into `groups` groups as equal as possible
 * (sizes differ by at most one); per group the positive rate and the lift over the base rate.
 */
export function liftByDecile(labels: Labels, scores: Scores, groups = 10): LiftRow[] {
  const { n, positives } = checked(labels, scores);
  if (n === 0 || positives === 0) return [];
  const base = positives / n;
  const order = byScoreDesc(scores);
  const rows: LiftRow[] = [];
  let seen = 0;
  let found = 0;
  for (let g = 0; g < groups; g++) {
    const start = Math.round((g * n) / groups);
    const end = Math.round(((g + 1) * n) / groups);
    let pos = 0;
    for (let i = start; i < end; i++) pos += labels[order[i]];
    seen += end - start;
    found += pos;
    const size = end - start;
    const rate = size > 0 ? pos / size : NaN;
    rows.push({
      decile: g + 1,
      customers: size,
      positives: pos,
      rate,
      lift: rate / base,
      cumulativeCapture: found / positives,
      cumulativeLift: seen > 0 ? found / seen / base : NaN,
    });
  }
  return rows;
}

export interface CalibrationRow {
  lower: number;
  upper: number;
  customers: number;
  meanPredicted: number;
  observedRate: number;
}

/**
 * Reliability table: predictions cut into `bins` equal-width bins on [0, 1] (a score of exactly 1
 * falls in the last); per non-empty bin the mean prediction and the observed positive rate.
 */
export function calibrationTable(labels: Labels, scores: Scores, bins = 10): CalibrationRow[] {
  checked(labels, scores);
  const count = new Array<number>(bins).fill(0);
  const sumPred = new Array<number>(bins).fill(0);
  const sumPos = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const s = Math.min(1, Math.max(0, scores[i]));
    const b = Math.min(bins - 1, Math.floor(s * bins));
    count[b]++;
    sumPred[b] += scores[i];
    sumPos[b] += labels[i];
  }
  const rows: CalibrationRow[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    rows.push({ lower: b / bins, upper: (b + 1) / bins, customers: count[b], meanPredicted: sumPred[b] / count[b], observedRate: sumPos[b] / count[b] });
  }
  return rows;
}

/** Expected calibration error: Σ over bins of (customers ÷ n) × |mean prediction − observed rate|. */
export function expectedCalibrationError(rows: readonly CalibrationRow[]): number {
  const n = rows.reduce((a, r) => a + r.customers, 0);
  return rows.reduce((a, r) => a + (r.customers / n) * Math.abs(r.meanPredicted - r.observedRate), 0);
}

// ── CLV ───────────────────────────────────────────────────────────────────────────────────────

export interface PurchaseDay {
  customerId: string;
  /** Days since 1970-01-01. */
  day: number;
}

/**
 * Repeat purchases per week from `startDay` (week 0 = days startDay..startDay+6), as the BG/NBD
 * counts them: one purchase per customer and day, the customer's first purchase day not counted.
 */
export function repeatPurchasesByWeek(purchases: Iterable<PurchaseDay>, startDay: number, weeks: number): number[] {
  const days = new Map<string, Set<number>>();
  for (const p of purchases) {
    let set = days.get(p.customerId);
    if (!set) days.set(p.customerId, (set = new Set()));
    set.add(p.day);
  }
  const out = new Array<number>(weeks).fill(0);
  for (const set of days.values()) {
    let first = Infinity;
    for (const d of set) first = Math.min(first, d);
    for (const d of set) {
      if (d === first) continue;
      const w = Math.floor((d - startDay) / 7);
      if (w >= 0 && w < weeks) out[w]++;
    }
  }
  return out;
}

/**
 * Expected cumulative repeat purchases at the end of each week from `startDay`, summed over
 * customers: customer i, first purchase on day f_i, has been exposed (end − f_i) / 7 weeks by the
 * end of a week whose last day is `end` (inclusive, the convention of T in the RFM summary), and
 * `expectedNew(t)` is the model's E[X(t)] for a new customer. Customers sharing a first day are
 * computed once.
 */
export function expectedCumulativeRepeat(firstDays: Iterable<number>, startDay: number, weeks: number, expectedNew: (t: number) => number): number[] {
  const cohorts = new Map<number, number>();
  for (const f of firstDays) cohorts.set(f, (cohorts.get(f) ?? 0) + 1);
  const out = new Array<number>(weeks).fill(0);
  for (let w = 0; w < weeks; w++) {
    const end = startDay + 7 * w + 6;
    let sum = 0;
    for (const [first, customers] of cohorts) if (end > first) sum += customers * expectedNew((end - first) / 7);
    out[w] = sum;
  }
  return out;
}

export function cumulative(xs: readonly number[]): number[] {
  let s = 0;
  return xs.map((x) => (s += x));
}

export interface FrequencyGroupRow {
  /** "0", "1", …, or "7+" for the last group. */
  frequency: string;
  customers: number;
  meanActual: number;
  meanExpected: number;
}

/**
 * Customers grouped by their calibration-period repeat purchases (0, 1, …, maxGroup−1, maxGroup+):
 * mean actual vs mean expected purchases in the holdout — the conditional-expectation check of
 * Fader, Hardie & Lee (2005, fig. 4).
 */
export function byCalibrationFrequency(
  frequency: ArrayLike<number>,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  maxGroup = 7,
): FrequencyGroupRow[] {
  if (frequency.length !== actual.length || frequency.length !== expected.length) throw new RangeError('frequency, actual and expected must have the same length');
  const n = new Array<number>(maxGroup + 1).fill(0);
  const a = new Array<number>(maxGroup + 1).fill(0);
  const e = new Array<number>(maxGroup + 1).fill(0);
  for (let i = 0; i < frequency.length; i++) {
    const g = Math.min(maxGroup, frequency[i]);
    n[g]++;
    a[g] += actual[i];
    e[g] += expected[i];
  }
  return n.map((customers, g) => ({
    frequency: g === maxGroup ? `${g}+` : String(g),
    customers,
    meanActual: customers ? a[g] / customers : NaN,
    meanExpected: customers ? e[g] / customers : NaN,
  }));
}
