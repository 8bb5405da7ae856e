import type { CubeFilter, CubeQuery, MemberFilter } from '../cube/types.ts';
import { withConsent } from './consent.ts';
import { formatContext } from '../format/format.ts';

/**
 * Segment definitions: rules on customer traits and scores, in AND/OR groups (one level of
 * nesting: the segment combines groups, each group combines rules), and their pure translation
 * into Cube filters on the customer_base view. The same function feeds the live count in the
 * browser, the CSV export on the server and the campaign push, so all three see the same members.
 */
export type Match = 'all' | 'any';

export const FIELDS = {
  rfm_segment: { label: 'RFM segment', member: 'customer_base.rfm_segment', kind: 'category' },
  churn_band: { label: 'Churn risk band (high, medium, low; lapsed: no order in the model’s active window)', member: 'customer_base.churn_risk_band', kind: 'category' },
  churn_probability: { label: 'Churn probability (0–1)', member: 'customer_base.churn_probability', kind: 'number' },
  // Amounts are in the configured base currency (CRM_BASE_CURRENCY), read when the label is shown:
  // a fixed "(EUR)" misnamed the rule's threshold on a USD warehouse (like the alert rules form).
  clv: {
    get label() {
      return `Predicted 12-month CLV (${formatContext().currency})`;
    },
    member: 'customer_base.predicted_clv',
    kind: 'number',
  },
  ltv: {
    get label() {
      return `Lifetime spend (${formatContext().currency})`;
    },
    member: 'customer_base.lifetime_value',
    kind: 'number',
  },
  orders: { label: 'Lifetime orders', member: 'customer_base.lifetime_orders', kind: 'number' },
  recency_days: { label: 'Days since last purchase', member: 'customer_base.days_since_last_purchase', kind: 'number' },
  channel: { label: 'Acquisition channel', member: 'customer_base.acquisition_channel', kind: 'category' },
  region: { label: 'Region', member: 'customer_base.region', kind: 'category' },
  customer_type: { label: 'Customer type', member: 'customer_base.customer_type', kind: 'category' },
  // One field, several members: see RESPONSE_MEMBERS and the response operators below.
  campaign_response: { label: 'Campaign response', member: 'customer_base.days_since_last_campaign_response', kind: 'response' },
} as const;

export type Field = keyof typeof FIELDS;
export const FIELD_KEYS = Object.keys(FIELDS) as Field[];

/**
 * Shown under an RFM segment rule: the names say what a customer's recency is (R is scored within
 * the lapsed or the active buyers, semantic/README.md "RFM"), and a marketer picks on that.
 */
export const RFM_SEGMENT_HINT =
  "Champions, Loyal, Potential Loyalists, New, Promising, Need Attention and About to Sleep bought in the 180 days before the data's as-of date; At Risk, Can't Lose, Hibernating and Lost did not (dormant).";

export const CATEGORY_OPS = { is: 'is any of', is_not: 'is none of' } as const;
export const NUMBER_OPS = { gt: '>', gte: '≥', lt: '<', lte: '≤', between: 'between' } as const;
/**
 * Campaign response (a member who responded or converted, as campaign_performance.responses counts
 * them). Days are counted to the data's as-of day, like "Days since last purchase".
 */
export const RESPONSE_OPS = {
  within_days: 'responded to any campaign in the last … days',
  to_campaign: 'responded to any of these campaigns',
  not_to_campaign: 'responded to none of these campaigns',
  ever: 'responded to any campaign, ever',
  never: 'never responded to a campaign',
} as const;
export type Op = keyof typeof CATEGORY_OPS | keyof typeof NUMBER_OPS | keyof typeof RESPONSE_OPS;
export type Kind = (typeof FIELDS)[Field]['kind'];

export const OPS_BY_KIND: Record<Kind, Record<string, string>> = { category: CATEGORY_OPS, number: NUMBER_OPS, response: RESPONSE_OPS };

/** The customer_base members behind the campaign-response rule. */
export const RESPONSE_MEMBERS = {
  days: 'customer_base.days_since_last_campaign_response',
  campaigns: 'customer_base.responded_campaign_keys',
  count: 'customer_base.campaigns_responded',
} as const;

/**
 * The pattern that finds one campaign in `responded_campaign_keys` ("|HEX1|HEX2|", the ids'
 * UTF-8 bytes in hex). Cube turns `contains` into a LIKE and its ClickHouse driver re-escapes
 * backslashes, so escaping an id's `_` and `%` made such ids never match; hex has no wildcard.
 */
export const campaignToken = (campaignId: string): string =>
  `|${Array.from(new TextEncoder().encode(campaignId), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}|`;

/** Response operators that take no value. */
const VALUELESS: readonly string[] = ['ever', 'never'];
export const takesValues = (op: Op): boolean => !VALUELESS.includes(op);

export interface Rule {
  field: Field;
  op: Op;
  /** Category: the chosen values. Number: one value ([min, max] for between). */
  values: string[];
}

export interface Group {
  match: Match;
  rules: Rule[];
}

export interface SegmentDefinition {
  match: Match;
  groups: Group[];
}

const DEFAULT_OP: Record<Kind, Op> = { category: 'is', number: 'gte', response: 'within_days' };
export const emptyRule = (field: Field = 'rfm_segment'): Rule => ({ field, op: DEFAULT_OP[FIELDS[field].kind], values: [] });
export const emptyDefinition = (): SegmentDefinition => ({ match: 'all', groups: [{ match: 'all', rules: [emptyRule()] }] });

const isNumber = (v: string | undefined): v is string => v !== undefined && v.trim() !== '' && Number.isFinite(Number(v));

/**
 * The Cube filter of one rule, or undefined when the rule is incomplete or invalid (ruleProblem
 * says which). Callers never drop such a rule silently: segmentFilters refuses the whole segment,
 * because a dropped rule widens the audience (a CSV of every customer instead of a few).
 */
export function ruleFilter(rule: Rule): CubeFilter | undefined {
  if (!Object.hasOwn(FIELDS, rule.field)) return undefined;
  const spec = FIELDS[rule.field];
  const member = spec.member;
  if (spec.kind === 'response') return responseFilter(rule);
  if (spec.kind === 'category') {
    const values = [...new Set(rule.values.map((v) => v.trim()).filter(Boolean))];
    if (values.length === 0) return undefined;
    if (rule.op === 'is') return { member, operator: 'equals', values };
    if (rule.op === 'is_not') {
      // notEquals alone would drop customers without a value; they are not "one of" the values.
      return { or: [{ member, operator: 'notEquals', values }, { member, operator: 'notSet' }] };
    }
    return undefined;
  }
  const [a, b] = rule.values;
  const n = (v: string): string => String(Number(v));
  switch (rule.op) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return isNumber(a) ? { member, operator: rule.op, values: [n(a)] } : undefined;
    case 'between': {
      if (!isNumber(a) || !isNumber(b)) return undefined;
      const [lo, hi] = Number(a) <= Number(b) ? [a, b] : [b, a];
      return { and: [{ member, operator: 'gte', values: [n(lo)] }, { member, operator: 'lte', values: [n(hi)] }] };
    }
    default:
      return undefined;
  }
}

const quote = (v: string | undefined): string => (v === undefined || v.trim() === '' ? 'nothing' : `"${v.length > 40 ? `${v.slice(0, 39)}…` : v}"`);

/** Why a rule has no filter (what to fix, for the user), or undefined when it is fine. */
export function ruleProblem(rule: Rule): string | undefined {
  if (ruleFilter(rule)) return undefined;
  const spec = FIELDS[rule.field] as (typeof FIELDS)[Field] | undefined;
  if (!spec) return `unknown field ${quote(String(rule.field))}`;
  if (!Object.hasOwn(OPS_BY_KIND[spec.kind], rule.op)) return `the condition ${quote(String(rule.op))} does not apply`;
  const [a, b] = rule.values;
  if (spec.kind === 'category' || rule.op === 'to_campaign' || rule.op === 'not_to_campaign') return 'choose at least one value';
  if (rule.op === 'within_days') return isNumber(a) ? `${quote(a)} is not a number of days (0 or more)` : `${quote(a)} is not a number of days`;
  if (!isNumber(a)) return `${quote(a)} is not a number`;
  if (rule.op === 'between' && !isNumber(b)) return `${quote(b)} is not a number`;
  return 'the rule is incomplete';
}

export interface RuleIssue {
  /** 1-based, as the builder shows them. */
  group: number;
  rule: number;
  message: string;
}

/** Every rule that cannot become a filter, named by its position: "Group 1, rule 2 (Predicted 12-month CLV (EUR)): "abc" is not a number". */
export function segmentIssues(def: SegmentDefinition): RuleIssue[] {
  return def.groups.flatMap((g, gi) =>
    g.rules.flatMap((r, ri) => {
      const problem = ruleProblem(r);
      const label = (FIELDS[r.field] as (typeof FIELDS)[Field] | undefined)?.label ?? String(r.field);
      return problem ? [{ group: gi + 1, rule: ri + 1, message: `Group ${gi + 1}, rule ${ri + 1} (${label}): ${problem}` }] : [];
    }),
  );
}

/** A segment with a rule that cannot be applied; the message names the rule(s). */
export class SegmentRuleError extends Error {
  /** The message names rules and values the user typed: safe and useful to show (server/errors.ts). */
  readonly userFacing = true;
  constructor(readonly issues: RuleIssue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.name = 'SegmentRuleError';
  }
}

function responseFilter(rule: Rule): CubeFilter | undefined {
  const ids = [...new Set(rule.values.map((v) => v.trim()).filter(Boolean))];
  switch (rule.op) {
    case 'within_days': {
      const [a] = rule.values;
      if (!isNumber(a) || Number(a) < 0) return undefined;
      // Customers who never responded have no days: lte leaves them out, as it should.
      return { member: RESPONSE_MEMBERS.days, operator: 'lte', values: [String(Math.floor(Number(a)))] };
    }
    case 'to_campaign':
      return ids.length ? { member: RESPONSE_MEMBERS.campaigns, operator: 'contains', values: ids.map(campaignToken) } : undefined;
    case 'not_to_campaign':
      // Cube ANDs the values of notContains: none of them.
      return ids.length ? { member: RESPONSE_MEMBERS.campaigns, operator: 'notContains', values: ids.map(campaignToken) } : undefined;
    case 'ever':
      return { member: RESPONSE_MEMBERS.count, operator: 'gte', values: ['1'] };
    case 'never':
      return { member: RESPONSE_MEMBERS.count, operator: 'equals', values: ['0'] };
    default:
      return undefined;
  }
}

function combine(match: Match, parts: CubeFilter[]): CubeFilter | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return match === 'all' ? { and: parts } : { or: parts };
}

/**
 * Cube filters for a definition (the top-level array is ANDed by Cube). Throws SegmentRuleError
 * when any rule is incomplete or invalid — the live count, the export and the push all come
 * through here, so none of them can run with a rule quietly left out. Groups without rules are
 * ignored; no rules at all means every customer.
 */
export function segmentFilters(def: SegmentDefinition): CubeFilter[] {
  const issues = segmentIssues(def);
  if (issues.length) throw new SegmentRuleError(issues);
  const groups = def.groups
    .map((g) => combine(g.match, g.rules.map(ruleFilter).filter((f): f is CubeFilter => f !== undefined)))
    .filter((f): f is CubeFilter => f !== undefined);
  if (groups.length === 0) return [];
  if (def.match === 'all') return groups.flatMap((g) => ('and' in g ? g.and : [g]));
  return [combine('any', groups)!];
}

/**
 * Size and value of the audience the export and the push send: matching customers WITH consent for
 * the segments' purpose (consent.ts).
 */
export function audienceQuery(def: SegmentDefinition): CubeQuery {
  return withConsent({
    measures: ['customer_base.customers', 'customer_base.total_lifetime_value', 'customer_base.total_predicted_clv'],
    filters: segmentFilters(def),
  });
}

/** Every customer the rules match, consent or not: the live count's "N match" (excluded = this − audience). */
export function matchQuery(def: SegmentDefinition): CubeQuery {
  return { measures: ['customer_base.customers'], filters: segmentFilters(def) };
}

/** CSV columns of the member export: header → member. */
export const MEMBER_COLUMNS: [string, string][] = [
  ['customer_id', 'customer_base.customer_id'],
  ['customer_name', 'customer_base.customer_name'],
  ['email', 'customer_base.email'],
  ['region', 'customer_base.region'],
  ['acquisition_channel', 'customer_base.acquisition_channel'],
  ['owner_id', 'customer_base.owner_id'],
  ['rfm_segment', 'customer_base.rfm_segment'],
  ['churn_risk_band', 'customer_base.churn_risk_band'],
  ['churn_probability', 'customer_base.churn_probability'],
  ['lifetime_value_eur', 'customer_base.lifetime_value'],
  ['predicted_clv_eur', 'customer_base.predicted_clv'],
  ['days_since_last_purchase', 'customer_base.days_since_last_purchase'],
  // The day those days count to (the figures' as-of day, the data's end for an old export): without
  // it the file's recency read as days before the day it was downloaded.
  ['days_counted_to', 'customer_base.value_as_of'],
];

/**
 * One page of members with consent (consent.ts), in a stable order (customer id) so paging never
 * skips or repeats anyone.
 */
export function membersQuery(def: SegmentDefinition, limit: number, offset: number, columns: [string, string][] = MEMBER_COLUMNS): CubeQuery {
  return withConsent({
    dimensions: columns.map(([, m]) => m),
    filters: segmentFilters(def),
    order: [['customer_base.customer_id', 'asc']],
    limit,
    offset,
  });
}

/** Parses and validates a stored or posted definition; throws with a readable message. */
export function parseDefinition(input: unknown): SegmentDefinition {
  try {
    return parseChecked(input);
  } catch (err) {
    throw new DefinitionError(err instanceof SyntaxError ? 'the rules are not valid JSON' : (err as Error).message);
  }
}

/** A definition that does not parse; the message describes the input only, so it may be shown. */
export class DefinitionError extends Error {
  readonly userFacing = true;
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionError';
  }
}

function parseChecked(input: unknown): SegmentDefinition {
  const raw = typeof input === 'string' ? (JSON.parse(input) as unknown) : input;
  const d = raw as Partial<SegmentDefinition> | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.groups)) throw new Error('definition must have groups');
  const match = (m: unknown): Match => (m === 'any' ? 'any' : 'all');
  if (d.groups.length > 20) throw new Error('at most 20 groups');
  return {
    match: match(d.match),
    groups: d.groups.map((g) => {
      if (!g || !Array.isArray(g.rules)) throw new Error('every group must have rules');
      if (g.rules.length > 50) throw new Error('at most 50 rules per group');
      return {
        match: match(g.match),
        rules: g.rules.map((r) => {
          if (!r || typeof r.field !== 'string' || !Object.hasOwn(FIELDS, r.field)) throw new Error(`unknown field ${String(r?.field)}`);
          const ops: readonly string[] = Object.keys(OPS_BY_KIND[FIELDS[r.field].kind]);
          if (!ops.includes(r.op)) throw new Error(`operator ${String(r.op)} does not apply to ${r.field}`);
          const values = Array.isArray(r.values) ? r.values.map(String).slice(0, 500) : [];
          return { field: r.field, op: r.op, values };
        }),
      };
    }),
  };
}

/** Every complete rule's member filter (for tests and for describing a segment). */
export function leafFilters(filters: CubeFilter[]): MemberFilter[] {
  return filters.flatMap((f) => ('member' in f ? [f] : 'and' in f ? leafFilters(f.and) : leafFilters(f.or)));
}

/**
 * A one-line description: "RFM segment is any of Champions AND (Region is any of North OR …)".
 * `campaignNames` (id → name) names the campaigns of response rules; ids are shown otherwise.
 */
export function describe(def: SegmentDefinition, campaignNames: Record<string, string> = {}): string {
  const rule = (r: Rule): string => {
    const s = FIELDS[r.field];
    if (s.kind === 'response') {
      if (r.op === 'within_days') return `Responded to a campaign in the last ${r.values[0]} days`;
      if (r.op === 'ever') return 'Responded to a campaign';
      if (r.op === 'never') return 'Never responded to a campaign';
      const names = r.values.map((id) => campaignNames[id] ?? id).join(', ');
      return r.op === 'to_campaign' ? `Responded to any of ${names}` : `Responded to none of ${names}`;
    }
    if (s.kind === 'category') return `${s.label} ${CATEGORY_OPS[r.op as keyof typeof CATEGORY_OPS]} ${r.values.join(', ')}`;
    if (r.op === 'between') return `${s.label} between ${r.values[0]} and ${r.values[1]}`;
    return `${s.label} ${NUMBER_OPS[r.op as keyof typeof NUMBER_OPS]} ${r.values[0]}`;
  };
  const groups = def.groups
    .map((g) => ({ match: g.match, parts: g.rules.filter((r) => ruleFilter(r)).map(rule) }))
    .filter((g) => g.parts.length > 0)
    .map((g) => (g.parts.length > 1 ? `(${g.parts.join(g.match === 'all' ? ' AND ' : ' OR ')})` : g.parts[0]));
  return groups.length ? groups.join(def.match === 'all' ? ' AND ' : ' OR ') : 'All customers';
}
