import { formatNumber, toNumber } from '../format/format.ts';
import type { Num } from '../../../../lib/format/index.ts';
import { sumOrZero } from '../format/sum-or-zero.ts';
import { coverageNotes } from './queries.ts';

/**
 * The four cards of /pipeline: what each shows, and the note that says what it rests on. A sum over
 * no scored deals is 0 only when there is something to be zero about: with no open deals the cards
 * say so, and open deals no win/loss run has scored have an unknown risk, not a risk of 0 (the
 * CDNOW sample, no deals at all, read "Pipeline value at risk $0 · latest win/loss run").
 */
export interface Card {
  value: number | null | undefined;
  note: string;
}

export interface PipelineCards {
  scored: Card;
  openValue: Card;
  valueAtRisk: Card;
  expectedWon: Card;
}

export interface PipelineCardsInput {
  /** Whether a win/loss run has published scores; undefined while its answer is loading. */
  hasRun: boolean | undefined;
  /** The scored open deals (deal_risk): count, amounts, value at risk, expected won value. */
  scored: Num;
  scoredValue: Num;
  valueAtRisk: Num;
  expectedWon: Num;
  /** Every open deal with the page's filters (pipeline view), scored or not. */
  open: Num;
  openValue: Num;
  /** A filter or the owner scope narrows the view. */
  filtered: boolean;
}

const RISK = 'amount × (1 − win probability)';
const WON = 'amount × win probability';

export function pipelineCards(i: PipelineCardsInput): PipelineCards {
  const open = toNumber(i.open);
  const scored = toNumber(i.scored);
  if (open === 0 && (scored ?? 0) === 0) {
    const note = i.filtered ? 'no open deals in this view' : 'no open deals loaded';
    const none = { value: null, note };
    return { scored: none, openValue: none, valueAtRisk: none, expectedWon: none };
  }
  if (i.hasRun === false && open !== undefined) {
    const unknown = { value: null, note: 'no win/loss run yet' };
    return {
      scored: { value: null, note: `no win/loss run yet: ${formatNumber(open)} open deals not scored` },
      openValue: { value: toNumber(i.openValue) ?? null, note: 'all open deals (none scored)' },
      valueAtRisk: unknown,
      expectedWon: unknown,
    };
  }
  const coverage = coverageNotes(i.scored, i.open, i.openValue);
  // Fewer scored than open: the risk figures are of the scored deals, and say how many.
  const of = scored !== undefined && open !== undefined && scored < open ? `, the ${formatNumber(scored)} scored deals` : '';
  return {
    scored: { value: scored ?? null, note: coverage.deals },
    openValue: { value: sumOrZero(i.scoredValue, i.scored) ?? null, note: coverage.value },
    valueAtRisk: { value: sumOrZero(i.valueAtRisk, i.scored) ?? null, note: `${RISK}${of}` },
    expectedWon: { value: sumOrZero(i.expectedWon, i.scored) ?? null, note: `${WON}${of}` },
  };
}
