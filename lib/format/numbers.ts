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
