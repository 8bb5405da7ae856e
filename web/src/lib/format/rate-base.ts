/**
 * The count a rate is taken of, said beside it: "100%" of 1 closed deal and "100%" of 400 read the
 * same on a card. Callers show it as the card's note, so a rate on a handful of cases reads as one.
 */
import type { Num } from '../../../../lib/format/index.ts';
import { retentionBasePeriod, type PeriodId } from '../../../../lib/periods.ts';
import { formatDate, formatNumber, toNumber } from './format.ts';

/** Below this many cases a rate is said to rest on too few to compare. */
export const FEW = 10;

/** "3 won of 4 closed deals (too few to compare)", "30 won of 120 closed deals"; undefined without counts. */
export function winRateBase(won: Num, lost: Num): string | undefined {
  const w = toNumber(won);
  const l = toNumber(lost);
  if (w === undefined || l === undefined) return undefined;
  const closed = w + l;
  if (closed === 0) return 'no deal won or lost in the period';
  return `${formatNumber(w)} won of ${formatNumber(closed)} closed deal${closed === 1 ? '' : 's'}${closed < FEW ? ' (too few to compare)' : ''}`;
}

/** "over 12 won deals", for an average over the won deals (the sales cycle); undefined without a count. */
export function overWonDeals(won: Num): string | undefined {
  const w = toNumber(won);
  if (w === undefined) return undefined;
  if (w === 0) return 'no deal won in the period';
  return `over ${formatNumber(w)} won deal${w === 1 ? '' : 's'}${w < FEW ? ' (too few to compare)' : ''}`;
}

/**
 * "120 of 300 customers active before" for retention (retained ÷ customers active in the previous
 * period). `range` and `dataStart`: the period shown and the first day with data. A previous period
 * that starts before the data holds fewer days of customers than it says (on CDNOW the default
 * period's, 1 Jul 1996 – 30 Jun 1997, has six months), and one that ends before it holds none: "no
 * customer active in the previous period" read as a fact about customers, not about the data.
 */
export function retentionBase(
  retained: Num,
  base: Num,
  range?: { from: string; to: string; period?: PeriodId },
  dataStart?: string,
): string | undefined {
  const r = toNumber(retained);
  const b = toNumber(base);
  if (r === undefined || b === undefined) return undefined;
  const prev = range && dataStart ? retentionBasePeriod(range, range.period) : undefined;
  if (prev && dataStart! > prev.to)
    return `no data in the previous period (${formatDate(prev.from)} – ${formatDate(prev.to)}): the data starts ${formatDate(dataStart)}`;
  const partial =
    prev && dataStart! > prev.from
      ? `; the previous period (${formatDate(prev.from)} – ${formatDate(prev.to)}) has data from ${formatDate(dataStart)} only`
      : '';
  if (b === 0) return `no customer active in the previous period${partial}`;
  return `${formatNumber(r)} of ${formatNumber(b)} customers active before${b < FEW ? ' (too few to compare)' : ''}${partial}`;
}

/**
 * Why retention has no comparison when the comparison period's own base (its previous period by
 * the same rule, retentionBasePeriod) ends before the data starts: year to date on CDNOW compares
 * 1 Jan – 30 Jun 1998 with the same days of 1997, whose customers would come from 1996. The card
 * read "— vs previous period" beside a repeat-purchase rate compared fine, with no reason given.
 */
export function retentionComparisonNotice(
  comparison: { from: string; to: string } | undefined,
  period: PeriodId | undefined,
  dataStart: string | undefined,
): string | undefined {
  if (!comparison || !dataStart) return undefined;
  const base = retentionBasePeriod(comparison, period);
  return dataStart > base.to
    ? `No data before ${formatDate(dataStart)}: the comparison's customers active before (${formatDate(base.from)} – ${formatDate(base.to)}) are unknown`
    : undefined;
}

/**
 * "812 of 812 buying customers had bought before" for the repeat-purchase rate: on an old purchase
 * log whose customers were all acquired before the period, "100%" alone read as a loyalty record.
 */
export function repeatBase(returning: Num, active: Num): string | undefined {
  const r = toNumber(returning);
  const a = toNumber(active);
  if (r === undefined || a === undefined) return undefined;
  if (a === 0) return 'no customer bought in the period';
  return `${formatNumber(r)} of ${formatNumber(a)} buying customers had bought before${a < FEW ? ' (too few to compare)' : ''}`;
}
