import { expect, test } from 'vitest';
import { CAUSE_KEY, causesQuery, columnsWithCauses, DISAGREEMENT_KEY, NOT_SCORED, withCauses } from './deal-causes.ts';
import { LOST_DEAL_COLUMNS } from '../drills.ts';

test('the causes of the deals on the page, by id', () => {
  expect(causesQuery([])).toBeNull();
  const q = causesQuery(['D2', 'D4', 'D2', '']);
  expect(q?.filters).toEqual([{ member: 'deal_risk.opportunity_id', operator: 'equals', values: ['D2', 'D4'] }]);
});

test('causes and disagreement are joined to the right deal; unscored deals say so', () => {
  const rows = [
    { 'pipeline.opportunity_id': 'D2', 'pipeline.customer_id': 'C02' },
    { 'pipeline.opportunity_id': 'D4', 'pipeline.customer_id': 'C06' },
    { 'pipeline.opportunity_id': 'D9', 'pipeline.customer_id': 'C09' },
  ];
  const causes = [
    { 'deal_risk.opportunity_id': 'D4', 'deal_risk.customer_id': 'C06', 'deal_risk.causes': 'competitor Globex in the deal', 'deal_risk.cause_effects': '0.12', 'deal_risk.disagreement': '' },
    { 'deal_risk.opportunity_id': 'D2', 'deal_risk.customer_id': 'C02', 'deal_risk.causes': 'a; b', 'deal_risk.cause_effects': '0.21;0.05', 'deal_risk.disagreement': 'stated: price — data: a' },
  ];
  const out = withCauses(rows, causes);
  expect(out.map((r) => [r[CAUSE_KEY], r[DISAGREEMENT_KEY]])).toEqual([
    ['a (+21 pts)\nb (+5.0 pts)', 'stated: price — data: a'],
    ['competitor Globex in the deal (+12 pts)', ''],
    [NOT_SCORED, ''],
  ]);
  expect(withCauses(rows, undefined)[0][CAUSE_KEY]).toBe('…');
});

test('the cause columns follow the stated reason', () => {
  const keys = columnsWithCauses(LOST_DEAL_COLUMNS).map((c) => c.key);
  expect(keys.slice(keys.indexOf('pipeline.loss_reason'), keys.indexOf('pipeline.loss_reason') + 3)).toEqual(['pipeline.loss_reason', CAUSE_KEY, DISAGREEMENT_KEY]);
});
