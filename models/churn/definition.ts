/**
 * What "churn" means for this model, in one place. Features are computed from facts strictly
 * before the cutoff; the label from facts in [cutoff, cutoff + horizon). Training and evaluation
 * use the population the definition names (customers active before the cutoff).
 *
 * Default: a customer who completed at least one purchase in the 365 days before the cutoff has
 * churned when they complete no purchase in the 90 days after it.
 */

export interface ChurnDefinition {
  /** Days after the cutoff in which a purchase means "not churned" (label window). */
  horizonDays: number;
  /** Days before the cutoff in which a customer must have bought to be in the population. */
  activeWindowDays: number;
  /** Minimum completed orders in the active window to be in the population. */
  minOrdersInWindow: number;
  /** Transaction statuses that count as a purchase. */
  purchaseStatuses: string[];
}

export const DEFAULT_CHURN_DEFINITION: Readonly<ChurnDefinition> = Object.freeze({
  horizonDays: 90,
  activeWindowDays: 365,
  minOrdersInWindow: 1,
  purchaseStatuses: ['completed'],
});

export class ChurnDefinitionError extends Error {
  readonly code = 'INVALID_CHURN_DEFINITION';
}

/** Fills defaults and checks ranges; throws ChurnDefinitionError on nonsense. */
export function resolveDefinition(partial: Partial<ChurnDefinition> = {}): ChurnDefinition {
  const d: ChurnDefinition = {
    ...DEFAULT_CHURN_DEFINITION,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
    purchaseStatuses: [...(partial.purchaseStatuses ?? DEFAULT_CHURN_DEFINITION.purchaseStatuses)],
  };
  const posInt = (name: keyof ChurnDefinition, v: number, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new ChurnDefinitionError(`${name} must be an integer in 1…${max}, got ${v}`);
  };
  posInt('horizonDays', d.horizonDays, 3660);
  posInt('activeWindowDays', d.activeWindowDays, 3660);
  posInt('minOrdersInWindow', d.minOrdersInWindow, 1_000_000);
  if (d.purchaseStatuses.length === 0 || d.purchaseStatuses.some((s) => typeof s !== 'string' || s === '')) {
    throw new ChurnDefinitionError('purchaseStatuses must list at least one non-empty status');
  }
  return d;
}

/** One sentence for reports, the CLI and model_versions. */
export function describeDefinition(d: ChurnDefinition): string {
  const who =
    d.minOrdersInWindow === 1
      ? `customers with at least one ${d.purchaseStatuses.join('/')} order in the ${d.activeWindowDays} days before the cutoff`
      : `customers with at least ${d.minOrdersInWindow} ${d.purchaseStatuses.join('/')} orders in the ${d.activeWindowDays} days before the cutoff`;
  return `Among ${who}, churned = no ${d.purchaseStatuses.join('/')} order in the ${d.horizonDays} days from the cutoff on.`;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Validates a YYYY-MM-DD calendar date (UTC) and returns it unchanged. */
export function parseDay(s: string, what = 'date'): string {
  if (!DATE_RE.test(s)) throw new ChurnDefinitionError(`${what} must be YYYY-MM-DD, got "${s}"`);
  const t = Date.parse(`${s}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) throw new ChurnDefinitionError(`${what} is not a calendar date: "${s}"`);
  return s;
}

/** `day` plus `n` days (n may be negative), as YYYY-MM-DD. */
export function addDays(day: string, n: number): string {
  const t = Date.parse(`${parseDay(day)}T00:00:00Z`) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Today's date in UTC as YYYY-MM-DD. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * The cutoffs of time-based validation for a given "today": the model is trained where the label
 * window ends before the evaluation cutoff starts, so no training label peeks into the test period.
 */
export function validationCutoffs(today: string, d: ChurnDefinition): { trainCutoff: string; evalCutoff: string } {
  return { trainCutoff: addDays(today, -2 * d.horizonDays), evalCutoff: addDays(today, -d.horizonDays) };
}
