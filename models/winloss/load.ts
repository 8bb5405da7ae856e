/**
 * Reads what the win/loss features need from the warehouse, as of the as-of day: every deal
 * created before it (a deal closed on or after it is still open here, at the stage it had), the
 * customer's region, and the customers' conversations and tickets before it.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { qualified, rows } from '../../lib/warehouse/sql.ts';
import { CONTACT_TOUCHES, DAY_SECONDS, TROUBLE_TOUCHES, type DealRecord, type TouchRecord } from './features.ts';

export const dayNumber = (iso: string): number =>
  Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / 1000 / DAY_SECONDS);
export const isoOfDay = (day: number): string => new Date(day * DAY_SECONDS * 1000).toISOString().slice(0, 10);

interface DealRow {
  source: string;
  opportunity_id: string;
  customer_id: string;
  owner_id: string;
  region: string;
  product: string;
  amount: number;
  stage: string;
  status: string;
  loss_reason: string;
  competitor: string;
  created_at: string;
  closed_at: string | null;
  history: [string, string][];
  discount_pct: number | null;
  lead_source: string;
  contacts_met: number | null;
}

/** A closed deal's record as it looked on the as-of day (pure: tested without a warehouse). */
export function dealAsOf(r: DealRow, asOfDay: number): DealRecord {
  const created = dayNumber(r.created_at);
  const closed = r.closed_at ? dayNumber(r.closed_at) : null;
  const history = r.history.map(([stage, day]) => ({ stage, day: dayNumber(day) }));
  const stillOpen = closed === null || closed >= asOfDay || (r.status !== 'won' && r.status !== 'lost');
  let stage = r.stage;
  if (stillOpen && (closed !== null || /^closed/i.test(stage))) {
    // The stage it had on the as-of day: the last one entered before it, never a closed_* one.
    const before = history.filter((h) => h.day < asOfDay && !/^closed/i.test(h.stage)).sort((a, b) => a.day - b.day);
    stage = before.length ? before[before.length - 1].stage : 'unknown';
  }
  return {
    source: r.source,
    opportunity_id: r.opportunity_id,
    customer_id: r.customer_id,
    owner_id: r.owner_id,
    region: r.region,
    product: r.product,
    amount: Number(r.amount),
    status: stillOpen ? 'open' : (r.status as 'won' | 'lost'),
    stage,
    stated_reason: stillOpen || r.status !== 'lost' ? '' : r.loss_reason,
    competitor: r.competitor,
    created_day: created,
    closed_day: stillOpen ? null : closed,
    history: history.filter((h) => h.day < asOfDay || (!stillOpen && h.day <= (closed ?? asOfDay))),
    discount_pct: r.discount_pct === null ? null : Number(r.discount_pct),
    lead_source: r.lead_source,
    contacts_met: r.contacts_met === null ? null : Number(r.contacts_met),
  };
}

/**
 * Customers without profiling consent (issue 16, migration 012's consent_current: the newest event
 * wins) are left out — their deals are neither learnt from nor scored, like the churn model's
 * population; `byDefault` is what applies to a customer with no profiling event.
 */
export function profilingFilter(db: string, byDefault: 'granted' | 'denied' | undefined): string {
  if (byDefault === undefined) return '';
  const subject = `SELECT customer_id FROM ${qualified(db, 'consent_current')} WHERE purpose = 'profiling'`;
  return byDefault === 'granted'
    ? ` AND o.customer_id NOT IN (${subject} AND status = 'withdrawn')`
    : ` AND o.customer_id IN (${subject} AND status = 'granted')`;
}

export async function loadDeals(
  warehouse: Warehouse,
  asOf: string,
  profilingConsent?: 'granted' | 'denied',
): Promise<DealRecord[]> {
  const db = warehouse.database;
  const got = await rows<DealRow>(warehouse.client, {
    query: `SELECT o.source AS source, o.opportunity_id AS opportunity_id, o.customer_id AS customer_id, o.owner_id AS owner_id,
        ifNull(c.region, '') AS region, o.product AS product, toFloat64(o.amount) AS amount, o.stage AS stage, o.status AS status,
        o.loss_reason AS loss_reason, o.competitor AS competitor, toString(o.created_at) AS created_at,
        if(isNull(o.closed_at), NULL, toString(o.closed_at)) AS closed_at,
        arrayMap(h -> (h.1, toString(h.2)), o.stage_history) AS history,
        o.discount_pct AS discount_pct, o.lead_source AS lead_source, o.contacts_met AS contacts_met
      FROM ${qualified(db, 'opportunities_resolved')} AS o
      LEFT JOIN (SELECT customer_id, any(region) AS region FROM ${qualified(db, 'customers_resolved')} GROUP BY customer_id) AS c
        ON c.customer_id = o.customer_id
      WHERE o.created_at < {asOf:Date}${profilingFilter(db, profilingConsent)}
      ORDER BY o.created_at, o.source, o.opportunity_id`,
    query_params: { asOf },
  });
  const day = dayNumber(asOf);
  return got.map((r) => dealAsOf(r, day));
}

/** Conversations and tickets of the customers with deals, before the as-of day, sorted by time per customer. */
export async function loadTouches(warehouse: Warehouse, asOf: string): Promise<Map<string, TouchRecord[]>> {
  const db = warehouse.database;
  const got = await rows<{ customer_id: string; t: number; type: string; inbound: number }>(warehouse.client, {
    query: `SELECT customer_id, toUnixTimestamp(occurred_at) AS t, type, direction = 'inbound' AS inbound
      FROM ${qualified(db, 'interactions_resolved')}
      WHERE type IN {types:Array(String)} AND (type != 'email_sent' OR campaign_id = '')
        AND occurred_at < toDateTime({asOf:Date}, 'UTC')
        AND customer_id IN (SELECT customer_id FROM ${qualified(db, 'opportunities_resolved')})
      ORDER BY customer_id, t`,
    query_params: { asOf, types: [...CONTACT_TOUCHES, ...TROUBLE_TOUCHES] },
  });
  const out = new Map<string, TouchRecord[]>();
  for (const r of got) {
    const list = out.get(r.customer_id) ?? [];
    if (list.length === 0) out.set(r.customer_id, list);
    list.push({ t: Number(r.t), type: r.type, inbound: Number(r.inbound) === 1 });
  }
  return out;
}
