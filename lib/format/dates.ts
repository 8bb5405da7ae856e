import { DEFAULT_FORMAT, MISSING, dateFormat, type FormatContext } from './context.ts';

/** Parses Cube's zone-less timestamps ('2026-03-01T00:00:00.000') and plain days as UTC. */
export function parseDay(v: string | Date | null | undefined): Date | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(v);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** "5 Dec 2026" (en-GB; the locale decides the order and month names). */
export function formatDate(v: string | Date | null | undefined, ctx: FormatContext = DEFAULT_FORMAT): string {
  const d = parseDay(v);
  return d ? dateFormat(ctx.locale, { day: 'numeric', month: 'short', year: 'numeric' }).format(d) : MISSING;
}

/** "5 Dec 2026, 14:05" (UTC). */
export function formatDateTime(v: string | Date | null | undefined, ctx: FormatContext = DEFAULT_FORMAT): string {
  const d = parseDay(v);
  return d
    ? dateFormat(ctx.locale, {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }).format(d)
    : MISSING;
}

export type Granularity = 'day' | 'week' | 'month' | 'quarter' | 'year';

/** Label of a time bucket: "Mar 2026" for months, "9 Mar" for days and weeks, "Q2 2026", "2026". */
export function formatPeriod(
  v: string | Date | null | undefined,
  granularity: Granularity,
  ctx: FormatContext = DEFAULT_FORMAT,
): string {
  const d = parseDay(v);
  if (!d) return MISSING;
  switch (granularity) {
    case 'year':
      return String(d.getUTCFullYear());
    case 'quarter':
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${d.getUTCFullYear()}`;
    case 'month':
      return dateFormat(ctx.locale, { month: 'short', year: 'numeric' }).format(d);
    default:
      return dateFormat(ctx.locale, { day: 'numeric', month: 'short' }).format(d);
  }
}
