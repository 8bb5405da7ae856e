import { formatPoints as points } from '../format/format.ts';

/**
 * Per-deal causes as the semantic layer gives them (deal_risk.causes: texts joined by '; ',
 * deal_risk.cause_effects: the matching effects joined by ';', each the loss probability the factor
 * adds to THIS deal, 0-1) paired back up, and written the one way every page shows them:
 * "no meeting in the 21 days before close (+18 pts)". Pure; the pages render the result as text
 * (never as HTML), so whatever a cause says is escaped.
 */
export interface Cause {
  text: string;
  /** Added loss probability, 0-1; null when the layer gave no number for it. */
  effect: number | null;
}

export function parseCauses(texts: unknown, effects: unknown): Cause[] {
  const t = typeof texts === 'string' && texts !== '' ? texts.split('; ') : [];
  const e = typeof effects === 'string' && effects !== '' ? effects.split(';') : [];
  return t.map((text, i) => {
    const n = e[i] === undefined || e[i].trim() === '' ? NaN : Number(e[i]);
    return { text, effect: Number.isFinite(n) ? n : null };
  });
}

/** "+18 pts", "+0.5 pts", "+<0.1 pts": points of loss probability ('' when the layer gave none). */
export const formatPoints = (effect: number | null): string => (effect === null ? '' : points(effect));

export const causeLine = (c: Cause): string => (c.effect === null ? c.text : `${c.text} (${formatPoints(c.effect)})`);

/** The causes one per line, for a table cell that wraps (pre-line). */
export const causesText = (texts: unknown, effects: unknown): string => parseCauses(texts, effects).map(causeLine).join('\n');
