/**
 * What the cohort chart says when no cohort starts in the period. On an old purchase log whose
 * customers all first bought before the period (CDNOW: January–March 1997), "No cohorts start in
 * this period." beside 812 active customers read as missing data; it means every buyer of the
 * period is an earlier cohort's, and an earlier start shows them.
 */
import { formatDate } from '../format/format.ts';

export function noCohortsText(from: string, dataStart: string | undefined): string {
  if (!dataStart || dataStart >= from) return 'No cohorts start in this period.';
  return `No cohorts start in this period: every customer who bought in it had first bought before ${formatDate(from)}. Start the period on ${formatDate(dataStart)} (the data's first day) to see their cohorts.`;
}
