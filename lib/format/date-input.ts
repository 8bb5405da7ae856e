import { DEFAULT_FORMAT, dateFormat, type FormatContext } from './context.ts';
import { formatDate } from './dates.ts';

/**
 * Reading a day typed into a date field (issue 15: Chromium's <input type=date> shows US order,
 * 12/05/2026, whatever the page's lang, on pages that write "5 Dec 2026"). The field shows
 * formatDate's text and accepts: that text ("5 Dec 2026", full month names too, any case), ISO
 * ("2026-12-05", what the URL keeps) and the locale's numeric order ("05/12/2026" in en-GB,
 * "5.12.2026" in de-DE). Anything else, or a day that does not exist (31 Feb), gets a message
 * that says what was typed and how to write it.
 */
export type DateInput = { ok: true; iso: string } | { ok: false; error: string };

const iso = (y: number, m: number, d: number): string | undefined => {
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date.toISOString().slice(0, 10) : undefined;
};

const monthNames = new Map<string, Map<string, number>>();
/** The locale's month names, short and long, lower-case (with and without a trailing dot) → 1–12. */
function monthsOf(locale: string): Map<string, number> {
  let m = monthNames.get(locale);
  if (m) return m;
  m = new Map();
  for (const month of ['short', 'long'] as const) {
    const f = dateFormat(locale, { month });
    for (let i = 0; i < 12; i++) {
      const name = f.format(new Date(Date.UTC(2026, i, 15))).toLowerCase();
      m.set(name, i + 1);
      m.set(name.replace(/\.$/, ''), i + 1);
      // en-GB writes "Sept": "Sep", the first three letters of the long name, works too.
      if (month === 'long' && !m.has(name.slice(0, 3))) m.set(name.slice(0, 3), i + 1);
    }
  }
  // English names are always understood (a German reader may still type "5 Dec 2026").
  if (!locale.startsWith('en')) for (const [k, v] of monthsOf('en-GB')) if (!m.has(k)) m.set(k, v);
  monthNames.set(locale, m);
  return m;
}

const monthOf = (name: string, locale: string): number | undefined => {
  const n = name.toLowerCase();
  return monthsOf(locale).get(n) ?? monthsOf(locale).get(n.replace(/\.$/, ''));
};

const orders = new Map<string, ('day' | 'month' | 'year')[]>();
/** The order of day, month and year in the locale's numeric dates (en-GB: day month year). */
function numericOrder(locale: string): ('day' | 'month' | 'year')[] {
  let o = orders.get(locale);
  if (!o) {
    o = dateFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric' })
      .formatToParts(new Date(Date.UTC(2026, 11, 5)))
      .filter((p) => p.type === 'day' || p.type === 'month' || p.type === 'year')
      .map((p) => p.type as 'day' | 'month' | 'year');
    orders.set(locale, o);
  }
  return o;
}

export function parseDateInput(text: string, ctx: FormatContext = DEFAULT_FORMAT): DateInput {
  const t = text.trim();
  const example = `write it like ${formatDate('2026-12-05', ctx)} or 2026-12-05`;
  if (!t) return { ok: false, error: `Enter a date: ${example}` };
  let day: string | undefined;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) {
    day = iso(+m[1], +m[2], +m[3]);
  } else if ((m = /^(\d{1,2})[./\s-](\d{1,2})[./\s-](\d{4})$/.exec(t))) {
    const [a, b] = [+m[1], +m[2]];
    const monthFirst = numericOrder(ctx.locale).indexOf('month') < numericOrder(ctx.locale).indexOf('day');
    day = monthFirst ? iso(+m[3], a, b) : iso(+m[3], b, a);
  } else if ((m = /^(\d{1,2})\.?\s*([\p{L}.]+),?\s+(\d{4})$/u.exec(t))) {
    const month = monthOf(m[2], ctx.locale);
    if (month) day = iso(+m[3], month, +m[1]);
  } else if ((m = /^([\p{L}.]+)\s+(\d{1,2}),?\s+(\d{4})$/u.exec(t))) {
    const month = monthOf(m[1], ctx.locale);
    if (month) day = iso(+m[3], month, +m[2]);
  }
  return day ? { ok: true, iso: day } : { ok: false, error: `"${t.slice(0, 40)}" is not a date: ${example}` };
}

/**
 * A typed day checked against the field's bounds (ISO days, either optional): the message names
 * the field and the bound as the page writes dates.
 */
export function checkDateInput(
  text: string,
  bounds: { label: string; min?: string; max?: string; minLabel?: string; maxLabel?: string },
  ctx: FormatContext = DEFAULT_FORMAT,
): DateInput {
  const r = parseDateInput(text, ctx);
  if (!r.ok) return { ok: false, error: `${bounds.label}: ${r.error}` };
  const bound = (day: string, label?: string): string =>
    label ? `${label} (${formatDate(day, ctx)})` : formatDate(day, ctx);
  if (bounds.min && r.iso < bounds.min)
    return { ok: false, error: `${bounds.label} must be on or after ${bound(bounds.min, bounds.minLabel)}` };
  if (bounds.max && r.iso > bounds.max)
    return { ok: false, error: `${bounds.label} must be on or before ${bound(bounds.max, bounds.maxLabel)}` };
  return r;
}
