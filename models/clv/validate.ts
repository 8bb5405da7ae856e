/**
 * Rolling-origin validation of the CLV figures the product shows, on the user's own purchases: each
 * figure at its own horizon — `clv_12m` (spend over 12 months) and `expected_purchases_90d`
 * (purchases over 90 days) — at cutoffs a quarter apart, holdout ending at the last day of data,
 * against the baselines of holdout.ts. What comes out is the CLV model card (models/scoring/clv-card.ts
 * stores it, the Models page shows it): the folds, the means, and in plain words where the model
 * loses to a baseline, or "not validated" with the history it would need.
 */
import { DEFAULT_FORMAT, numberFormat, type FormatContext } from '../../lib/format/context.ts';
import { epochDayToIso, toEpochDay } from './dates.ts';
import { BASELINES, cachedDays, evaluateClvHoldout, type HoldoutEvaluation, type PredictionScore, type PredictorName } from './holdout.ts';
import type { CustomerId, Transaction } from './rfm-summary.ts';

/** The figures checked: what each predicts and over how long. */
export const CLV_CHECKS = [
  { key: 'spend_12m', figure: 'clv_12m', measure: 'spend', horizonDays: 365 },
  { key: 'purchases_90d', figure: 'expected_purchases_90d', measure: 'purchases', horizonDays: 90 },
] as const;

export interface ClvValidationOptions {
  /** Validation folds per figure (default 4), the newest ending at the last day of data. */
  folds?: number;
  /** Days between fold cutoffs (default 91, a quarter). */
  stepDays?: number;
  /** A fold needs this many days of purchases before its cutoff (default 90). */
  minCalibrationDays?: number;
  /**
   * Above this many customers, a fixed hash sample of them is validated (default 20,000: at 1M
   * customers the 50,000 first tried cost 12 CPU-s, 20,000 cost 4 with the sorts shared).
   */
  maxCustomers?: number;
  /** The locale and currency of the loss sentences' amounts (default the product's DEFAULT_FORMAT). */
  format?: FormatContext;
}

/** One fold's figures for one check: actual total and every predictor's scores. */
export interface ClvFoldCard {
  cutoff: string;
  holdoutEnd: string;
  calibrationDays: number;
  customers: number;
  actualTotal: number;
  oracleTopDecileCapture: number;
  /** The model's Spearman with its one-time buyers tied (holdout.ts). */
  modelSpearmanOneTimersTied: number;
  scores: Record<PredictorName, Omit<PredictionScore, 'deciles'>>;
  /** Predicted against actual per decile of the model's prediction. */
  modelDeciles: PredictionScore['deciles'];
}

export interface ClvCheckCard {
  key: (typeof CLV_CHECKS)[number]['key'];
  figure: string;
  measure: 'spend' | 'purchases';
  horizonDays: number;
  validated: boolean;
  /** Why not validated (history too short), or empty. */
  reason: string;
  folds: ClvFoldCard[];
  /** Means over the folds, per predictor. */
  mean: Record<PredictorName, { totalError: number; absTotalError: number; mae: number; spearman: number; topDecileCapture: number }>;
  /** Sentences naming each metric where a baseline beats the model on average ("" when none). */
  losses: string[];
}

export interface ClvCard {
  model: 'clv';
  asOf: string;
  dataStart: string;
  validated: boolean;
  headline: string;
  checks: ClvCheckCard[];
  sample?: { customers: number; of: number };
  warnings: string[];
}

const METRICS = ['absTotalError', 'mae', 'spearman', 'topDecileCapture'] as const;
/**
 * Differences smaller than these are ties, not losses (CDNOW moves this much from fold to fold).
 * The MAE's is relative (its unit is the figure's: dollars or purchases): at 0 a baseline 0.08%
 * better "did better" on CDNOW, written "0.33 against the model's 0.33".
 */
const MARGIN: Record<(typeof METRICS)[number], number> = { absTotalError: 0.02, mae: 0.01, spearman: 0.01, topDecileCapture: 0.01 };
/** The BG/NBD counts purchase days (several orders on one day are one), not orders: "purchases" read as orders. */
const MEASURE_WORDS: Readonly<Record<string, string>> = { purchases: 'purchase days' };
const RELATIVE_MARGIN = new Set(['mae']);
const LOWER_IS_BETTER = new Set(['absTotalError', 'mae']);
const METRIC_WORDS: Record<(typeof METRICS)[number], string> = {
  absTotalError: 'the total (sum over customers)',
  mae: 'the error per customer (MAE)',
  spearman: 'the ranking of customers (Spearman)',
  topDecileCapture: 'the top tenth’s share of actual',
};

/** FNV-1a of the id: a sample that is the same on every run and independent of input order. */
function hashId(id: CustomerId): number {
  const s = String(id);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const pct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}%`;
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');

/**
 * Validates on `purchases` (purchase days with their amounts, all before `today`): the newest fold's
 * holdout ends the day before `today`.
 */
export function validateClv<TId extends CustomerId>(
  purchases: readonly Transaction<TId>[],
  today: string,
  options: ClvValidationOptions = {},
): ClvCard {
  const folds = options.folds ?? 4;
  const step = options.stepDays ?? 91;
  const minCal = options.minCalibrationDays ?? 90;
  const maxCustomers = options.maxCustomers ?? 20_000;
  const lastDay = toEpochDay(today) - 1;
  let dataStart = Infinity;
  const ids = new Set<TId>();
  const dayOf = cachedDays();
  for (const t of purchases) {
    const d = dayOf(t.date);
    if (d < dataStart) dataStart = d;
    ids.add(t.customerId);
  }
  const warnings: string[] = [];
  let rows = purchases;
  let sample: ClvCard['sample'];
  if (ids.size > maxCustomers) {
    const keepBelow = Math.floor((maxCustomers / ids.size) * 2 ** 32);
    const kept = new Set<TId>();
    for (const id of ids) if (hashId(id) < keepBelow) kept.add(id);
    rows = purchases.filter((t) => kept.has(t.customerId));
    sample = { customers: kept.size, of: ids.size };
  }

  const checks: ClvCheckCard[] = CLV_CHECKS.map((c) => {
    const out: ClvFoldCard[] = [];
    for (let k = 0; k < folds; k++) {
      const end = lastDay - k * step;
      const cutoff = end - c.horizonDays;
      if (!Number.isFinite(dataStart) || cutoff - dataStart + 1 < minCal) break;
      let ev: HoldoutEvaluation;
      try {
        ev = evaluateClvHoldout(rows, { cutoff: epochDayToIso(cutoff), holdoutEnd: epochDayToIso(end) });
      } catch (err) {
        warnings.push(`${c.figure}: fold ${epochDayToIso(cutoff)} could not be fitted (${(err as Error).message})`);
        continue;
      }
      const m = ev[c.measure];
      const scores = Object.fromEntries(
        Object.entries(m).map(([k2, s]) => {
          const { deciles: _d, ...rest } = s;
          return [k2, rest];
        }),
      ) as ClvFoldCard['scores'];
      out.push({
        cutoff: ev.cutoff,
        holdoutEnd: ev.holdoutEnd,
        calibrationDays: ev.calibrationDays,
        customers: ev.customers,
        actualTotal: ev.actual[c.measure],
        oracleTopDecileCapture: ev.oracleTopDecileCapture[c.measure],
        modelSpearmanOneTimersTied: ev.modelSpearmanOneTimersTied[c.measure],
        scores,
        modelDeciles: m.model.deciles,
      });
    }
    const needed = c.horizonDays + minCal;
    const history = Number.isFinite(dataStart) ? lastDay - dataStart + 1 : 0;
    const reason = out.length
      ? ''
      : `not validated: ${history} days of purchases; checking ${c.figure} needs ${needed} (${minCal} to fit on, ${c.horizonDays} to compare with)`;
    const mean = meanScores(out);
    return {
      key: c.key,
      figure: c.figure,
      measure: c.measure,
      horizonDays: c.horizonDays,
      validated: out.length > 0,
      reason,
      folds: out,
      mean,
      losses: out.length ? lossSentences(mean, c.measure, avg(out.map((f) => f.modelSpearmanOneTimersTied)), options.format) : [],
    };
  });
  const validated = checks.some((c) => c.validated);
  return {
    model: 'clv',
    asOf: today,
    dataStart: Number.isFinite(dataStart) ? epochDayToIso(dataStart) : '',
    validated,
    headline: clvHeadline(checks),
    checks,
    sample,
    warnings,
  };
}

function meanScores(folds: ClvFoldCard[]): ClvCheckCard['mean'] {
  const names: PredictorName[] = ['model', ...BASELINES];
  const avg = (f: (s: Omit<PredictionScore, 'deciles'>) => number, n: PredictorName): number =>
    folds.length ? folds.reduce((a, fold) => a + f(fold.scores[n]), 0) / folds.length : NaN;
  return Object.fromEntries(
    names.map((n) => [
      n,
      {
        totalError: avg((s) => s.totalError, n),
        absTotalError: avg((s) => Math.abs(s.totalError), n),
        mae: avg((s) => s.mae, n),
        spearman: avg((s) => s.spearman, n),
        topDecileCapture: avg((s) => s.topDecileCapture, n),
      },
    ]),
  ) as ClvCheckCard['mean'];
}

const avg = (v: number[]): number => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/**
 * Per metric, the best baseline when it beats the model by more than the margin. A Spearman loss
 * says what the model's Spearman is with its one-time buyers tied, so a reader can tell the order
 * of the buyers who matter from the metric's penalty on fine order among those who mostly do not.
 */
export function lossSentences(mean: ClvCheckCard['mean'], measure: string, tiedSpearman: number, format: FormatContext = DEFAULT_FORMAT): string[] {
  const out: string[] = [];
  for (const metric of METRICS) {
    const lower = LOWER_IS_BETTER.has(metric);
    let best: { name: string; v: number } | undefined;
    for (const b of BASELINES) {
      const v = mean[b][metric];
      if (!Number.isFinite(v)) continue;
      if (!best || (lower ? v < best.v : v > best.v)) best = { name: b, v };
    }
    const m = mean.model[metric];
    if (!best) continue;
    const margin = RELATIVE_MARGIN.has(metric) ? MARGIN[metric] * Math.abs(m) : MARGIN[metric];
    const loses = lower ? best.v < m - margin : best.v > m + margin;
    if (!loses) continue;
    // Digits enough that the two figures of a loss differ as written (up to 4 more than usual).
    const base = metric === 'absTotalError' ? 1 : metric === 'mae' ? 2 : 3;
    // An error per customer of spend is money: written "53.00" it had no currency beside it.
    const money = metric === 'mae' && measure === 'spend';
    // The top tenth's share as a percent, as the headline writes it ("holds 44% of actual"): the
    // loss sentence wrote the same share "0.436".
    const at = (d: number) => (v: number): string =>
      metric === 'absTotalError'
        ? `${(100 * v).toFixed(d)}% off`
        : metric === 'topDecileCapture'
          ? `${(100 * v).toFixed(d - 2)}%`
        : money
          ? numberFormat(format.locale, { style: 'currency', currency: format.currency, currencyDisplay: 'narrowSymbol', minimumFractionDigits: d, maximumFractionDigits: d }).format(v)
          : v.toFixed(d);
    let digits = base;
    while (digits < base + 4 && at(digits)(best.v) === at(digits)(m)) digits++;
    const show = at(digits);
    // The excuse only where the figures bear it out: on the demo the tied Spearman was lower (0.580
    // against 0.606), and the note still said the fine order among one-time buyers cost the model.
    const note =
      metric === 'spearman' && Number.isFinite(tiedSpearman) && tiedSpearman > m
        ? ` (${f3(tiedSpearman)} with the model's one-time buyers tied: Spearman counts its fine order among them, most of whom buy nothing, against it)`
        : '';
    out.push(`on ${METRIC_WORDS[metric]} of ${MEASURE_WORDS[measure] ?? measure}, ${best.name} does better: ${show(best.v)} against the model's ${show(m)}${note}`);
  }
  return out;
}

/**
 * One line: each figure's total error per fold (the range, never a mean of signed errors that can
 * cancel to "right on" between −20% and +25%) beside the best baseline's, and the top tenth's share.
 */
export function clvHeadline(checks: readonly ClvCheckCard[]): string {
  const range = (v: number[]): string => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return v.length === 1 || lo === hi ? pct(lo) : `${pct(lo)} to ${pct(hi)}`;
  };
  const parts = checks.map((c) => {
    if (!c.validated) return `${c.figure}: not validated (history too short)`;
    const bestAgg = BASELINES.reduce((a, b) => (c.mean[b].absTotalError < c.mean[a].absTotalError ? b : a));
    const bestTop = BASELINES.reduce((a, b) => (c.mean[b].topDecileCapture > c.mean[a].topDecileCapture ? b : a));
    const n = c.folds.length;
    return (
      `${c.figure}: total ${range(c.folds.map((f) => f.scores.model.totalError))} vs actual over ${n} fold${n === 1 ? '' : 's'} ` +
      `(${bestAgg} ${range(c.folds.map((f) => f.scores[bestAgg].totalError))}); top tenth holds ` +
      `${(100 * c.mean.model.topDecileCapture).toFixed(0)}% of actual (${bestTop} ${(100 * c.mean[bestTop].topDecileCapture).toFixed(0)}%)`
    );
  });
  return parts.join('; ');
}
