import { numberFormat } from './context.ts';

/**
 * A value the reader must not misread as exactly zero or exactly one (issue E2): a number that is
 * not zero but whose shown digits are all zero ("0.0%" for a 0.04 % chance, "-€0" for −€0.40,
 * "±0.0%" for a change that happened) is shown as less than the smallest step the digits can show,
 * sign first: "<0.1%", "−<€1", "+<0.1 pp". A share below one that would show as "100.0%" is
 * ">99.9%". True zero and true one keep their plain text ("0.0%", "100.0%"), so "0.0%" means zero.
 * `format` formats a magnitude (never negative: Intl writes −0.0004 as "-0.0%"); `minus` is the
 * sign the caller's other negatives carry (Intl's "-" for amounts, "−" for changes).
 */
export function beyondShownDigits(
  n: number,
  format: (magnitude: number) => string,
  step: number,
  opts: { belowOne?: boolean; sign?: 'always'; minus?: string } = {},
): string | undefined {
  if (n === 0) return undefined;
  const abs = Math.abs(n);
  const sign = n < 0 ? (opts.minus ?? '−') : opts.sign === 'always' ? '+' : '';
  if (format(abs) === format(0)) return `${sign}<${format(step)}`;
  if (opts.belowOne && abs < 1 && format(abs) === format(1)) return `${sign}>${format(1 - step)}`;
  return undefined;
}

/** The locale's own minus sign ("-" in en-GB), so "-€5" and "-<€1" read alike. */
export const localeMinus = (locale: string): string =>
  numberFormat(locale, {})
    .formatToParts(-1)
    .find((p) => p.type === 'minusSign')?.value ?? '-';
