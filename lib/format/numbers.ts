import { DEFAULT_FORMAT, MISSING, numberFormat, toNumber, type FormatContext, type Num } from './context.ts';
import { COMPACT_FROM, COMPACT_SIGNIFICANT_DIGITS } from './money.ts';

/** 12,345 (at most `digits` decimals, default 0) — compact like amounts: "45.3k", "1.20m". */
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
  return numberFormat(ctx.locale, { maximumFractionDigits: opts.digits ?? 0 }).format(n);
}

/** A 0–1 share as "12.3%" (`digits` decimals, always shown so a column lines up). */
export function formatPercent(v: Num, digits = 1, ctx: FormatContext = DEFAULT_FORMAT): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  return numberFormat(ctx.locale, {
    style: 'percent',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n);
}

/** Whole days: "12 d" in tables, "12 days" / "1 day" in sentences (`long`). */
export function formatDays(v: Num, opts: { long?: boolean } = {}, ctx: FormatContext = DEFAULT_FORMAT): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  const whole = Math.round(n);
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

/** "+12.3%" / "−4.0%" / "±0.0%", with a real minus sign; the sign follows the shown digits. */
export function formatChange(change: number | undefined, digits = 1, ctx: FormatContext = DEFAULT_FORMAT): string {
  if (change === undefined || !Number.isFinite(change)) return MISSING;
  const abs = formatPercent(Math.abs(change), digits, ctx);
  const rounded = Number((change * 100).toFixed(digits));
  return rounded > 0 ? `+${abs}` : rounded < 0 ? `−${abs}` : `±${abs}`;
}

/** Change of a rate in percentage points: "+1.2 pp". */
export function formatPointChange(
  current: Num,
  previous: Num,
  digits = 1,
  ctx: FormatContext = DEFAULT_FORMAT,
): string {
  const c = toNumber(current);
  const p = toNumber(previous);
  if (c === undefined || p === undefined) return MISSING;
  const pp = Number(((c - p) * 100).toFixed(digits));
  const text = `${numberFormat(ctx.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Math.abs(pp))} pp`;
  return pp > 0 ? `+${text}` : pp < 0 ? `−${text}` : `±${text}`;
}
