/**
 * What a run reads from the scores (the published model run only: churn_scores_current and
 * clv_scores_current, migration 014): every customer with an owner whose churn probability is
 * at or above the threshold, plus every customer the ledger has alerted before (so a run can see
 * them fall below the threshold and close their episode), with CLV and last-12-months revenue.
 *
 * Each candidate says whether it is lapsed, as scoring stored it (churn_scores.risk_band = 'lapsed':
 * no placed order in the churn model's active window before the scores' as-of date,
 * models/scoring/churn-rows.ts). The model is trained on customers who bought in that window only,
 * so its probability for a customer gone for years is an extrapolation, not a risk an owner can act
 * on: lapsed customers are never candidates by probability (only through the ledger, so an episode
 * opened before they lapsed can close), and lapsedCounts counts them per owner for the digests —
 * the same stored state the churn page and the semantic layer read, one definition.
 */
import type { Warehouse } from '../lib/warehouse/index.ts';
import { checkName, type BoundQuery } from '../lib/warehouse/sql.ts';
import type { Reason } from './ledger.ts';

export interface Candidate {
  customer_id: string;
  owner_id: string;
  customer_name: string;
  probability: number;
  reasons: Reason[];
  scored_at: Date;
  /** Predicted 12-month CLV; null when the customer has no CLV score. */
  clv_12m: number | null;
  /** Completed revenue in the 365 days before the run day. */
  revenue_12m: number;
  /** Stored lapsed (risk_band 'lapsed'): outside the model's population, never alerted. */
  lapsed: boolean;
}

export interface CandidateQueryInput {
  database: string;
  cluster?: string;
  threshold: number;
  /** Restrict to these owners (null: every owner). */
  owners: string[] | null;
  /** Run day (UTC, YYYY-MM-DD): revenue_12m covers [day − 365 d, day). */
  day: string;
}

export function candidatesQuery(i: CandidateQueryInput): BoundQuery {
  const db = checkName(i.database);
  const g = i.cluster ? 'GLOBAL ' : '';
  const params: Record<string, unknown> = {
    threshold: i.threshold,
    day: i.day,
  };
  let ownerFilter = '';
  if (i.owners) {
    ownerFilter = 'AND owner_id IN {owners:Array(String)}';
    params.owners = i.owners;
  }
  const scored = `SELECT customer_id FROM ${db}.churn_scores_current WHERE probability >= {threshold:Float64} AND risk_band != 'lapsed'
    UNION DISTINCT SELECT DISTINCT customer_id FROM ${db}.alert_ledger`;
  return {
    query: `SELECT
  s.customer_id AS customer_id,
  c.owner_id AS owner_id,
  if(c.name != '', c.name, c.company) AS customer_name,
  s.probability AS probability,
  arrayMap(r -> tupleElement(r, 1), s.top_reasons) AS reason_features,
  arrayMap(r -> tupleElement(r, 2), s.top_reasons) AS reason_texts,
  arrayMap(r -> tupleElement(r, 3), s.top_reasons) AS reason_contributions,
  toString(toUnixTimestamp64Milli(s.scored_at)) AS scored_ms,
  if(v.customer_id = '', NULL, v.clv_12m) AS clv_12m,
  r.revenue_12m AS revenue_12m,
  s.risk_band = 'lapsed' AS lapsed
FROM (
  SELECT customer_id, probability, risk_band, top_reasons, scored_at FROM ${db}.churn_scores_current
  WHERE customer_id ${g}IN (${scored})
) AS s
INNER JOIN (
  SELECT customer_id, owner_id, name, company FROM ${db}.customers FINAL WHERE owner_id != '' ${ownerFilter}
) AS c ON c.customer_id = s.customer_id
-- join_use_nulls stays 0 (the *_resolved views need it): a missing CLV row shows as customer_id = ''.
${g}LEFT JOIN (SELECT customer_id, clv_12m FROM ${db}.clv_scores_current) AS v ON v.customer_id = s.customer_id
${g}LEFT JOIN (
  SELECT customer_id, sum(toFloat64(amount)) AS revenue_12m FROM ${db}.transactions_resolved
  WHERE status = 'completed'
    AND order_date >= toDateTime(subtractDays(toDate({day:String}), 365), 'UTC')
    AND order_date < toDateTime(toDate({day:String}), 'UTC')
    AND customer_id ${g}IN (${scored})
  GROUP BY customer_id
) AS r ON r.customer_id = s.customer_id
ORDER BY c.owner_id, s.customer_id`,
    query_params: params,
  };
}

export async function loadCandidates(warehouse: Warehouse, input: Omit<CandidateQueryInput, 'database' | 'cluster'>): Promise<Candidate[]> {
  const rs = await warehouse.client.query({
    ...candidatesQuery({ ...input, database: warehouse.database, cluster: warehouse.cluster }),
    format: 'JSONEachRow',
  });
  type Raw = {
    customer_id: string;
    owner_id: string;
    customer_name: string;
    probability: number;
    reason_features: string[];
    reason_texts: string[];
    reason_contributions: number[];
    scored_ms: string;
    clv_12m: number | null;
    revenue_12m: number;
    lapsed: number | boolean;
  };
  return (await rs.json<Raw>()).map((r) => ({
    customer_id: r.customer_id,
    owner_id: r.owner_id,
    customer_name: r.customer_name,
    probability: Number(r.probability),
    reasons: r.reason_features.map((feature, i) => ({ feature, text: r.reason_texts[i], contribution: Number(r.reason_contributions[i]) })),
    scored_at: new Date(Number(r.scored_ms)),
    clv_12m: r.clv_12m === null ? null : Number(r.clv_12m),
    revenue_12m: Number(r.revenue_12m),
    lapsed: Boolean(Number(r.lapsed)),
  }));
}

export interface ScoreFreshness {
  /** Newest churn scoring time; null when there are no churn scores. */
  churn: Date | null;
  /** Newest CLV scoring time; null when there are no CLV scores. */
  clv: Date | null;
}

export async function scoreFreshness(warehouse: Warehouse): Promise<ScoreFreshness> {
  const db = checkName(warehouse.database);
  const rs = await warehouse.client.query({
    query: `SELECT
      (SELECT if(count() = 0, NULL, toString(toUnixTimestamp64Milli(max(scored_at)))) FROM ${db}.churn_scores_current) AS churn,
      (SELECT if(count() = 0, NULL, toString(toUnixTimestamp64Milli(max(scored_at)))) FROM ${db}.clv_scores_current) AS clv`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ churn: string | null; clv: string | null }>();
  return { churn: row?.churn ? new Date(Number(row.churn)) : null, clv: row?.clv ? new Date(Number(row.clv)) : null };
}

/** The as-of date of the published scoring run (migration 014), or undefined before the first one. */
export async function scoresAsOf(warehouse: Warehouse): Promise<string | undefined> {
  const rs = await warehouse.client.query({
    query: `SELECT toString(as_of) AS as_of FROM ${checkName(warehouse.database)}.model_run_current LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ as_of: string }>();
  return row?.as_of || undefined;
}

export interface OwnerContact {
  owner_id: string;
  email: string;
  name: string;
}

/** E-mail and name per owner: the active user with that owner_id, preferring role "owner". */
export async function loadOwnerContacts(warehouse: Warehouse, owners: string[]): Promise<Map<string, OwnerContact>> {
  if (!owners.length) return new Map();
  const rs = await warehouse.client.query({
    query: `SELECT owner_id, tupleElement(best, 1) AS email, tupleElement(best, 2) AS name FROM (
        SELECT owner_id, argMax((email, name), (role = 'owner', email != '', user_id)) AS best
        FROM ${checkName(warehouse.database)}.users FINAL
        WHERE owner_id IN {owners:Array(String)} AND active = 1
        GROUP BY owner_id)`,
    query_params: { owners },
    format: 'JSONEachRow',
  });
  return new Map((await rs.json<OwnerContact>()).map((r) => [r.owner_id, r]));
}

/**
 * Lapsed customers per owner in the published run, as stored at scoring (risk_band 'lapsed'), with
 * the semantic layer's filters (churn_risk.yml: no score shown for a customer who withdrew
 * profiling consent; owners through customers_resolved), so a digest's count is the churn page's
 * lapsed count for that owner.
 */
export function lapsedCountsQuery(i: { database: string; cluster?: string; owners: string[] | null }): BoundQuery {
  const db = checkName(i.database);
  const g = i.cluster ? 'GLOBAL ' : '';
  const params: Record<string, unknown> = {};
  let ownerFilter = '';
  if (i.owners) {
    ownerFilter = 'AND owner_id IN {owners:Array(String)}';
    params.owners = i.owners;
  }
  return {
    query: `SELECT c.owner_id AS owner_id, toString(count()) AS n
FROM (
  SELECT customer_id FROM ${db}.churn_scores_current
  WHERE risk_band = 'lapsed'
    AND customer_id ${g}NOT IN (SELECT customer_id FROM ${db}.consent_current WHERE purpose = 'profiling' AND status = 'withdrawn')
) AS s
${g}INNER JOIN (SELECT customer_id, owner_id FROM ${db}.customers_resolved WHERE owner_id != '' ${ownerFilter}) AS c ON c.customer_id = s.customer_id
GROUP BY c.owner_id`,
    query_params: params,
  };
}

export async function loadLapsedCounts(warehouse: Warehouse, owners: string[] | null): Promise<Map<string, number>> {
  const rs = await warehouse.client.query({ ...lapsedCountsQuery({ database: warehouse.database, cluster: warehouse.cluster, owners }), format: 'JSONEachRow' });
  return new Map((await rs.json<{ owner_id: string; n: string }>()).map((r) => [r.owner_id, Number(r.n)]));
}
