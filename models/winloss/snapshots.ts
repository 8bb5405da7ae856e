/**
 * Snapshots of closed deals during their life, to learn how an OPEN deal ends. A model learnt only
 * from deals as they stood at their close sees every won deal in its last stage, so it would call
 * every open deal short of it lost; a snapshot is the deal as it stood on a day between its creation
 * and its close — open, at the stage it had, with the history and touches up to that day — labelled
 * with how the deal ended.
 */
import type { DealRecord } from './features.ts';

export const SNAPSHOTS_PER_DEAL = 2;

/** A deterministic number in [0, 1) from a deal and an index (same snapshots every run). */
function unit(d: DealRecord, k: number): number {
  let h = 2166136261 ^ k;
  for (const ch of `${d.source}:${d.opportunity_id}:${k}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** The deal as it stood at the start of `day` (created_day < day ≤ closed_day). */
export function snapshotOf(d: DealRecord, day: number): DealRecord {
  const history = d.history.filter((h) => h.day < day && !/^closed/i.test(h.stage)).sort((a, b) => a.day - b.day);
  return {
    ...d,
    status: 'open',
    stage: history.length ? history[history.length - 1].stage : 'unknown',
    stated_reason: '',
    closed_day: null,
    history,
    as_of_day: day,
  };
}

/**
 * SNAPSHOTS_PER_DEAL snapshots of every closed deal that lasted at least two days, on days drawn
 * uniformly inside its life; `origin[k]` is the index of snapshot k's deal.
 */
export function snapshotDeals(deals: readonly DealRecord[]): { snapshots: DealRecord[]; origin: number[] } {
  const snapshots: DealRecord[] = [];
  const origin: number[] = [];
  deals.forEach((d, i) => {
    if (d.status === 'open' || d.closed_day === null) return;
    const span = d.closed_day - d.created_day;
    if (span < 2) return;
    for (let k = 0; k < SNAPSHOTS_PER_DEAL; k++) {
      snapshots.push(snapshotOf(d, d.created_day + 1 + Math.floor(unit(d, k) * (span - 1))));
      origin.push(i);
    }
  });
  return { snapshots, origin };
}
