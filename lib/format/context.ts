/**
 * What every formatter needs to know about the reader: the locale (digits, date order, month
 * names) and the warehouse's base currency (CRM_BASE_CURRENCY). Passed in by the caller — the
 * module reads no environment, so the dashboard in a browser, the alert digests and the churn
 * reasons format the same way from the same two settings.
 */
export interface FormatContext {
  /** BCP 47 locale, e.g. en-GB (dates "5 Dec 2026", amounts "€1,234"). */
  locale: string;
  /** ISO 4217 code of the amounts (the warehouse's base currency). */
  currency: string;
}

export const DEFAULT_FORMAT: Readonly<FormatContext> = Object.freeze({ locale: 'en-GB', currency: 'EUR' });

/**
 * The context of the product's configuration (lib/config: CRM_BASE_CURRENCY, default EUR), for
 * the dashboard, the digests and the churn reasons alike. Takes the parsed values, reads nothing.
 */
export function formatContextOf(config: { CRM_BASE_CURRENCY?: string }): FormatContext {
  const currency = config.CRM_BASE_CURRENCY?.trim().toUpperCase();
  return {
    locale: DEFAULT_FORMAT.locale,
    currency: currency && /^[A-Z]{3}$/.test(currency) ? currency : DEFAULT_FORMAT.currency,
  };
}

/** Shown for a missing value (null, '', NaN) everywhere. */
export const MISSING = '—';

export type Num = number | string | null | undefined;

/** Cube returns measures as strings; null/''/NaN become undefined. */
export function toNumber(v: Num): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

// Intl formatters are slow to build and formatting runs per table cell: one per (locale, options).
const numberFormats = new Map<string, Intl.NumberFormat>();
export function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(locale, options)));
  return f;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = dateFormats.get(key);
  // Days from the warehouse are calendar days (UTC midnight): formatting them in the reader's zone
  // would show the day before west of Greenwich.
  if (!f) dateFormats.set(key, (f = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', ...options })));
  return f;
}
