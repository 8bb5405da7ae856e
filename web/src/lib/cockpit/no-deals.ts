/**
 * Whether the deal figures rest on any deals at all. A purchase log alone (the CDNOW sample) has
 * none, and "Win rate —", "Lost value $0" and "Open pipeline $0" read as a bad year for sales, not
 * as "no deals were loaded". Known only once both answers are in: the first day a deal closed (for
 * these filters, any time) and the open deals now.
 */
import type { Row } from '../cube/types.ts';
import { toNumber } from '../format/format.ts';

/** True only when both answers are in and neither has a deal; undefined while either is loading. */
export function noDeals(closedStart: readonly Row[] | undefined, openDeals: number | string | null | undefined): boolean | undefined {
  if (closedStart === undefined || openDeals === undefined) return undefined;
  return closedStart.length === 0 && (toNumber(openDeals) ?? 0) === 0;
}

/** What a deal card or chart says instead of its figure: none loaded, or none for these filters. */
export function noDealsText(filtered: boolean): string {
  return filtered ? 'No deals in this view: none open and none ever closed for these filters or accounts.' : 'No deals loaded: this data has no sales deals (load them with npm run ingest -- opportunities <file>).';
}

/** The short form, on a card. */
export const noDealsCard = (filtered: boolean): string => (filtered ? 'no deals in this view' : 'no deals loaded');

/** For a page about closed deals only (lost orders): none ever closed, for these filters or at all. */
export function noClosedDealsText(filtered: boolean): string {
  return filtered
    ? 'No closed deals in this view: none was won or lost, at any time, for these filters or accounts. Every figure below is about closed deals.'
    : 'No deals loaded: this data has no closed sales deals, so every figure below is empty (load them with npm run ingest -- opportunities <file>).';
}

/** The short form on a lost-orders card, which shows no figure then (not "0", "$0"). */
export const noClosedDealsCard = (filtered: boolean): string => (filtered ? 'no closed deals in this view' : 'no deals loaded');
