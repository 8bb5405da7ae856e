import { DEFAULT_FORMAT, MISSING, numberFormat, toNumber, type FormatContext, type Num } from './context.ts';
import { beyondShownDigits, localeMinus } from './shown-digits.ts';

/**
 * Amounts in the base currency. One rule for the whole product (issue 15: "€17m" next to
 * "€141.4m", "€21.21" next to "€244"):
 * - full: whole currency units ("€21", "€244", "€58,086"); cents only when the caller asks
 *   (`cents: true`, e.g. a single order line), never chosen by the size of the amount;
 * - compact: from 10,000 on, always 3 significant digits ("€10.0k", "€17.0m", "€141m", "€1.23bn"),
 *   so neighbouring figures have the same precision; below 10,000 the full amount ("€9,999").
 * - an amount that is not zero but rounds to zero is "<€1" / "-<€1" ("<€0.01" with cents), never
 *   "€0" nor "-€0" (shown-digits.ts);
 * The symbol is the narrow one ("$", not "US$"): the reader knows the warehouse's currency.
 */
export const COMPACT_FROM = 10_000;
export const COMPACT_SIGNIFICANT_DIGITS = 3;

export interface MoneyOptions {
  compact?: boolean;
  /** Two decimals; default false (whole units). */
  cents?: boolean;
}

export function formatMoney(v: Num, opts: MoneyOptions = {}, ctx: FormatContext = DEFAULT_FORMAT): string {
  const n = toNumber(v);
  if (n === undefined) return MISSING;
  const base = { style: 'currency', currency: ctx.currency, currencyDisplay: 'narrowSymbol' } as const;
  if (opts.compact && Math.abs(n) >= COMPACT_FROM) {
    return numberFormat(ctx.locale, {
      ...base,
      notation: 'compact',
      minimumSignificantDigits: COMPACT_SIGNIFICANT_DIGITS,
      maximumSignificantDigits: COMPACT_SIGNIFICANT_DIGITS,
    }).format(n);
  }
  const digits = opts.cents ? 2 : 0;
  const f = numberFormat(ctx.locale, { ...base, minimumFractionDigits: digits, maximumFractionDigits: digits });
  return beyondShownDigits(n, (m) => f.format(m), 10 ** -digits, { minus: localeMinus(ctx.locale) }) ?? f.format(n);
}

/** "€" for EUR, "$" for USD, "£" for GBP (labels such as "Minimum value (€)"). */
export function currencySymbol(ctx: FormatContext = DEFAULT_FORMAT): string {
  const part = numberFormat(ctx.locale, { style: 'currency', currency: ctx.currency, currencyDisplay: 'narrowSymbol' })
    .formatToParts(0)
    .find((p) => p.type === 'currency');
  return part?.value ?? ctx.currency;
}
