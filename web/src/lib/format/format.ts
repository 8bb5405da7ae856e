/**
 * One set of number, currency and date formats for the whole dashboard (Intl, en-GB conventions,
 * amounts in EUR — the warehouse's base currency). Every formatter accepts what Cube returns
 * (numbers as strings, ISO timestamps without a zone) and shows "—" for missing values.
 */
export const LOCALE = 'en-GB';
export const CURRENCY = 'EUR';
export const MISSING = '—';

type Num = number | string | null | undefined;

/** Cube returns measures as strings; null/''/NaN become undefined. */
export function toNumber(v: Num): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

const cache = new Map<string, Intl.NumberFormat>();
function nf(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = cache.get(key);
  if (!f) cache.set(key, (f = new Intl.NumberFormat(LOCALE, options)));
  return f;
}

/** €1,234,567 — or €1.2M when compact. Cents only below €100 (order values, not KPIs). */
export function formatCurrency(v: Num, opts: { compact?: boolean; cents?: boolean } = {}): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  if (opts.compact && Math.abs(n) >= 10_000) {
    return nf('cur-compact', { style: 'currency', currency: CURRENCY, notation: 'compact', maximumFractionDigits: 1 }).format(n);
  }
  const cents = opts.cents ?? Math.abs(n) < 100;
  return nf(`cur-${cents}`, { style: 'currency', currency: CURRENCY, minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: cents ? 2 : 0 }).format(n);
}

/** 12,345 — or 12.3K when compact; `digits` fraction digits at most (default 0). */
export function formatNumber(v: Num, opts: { compact?: boolean; digits?: number } = {}): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  const digits = opts.digits ?? 0;
  if (opts.compact && Math.abs(n) >= 10_000) return nf('num-compact', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
  return nf(`num-${digits}`, { maximumFractionDigits: digits }).format(n);
}

/** A 0-1 share as 12.3 %. */
export function formatPercent(v: Num, digits = 1): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  return nf(`pct-${digits}`, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

/** Parses Cube's local timestamps ('2026-03-01T00:00:00.000') and plain days as UTC. */
export function parseDay(v: string | Date | null | undefined): Date | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(v);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const df = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(LOCALE, { timeZone: 'UTC', ...options });
const DAY = df({ day: 'numeric', month: 'short', year: 'numeric' });
const MONTH = df({ month: 'short', year: 'numeric' });
const DAY_SHORT = df({ day: 'numeric', month: 'short' });
const DATETIME = df({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** 3 Mar 2026 */
export function formatDate(v: string | Date | null | undefined): string {
  const d = parseDay(v);
  return d ? DAY.format(d) : MISSING;
}

/** 3 Mar 2026, 14:05 (UTC) */
export function formatDateTime(v: string | Date | null | undefined): string {
  const d = parseDay(v);
  return d ? DATETIME.format(d) : MISSING;
}

export type Granularity = 'day' | 'week' | 'month' | 'quarter' | 'year';

/** Label of a time bucket: Mar 2026 for months, 3 Mar for days and weeks, Q1 2026, 2026. */
export function formatPeriod(v: string | null | undefined, granularity: Granularity): string {
  const d = parseDay(v);
  if (!d) return MISSING;
  switch (granularity) {
    case 'year':
      return String(d.getUTCFullYear());
    case 'quarter':
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${d.getUTCFullYear()}`;
    case 'month':
      return MONTH.format(d);
    default:
      return DAY_SHORT.format(d);
  }
}

/** Relative change current vs previous (0.12 = +12 %); undefined when there is no base. */
export function relativeChange(current: Num, previous: Num): number | undefined {
  const c = toNumber(current);
  const p = toNumber(previous);
  if (c === undefined || p === undefined || p === 0) return undefined;
  return (c - p) / Math.abs(p);
}

/** +12.3 % / −4.0 % / ±0.0 %, with a real minus sign. */
export function formatChange(change: number | undefined, digits = 1): string {
  if (change === undefined || !Number.isFinite(change)) return MISSING;
  const abs = formatPercent(Math.abs(change), digits);
  const rounded = Number((change * 100).toFixed(digits));
  return rounded > 0 ? `+${abs}` : rounded < 0 ? `−${abs}` : `±${abs}`;
}

/** Change in percentage points for rates: +1.2 pp. */
export function formatPointChange(current: Num, previous: Num, digits = 1): string {
  const c = toNumber(current);
  const p = toNumber(previous);
  if (c === undefined || p === undefined) return MISSING;
  const pp = Number(((c - p) * 100).toFixed(digits));
  const text = `${Math.abs(pp).toFixed(digits)} pp`;
  return pp > 0 ? `+${text}` : pp < 0 ? `−${text}` : `±${text}`;
}

/** `label`: a code from the warehouse shown as words (humanize). */
export type ValueFormat = 'currency' | 'number' | 'percent' | 'date' | 'datetime' | 'text' | 'days' | 'label';

/** Dispatch by column format (tables, tooltips, CSV-friendly display). */
export function formatValue(v: unknown, format: ValueFormat, opts: { compact?: boolean } = {}): string {
  switch (format) {
    case 'currency':
      return formatCurrency(v as Num, opts);
    case 'number':
      return formatNumber(v as Num, opts);
    case 'percent':
      return formatPercent(v as Num);
    case 'days': {
      const n = toNumber(v as Num);
      return n === undefined ? MISSING : `${formatNumber(n)} d`;
    }
    case 'date':
      return formatDate(v as string);
    case 'datetime':
      return formatDateTime(v as string);
    case 'label':
      return humanize(v as string);
    default:
      return v === null || v === undefined || v === '' ? MISSING : String(v);
  }
}

/** snake_case and lower-case codes from the warehouse as labels: "price_too_high" → "Price too high". */
export function humanize(code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return MISSING;
  const s = String(code).replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
