import { DEFAULT_FORMAT, toNumber, type FormatContext, type Num } from './context.ts';

/**
 * Values for files a spreadsheet reads (CSV exports). Not display strings: plain numbers a
 * spreadsheet can sum, rounded to what they mean, with the unit in the column header instead of
 * in every cell (issue 15 found "0.2757756073756999" in an export):
 * - money:   2 decimals, header ends with the currency code ("value_at_risk_eur");
 * - percent: a 0–1 share written as a percentage with 1 decimal ("27.6"), header ends "_pct"; a
 *            share that 1 decimal would write as 0.0 or 100.0 without being it keeps its digits
 *            ("0.04", "99.96": the dashboard shows these as "<0.1%" / ">99.9%") —
 *            chosen over a 0–1 value because the dashboard shows probabilities as percentages,
 *            so the file and the page read alike;
 * - days:    whole days, header says "days";
 * - number:  at most 4 decimals; text: as it is;
 * - date:    a calendar day as YYYY-MM-DD (Cube answers a day as a timestamp, which spreadsheets
 *            read as text or as a time of day), header unchanged.
 * A numeric column's cell that is not a number is written as it came (the CSV writer still
 * neutralises formulas), so one odd value never breaks a whole export.
 */
export type ExportUnit = 'money' | 'percent' | 'days' | 'number' | 'text' | 'date';

const fixed = (n: number, digits: number): string => {
  const scale = 10 ** digits;
  // Half away from zero, like a spreadsheet's ROUND (Math.round takes -1234.5 to -1234).
  const r = (Math.sign(n) * Math.round(Math.abs(n) * scale)) / scale;
  // Math.round(-0.4) is -0, and (-0.004).toFixed(2) is "-0.00": a rounded zero is plain 0.
  return (r === 0 ? 0 : r).toFixed(digits);
};

export function exportValue(v: unknown, unit: ExportUnit): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (unit === 'text') return String(v);
  if (unit === 'date') return /^\d{4}-\d{2}-\d{2}/.exec(String(v))?.[0] ?? String(v);
  const n = typeof v === 'number' || typeof v === 'string' ? toNumber(v as Num) : undefined;
  if (n === undefined) return String(v);
  switch (unit) {
    case 'money':
      return fixed(n, 2);
    case 'percent': {
      const pct = fixed(n * 100, 1);
      // 1 decimal would write a 0.04 % chance as 0.0 and a 99.96 % one as 100.0: those keep their
      // digits (to 12 significant, past a float's noise) so the file never says zero or certain.
      const extreme = (Number(pct) === 0 && n !== 0) || (Number(pct) === 100 && n > 0 && n < 1);
      return extreme ? String(Number((n * 100).toPrecision(12))) : pct;
    }
    case 'days':
      return fixed(n, 0);
    default:
      return String(Number(fixed(n, 4)));
  }
}

/** The header with its unit: "clv" + money → "clv_eur", "churn_probability" + percent → "churn_probability_pct". */
export function exportHeader(
  name: string,
  unit: ExportUnit,
  ctx: Pick<FormatContext, 'currency'> = DEFAULT_FORMAT,
): string {
  const suffix =
    unit === 'money' ? `_${ctx.currency.toLowerCase()}` : unit === 'percent' ? '_pct' : unit === 'days' ? '_days' : '';
  if (!suffix) return name;
  if (unit === 'days' && /(^|_)days(_|$)/.test(name)) return name;
  // Column lists written when every amount was in euros name the unit already ("…_eur").
  const base = unit === 'money' ? name.replace(/_eur$/, '') : name;
  return base.endsWith(suffix) ? base : `${base}${suffix}`;
}
