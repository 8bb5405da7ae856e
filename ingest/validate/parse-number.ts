/**
 * Decimal and integer parsing straight from bytes. Decimals are returned in hundredths (the
 * warehouse stores Decimal(18, 2)); more fraction digits are rounded half away from zero.
 */
export interface NumberFormat {
  /** Byte of the decimal separator (default `.`). */
  decimal: number;
  /** Byte of the thousands separator, or -1 for none. */
  thousands: number;
  /**
   * UTF-8 bytes of a currency sign written beside decimals (`$1,234.50`, `-$5.00`, `$-5.00`,
   * `1.234,50 €`), the mapping's `numbers.currencySymbol`; absent: a sign makes the value unparsable.
   */
  symbol?: Uint8Array;
}

const at = (b: Uint8Array, i: number, e: number, sym: Uint8Array): boolean => {
  if (i < 0 || i + sym.length > e) return false;
  for (let k = 0; k < sym.length; k++) if (b[i + k] !== sym[k]) return false;
  return true;
};

/** A space or a no-break space (UTF-8 C2 A0) at i, as its byte length; 0 when neither. */
const space = (b: Uint8Array, i: number, e: number): number => (i < e && b[i] === 32 ? 1 : i + 1 < e && b[i] === 0xc2 && b[i + 1] === 0xa0 ? 2 : 0);
const spaceBefore = (b: Uint8Array, s: number, j: number): number => (j > s && b[j - 1] === 32 ? 1 : j - 1 > s && b[j - 2] === 0xc2 && b[j - 1] === 0xa0 ? 2 : 0);

/**
 * The number's bytes without the currency sign around it: [start, end, minus written before the
 * sign]. A value without the sign is returned as it is (a file may write some amounts bare).
 */
function withoutSymbol(b: Uint8Array, s: number, e: number, sym: Uint8Array): [number, number, boolean] {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 45 || b[i] === 43) && at(b, i + 1, e, sym)) {
    neg = b[i] === 45;
    i++;
  }
  if (at(b, i, e, sym)) {
    i += sym.length;
    for (let n = space(b, i, e); n > 0; n = space(b, i, e)) i += n;
    return [i, e, neg];
  }
  if (at(b, e - sym.length, e, sym)) {
    let j = e - sym.length;
    for (let n = spaceBefore(b, s, j); n > 0; n = spaceBefore(b, s, j)) j -= n;
    return [s, j, false];
  }
  return [s, e, false];
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
  // Accounting negatives, as QuickBooks, Xero and spreadsheets write them: "(12.50)", "($12.50)", "$(12.50)".
  let paren = e - s > 2 && b[s] === 40 && b[e - 1] === 41;
  if (paren) {
    s++;
    e--;
  }
  let i = s;
  let neg = false;
  if (fmt.symbol) {
    [i, e, neg] = withoutSymbol(b, s, e, fmt.symbol);
    if (neg && i < e && (b[i] === 45 || b[i] === 43)) return Number.NaN; // "-$-5"
    if (!paren && !neg && e - i > 2 && b[i] === 40 && b[e - 1] === 41) {
      paren = true;
      i++;
      e--;
    }
    if (paren && neg) return Number.NaN; // "(-$5)"
  }
  if (i < e && (b[i] === 45 || b[i] === 43)) {
    if (paren) return Number.NaN; // "(-5)": two signs
    neg = b[i] === 45;
    i++;
  }
  neg = neg || paren;
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

/** ISO 4217 currencies without minor units, and those with three decimals (Stripe's lists). */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/**
 * An amount written in the currency's minor unit (4900 = 49.00 USD, 500 = 500 JPY, as payment
 * APIs write them), given as parsed hundredths (490000), in hundredths of the major unit;
 * undefined when it is not a whole number of minor units. Three-decimal currencies are rounded half
 * away from zero to hundredths like every amount.
 */
export function minorUnitsToCents(parsedCents: number, code: string): number | undefined {
  if (parsedCents % 100 !== 0) return undefined;
  const minor = parsedCents / 100;
  if (ZERO_DECIMAL.has(code)) return minor * 100;
  if (THREE_DECIMAL.has(code)) return Math.sign(minor) * Math.round(Math.abs(minor) / 10);
  return minor;
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

/** Hundredths the warehouse's Decimal(18, 2) amount columns hold at most (9,999,999,999,999,999.99). */
export const MAX_STORED_CENTS = 999_999_999_999_999_999n;

/**
 * Hundredths × a rate, exactly, rounded half away from zero: the rate is read as the decimal its
 * shortest text writes (27000, 0.000037, 1e-7), which is what the mapping's author wrote. Only for
 * products past 2^53, where a double's product has lost digits.
 */
export function timesRateExact(cents: number, rate: number): bigint {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(rate));
  if (!m) throw new RangeError(`rate ${rate} is not a positive decimal`);
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? 0) - frac.length;
  const mant = BigInt(m[1] + frac) * BigInt(cents);
  if (exp >= 0) return mant * 10n ** BigInt(exp);
  const d = 10n ** BigInt(-exp);
  const a = mant < 0n ? -mant : mant;
  const q = a / d + (2n * (a % d) >= d ? 1n : 0n);
  return mant < 0n ? -q : q;
}

/** Hundredths as `9,999,999,999,999,999.99` for messages (thousands separated, so digits can be counted). */
export function centsForMessage(cents: number | bigint): string {
  const b = BigInt(cents);
  const neg = b < 0n;
  const a = neg ? -b : b;
  const whole = (a / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = (a % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}
