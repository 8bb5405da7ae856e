import type { CubeQuery, Row } from '../cube/types.ts';

/**
 * Campaign results per saved segment, from the campaign_performance view: each campaign that
 * targeted a segment (campaigns.segment_id, set by a push) with its sends, responses, conversions,
 * rates and attributed revenue. The rates are Cube's measures, not recomputed here, so the panel
 * shows exactly what the semantic layer defines.
 */
// Full member names (not built from a prefix) so the e2e check of the dashboard's members sees them.
export const RESULT_MEMBERS = {
  segmentId: 'campaign_performance.segment_id',
  campaignId: 'campaign_performance.campaign_id',
  campaignName: 'campaign_performance.campaign_name',
  sends: 'campaign_performance.sends',
  responses: 'campaign_performance.responses',
  conversions: 'campaign_performance.conversions',
  responseRate: 'campaign_performance.response_rate',
  conversionRate: 'campaign_performance.conversion_rate',
  revenue: 'campaign_performance.campaign_revenue',
  conversionsWithRevenue: 'campaign_performance.conversions_with_revenue',
} as const;

/**
 * The results table's headers. Both rates are of sends (Cube's measures): "Conversion rate" alone
 * reads as conversions ÷ responses to a marketer. The revenue is what the members' conversions were
 * attributed (loaded with the campaign members), not the orders' revenue.
 */
export const RESULT_HEADERS = {
  sends: 'Sends',
  responses: 'Responses',
  responseRate: 'Response rate (of sends)',
  conversions: 'Conversions',
  conversionRate: 'Conversion rate (of sends)',
  revenue: 'Attributed revenue',
} as const;

/** The query for these segments, or null when there are none (nothing to ask). */
export function campaignResultsQuery(segmentIds: string[]): CubeQuery | null {
  const ids = [...new Set(segmentIds.filter(Boolean))].sort();
  if (ids.length === 0) return null;
  const m = RESULT_MEMBERS;
  return {
    dimensions: [m.segmentId, m.campaignId, m.campaignName],
    measures: [m.sends, m.responses, m.conversions, m.responseRate, m.conversionRate, m.revenue, m.conversionsWithRevenue],
    filters: [{ member: m.segmentId, operator: 'equals', values: ids }],
    order: [[m.campaignName, 'asc']],
    limit: 5000,
  };
}

/**
 * A query whose answer must reflect a change the page itself just made: Cube renews its cached
 * answer in the foreground instead of serving it and renewing in the background (which is why a
 * push used to leave "No campaign has targeted a saved segment yet" until a reload). Cube re-checks
 * the campaign tables' refresh key at most every 10 s, so the first renewed answer can still be
 * the old one: the page asks again until it shows the push (stillAwaited).
 */
export function renewing(query: CubeQuery | null): (CubeQuery & { renewQuery: true }) | null {
  return query ? { ...query, renewQuery: true } : null;
}

/** A campaign the page has just pushed, until the results show it. */
export interface JustPushed {
  campaignId: string;
  campaignName: string;
  segmentId: string;
  /** Members in the push: the campaign has at least this many sends once recorded. */
  members: number;
}

/** The pushed campaigns the answer does not show yet, or shows with fewer sends than were pushed. */
export function stillAwaited(rows: Row[], pushed: JustPushed[]): JustPushed[] {
  const m = RESULT_MEMBERS;
  return pushed.filter((p) => !rows.some((r) => String(r[m.campaignId] ?? '') === p.campaignId && num(r[m.sends]) >= p.members));
}

export interface CampaignResult {
  campaignId: string;
  campaignName: string;
  sends: number;
  responses: number;
  conversions: number;
  /** null when the campaign has no sends (Cube's nullIf guard). */
  responseRate: number | null;
  conversionRate: number | null;
  /** null when no member's revenue was reported (not 0: "€0" read as "earned nothing"). */
  revenue: number | null;
  /** Conversions whose revenue was reported: the revenue rests on these alone. */
  conversionsWithRevenue: number;
}

export interface SegmentResults {
  segmentId: string;
  segmentName: string;
  campaigns: CampaignResult[];
}

const num = (v: unknown): number => (v === null || v === undefined || v === '' ? 0 : Number(v));
const rate = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

/** Rows grouped by segment, in the order of `segments` (the saved list); segments without campaigns are left out. */
export function groupResults(rows: Row[], segments: { id: string; name: string }[]): SegmentResults[] {
  const m = RESULT_MEMBERS;
  const bySegment = new Map<string, CampaignResult[]>();
  for (const r of rows) {
    const id = String(r[m.segmentId] ?? '');
    const list = bySegment.get(id) ?? [];
    list.push({
      campaignId: String(r[m.campaignId] ?? ''),
      campaignName: String(r[m.campaignName] ?? '') || String(r[m.campaignId] ?? ''),
      sends: num(r[m.sends]),
      responses: num(r[m.responses]),
      conversions: num(r[m.conversions]),
      responseRate: rate(r[m.responseRate]),
      conversionRate: rate(r[m.conversionRate]),
      revenue: rate(r[m.revenue]),
      conversionsWithRevenue: num(r[m.conversionsWithRevenue]),
    });
    bySegment.set(id, list);
  }
  return segments
    .filter((s) => bySegment.has(s.id))
    .map((s) => ({ segmentId: s.id, segmentName: s.name, campaigns: bySegment.get(s.id)! }));
}

/**
 * The attributed revenue cell: the amount, and what it rests on when that is not every conversion.
 * Revenue is reported with the campaign members and may be missing (ingest stores it NULL, not 0):
 * none reported is "—" with "not reported", not "€0"; a sum over some of the conversions says so
 * ("reported for 3 of 5 conversions"), since it is not the campaign's revenue.
 */
export function revenueCell(
  c: Pick<CampaignResult, 'revenue' | 'conversions' | 'conversionsWithRevenue'>,
  money: (v: number) => string,
  count: (v: number) => string,
): { text: string; note: string } {
  if (c.revenue === null) return { text: '—', note: 'not reported' };
  const note = c.conversionsWithRevenue < c.conversions ? `reported for ${count(c.conversionsWithRevenue)} of ${count(c.conversions)} conversions` : '';
  return { text: money(c.revenue), note };
}

/** Campaigns to offer in the "responded to campaign" rule: id and name, newest first. */
export const CAMPAIGN_OPTIONS_QUERY: CubeQuery = {
  dimensions: [RESULT_MEMBERS.campaignId, RESULT_MEMBERS.campaignName, 'campaign_performance.started_at'],
  order: [['campaign_performance.started_at', 'desc'], [RESULT_MEMBERS.campaignName, 'asc']],
  limit: 500,
};

export function campaignOptions(rows: Row[]): { id: string; name: string }[] {
  const seen = new Set<string>();
  const out: { id: string; name: string }[] = [];
  for (const r of rows) {
    const id = String(r[RESULT_MEMBERS.campaignId] ?? '');
    if (!id || seen.has(id)) continue;
    seen.add(id);
    out.push({ id, name: String(r[RESULT_MEMBERS.campaignName] ?? '') || id });
  }
  return out;
}
