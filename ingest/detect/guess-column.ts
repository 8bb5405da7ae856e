import { guessDateFormat, mostly, type DateGuess } from './guess-date.ts';
import { isNumberIn, type NumberGuess } from './guess-number.ts';

export type ColumnKind = 'empty' | 'date' | 'datetime' | 'int' | 'decimal' | 'email' | 'phone' | 'currency' | 'boolean' | 'enum' | 'id' | 'text';

export interface ColumnGuess {
  kind: ColumnKind;
  /** date/datetime columns. */
  date?: DateGuess;
  /** Distinct non-empty values in the sample. */
  distinct: number;
  /** Non-empty values in the sample. */
  filled: number;
  /** Sampled values that are empty. */
  empty: number;
}

export interface ColumnContext {
  numbers: Pick<NumberGuess, 'decimal' | 'thousands'>;
  /** The file reads European (decimal comma, `;`): DD/MM wins where the values fit MM/DD too. */
  preferDayFirst?: boolean;
}

const EMAIL = /^[^@\s<>"]+@[^@\s<>"]+\.[A-Za-z]{2,}$/;
const PHONE = /^\+?[\d\s().\-/]+$/;
const BOOLEAN = new Set(['true', 'false', 'yes', 'no', 'y', 'n', 'wahr', 'falsch', 'ja', 'nein']);
/** Codes common in exports; a three-letter column of these is a currency column. */
const CURRENCIES = new Set(
  'USD EUR GBP CHF JPY CNY CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN HRK TRY RUB UAH INR IDR KRW SGD HKD TWD THB MYR PHP VND BRL MXN ARS CLP COP PEN ZAR EGP NGN KES ILS AED SAR QAR ISK'.split(' '),
);

/** A header that says "identifier": order number, customer no., Kundennr, Record ID, … */
export function namesAnId(header: string): boolean {
  return /(^|[^a-z])(id|ids|no|nr|number|num|code|key|ref|reference)$|nummer$|nr\.?$|^#$/i.test(header.trim()) || /(^|_)id(_|$)/i.test(header.trim());
}

/** A header that says "point in time": created at, Datum, timestamp, … */
export function namesATime(header: string): boolean {
  return /date|time|created|updated|_at$|\bat$|datum|zeit|stamp|\bwhen\b|day$|seit/i.test(header);
}

/**
 * The kind of one column from its sampled values (header only as a hint for ids and epoch times).
 * Checked from the most specific to the least: a column of `00004`s is an id, not a number; a
 * column of 8-digit `19970101`s is a date when every value is a plausible calendar date.
 */
export function guessColumn(header: string, values: readonly string[], ctx: ColumnContext): ColumnGuess {
  const vs = values.map((v) => v.trim());
  const filled = vs.filter((v) => v !== '');
  const base = { distinct: new Set(filled).size, filled: filled.length, empty: vs.length - filled.length };
  const is = (kind: ColumnKind, extra: Partial<ColumnGuess> = {}): ColumnGuess => ({ kind, ...base, ...extra });
  if (filled.length === 0) return is('empty');
  if (filled.every((v) => EMAIL.test(v))) return is('email');
  const allInts = filled.every((v) => /^[+-]?\d+$/.test(v));
  const date = guessDateFormat(filled, { allowEpoch: namesATime(header), preferDayFirst: ctx.preferDayFirst });
  if (date && !(allInts && date.format === 'YYYYMMDD' && namesAnId(header))) return is(date.hasTime ? 'datetime' : 'date', { date });
  if (allInts) {
    const leadingZero = filled.some((v) => /^0\d/.test(v));
    const long = filled.some((v) => v.replace(/^[+-]/, '').length > 9);
    return is(leadingZero || long || namesAnId(header) ? 'id' : 'int');
  }
  if (mostly(filled, (v) => isNumberIn(v, ctx.numbers)) && filled.some((v) => isNumberIn(v, ctx.numbers))) return is(namesAnId(header) ? 'id' : 'decimal');
  if (filled.every((v) => /^[A-Za-z]{3}$/.test(v) && CURRENCIES.has(v.toUpperCase()))) return is('currency');
  if (filled.every((v) => PHONE.test(v) && v.replace(/\D/g, '').length >= 6 && /[+\s()\-/]/.test(v))) return is('phone');
  if (filled.every((v) => BOOLEAN.has(v.toLowerCase())) || (filled.every((v) => v === '0' || v === '1') && base.distinct <= 2)) return is('boolean');
  const short = filled.every((v) => v.length <= 40);
  if (short && base.distinct <= Math.max(2, Math.min(20, filled.length / 3))) return is('enum');
  if (filled.every((v) => v.length <= 64 && !/\s/.test(v) && /\d/.test(v))) return is('id');
  return is('text');
}
