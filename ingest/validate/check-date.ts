import { quoteValue } from '../core/reasons.ts';
import { MAX_DATE_DAYS, MAX_DATETIME_SECONDS } from './parse-date.ts';

/** Date columns hold days since 1970-01-01 in 16 bits (ClickHouse `Date`). */
export function daysInRange(days: number): boolean {
  return days >= 0 && days <= MAX_DATE_DAYS;
}

/** Date-time columns hold Unix seconds in 32 bits (ClickHouse `DateTime`). */
export function secondsInRange(secs: number): boolean {
  return secs >= 0 && secs <= MAX_DATETIME_SECONDS;
}

/**
 * Why a value did not parse as a date. `hintField`: name the mapping key to set when the value
 * looks like a day-first or month-first date and the field expects ISO.
 */
export function dateFormatProblem(value: string, isDate: boolean, expect: string, hintField?: string): string {
  const iso = hintField !== undefined && expect.startsWith('YYYY-MM-DD');
  const hint =
    iso && /^\d{1,2}[./]\d{1,2}[./]\d{2,4}/.test(value)
      ? `; for other formats set dates.${hintField} in the mapping`
      : iso && /^\d{5}(\.\d+)?$/.test(value.trim())
        ? `; a spreadsheet's serial day number (45292 = 2024-01-01) reads with "dates": {"${hintField}": "excel"} in the mapping`
        : '';
  return `${quoteValue(value)} is not a ${isDate ? 'date' : 'date/time'} (expected ${expect}${hint})`;
}

export function dateRangeProblem(value: string, isDate: boolean): string {
  return `${quoteValue(value)} is outside the range the warehouse stores (${isDate ? '1970-01-01 to 2149-06-06' : '1970 to 2106'})`;
}
