import { compileDateFormat, newDateParts, parseIso, type DateParser } from '../validate/parse-date.ts';

/**
 * The date format of a column, in the mapping's format language (ingest/README.md "dates"),
 * confirmed by the ingest's own date parser on every sampled value.
 */
export interface DateGuess {
  /** `ISO` (the default, nothing to declare), a token format such as `DD.MM.YYYY`, `epoch` or `epoch_ms`. */
  format: string;
  /** Some value has a time of day. */
  hasTime: boolean;
  /** How sure: `high`, or `low` when another format fits every value too (then `alternative` names it). */
  sure: 'high' | 'low';
  alternative?: string;
}

/** Day-first and month-first variants are listed in pairs: when both fit, the values cannot tell. */
const WITH_TIME = [
  'YYYY-MM-DD HH:mm:ss Z',
  'YYYY/MM/DD HH:mm:ss',
  'DD.MM.YYYY HH:mm:ss',
  'DD.MM.YYYY HH:mm',
  'MM/DD/YYYY h:mm:ss A',
  'DD/MM/YYYY h:mm:ss A',
  'MM/DD/YYYY h:mm A',
  'DD/MM/YYYY h:mm A',
  'MM/DD/YYYY HH:mm:ss',
  'DD/MM/YYYY HH:mm:ss',
  'MM/DD/YYYY HH:mm',
  'DD/MM/YYYY HH:mm',
  'DD-MM-YYYY HH:mm:ss',
  'DD-MM-YYYY HH:mm',
];
const DATE_ONLY = ['YYYYMMDD', 'YYYY/MM/DD', 'DD.MM.YYYY', 'DD.MM.YY', 'MM/DD/YYYY', 'DD/MM/YYYY', 'MM/DD/YY', 'DD/MM/YY', 'DD-MM-YYYY'];

const parsers = new Map<string, DateParser>();
function parser(format: string): DateParser {
  let p = parsers.get(format);
  if (!p) parsers.set(format, (p = compileDateFormat(format)));
  return p;
}

const parts = newDateParts();
function fits(p: DateParser, v: string): boolean {
  const b = Buffer.from(v);
  if (!p(b, 0, b.length, parts)) return false;
  // Plausible business dates only: a column of 8-digit ids is not a date column.
  return Number.isNaN(parts.epochSeconds) ? parts.y >= 1900 && parts.y <= 2100 : parts.epochSeconds >= 946_684_800 && parts.epochSeconds <= 4_102_444_800;
}

/**
 * Real exports carry the odd bad value (the load rejects it, the preview shows it): a format fits
 * a column when at most one value in twenty (at least one) does not fit, and those are a third at most.
 */
export function mostly(values: readonly string[], test: (v: string) => boolean): boolean {
  let misses = 0;
  const allowed = Math.max(1, Math.floor(values.length / 20));
  for (const v of values) if (!test(v) && ++misses > allowed) return false;
  return misses * 3 <= values.length;
}

/**
 * Returns the format (nearly) every (trimmed, non-empty) value fits, or undefined. `epoch` numbers are
 * only considered when `allowEpoch` (the header says it is a time): otherwise they are ids.
 * `preferDayFirst` decides DD/MM against MM/DD when the values fit both (e.g. the file uses a
 * decimal comma); the guess is then `low` and names the alternative.
 */
export function guessDateFormat(values: readonly string[], opts: { allowEpoch?: boolean; preferDayFirst?: boolean } = {}): DateGuess | undefined {
  const vs = values.map((v) => v.trim()).filter((v) => v !== '');
  if (vs.length === 0) return undefined;
  const hasTime = vs.some((v) => /\d:\d\d/.test(v));
  if (mostly(vs, (v) => /^\d{4}-\d\d-\d\d/.test(v) && fits(parseIso, v))) return { format: 'ISO', hasTime, sure: 'high' };
  if (opts.allowEpoch) {
    if (vs.every((v) => /^\d{10}(\.\d+)?$/.test(v) && fits(parser('epoch'), v))) return { format: 'epoch', hasTime: true, sure: 'high' };
    if (vs.every((v) => /^\d{13}$/.test(v) && fits(parser('epoch_ms'), v))) return { format: 'epoch_ms', hasTime: true, sure: 'high' };
    // Serial days of a spreadsheet saved as CSV: five digits from 1954 (20000) to 2119 (80000).
    if (vs.every((v) => /^\d{5}(\.\d+)?$/.test(v) && Number(v) >= 20_000 && Number(v) < 80_000))
      return { format: 'excel', hasTime: vs.some((v) => /\.\d*[1-9]/.test(v)), sure: 'high' };
  }
  if (!mostly(vs, (v) => /^[\d./: -]+( ?[AaPp][Mm])?( [+-]\d\d:?\d\d)?$/.test(v))) return undefined;
  // The format with the fewest misfits wins (the odd bad value is tolerated, a better fit is not passed over).
  const misfits = (f: string): number => vs.reduce((n, v) => n + (fits(parser(f), v) ? 0 : 1), 0);
  const ranked = (hasTime ? WITH_TIME : DATE_ONLY)
    .filter((f) => mostly(vs, (v) => fits(parser(f), v)))
    .map((f, i) => ({ f, i, miss: misfits(f) }))
    .sort((a, b) => a.miss - b.miss || a.i - b.i);
  if (ranked.length === 0) return undefined;
  const [first, second] = ranked.map((x) => x.f);
  const swapped = (f: string): string => (f.startsWith('DD') ? `MM${f.slice(2, 3)}DD${f.slice(5)}` : `DD${f.slice(2, 3)}MM${f.slice(5)}`);
  // "03/13/2024" fits month first only: one value above 12 decides, even where the other order's
  // misfit would be tolerated as the odd bad value.
  if (second !== undefined && second === swapped(first) && ranked[0].miss === ranked[1].miss) {
    const dayFirst = first.startsWith('DD') ? first : second;
    const monthFirst = first.startsWith('MM') ? first : second;
    const format = opts.preferDayFirst ? dayFirst : monthFirst;
    return { format, hasTime, sure: 'low', alternative: format === dayFirst ? monthFirst : dayFirst };
  }
  return { format: first, hasTime, sure: 'high' };
}
