import type { CubeQuery, Row } from '../cube/types.ts';
import type { Column } from '../drill.ts';
import { causesText } from './causes.ts';

/**
 * Per-deal causes beside the stated reason (issue 18). The lost-orders drill-down keeps its own
 * query (the pipeline view: exactly the deals behind the clicked bar) and asks the semantic layer's
 * deal_risk view for the causes of the deals on the shown page, then joins them by deal id here.
 * A deal the win/loss model has not scored (no run yet, or newer than the run) says so.
 */
export const CAUSE_KEY = 'deal_causes.text';
export const DISAGREEMENT_KEY = 'deal_causes.disagreement';
export const NOT_SCORED = 'not scored yet';

/** The causes of these deals (at most one page of them). Null when there are none to ask for. */
export function causesQuery(opportunityIds: string[]): CubeQuery | null {
  const ids = [...new Set(opportunityIds.filter(Boolean))];
  if (!ids.length) return null;
  return {
    dimensions: ['deal_risk.opportunity_id', 'deal_risk.customer_id', 'deal_risk.causes', 'deal_risk.cause_effects', 'deal_risk.disagreement', 'deal_risk.stated_reason'],
    filters: [{ member: 'deal_risk.opportunity_id', operator: 'equals', values: ids }],
    limit: ids.length * 4,
  };
}

const key = (opportunityId: unknown, customerId: unknown): string => `${String(opportunityId ?? '')}\u0000${String(customerId ?? '')}`;

/**
 * The drill rows with two more cells: the causes (one per line, with the loss probability each adds)
 * and the disagreement with the stated reason. `dealKeys` names the rows' deal and customer members.
 */
export function withCauses(rows: Row[], causes: Row[] | undefined, dealKeys = { opportunity: 'pipeline.opportunity_id', customer: 'pipeline.customer_id' }): Row[] {
  const byDeal = new Map((causes ?? []).map((c) => [key(c['deal_risk.opportunity_id'], c['deal_risk.customer_id']), c]));
  return rows.map((r) => {
    const c = byDeal.get(key(r[dealKeys.opportunity], r[dealKeys.customer]));
    return {
      ...r,
      [CAUSE_KEY]: causes === undefined ? '…' : c ? causesText(c['deal_risk.causes'], c['deal_risk.cause_effects']) || 'none found' : NOT_SCORED,
      [DISAGREEMENT_KEY]: c ? String(c['deal_risk.disagreement'] ?? '') : '',
    };
  });
}

export const CAUSE_COLUMNS: Column[] = [
  // Beside the stated reason (priority 1 like the reason): the point of the drill-down (issue 18).
  { key: CAUSE_KEY, label: 'Causes in the data', wrap: true, priority: 1 },
  { key: DISAGREEMENT_KEY, label: 'Stated vs data', wrap: true, priority: 1 },
];

/** The drill's columns with the cause columns right after the stated reason. */
export function columnsWithCauses(columns: Column[], reasonKey = 'pipeline.loss_reason'): Column[] {
  const at = columns.findIndex((c) => c.key === reasonKey);
  const i = at < 0 ? columns.length : at + 1;
  return [...columns.slice(0, i), ...CAUSE_COLUMNS, ...columns.slice(i)];
}
