/**
 * Which at-risk customers an owner hears about in a run: pure functions over the candidates, the
 * rules and the newest episode per (owner, customer) from the ledger. Table-tested in
 * test/alerts/episodes.test.ts.
 */
import { createHash } from 'node:crypto';
import type { Candidate } from './candidates.ts';
import type { CloseReason, LatestEpisode, Trigger } from './ledger.ts';
import type { AlertRules } from './rules.ts';

const DAY_MS = 86_400_000;
/** Float noise guard when comparing a rise with the configured minimum. */
const EPS = 1e-9;

/**
 * Whether (and why) a customer at or above the threshold starts a new episode in this window:
 * - first:    never alerted to this owner;
 * - reopened: a run saw them below the threshold since the last alert (that episode is closed);
 * - cooldown: still at risk, and the cooldown since the last alert has passed (a reminder);
 * - rise:     inside the cooldown, but the probability rose by at least minRiseSinceLastAlert.
 * Never twice in one window: a re-run of the same window finds this window's episode and stops.
 */
export function decideTrigger(
  probability: number,
  previous: Pick<LatestEpisode, 'run_window_at' | 'probability' | 'closed'> | undefined,
  rules: Pick<AlertRules, 'probabilityThreshold' | 'cooldownDays' | 'minRiseSinceLastAlert'>,
  windowAt: Date,
): Trigger | null {
  if (probability < rules.probabilityThreshold) return null;
  if (!previous) return 'first';
  if (previous.run_window_at.getTime() >= windowAt.getTime()) return null;
  if (previous.closed) return 'reopened';
  if (rules.cooldownDays !== null && windowAt.getTime() - previous.run_window_at.getTime() >= rules.cooldownDays * DAY_MS) return 'cooldown';
  if (rules.minRiseSinceLastAlert !== null && probability - previous.probability >= rules.minRiseSinceLastAlert - EPS) return 'rise';
  return null;
}

/**
 * Why an open episode ends, stored with its closure (alert_episode_closures.reason):
 * - lapsed:          a later run finds the customer lapsed (stored risk_band, no order in the churn
 *                    model's active window), whatever the probability — the model's probability for
 *                    them is an extrapolation, so waiting for it to fall kept a gone customer's
 *                    episode open for good;
 * - below_threshold: a later run sees the probability below the threshold.
 * Null: no open episode from an earlier window, or still at risk.
 */
export function closeReason(
  c: { probability: number; lapsed: boolean },
  previous: Pick<LatestEpisode, 'run_window_at' | 'closed'> | undefined,
  rules: Pick<AlertRules, 'probabilityThreshold'>,
  windowAt: Date,
): CloseReason | null {
  if (!previous || previous.closed || previous.run_window_at.getTime() >= windowAt.getTime()) return null;
  if (c.lapsed) return 'lapsed';
  return c.probability < rules.probabilityThreshold ? 'below_threshold' : null;
}

/** An open episode of an active customer ends when a later run sees them below the threshold. */
export function shouldClose(
  probability: number,
  previous: Pick<LatestEpisode, 'run_window_at' | 'closed'> | undefined,
  rules: Pick<AlertRules, 'probabilityThreshold'>,
  windowAt: Date,
): boolean {
  return closeReason({ probability, lapsed: false }, previous, rules, windowAt) !== null;
}

export interface ValueAtRisk {
  /** Churn probability × predicted 12-month CLV: the semantic layer's customer_risk.churn_value_at_risk. */
  value: number;
  /** Recorded in the ledger; since issue 15 always the one definition (older rows may say revenue_12m). */
  basis: 'clv_12m' | 'revenue_12m';
}

/**
 * A customer's value at risk, defined once (issue 15): churn probability × predicted 12-month CLV,
 * 0 without a CLV prediction — the same product, of the same stored numbers, as the semantic
 * layer's churn_value_at_risk (semantic/model/cubes/value/churn_risk.yml), so the digest, the churn
 * page and the customer page show one number. The rules' old `valueBasis` no longer changes it.
 */
export function valueAtRisk(c: Pick<Candidate, 'probability' | 'clv_12m'>): ValueAtRisk {
  const clv = c.clv_12m !== null && Number.isFinite(c.clv_12m) ? c.clv_12m : 0;
  return { value: c.probability * clv, basis: 'clv_12m' };
}

/**
 * Whether an owner without a new churn alert gets a deals-only digest in this window, like the
 * churn episodes' rule that unchanged news is not repeated every morning: the first time they
 * have open deals at risk, when a deal is at risk that their last deals-only digest did not list,
 * or as a reminder once cooldownDays have passed since it. `previous` is that last digest.
 */
export function dealsDigestDue(
  dealIds: readonly string[],
  previous: { run_window_at: Date; dealIds: readonly string[] } | undefined,
  rules: Pick<AlertRules, 'cooldownDays'>,
  windowAt: Date,
): boolean {
  if (!dealIds.length) return false;
  if (!previous) return true;
  if (previous.run_window_at.getTime() >= windowAt.getTime()) return false;
  if (dealIds.some((id) => !previous.dealIds.includes(id))) return true;
  return rules.cooldownDays !== null && windowAt.getTime() - previous.run_window_at.getTime() >= rules.cooldownDays * DAY_MS;
}

export function ownerIncluded(ownerId: string, rules: Pick<AlertRules, 'owners'>): boolean {
  return rules.owners === 'all' || rules.owners.includes(ownerId);
}

const hash = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');

/** Stable: the same owner, customer and window always give the same episode id. */
export function episodeId(ownerId: string, customerId: string, window: string): string {
  return `ep-${hash('episode', ownerId, customerId, window).slice(0, 20)}`;
}

/** Stable id of the non-episode row of an owner's deals-only digest in a window (ledger.ts DEALS_TRIGGER). */
export function dealsEpisodeId(ownerId: string, window: string): string {
  return `dl-${hash('deals', ownerId, window).slice(0, 20)}`;
}

/** The digest's identity: owner, run window and the (sorted) episode ids it carries. */
export function deliveryId(ownerId: string, window: string, episodeIds: readonly string[]): string {
  return `dg-${hash('digest', ownerId, window, ...[...episodeIds].sort()).slice(0, 24)}`;
}

/**
 * RFC 5322 Message-ID derived from the delivery id, so every retry of a digest — including a
 * repeat after a crash between the send and the ledger write — carries the same Message-ID.
 * The domain is taken from the From address when it has one.
 */
export function messageIdFor(delivery: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
  return `<${delivery}.alerts@${domain}>`;
}
