import type { Granularity } from '../format/format.ts';
import type { DateRange } from '../filters/url-filters.ts';
import { addDays } from '../filters/url-filters.ts';
import type { Row } from './types.ts';

/**
 * Time buckets of a range as Cube labels them ('2026-03-01T00:00:00.000'; weeks start on Monday),
 * so a trend shows every bucket — also those without data — and previous-period buckets line up.
 */
const pad = (n: number): string => String(n).padStart(2, '0');
const key = (d: Date): string => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T00:00:00.000`;

export function bucketStart(day: string, granularity: Granularity): Date {
  const d = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  switch (granularity) {
    case 'week': {
      const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
      d.setUTCDate(d.getUTCDate() - dow);
      return d;
    }
    case 'month':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    case 'quarter':
      return new Date(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1));
    case 'year':
      return new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
    default:
      return d;
  }
}

function nextBucket(d: Date, granularity: Granularity): Date {
  const n = new Date(d);
  switch (granularity) {
    case 'week':
      n.setUTCDate(n.getUTCDate() + 7);
      break;
    case 'month':
      n.setUTCMonth(n.getUTCMonth() + 1);
      break;
    case 'quarter':
      n.setUTCMonth(n.getUTCMonth() + 3);
      break;
    case 'year':
      n.setUTCFullYear(n.getUTCFullYear() + 1);
      break;
    default:
      n.setUTCDate(n.getUTCDate() + 1);
  }
  return n;
}

/** Every bucket key from the bucket holding `from` to the one holding `to`. */
export function bucketKeys(range: DateRange, granularity: Granularity): string[] {
  const out: string[] = [];
  const end = new Date(`${range.to}T00:00:00Z`);
  for (let d = bucketStart(range.from, granularity); d <= end && out.length < 1000; d = nextBucket(d, granularity)) out.push(key(d));
  return out;
}

/** The days a bucket covers, clipped to the range (for the drill-down behind a bar). */
export function bucketRange(bucket: string, granularity: Granularity, clip?: DateRange): DateRange {
  const start = bucketStart(bucket, granularity);
  const from = key(start).slice(0, 10);
  const to = addDays(key(nextBucket(start, granularity)).slice(0, 10), -1);
  if (!clip) return { from, to };
  return { from: from < clip.from ? clip.from : from, to: to > clip.to ? clip.to : to };
}

/** Values of `measure` per bucket key (missing buckets → null), from rows keyed by `timeKey`. */
export function valuesByBucket(rows: Row[], timeKey: string, measure: string, keys: string[]): (number | null)[] {
  const by = new Map<string, number>();
  for (const r of rows) {
    const t = r[timeKey];
    const v = r[measure];
    if (typeof t === 'string' && v !== null && v !== undefined && v !== '') by.set(t.slice(0, 10), Number(v));
  }
  return keys.map((k) => by.get(k.slice(0, 10)) ?? null);
}
