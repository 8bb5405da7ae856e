import { DEFAULT_FORMAT, MISSING, numberFormat, toNumber, type FormatContext, type Num } from './context.ts';
import { COMPACT_FROM, COMPACT_SIGNIFICANT_DIGITS } from './money.ts';
import { beyondShownDigits, localeMinus } from './shown-digits.ts';

/** 12,345 (at most `digits` decimals, default 0) — compact like amounts: "45.3k", "1.20m"; 0.3 is "<1". */
export function formatNumber(
  v: Num,
  opts: { compact?: boolean; digits?: number } = {},
  ctx: FormatContext = DEFAULT_FORMAT,
): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  if (opts.compact && Math.abs(n) >= COMPACT_FROM) {
    return numberFormat(ctx.locale, {
      notation: 'compact',
      minimumSignificantDigits: COMPACT_SIGNIFICANT_DIGITS,
      maximumSignificantDigits: COMPACT_SIGNIFICANT_DIGITS,
    }).format(n);
  }
  const digits = opts.digits ?? 0;
  const f = numberFormat(ctx.locale, { maximumFractionDigits: digits });
  return beyondShownDigits(n, (m) => f.format(m), 10 ** -digits, { minus: localeMinus(ctx.locale) }) ?? f.format(n);
}

/**
 * Units, hours or weights summed from order lines (transactions.quantity, decimal since migration
 * 024): "12,345" for whole numbers as before, "7.5" and "0.3333" with up to four decimals and never
 * trailing zeros ("7.5", not "7.5000"); compact like counts. A count's formatter (no decimals) showed
 * 7.5 hours as "8".
 */
export function formatQuantity(v: Num, opts: { compact?: boolean } = {}, ctx: FormatContext = DEFAULT_FORMAT): string {
  return formatNumber(v, { compact: opts.compact, digits: QUANTITY_DIGITS }, ctx);
}
const QUANTITY_DIGITS = 4;

/**
 * A 0–1 share as "12.3%" (`digits` decimals, always shown so a column lines up). Never "0.0%" for a
 * share that is not zero nor "100.0%" for one below one: "<0.1%", ">99.9%" (a 99.96 % churn
 * probability is not a certainty).
 */
export function formatPercent(v: Num, digits = 1, ctx: FormatContext = DEFAULT_FORMAT): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  const f = numberFormat(ctx.locale, {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  const minus = localeMinus(ctx.locale);
  return beyondShownDigits(n, (m) => f.format(m), 10 ** -digits / 100, { belowOne: true, minus }) ?? f.format(n);
}

/**
 * A probability (churn, a deal's win) as a percent with one decimal, "0.4%", "99.6%" — the one form
 * the dashboard's pages, the e-mail digests and the alerts inbox all show, so a digest and the
 * customer's page say the same number (digests said whole percents: a 0.4 % risk read "<1%" where
 * the page said "0.4%", 86.5 % read "86%" beside "86.5%"). ">99.9%" and "<0.1%" like any share.
 */
export function formatProbability(v: Num, ctx: FormatContext = DEFAULT_FORMAT): string {
  return formatPercent(v, 1, ctx);
}

/**
 * A model score in [0, 1] (ROC-AUC, PR-AUC, Brier, a feature's importance) with `digits` fixed
 * decimals, "0.812". Never "1.000" for a score below one (a leaky feature's 0.9996 AUC is not a
 * perfect model) nor "0.000" for one above zero: ">0.999", "<0.001".
 */
export function formatScore(v: Num, digits = 3, ctx: FormatContext = DEFAULT_FORMAT): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  const f = numberFormat(ctx.locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    useGrouping: false,
  });
  const minus = localeMinus(ctx.locale);
  return beyondShownDigits(n, (m) => f.format(m), 10 ** -digits, { belowOne: true, minus }) ?? f.format(n);
}

/** Whole days: "12 d" in tables, "12 days" / "1 day" in sentences (`long`). */
export function formatDays(v: Num, opts: { long?: boolean } = {}, ctx: FormatContext = DEFAULT_FORMAT): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  // Math.round(-0.4) is -0, which Intl writes "-0".
  const whole = Math.round(n) || 0;
  const text = formatNumber(whole, {}, ctx);
  if (!opts.long) return `${text} d`;
  return `${text} ${Math.abs(whole) === 1 ? 'day' : 'days'}`;
}

/** Relative change current vs previous (0.12 = +12 %); undefined when there is no base. */
export function relativeChange(current: Num, previous: Num): number | undefined {
  const c = toNumber(current);
  const p = toNumber(previous);
  if (c === undefined || p === undefined || p === 0) return undefined;
  return (c - p) / Math.abs(p);
}

/**
 * "+12.3%" / "−4.0%" / "±0.0%", with a real minus sign. "±0.0%" only for no change: a change too
 * small for the digits is "+<0.1%" / "−<0.1%" (it was "±0.0%", which read as "unchanged").
 */
export function formatChange(change: number | undefined, digits = 1, ctx: FormatContext = DEFAULT_FORMAT): string {
  if (change === undefined || !Number.isFinite(change)) return MISSING;
  const f = numberFormat(ctx.locale, {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // A fall of 99.96 % is not a fall to nothing: "−>99.9%", not "−100.0%".
  const small = beyondShownDigits(change, (m) => f.format(m), 10 ** -digits / 100, { sign: 'always', belowOne: true });
  if (small) return small;
  const abs = f.format(Math.abs(change));
  return change > 0 ? `+${abs}` : change < 0 ? `−${abs}` : `±${abs}`;
}

/** Change of a rate in percentage points: "+1.2 pp"; "+<0.1 pp" for a change the digits cannot show. */
export function formatPointChange(
  current: Num,
  previous: Num,
  digits = 1,
  ctx: FormatContext = DEFAULT_FORMAT,
): string {
  const c = toNumber(current);
  const p = toNumber(previous);
  if (c === undefined || p === undefined) return MISSING;
  // In points, then rounded to 12 significant digits: 0.3 − 0.1 is 0.19999999999999998, a float's
  // noise and not a change of the rates as stored.
  const pp = Number(((c - p) * 100).toPrecision(12));
  const f = numberFormat(ctx.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const num = (m: number): string => `${f.format(m)} pp`;
  const small = beyondShownDigits(pp, (m) => f.format(m), 10 ** -digits, { sign: 'always' });
  if (small) return `${small} pp`;
  return pp > 0 ? `+${num(Math.abs(pp))}` : pp < 0 ? `−${num(Math.abs(pp))}` : `±${num(0)}`;
}

/**
 * A difference of two probabilities (0–1) in points: "+18 pts", "+0.5 pts" (one decimal under
 * 10 points, whole points above, where a tenth is noise). The added loss probability of a deal's
 * cause is one. A difference the digits cannot show is "+<0.1 pts", never "+0.0 pts", which reads
 * as "no effect"; only 0 is "±0.0 pts".
 */
export function formatPoints(delta: Num, ctx: FormatContext = DEFAULT_FORMAT): string {
  const d = toNumber(delta);
  if (d === undefined) return MISSING;
  // 12 significant digits: 0.0995 × 100 is 9.950000000000001, which must take the branch 9.95 takes.
  const pts = Number((d * 100).toPrecision(12));
  // 9.95 would show as "10.0" with one decimal: from there on whole points.
  const digits = Math.abs(pts) < 9.95 ? 1 : 0;
  const f = numberFormat(ctx.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const small = beyondShownDigits(pts, (m) => f.format(m), 10 ** -digits, { sign: 'always' });
  if (small) return `${small} pts`;
  const abs = `${f.format(Math.abs(pts))} pts`;
  return pts > 0 ? `+${abs}` : pts < 0 ? `−${abs}` : `±${abs}`;
}

/**
 * A ratio, "how many times as often": "2.3×", "0.96×", "12×" (two significant digits below 10,
 * whole numbers above). One is the line between more and less, so a ratio that is not one never
 * shows as one: 1.04 takes a third digit ("1.04×"), and one that still rounds to one says which
 * side it is on ("<1.00×", ">1.00×"). Before, 0.96 read "1.0×" — a drop shown as no change.
 */
export function formatRatio(v: Num, ctx: FormatContext = DEFAULT_FORMAT): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  if (Math.abs(n) >= 10) return `${numberFormat(ctx.locale, { maximumFractionDigits: 0 }).format(n)}×`;
  let f = numberFormat(ctx.locale, {});
  for (const digits of [2, 3]) {
    f = numberFormat(ctx.locale, { minimumSignificantDigits: digits, maximumSignificantDigits: digits });
    const text = f.format(n);
    if (n === 1 || text !== f.format(1)) return `${text}×`;
  }
  return `${n < 1 ? '<' : '>'}${f.format(1)}×`;
}

/**
 * A confidence interval of a ratio, "1.25–1.33×": both bounds with the same significant digits,
 * the fewest (2 to 4) at which the bounds differ and neither reads as 1 without being it. Two
 * digits alone wrote 1.2527–1.3285 as "1.3–1.3×": an interval shown as a point, as if exact.
 * When four digits cannot tell a bound from 1, it is 1 to three ("0.874–1.00×").
 */
export function formatRatioRange(low: Num, high: Num, ctx: FormatContext = DEFAULT_FORMAT): string {
  const lo = toNumber(low);
  const hi = toNumber(high);
  if (lo === undefined || hi === undefined) return MISSING;
  if (Math.min(lo, hi) >= 10) {
    const f = numberFormat(ctx.locale, { maximumFractionDigits: 0 });
    return `${f.format(lo)}–${f.format(hi)}×`;
  }
  const at = (digits: number) => {
    const f = numberFormat(ctx.locale, { minimumSignificantDigits: digits, maximumSignificantDigits: digits });
    return { a: f.format(lo), b: f.format(hi), one: f.format(1) };
  };
  for (const digits of [2, 3, 4]) {
    const { a, b, one } = at(digits);
    if ((a !== b || lo === hi) && (lo === 1 || a !== one) && (hi === 1 || b !== one)) return `${a}–${b}×`;
  }
  const { a, b } = at(3);
  return `${a}–${b}×`;
}
