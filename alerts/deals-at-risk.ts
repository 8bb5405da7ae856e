/**
 * The owner's open deals at risk in the digest (issue 18): the owner's top open deals by value at
 * risk (amount × (1 − win probability)) from the newest PUBLISHED win/loss run
 * (deal_scores_current), each with the model's strongest reason. The same rows and numbers the
 * dashboard's /pipeline page shows through the semantic layer's deal_risk view: the owner is the
 * customer's owner (customers_resolved), as in the layer's row-level security.
 *
 * Read when a digest is delivered, not stored in the ledger: a retried digest shows the deals as
 * they stand at the retry (the churn part stays as planned). Pure builders and renderers; one
 * loader.
 */
import { DEFAULT_FORMAT, formatMoney, formatProbability, type FormatContext } from '../lib/format/index.ts';
import type { Warehouse } from '../lib/warehouse/index.ts';
import { checkName, type BoundQuery } from '../lib/warehouse/sql.ts';

export interface DealAtRisk {
  opportunityId: string;
  dealName: string;
  customerId: string;
  customerName: string;
  stage: string;
  amount: number;
  winProbability: number;
  valueAtRisk: number;
  /** The model's reasons, strongest first (finished phrases with units). */
  reasons: string[];
}

/** How many open deals per owner a digest lists. */
export const DEALS_PER_DIGEST = 5;

/** `owners: null` reads every owner's deals (rules.owners = "all"); customers without an owner are nobody's. */
export function dealsAtRiskQuery(i: { database: string; cluster?: string; owners: string[] | null; perOwner?: number }): BoundQuery {
  const db = checkName(i.database);
  const g = i.cluster ? 'GLOBAL ' : '';
  return {
    query: `SELECT
  c.owner_id AS owner_id,
  s.opportunity_id AS opportunity_id,
  o.name AS deal_name,
  s.customer_id AS customer_id,
  if(c.name != '', c.name, c.company) AS customer_name,
  s.stage AS stage,
  s.amount AS amount,
  s.win_probability AS win_probability,
  s.value_at_risk AS value_at_risk,
  arrayMap(r -> tupleElement(r, 2), s.causes) AS reasons
FROM ${db}.deal_scores_current AS s
${g}INNER JOIN (SELECT customer_id, owner_id, name, company FROM ${db}.customers_resolved WHERE ${i.owners === null ? "owner_id != ''" : 'owner_id IN {owners:Array(String)}'}) AS c
  ON c.customer_id = s.customer_id
${g}LEFT JOIN (SELECT source, opportunity_id, name FROM ${db}.opportunities_resolved) AS o
  ON o.source = s.source AND o.opportunity_id = s.opportunity_id
WHERE s.status = 'open' AND s.value_at_risk > 0
ORDER BY owner_id, value_at_risk DESC, opportunity_id
LIMIT {per_owner:UInt32} BY owner_id
SETTINGS join_use_nulls = 0`,
    query_params: { ...(i.owners === null ? {} : { owners: i.owners }), per_owner: i.perOwner ?? DEALS_PER_DIGEST },
  };
}

/** Each owner's open deals at risk, largest value at risk first (owners without any are absent; `null`: every owner). */
export async function loadDealsAtRisk(warehouse: Warehouse, owners: string[] | null, perOwner = DEALS_PER_DIGEST): Promise<Map<string, DealAtRisk[]>> {
  const out = new Map<string, DealAtRisk[]>();
  if ((owners !== null && !owners.length) || perOwner <= 0) return out;
  const rs = await warehouse.client.query({ ...dealsAtRiskQuery({ database: warehouse.database, cluster: warehouse.cluster, owners, perOwner }), format: 'JSONEachRow' });
  type Raw = { owner_id: string; opportunity_id: string; deal_name: string; customer_id: string; customer_name: string; stage: string; amount: number; win_probability: number; value_at_risk: number; reasons: string[] };
  for (const r of await rs.json<Raw>()) {
    const list = out.get(r.owner_id) ?? [];
    list.push({
      opportunityId: r.opportunity_id,
      dealName: r.deal_name,
      customerId: r.customer_id,
      customerName: r.customer_name,
      stage: r.stage,
      amount: Number(r.amount),
      winProbability: Number(r.win_probability),
      valueAtRisk: Number(r.value_at_risk),
      reasons: r.reasons,
    });
    out.set(r.owner_id, list);
  }
  return out;
}

const title = (d: DealAtRisk): string => `${d.dealName || d.opportunityId} (${d.customerName || d.customerId})`;

/** One line of numbers per deal: "win probability 30.0% - value at risk €3,500 of €5,000". */
export function dealNumbers(d: DealAtRisk, ctx: FormatContext = DEFAULT_FORMAT): string {
  return `win probability ${formatProbability(d.winProbability, ctx)} - value at risk ${formatMoney(d.valueAtRisk, {}, ctx)} of ${formatMoney(d.amount, {}, ctx)}`;
}

/** The plain-text section (empty when there are no deals). */
export function dealsText(deals: readonly DealAtRisk[] | undefined, ctx: FormatContext = DEFAULT_FORMAT): string[] {
  if (!deals?.length) return [];
  return [
    'Your open deals at risk (value at risk = amount x (1 - win probability)):',
    '',
    ...deals.flatMap((d, i) => [`${i + 1}. ${title(d)} - ${dealNumbers(d, ctx)}`, ...(d.reasons.length ? [`   Why: ${d.reasons.join('; ')}`] : []), '']),
  ];
}

/** The HTML section; every value escaped with the digest's own `esc`. */
export function dealsHtml(deals: readonly DealAtRisk[] | undefined, esc: (s: string) => string, ctx: FormatContext = DEFAULT_FORMAT): string {
  if (!deals?.length) return '';
  const items = deals
    .map((d) => `<li style="margin-bottom:0.6em"><strong>${esc(title(d))}</strong><br>${esc(dealNumbers(d, ctx))}${d.reasons.length ? `<br>Why: ${esc(d.reasons.join('; '))}` : ''}</li>`)
    .join('\n');
  return `<p>Your open deals at risk (value at risk = amount &times; (1 &minus; win probability)):</p>\n<ol>\n${items}\n</ol>`;
}

/** Slack mrkdwn lines (caller escapes with its `mrk`). */
export function dealsMrkdwn(deals: readonly DealAtRisk[] | undefined, mrk: (s: string) => string, ctx: FormatContext = DEFAULT_FORMAT): string {
  if (!deals?.length) return '';
  return ['*Open deals at risk*', ...deals.map((d) => `• ${mrk(title(d))}: ${mrk(dealNumbers(d, ctx))}${d.reasons.length ? ` — ${mrk(d.reasons[0])}` : ''}`)].join('\n').slice(0, 3000);
}

/** As data (webhook `digest.deals_at_risk`, outbox JSON). */
export const dealsData = (deals: readonly DealAtRisk[] | undefined) =>
  (deals ?? []).map((d) => ({
    opportunity_id: d.opportunityId,
    deal_name: d.dealName,
    customer_id: d.customerId,
    customer_name: d.customerName,
    stage: d.stage,
    amount: d.amount,
    win_probability: d.winProbability,
    value_at_risk: d.valueAtRisk,
    reasons: d.reasons,
  }));
