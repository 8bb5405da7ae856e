/**
 * Decimal and thousands separators from the numbers in a sample. Unambiguous spellings decide:
 * `12,50` or `1.234,50` mean a decimal comma, `12.50` or `1,234.50` a decimal point. A lone `1,234`
 * or `1.234` could be either and counts for nothing.
 */
export interface NumberGuess {
  decimal: '.' | ',';
  /** Thousands separator seen in the sample, or '' for none. */
  thousands: '' | '.' | ',' | ' ';
  /** How many values decided it (0: nothing in the sample did; the default `.` was kept). */
  evidence: number;
  /** A lone grouped value ("7,200") decided the thousands separator, nothing the decimal: said in the draft. */
  loneGroups?: string;
}

const COMMA_DECIMAL = [/^[+-]?\d{1,3}(\.\d{3})+,\d+$/, /^[+-]?\d+,\d{1,2}$/, /^[+-]?\d+,\d{4,}$/, /^[+-]?\d{1,3}( \d{3})+,\d+$/];
const POINT_DECIMAL = [/^[+-]?\d{1,3}(,\d{3})+\.\d+$/, /^[+-]?\d+\.\d{1,2}$/, /^[+-]?\d+\.\d{4,}$/];
const DOT_GROUPS = /^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/;
const COMMA_GROUPS = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const SPACE_GROUPS = /^[+-]?\d{1,3}( \d{3})+([.,]\d+)?$/;

export function guessNumberFormat(values: Iterable<string>): NumberGuess {
  let comma = 0;
  let point = 0;
  let dotGroups = 0;
  let commaGroups = 0;
  let spaceGroups = 0;
  let loneComma: string | undefined;
  let loneDot: string | undefined;
  for (const raw of values) {
    const v = raw.trim();
    if (v === '' || !/^[+-]?\d[\d.,  ]*$/.test(v)) continue;
    if (COMMA_DECIMAL.some((r) => r.test(v))) comma++;
    else if (POINT_DECIMAL.some((r) => r.test(v))) point++;
    if (DOT_GROUPS.test(v) && (v.includes(',') || (v.match(/\./g) ?? []).length > 1)) dotGroups++;
    if (COMMA_GROUPS.test(v) && (v.includes('.') || (v.match(/,/g) ?? []).length > 1)) commaGroups++;
    if (SPACE_GROUPS.test(v)) spaceGroups++;
    if (/^[+-]?\d{1,3}(,\d{3})+$/.test(v)) loneComma ??= v;
    if (/^[+-]?\d{1,3}(\.\d{3})+$/.test(v)) loneDot ??= v;
  }
  const decimal = comma > point ? ',' : '.';
  // "7,200" beside whole numbers or decimal points is seven thousand two hundred (a price is not
  // written to three decimals); "7.200" beside decimal commas the same.
  let thousands: NumberGuess['thousands'] = decimal === ',' ? (dotGroups > 0 ? '.' : spaceGroups > 0 ? ' ' : '') : commaGroups > 0 ? ',' : '';
  let loneGroups: string | undefined;
  if (thousands === '' && decimal === '.' && comma === 0 && loneComma) [thousands, loneGroups] = [',', loneComma];
  else if (thousands === '' && decimal === ',' && loneDot) [thousands, loneGroups] = ['.', loneDot];
  return { decimal, thousands, evidence: Math.max(comma, point), ...(loneGroups ? { loneGroups } : {}) };
}

/** A plain number in the given format (sign, digits, optional thousands groups and fraction). */
export function isNumberIn(value: string, fmt: Pick<NumberGuess, 'decimal' | 'thousands'>): boolean {
  const esc = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const grouped = fmt.thousands ? `\\d{1,3}(${esc(fmt.thousands)}\\d{3})+|` : '';
  return new RegExp(`^[+-]?(${grouped}\\d+)(${esc(fmt.decimal)}\\d+)?$`).test(value.trim());
}

/** Signs written beside amounts in exports, longest first so "US$" wins over "$". */
const CURRENCY_SIGNS = ['US$', 'CA$', 'AU$', 'R$', 'USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'JPY', '$', '€', '£', '¥', '₹'];
/** The currency a sign names; "$" alone is most often US dollars, and the draft says it is a guess. */
const SIGN_CURRENCY: Record<string, string> = { US$: 'USD', CA$: 'CAD', AU$: 'AUD', R$: 'BRL', $: 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', '₹': 'INR' };

export interface CurrencySignGuess {
  /** As written (`numbers.currencySymbol`). */
  symbol: string;
  /** ISO code it names (`currency.default`). */
  currency: string;
  /** True when the sign names one currency only (not "$" or "¥"). */
  sure: boolean;
  /** Sampled values written with it. */
  count: number;
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NUMBER = '[+-]?\\d[\\d.,\\u00a0 ]*';
const SIGN_RES = CURRENCY_SIGNS.map((sign) => ({
  sign,
  re: new RegExp(`^(?:[+-]?${escape(sign)}[\\u00a0 ]*${NUMBER}|${NUMBER}[\\u00a0 ]*${escape(sign)})$`, 'u'),
}));

/**
 * The one currency sign the sample's numbers are written with ("$24,000.00", "1.234,50 €"), when
 * at least three values use it and no other sign appears; undefined otherwise (two signs in one
 * file need a currency column, not a sign).
 */
export function guessCurrencySign(values: Iterable<string>): CurrencySignGuess | undefined {
  const counts = new Map<string, number>();
  for (const raw of values) {
    const v = raw.trim();
    if (v === '' || v.length > 40 || !/\d/.test(v)) continue;
    const hit = SIGN_RES.find((s) => s.re.test(v));
    if (hit) counts.set(hit.sign, (counts.get(hit.sign) ?? 0) + 1);
  }
  if (counts.size !== 1) return undefined;
  const [[symbol, count]] = [...counts];
  if (count < 3) return undefined;
  const currency = SIGN_CURRENCY[symbol] ?? symbol;
  return { symbol, currency, sure: symbol !== '$' && symbol !== '¥', count };
}

/** The value without the sign (and the spaces beside it), for the number and column guesses. */
export function withoutCurrencySign(value: string, symbol: string): string {
  const v = value.trim();
  if (v.startsWith(symbol)) return v.slice(symbol.length).trim();
  if ((v.startsWith('-') || v.startsWith('+')) && v.slice(1).startsWith(symbol)) return v[0] + v.slice(1 + symbol.length).trim();
  if (v.endsWith(symbol)) return v.slice(0, -symbol.length).trim();
  return value;
}

/** An accounting negative, "(12.50)" or "($1,234.00)", as the minus-signed number the guesses read ("-12.50"); any other value as it is. */
export function withMinusForParens(value: string): string {
  // Not a pattern: /^\s*\(\s*([^()\s-][^()]*?)\s*\)\s*$/ tried the trailing spaces at every
  // position of its lazy group, quadratic in a cell's spaces — a 1 MB sample's cell of "(a", spaces
  // and no ")" (any text field of a source system) held detect for most of an hour (eighth security
  // review). trim() removes exactly what \s matches.
  const v = value.trim();
  if (v.length < 3 || v[0] !== '(' || v[v.length - 1] !== ')') return value;
  const inner = v.slice(1, -1).trim();
  if (inner === '' || inner[0] === '-' || inner.includes('(') || inner.includes(')')) return value;
  return /\d/.test(inner) ? `-${inner}` : value;
}
