/**
 * The dashboard's formatters: the product's one formatting module (lib/format, shared with the
 * alert digests, the churn reasons and the exports) bound to the dashboard's locale and base
 * currency. Every formatter accepts what Cube returns (numbers as strings, ISO timestamps without
 * a zone) and shows "—" for missing values. The rules (whole-unit amounts, compact with three
 * significant digits from 10,000, "5 Dec 2026") are documented in lib/format/money.ts and dates.ts.
 */
import {
  DEFAULT_FORMAT,
  MISSING,
  formatChange as sharedChange,
  formatDate as sharedDate,
  formatDateTime as sharedDateTime,
  formatDays,
  formatMoney,
  formatNumber as sharedNumber,
  formatPercent as sharedPercent,
  formatPeriod as sharedPeriod,
  formatPointChange as sharedPointChange,
  formatPoints as sharedPoints,
  formatProbability as sharedProbability,
  formatQuantity as sharedQuantity,
  formatRatio as sharedRatio,
  formatRatioRange as sharedRatioRange,
  formatScore as sharedScore,
  checkDateInput as sharedCheckDateInput,
  parseDay,
  relativeChange,
  toNumber,
  type FormatContext,
  type Granularity,
  type Num,
} from '../../../../lib/format/index.ts';

export { MISSING, parseDay, relativeChange, toNumber, type FormatContext, type Granularity };

export const LOCALE = DEFAULT_FORMAT.locale;
export const CURRENCY = DEFAULT_FORMAT.currency;

/**
 * The dashboard's locale and base currency (en-GB, EUR unless configured with configureFormat),
 * kept on globalThis under a registered symbol like the web context: the server process has two
 * copies of this module (web/server.ts's and the built bundle's), and the base currency must be
 * the one the process configured from its first request — a page's server load, an export or a
 * data request runs before (or without) the root layout that also configures it, and formatted
 * amounts in EUR until some page had rendered (lib/server/context.ts setWebContext configures it).
 */
const KEY = Symbol.for('customer-intelligence.web.format');
type Holder = { [KEY]?: Readonly<FormatContext> };
const holder = globalThis as Holder;

/** Sets the locale and base currency every formatter below uses (from the app's configuration). */
export function configureFormat(ctx: Partial<FormatContext> | undefined): void {
  holder[KEY] = Object.freeze({ locale: ctx?.locale || DEFAULT_FORMAT.locale, currency: ctx?.currency || DEFAULT_FORMAT.currency });
}

export const formatContext = (): Readonly<FormatContext> => holder[KEY] ?? DEFAULT_FORMAT;

/** "€1,234,567" (whole units; `cents` for two decimals) — or "€1.23m" when compact (from €10,000 on). */
export function formatCurrency(v: Num, opts: { compact?: boolean; cents?: boolean } = {}): string {
  return formatMoney(v, opts, formatContext());
}

/** "12,345" — or "12.3k" when compact; `digits` fraction digits at most (default 0). */
export const formatNumber = (v: Num, opts: { compact?: boolean; digits?: number } = {}): string => sharedNumber(v, opts, formatContext());

/** Units, hours, weights: "12,345", "7.5" (up to four decimals, no trailing zeros). */
export const formatQuantity = (v: Num, opts: { compact?: boolean } = {}): string => sharedQuantity(v, opts, formatContext());

/** A 0-1 share as "12.3%". */
export const formatPercent = (v: Num, digits = 1): string => sharedPercent(v, digits, formatContext());

/** A probability as the digests show it too: "0.4%", "99.6%" (lib/format formatProbability). */
export const formatProbability = (v: Num): string => sharedProbability(v, formatContext());

/** A model score in [0, 1] with 3 decimals: "0.812", ">0.999", "<0.001". */
export const formatScore = (v: Num, digits = 3): string => sharedScore(v, digits, formatContext());

/** "3 Mar 2026" */
export const formatDate = (v: string | Date | null | undefined): string => sharedDate(v, formatContext());

/**
 * "3 Mar 2026, 14:05 UTC": times are shown in UTC, so the zone is said like a currency — a bare
 * "07:00" on the alerts inbox, a segment's last push or a customer's timeline read as local time.
 */
export const formatDateTime = (v: string | Date | null | undefined): string => {
  const text = sharedDateTime(v, formatContext());
  return text === MISSING ? text : `${text} UTC`;
};

/** Label of a time bucket: "Mar 2026" for months, "3 Mar" for days and weeks, "Q1 2026", "2026". */
export const formatPeriod = (v: string | null | undefined, granularity: Granularity): string => sharedPeriod(v, granularity, formatContext());

/** "+12.3%" / "−4.0%" / "±0.0%", with a real minus sign. */
export const formatChange = (change: number | undefined, digits = 1): string => sharedChange(change, digits, formatContext());

/** Change in percentage points for rates: "+1.2 pp". */
export const formatPointChange = (current: Num, previous: Num, digits = 1): string => sharedPointChange(current, previous, digits, formatContext());

/** A difference of two probabilities in points: "+18 pts", "+0.5 pts", "+<0.1 pts" (never "+0.0 pts"). */
export const formatPoints = (delta: Num): string => sharedPoints(delta, formatContext());

/** "How many times as often": "2.3×", "0.96×", "12×"; a ratio that is not one never shows as "1.0×". */
export const formatRatio = (v: Num): string => sharedRatio(v, formatContext());

/** A ratio's confidence interval, "1.25–1.33×": never two equal bounds for an interval that is not a point. */
export const formatRatioRange = (low: Num, high: Num): string => sharedRatioRange(low, high, formatContext());

/** A day typed into a date field, checked against its bounds (components/DateField.svelte). */
export const checkDateInput = (text: string, bounds: Parameters<typeof sharedCheckDateInput>[1]) => sharedCheckDateInput(text, bounds, formatContext());

/** `label`: a code from the warehouse shown as words (humanize). */
export type ValueFormat = 'currency' | 'number' | 'quantity' | 'percent' | 'date' | 'datetime' | 'text' | 'days' | 'label';

/** Dispatch by column format (tables, tooltips). */
export function formatValue(v: unknown, format: ValueFormat, opts: { compact?: boolean } = {}): string {
  switch (format) {
    case 'currency':
      return formatCurrency(v as Num, opts);
    case 'number':
      return formatNumber(v as Num, opts);
    case 'quantity':
      return formatQuantity(v as Num, opts);
    case 'percent':
      return formatPercent(v as Num);
    case 'days':
      return formatDays(v as Num, {}, formatContext());
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
