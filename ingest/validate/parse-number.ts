/**
 * Decimal and integer parsing straight from bytes. Decimals are returned in hundredths (the
 * warehouse stores Decimal(18, 2)); more fraction digits are rounded half away from zero.
 */
export interface NumberFormat {
  /** Byte of the decimal separator (default `.`). */
  decimal: number;
  /** Byte of the thousands separator, or -1 for none. */
  thousands: number;
}

export const DEFAULT_NUMBER_FORMAT: NumberFormat = { decimal: 46, thousands: -1 };

/** Returns the value in hundredths, or NaN when the bytes are not a plain decimal number (13 integer digits at most: hundredths stay exact in a double). */
export function parseCents(b: Uint8Array, s: number, e: number, fmt: NumberFormat): number {
  return parseScaled(b, s, e, fmt, 2);
}

/**
 * A decimal in units of 10^-scale (a unit price to 6 places: 0.065 → 65000), rounded half away
 * from zero beyond them; NaN when not a plain decimal or when the value would not be exact in a
 * double (integer digits + scale above 15).
 */
export function parseScaled(b: Uint8Array, s: number, e: number, fmt: NumberFormat, scale: number): number {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 45 || b[i] === 43)) {
    neg = b[i] === 45;
    i++;
  }
  let v = 0;
  let digits = 0;
  let sawDigit = false;
  for (; i < e; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      if (v !== 0 || digits > 0) digits++;
      sawDigit = true;
    } else if (c === fmt.thousands && sawDigit) continue;
    else break;
  }
  if (digits + scale > 15) return Number.NaN;
  let f = 0;
  let n = 0;
  let roundUp = false;
  if (i < e && b[i] === fmt.decimal) {
    i++;
    for (; i < e; i++) {
      const c = b[i];
      if (c < 48 || c > 57) break;
      if (n < scale) f = f * 10 + (c - 48);
      else if (n === scale) roundUp = c >= 53;
      n++;
      sawDigit = true;
    }
  }
  if (i !== e || !sawDigit) return Number.NaN;
  for (let k = Math.min(n, scale); k < scale; k++) f *= 10;
  const scaled = v * 10 ** scale + f + (roundUp ? 1 : 0);
  return neg ? -scaled : scaled;
}

/**
 * Hundredths of `scaled` (units of 10^-scale) × a whole `count`, rounded half away from zero: the
 * amount of a line priced per unit. BigInt only when the product leaves a double's exact range.
 */
export function timesToCents(scaled: number, scale: number, count: number): number {
  const drop = scale - 2;
  const p = scaled * count;
  if (Number.isSafeInteger(p)) {
    const d = 10 ** drop;
    const a = Math.abs(p);
    const q = Math.floor(a / d) + (a % d >= d / 2 ? 1 : 0);
    return p < 0 ? -q : q;
  }
  const big = BigInt(scaled) * BigInt(count);
  const d = 10n ** BigInt(drop);
  const a = big < 0n ? -big : big;
  const q = a / d + (2n * (a % d) >= d ? 1n : 0n);
  return Number(big < 0n ? -q : q);
}

/** Writes hundredths as `123.45` (always two fraction digits). */
export function centsToString(cents: number): string {
  const neg = cents < 0;
  const a = Math.abs(cents);
  const whole = Math.floor(a / 100);
  const frac = a - whole * 100;
  return `${neg ? '-' : ''}${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/** Whole numbers; `3.0` is accepted as 3, `3.5` is not. NaN when not a whole number. */
export function parseInteger(b: Uint8Array, s: number, e: number, fmt: NumberFormat): number {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 45 || b[i] === 43)) {
    neg = b[i] === 45;
    i++;
  }
  let v = 0;
  let n = 0;
  for (; i < e; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      n++;
    } else if (c === fmt.thousands && n > 0) continue;
    else break;
  }
  if (n === 0 || n > 15) return Number.NaN;
  if (i < e && b[i] === fmt.decimal) {
    i++;
    while (i < e && b[i] === 48) i++;
  }
  if (i !== e) return Number.NaN;
  return neg ? -v : v;
}
