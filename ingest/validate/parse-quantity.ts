import { quoteValue } from '../core/reasons.ts';
import type { NumberFormat } from './parse-number.ts';

/**
 * Quantities (transactions.quantity, Decimal(18, 8): lib/warehouse/migrations/024-decimal-quantity.ts)
 * read exactly from bytes: hours `7.5`, weights `0.125`, QuickBooks' `0.3333333`. No double is
 * involved, so nothing is rounded: a value with more decimals than the column keeps is refused, not
 * cut. The stored text is canonical — no leading zeros, no trailing fraction zeros, no point for a
 * whole number — so `3`, `3.0` and `003` are written `3`, byte for byte what the whole-number
 * encoder wrote before, and their row_hash is unchanged.
 */
export const QUANTITY_SCALE = 8;
/** Integer digits the column holds beside QUANTITY_SCALE decimals (18 in all). */
export const QUANTITY_INTEGER_DIGITS = 10;
/** The largest quantity, as the reason for a larger one says it. */
export const QUANTITY_MAX_TEXT = `${'9'.repeat(QUANTITY_INTEGER_DIGITS)}.${'9'.repeat(QUANTITY_SCALE)}`;

export const enum QuantityStatus {
  Ok,
  NotANumber,
  TooManyDecimals,
  TooLarge,
}

/** A parsed quantity: the whole part, the significant fraction digits (their byte range) and the sign. */
export interface Quantity {
  whole: number;
  /** Fraction digits without trailing zeros: bytes [fracStart, fracStart + fracLen) of the input. */
  fracStart: number;
  fracLen: number;
  /** A minus sign before a value that is not zero. */
  negative: boolean;
}

export const newQuantity = (): Quantity => ({ whole: 0, fracStart: 0, fracLen: 0, negative: false });

/**
 * Reads `[+-]digits[.digits]` (thousands separators of the mapping's format inside the integer
 * part, the mapping's decimal separator; `.5` and `3.` are read too) into `q`.
 */
export function parseQuantity(b: Uint8Array, s: number, e: number, fmt: NumberFormat, q: Quantity): QuantityStatus {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 45 || b[i] === 43)) {
    neg = b[i] === 45;
    i++;
  }
  let whole = 0;
  let digits = 0;
  let significant = 0;
  for (; i < e; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      digits++;
      if (whole !== 0 || c !== 48) significant++;
      // Past the column's digits the value is refused: stop growing it beyond a double's exact range.
      if (significant <= QUANTITY_INTEGER_DIGITS) whole = whole * 10 + (c - 48);
    } else if (c === fmt.thousands && digits > 0) continue;
    else break;
  }
  let fracStart = 0;
  let fracLen = 0;
  let fracDigits = 0;
  if (i < e && b[i] === fmt.decimal) {
    i++;
    fracStart = i;
    for (; i < e; i++) {
      const c = b[i];
      if (c < 48 || c > 57) break;
      fracDigits++;
      if (c !== 48) fracLen = i - fracStart + 1;
    }
  }
  if (i !== e || digits + fracDigits === 0) return QuantityStatus.NotANumber;
  if (significant > QUANTITY_INTEGER_DIGITS) return QuantityStatus.TooLarge;
  if (fracLen > QUANTITY_SCALE) return QuantityStatus.TooManyDecimals;
  q.whole = whole;
  q.fracStart = fracStart;
  q.fracLen = fracLen;
  q.negative = neg && (whole !== 0 || fracLen > 0);
  return QuantityStatus.Ok;
}

/** The quantity in units of 10^-QUANTITY_SCALE (exact: a BigInt, up to 18 digits). */
export function quantityScaled(b: Uint8Array, q: Quantity): bigint {
  let frac = 0;
  for (let k = 0; k < q.fracLen; k++) frac = frac * 10 + (b[q.fracStart + k] - 48);
  for (let k = q.fracLen; k < QUANTITY_SCALE; k++) frac *= 10;
  return BigInt(q.whole) * 10n ** BigInt(QUANTITY_SCALE) + BigInt(frac);
}

/**
 * Hundredths of `scaled` (units of 10^-scale, a unit price) × a quantity with decimals, rounded half
 * away from zero: 150.00 × 7.5 = 1125.00, 150 × 0.3333333 = 49.999995 → 50.00.
 */
export function timesQuantityToCents(scaled: number, scale: number, quantity: bigint): number {
  const p = BigInt(scaled) * quantity;
  const d = 10n ** BigInt(scale + QUANTITY_SCALE - 2);
  const a = p < 0n ? -p : p;
  const r = a / d + (2n * (a % d) >= d ? 1n : 0n);
  return Number(p < 0n ? -r : r);
}

/** Why a quantity was refused (`raw` as written); only built on the error path. */
export function quantityProblem(raw: string, status: QuantityStatus, decimalSeparator: string): string {
  const shown = quoteValue(raw);
  switch (status) {
    case QuantityStatus.TooManyDecimals:
      return `${shown} has more than ${QUANTITY_SCALE} decimals, the most a quantity keeps (it is not rounded): round it in the export`;
    case QuantityStatus.TooLarge:
      return `${shown} is above the largest quantity ${QUANTITY_MAX_TEXT}`;
    default:
      return `${shown} is not a number (decimal separator "${decimalSeparator}"; a quantity such as 3 or 7.5)`;
  }
}
