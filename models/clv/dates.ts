/**
 * Calendar days as integers (days since 1970-01-01). Purchases are merged per calendar day, so a
 * day must not depend on the machine's time zone: a string's own YYYY-MM-DD is its day (as written,
 * whatever offset follows), and a Date's day is its UTC day.
 */
import { ClvModelError } from './errors.ts';

const MS_PER_DAY = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;
const COMPACT_DAY = /^(\d{4})(\d{2})(\d{2})$/;

export type DateInput = Date | string;

export function toEpochDay(d: DateInput): number {
  if (d instanceof Date) {
    const ms = d.getTime();
    if (Number.isNaN(ms)) throw new ClvModelError('INVALID_INPUT', 'invalid Date');
    return Math.floor(ms / MS_PER_DAY);
  }
  const m = ISO_DAY.exec(d) ?? COMPACT_DAY.exec(d);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const day = Number(m[3]);
    const ms = Date.UTC(y, mo - 1, day);
    // Date.UTC rolls 2024-02-30 over to March: reject it instead.
    const back = new Date(ms);
    if (back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === day) return ms / MS_PER_DAY;
  }
  throw new ClvModelError('INVALID_INPUT', `not a calendar date (YYYY-MM-DD… or YYYYMMDD): ${JSON.stringify(d)}`);
}

/** YYYY-MM-DD of an epoch day. */
export function epochDayToIso(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}
