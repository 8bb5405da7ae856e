import type { CubeQuery } from '../cube/types.ts';

/**
 * One customer's scored deals for the 360 page: open ones first (largest value at risk first),
 * then closed ones, newest close first. The owner restriction is the token's, not a filter here.
 */
export function customerDealsQuery(customerId: string): CubeQuery {
  return {
    dimensions: [
      'deal_risk.opportunity_id',
      'deal_risk.deal_name',
      'deal_risk.deal_status',
      'deal_risk.stage',
      'deal_risk.deal_amount',
      'deal_risk.closed_at',
      'deal_risk.stated_reason',
      'deal_risk.win_probability',
      'deal_risk.deal_value_at_risk',
      'deal_risk.causes',
      'deal_risk.cause_effects',
      'deal_risk.disagreement',
    ],
    filters: [{ member: 'deal_risk.customer_id', operator: 'equals', values: [customerId] }],
    order: [['deal_risk.deal_value_at_risk', 'desc'], ['deal_risk.closed_at', 'desc'], ['deal_risk.opportunity_id', 'asc']],
    limit: 50,
  };
}
