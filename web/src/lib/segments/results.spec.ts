import { describe, expect, it } from 'vitest';
import { campaignOptions, campaignResultsQuery, groupResults, RESULT_HEADERS, renewing, revenueCell, stillAwaited, type JustPushed } from './results.ts';

const row = (segment: string, id: string, name: string, sends: string, responses: string, conversions: string, rr: string | null, cr: string | null, revenue: string | null, withRevenue = conversions) => ({
  'campaign_performance.segment_id': segment,
  'campaign_performance.campaign_id': id,
  'campaign_performance.campaign_name': name,
  'campaign_performance.sends': sends,
  'campaign_performance.responses': responses,
  'campaign_performance.conversions': conversions,
  'campaign_performance.response_rate': rr,
  'campaign_performance.conversion_rate': cr,
  'campaign_performance.campaign_revenue': revenue,
  'campaign_performance.conversions_with_revenue': withRevenue,
});

describe('campaignResultsQuery', () => {
  it.each([
    ['no segments: nothing to ask', [], null],
    ['ids deduplicated and sorted', ['b', 'a', 'b', ''], ['a', 'b']],
  ] as [string, string[], string[] | null][])('%s', (_name, ids, expected) => {
    const q = campaignResultsQuery(ids);
    if (expected === null) return expect(q).toBeNull();
    expect(q?.filters).toEqual([{ member: 'campaign_performance.segment_id', operator: 'equals', values: expected }]);
    expect(q?.measures).toEqual([
      'campaign_performance.sends', 'campaign_performance.responses', 'campaign_performance.conversions',
      'campaign_performance.response_rate', 'campaign_performance.conversion_rate', 'campaign_performance.campaign_revenue',
      'campaign_performance.conversions_with_revenue',
    ]);
    expect(q?.dimensions).toContain('campaign_performance.campaign_id');
  });
});

describe('groupResults', () => {
  it('groups by segment in the saved order, numbers parsed, rates kept as Cube gives them', () => {
    const rows = [
      row('s2', 'c3', 'Winback', '10', '3', '1', '0.3', '0.1', '250.50'),
      row('s1', 'c1', '', '0', '0', '0', null, null, null),
      row('s2', 'c2', 'Upsell', '4', '0', '0', '0', '0', '0'),
      row('gone', 'c9', 'Of a deleted segment', '1', '1', '1', '1', '1', '5'),
    ];
    expect(groupResults(rows, [{ id: 's1', name: 'One' }, { id: 's2', name: 'Two' }, { id: 's3', name: 'No campaigns' }])).toEqual([
      { segmentId: 's1', segmentName: 'One', campaigns: [{ campaignId: 'c1', campaignName: 'c1', sends: 0, responses: 0, conversions: 0, responseRate: null, conversionRate: null, revenue: null, conversionsWithRevenue: 0 }] },
      { segmentId: 's2', segmentName: 'Two', campaigns: [
        { campaignId: 'c3', campaignName: 'Winback', sends: 10, responses: 3, conversions: 1, responseRate: 0.3, conversionRate: 0.1, revenue: 250.5, conversionsWithRevenue: 1 },
        { campaignId: 'c2', campaignName: 'Upsell', sends: 4, responses: 0, conversions: 0, responseRate: 0, conversionRate: 0, revenue: 0, conversionsWithRevenue: 0 },
      ] },
    ]);
  });
});

// Revenue not reported is not "€0" (session 11): ingest keeps it NULL, Cube's sum answers null
// when no member's is known, and a sum over some of the conversions says what it rests on.
describe('revenueCell', () => {
  const money = (v: number) => `€${v.toFixed(2)}`;
  const count = (v: number) => String(v);
  it.each([
    ['none reported', { revenue: null, conversions: 4, conversionsWithRevenue: 0 }, { text: '—', note: 'not reported' }],
    ['no conversions, nothing reported', { revenue: null, conversions: 0, conversionsWithRevenue: 0 }, { text: '—', note: 'not reported' }],
    ['every conversion reported', { revenue: 250.5, conversions: 2, conversionsWithRevenue: 2 }, { text: '€250.50', note: '' }],
    ['a reported zero is zero', { revenue: 0, conversions: 1, conversionsWithRevenue: 1 }, { text: '€0.00', note: '' }],
    ['some reported', { revenue: 90, conversions: 5, conversionsWithRevenue: 3 }, { text: '€90.00', note: 'reported for 3 of 5 conversions' }],
  ] as const)('%s', (_name, c, expected) => {
    expect(revenueCell(c, money, count)).toEqual(expected);
  });
  it('a row without revenue reads as not reported, not €0', () => {
    const [g] = groupResults([row('s', 'c', 'C', '10', '4', '4', '0.4', '0.4', null, '0')], [{ id: 's', name: 'S' }]);
    expect(g.campaigns[0].revenue).toBeNull();
    expect(revenueCell(g.campaigns[0], money, count)).toEqual({ text: '—', note: 'not reported' });
  });
});

describe('campaignOptions', () => {
  it('one option per campaign, the name or else the id', () => {
    const rows = [
      { 'campaign_performance.campaign_id': 'c1', 'campaign_performance.campaign_name': 'Spring' },
      { 'campaign_performance.campaign_id': 'c1', 'campaign_performance.campaign_name': 'Spring' },
      { 'campaign_performance.campaign_id': 'c2', 'campaign_performance.campaign_name': '' },
      { 'campaign_performance.campaign_id': '', 'campaign_performance.campaign_name': 'x' },
    ];
    expect(campaignOptions(rows)).toEqual([{ id: 'c1', name: 'Spring' }, { id: 'c2', name: 'c2' }]);
  });
});

describe('after a push', () => {
  it('asks Cube to renew the answer, the query otherwise unchanged', () => {
    const q = campaignResultsQuery(['a']);
    expect(renewing(q)).toEqual({ ...q, renewQuery: true });
    expect(renewing(null)).toBeNull();
  });

  const pushed: JustPushed = { campaignId: 'CMP-1', campaignName: 'Winback', segmentId: 'seg-a', members: 12 };
  it.each([
    ['no rows yet (the stale empty answer)', [], [pushed]],
    ['another campaign only', [row('seg-a', 'CMP-0', 'Old', '40', '1', '0', '0.025', '0', '0')], [pushed]],
    ['the campaign with fewer sends than pushed (recorded before this push)', [row('seg-a', 'CMP-1', 'Winback', '7', '0', '0', '0', '0', '0')], [pushed]],
    ['the campaign with the pushed sends', [row('seg-a', 'CMP-1', 'Winback', '12', '0', '0', '0', '0', '0')], []],
    ['the campaign with more sends (earlier pushes added members)', [row('seg-a', 'CMP-1', 'Winback', '15', '2', '0', '0.133', '0', '0')], []],
  ] as [string, ReturnType<typeof row>[], JustPushed[]][])('%s', (_name, rows, expected) => {
    expect(stillAwaited(rows, [pushed])).toEqual(expected);
  });
});

describe('the results table says what each rate is of', () => {
  // Both rates are Cube's ÷ sends (campaign_members.yml). "Conversion rate" alone reads as
  // conversions ÷ responses to a marketer: 30 conversions of 1,000 sends and 60 responses is 3 %
  // of sends but 50 % of responses.
  it('names the base of both rates and the revenue as attributed', () => {
    expect(RESULT_HEADERS.responseRate).toBe('Response rate (of sends)');
    expect(RESULT_HEADERS.conversionRate).toBe('Conversion rate (of sends)');
    expect(RESULT_HEADERS.revenue).toBe('Attributed revenue');
  });
});
