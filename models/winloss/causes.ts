/**
 * Per-deal causes: of the factors a deal has that the all-deals drivers found significant toward
 * loss, how much each adds to THIS deal's predicted loss probability (the same regression: the
 * deal as it is vs the deal without the factor, or at its field's reference level). At most three,
 * largest first. And the disagreement with the stated reason, when the top cause is not one the
 * reason names ("stated: price — data: no meeting in the 21 days before close …").
 */
import { linear } from './estimate.ts';
import type { SliceModel } from './drivers.ts';

export interface Cause {
  feature: string;
  text: string;
  /** Loss probability this factor adds for the deal, 0..1. */
  effect: number;
}

/** Causes below this many probability points are noise, not a reason worth a line. */
export const MIN_CAUSE_EFFECT = 0.01;

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export function dealCauses(model: SliceModel, i: number, max = 3): Cause[] {
  const { columns, p } = model.design;
  const toward = new Set(model.drivers.filter((d) => d.significant && d.direction === 'loss').map((d) => d.factor));
  const x = Float64Array.from(columns, (c) => (c.has(i) ? 1 : 0));
  const p1 = sigmoid(linear(model.fit.beta, x, 0, p));
  const out: Cause[] = [];
  columns.forEach((c, j) => {
    if (x[j] !== 1 || !toward.has(c.id)) return;
    x[j] = 0;
    const effect = p1 - sigmoid(linear(model.fit.beta, x, 0, p));
    x[j] = 1;
    if (effect >= MIN_CAUSE_EFFECT) out.push({ feature: c.id, text: c.text(i), effect });
  });
  return out.sort((a, b) => b.effect - a.effect || a.feature.localeCompare(b.feature)).slice(0, max);
}

/**
 * What each usual stated reason already names among the factors. A free-text reason is matched by
 * keywords; an unrecognised one names nothing we know, so it never disagrees (we cannot tell).
 */
const REASON_NAMES: { match: RegExp; factors: RegExp }[] = [
  { match: /price|cost|budget|expensive/i, factors: /^(big_discount|large_deal|above_account|competitor=)/ },
  { match: /compet|rival|vendor/i, factors: /^competitor=/ },
  { match: /fit|feature|requirement|product/i, factors: /^(product=|competitor=)/ },
  { match: /timing|time|postpon|freeze/i, factors: /^(stuck_30d|silent_14d)/ },
  { match: /decision|stall|unresponsive/i, factors: /^(silent_14d|stuck_30d|single_contact)/ },
  { match: /support|service|ticket|complain/i, factors: /^ticket_during/ },
];

export function disagreement(statedReason: string, causes: readonly Cause[]): string {
  const reason = statedReason.trim();
  if (!reason || causes.length === 0) return '';
  const names = REASON_NAMES.filter((r) => r.match.test(reason));
  if (names.length === 0) return '';
  const top = causes[0];
  if (names.some((r) => r.factors.test(top.feature))) return '';
  return `stated: ${reason.replaceAll('_', ' ')} — data: ${top.text}`;
}
