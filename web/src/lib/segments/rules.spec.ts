import { describe, expect, it } from 'vitest';
import type { CubeFilter, MemberFilter } from '../cube/types.ts';
import { configureFormat } from '../format/format.ts';
import { audienceQuery, describe as describeDef, FIELDS, emptyDefinition, emptyRule, matchQuery, membersQuery, parseDefinition, segmentFilters, segmentIssues, SegmentRuleError, type Rule, type SegmentDefinition } from './rules.ts';

const r = (field: Rule['field'], op: Rule['op'], ...values: string[]): Rule => ({ field, op, values });
const champions = { member: 'customer_base.rfm_segment', operator: 'equals', values: ['Champions'] } satisfies MemberFilter as MemberFilter;
const north = { member: 'customer_base.region', operator: 'equals', values: ['North', 'South'] } satisfies MemberFilter as MemberFilter;
const clv500 = { member: 'customer_base.predicted_clv', operator: 'gte', values: ['500'] } satisfies MemberFilter as MemberFilter;

const cases: [string, SegmentDefinition, CubeFilter[]][] = [
  ['no rules: every customer', { match: 'all', groups: [{ match: 'all', rules: [] }] }, []],
  ['a group without rules adds nothing', { match: 'all', groups: [{ match: 'all', rules: [] }, { match: 'all', rules: [r('rfm_segment', 'is', 'Champions')] }] }, [champions]],
  ['one category rule', { match: 'all', groups: [{ match: 'all', rules: [r('rfm_segment', 'is', 'Champions')] }] }, [champions]],
  ['values are trimmed and deduplicated', { match: 'all', groups: [{ match: 'all', rules: [r('region', 'is', ' North', 'South', 'North')] }] }, [north]],
  ['numbers are normalised', { match: 'all', groups: [{ match: 'all', rules: [r('clv', 'gte', '500.0')] }] }, [clv500]],
  ['is none of keeps customers without a value', { match: 'all', groups: [{ match: 'all', rules: [r('churn_band', 'is_not', 'high')] }] }, [
    { or: [{ member: 'customer_base.churn_risk_band', operator: 'notEquals', values: ['high'] }, { member: 'customer_base.churn_risk_band', operator: 'notSet' }] },
  ]],
  ['between, bounds in either order', { match: 'all', groups: [{ match: 'all', rules: [r('recency_days', 'between', '90', '30')] }] }, [
    { member: 'customer_base.days_since_last_purchase', operator: 'gte', values: ['30'] },
    { member: 'customer_base.days_since_last_purchase', operator: 'lte', values: ['90'] },
  ]],
  ['AND within a group: flat top-level filters', { match: 'all', groups: [{ match: 'all', rules: [r('rfm_segment', 'is', 'Champions'), r('clv', 'gte', '500')] }] }, [champions, clv500]],
  ['OR within a group', { match: 'all', groups: [{ match: 'any', rules: [r('rfm_segment', 'is', 'Champions'), r('clv', 'gte', '500')] }] }, [{ or: [champions, clv500] }]],
  ['AND of an OR group and a rule', { match: 'all', groups: [
    { match: 'any', rules: [r('rfm_segment', 'is', 'Champions'), r('clv', 'gte', '500')] },
    { match: 'all', rules: [r('region', 'is', 'North', 'South')] },
  ] }, [{ or: [champions, clv500] }, north]],
  ['OR of AND groups', { match: 'any', groups: [
    { match: 'all', rules: [r('rfm_segment', 'is', 'Champions'), r('clv', 'gte', '500')] },
    { match: 'all', rules: [r('region', 'is', 'North', 'South')] },
  ] }, [{ or: [{ and: [champions, clv500] }, north] }]],
  ['OR with one group that has rules collapses', { match: 'any', groups: [
    { match: 'all', rules: [r('rfm_segment', 'is', 'Champions')] },
    { match: 'any', rules: [] },
  ] }, [champions]],
];

describe('segmentFilters', () => {
  it.each(cases)('%s', (_name, def, expected) => {
    expect(segmentFilters(def)).toEqual(expected);
  });

  it('audience and member queries carry the same filters plus the marketing e-mail consent; the match count has no consent filter', () => {
    const consent = { member: 'customer_base.granted_consents', operator: 'contains', values: ['|marketing_email|'] };
    const def = cases[9][1];
    expect(audienceQuery(def).filters).toEqual([...segmentFilters(def), consent]);
    const q = membersQuery(def, 100, 200);
    expect(q.filters).toEqual([...segmentFilters(def), consent]);
    expect(q).toMatchObject({ limit: 100, offset: 200, order: [['customer_base.customer_id', 'asc']] });
    expect(matchQuery(def)).toEqual({ measures: ['customer_base.customers'], filters: segmentFilters(def) });
    // An OR segment stays one top-level filter, so the consent filter is ANDed with the whole of it.
    const any = cases[11][1];
    expect(membersQuery(any, 10, 0).filters).toEqual([...segmentFilters(any), consent]);
    expect(segmentFilters(any)).toHaveLength(1);
  });
});

const one = (rule: Rule): SegmentDefinition => ({ match: 'all', groups: [{ match: 'all', rules: [rule] }] });
const responseCases: [string, Rule, CubeFilter[]][] = [
  ['responded in the last N days', r('campaign_response', 'within_days', '30'), [{ member: 'customer_base.days_since_last_campaign_response', operator: 'lte', values: ['30'] }]],
  ['days are whole', r('campaign_response', 'within_days', '7.9'), [{ member: 'customer_base.days_since_last_campaign_response', operator: 'lte', values: ['7'] }]],
  // Hex of the ids' UTF-8 bytes ('CMP1' = 43 4D 50 31), matched against responded_campaign_keys.
  ['responded to campaigns: |hex(id)| tokens, deduplicated', r('campaign_response', 'to_campaign', 'CMP1', ' CMP2', 'CMP1'), [{ member: 'customer_base.responded_campaign_keys', operator: 'contains', values: ['|434D5031|', '|434D5032|'] }]],
  ['LIKE wildcards and backslashes in ids become plain hex', r('campaign_response', 'to_campaign', 'spring_50%\\x'), [{ member: 'customer_base.responded_campaign_keys', operator: 'contains', values: ['|737072696E675F3530255C78|'] }]],
  ['responded to none of the campaigns', r('campaign_response', 'not_to_campaign', 'CMP1'), [{ member: 'customer_base.responded_campaign_keys', operator: 'notContains', values: ['|434D5031|'] }]],
  ['ever responded', r('campaign_response', 'ever'), [{ member: 'customer_base.campaigns_responded', operator: 'gte', values: ['1'] }]],
  ['never responded', r('campaign_response', 'never'), [{ member: 'customer_base.campaigns_responded', operator: 'equals', values: ['0'] }]],
];

describe('campaign response rule', () => {
  it.each(responseCases)('%s', (_name, rule, expected) => {
    expect(segmentFilters(one(rule))).toEqual(expected);
  });
  it('combines with other rules like any rule', () => {
    const def: SegmentDefinition = { match: 'all', groups: [{ match: 'any', rules: [r('campaign_response', 'never'), r('rfm_segment', 'is', 'Champions')] }] };
    expect(segmentFilters(def)).toEqual([{ or: [{ member: 'customer_base.campaigns_responded', operator: 'equals', values: ['0'] }, champions] }]);
  });
  it('starts as "in the last N days" and parses back', () => {
    expect(emptyRule('campaign_response')).toEqual({ field: 'campaign_response', op: 'within_days', values: [] });
    const def = one(r('campaign_response', 'to_campaign', 'CMP1'));
    expect(parseDefinition(JSON.stringify(def))).toEqual(def);
    expect(() => parseDefinition(one(r('campaign_response', 'gte', '1')))).toThrow(/operator/);
    expect(() => parseDefinition(one(r('clv', 'never')))).toThrow(/operator/);
  });
  it('describes with campaign names when known', () => {
    expect(describeDef(one(r('campaign_response', 'to_campaign', 'CMP1', 'CMP9')), { CMP1: 'Spring winback' })).toBe('Responded to any of Spring winback, CMP9');
    expect(describeDef(one(r('campaign_response', 'within_days', '30')))).toBe('Responded to a campaign in the last 30 days');
    expect(describeDef(one(r('campaign_response', 'never')))).toBe('Never responded to a campaign');
  });
});

describe('parseDefinition', () => {
  it('round-trips JSON', () => {
    const def = cases[10][1];
    expect(parseDefinition(JSON.stringify(def))).toEqual(def);
  });
  it('rejects unknown fields and wrong operators', () => {
    expect(() => parseDefinition({ match: 'all', groups: [{ match: 'all', rules: [{ field: 'password', op: 'is', values: [] }] }] })).toThrow(/unknown field/);
    expect(() => parseDefinition({ match: 'all', groups: [{ match: 'all', rules: [{ field: 'clv', op: 'is', values: ['1'] }] }] })).toThrow(/operator/);
    expect(() => parseDefinition('{}')).toThrow(/groups/);
  });
});

describe('win-back', () => {
  it('targets lapsed customers (no order in the churn model\'s active window) by their stored band', () => {
    const def: SegmentDefinition = { match: 'all', groups: [{ match: 'all', rules: [r('churn_band', 'is', 'lapsed'), r('clv', 'gte', '500')] }] };
    expect(segmentFilters(def)).toEqual([{ member: 'customer_base.churn_risk_band', operator: 'equals', values: ['lapsed'] }, clv500]);
  });
});

describe('describe', () => {
  it('reads like the rules', () => {
    expect(describeDef(cases[10][1])).toBe('(RFM segment is any of Champions AND Predicted 12-month CLV (EUR) ≥ 500) OR Region is any of North, South');
    expect(describeDef(emptyDefinition())).toBe('All customers');
  });
});

describe('amount rules name the configured base currency', () => {
  it('CRM_BASE_CURRENCY USD: "(USD)" in the field labels, the summary and the refusal; EUR by default', () => {
    expect([FIELDS.clv.label, FIELDS.ltv.label]).toEqual(['Predicted 12-month CLV (EUR)', 'Lifetime spend (EUR)']);
    configureFormat({ currency: 'USD' });
    try {
      expect([FIELDS.clv.label, FIELDS.ltv.label]).toEqual(['Predicted 12-month CLV (USD)', 'Lifetime spend (USD)']);
      expect(describeDef(one(r('ltv', 'gte', '500')))).toBe('Lifetime spend (USD) ≥ 500');
      expect(() => segmentFilters(one(r('clv', 'gte', 'abc')))).toThrow(/rule 1 \(Predicted 12-month CLV \(USD\)\): "abc" is not a number/);
    } finally {
      configureFormat({});
    }
    expect(FIELDS.clv.label).toBe('Predicted 12-month CLV (EUR)');
  });
});

describe('fails closed: a rule that cannot be applied is an error naming it, never dropped', () => {
  const bad: [string, Rule, RegExp][] = [
    ['a non-numeric number', r('clv', 'gte', 'abc'), /Group 2, rule 2 \(Predicted 12-month CLV \(EUR\)\): "abc" is not a number/],
    ['an empty number', r('clv', 'gte', ''), /rule 2 \(Predicted 12-month CLV \(EUR\)\): nothing is not a number/],
    ['a non-numeric upper bound', r('recency_days', 'between', '1', 'soon'), /"soon" is not a number/],
    ['Infinity', r('orders', 'lt', 'Infinity'), /"Infinity" is not a number/],
    ['no category value', r('region', 'is'), /\(Region\): choose at least one value/],
    ['blank category values', r('region', 'is', ' ', ''), /choose at least one value/],
    ['no days', r('campaign_response', 'within_days', ''), /nothing is not a number of days/],
    ['negative days', r('campaign_response', 'within_days', '-1'), /"-1" is not a number of days \(0 or more\)/],
    ['no campaign chosen', r('campaign_response', 'to_campaign'), /choose at least one value/],
    ['an operator of another kind', r('clv', 'is' as Rule['op'], '5'), /condition "is" does not apply/],
  ];
  it.each(bad)('%s', (_name, rule, message) => {
    const def: SegmentDefinition = { match: 'any', groups: [{ match: 'all', rules: [r('rfm_segment', 'is', 'Champions')] }, { match: 'all', rules: [r('rfm_segment', 'is', 'Loyal'), rule] }] };
    expect(() => segmentFilters(def)).toThrow(SegmentRuleError);
    expect(() => segmentFilters(def)).toThrow(message);
    expect(() => audienceQuery(def)).toThrow(SegmentRuleError);
    expect(() => membersQuery(def, 10, 0)).toThrow(SegmentRuleError);
    expect(segmentIssues(def).map((i) => [i.group, i.rule])).toEqual([[2, 2]]);
  });
  it('every bad rule is named, not only the first', () => {
    const def: SegmentDefinition = { match: 'all', groups: [{ match: 'all', rules: [r('clv', 'gt', 'x'), r('region', 'is', 'North'), r('ltv', 'lt', 'y')] }] };
    expect(segmentIssues(def).map((i) => i.rule)).toEqual([1, 3]);
  });
  it('the builder starts with a rule to fill in, which is not yet a segment', () => {
    expect(segmentIssues(emptyDefinition())).toHaveLength(1);
  });
  it('a field name from the prototype is not a field', () => {
    expect(() => parseDefinition({ match: 'all', groups: [{ match: 'all', rules: [{ field: 'toString', op: 'gte', values: ['1'] }] }] })).toThrow(/unknown field/);
  });
});
