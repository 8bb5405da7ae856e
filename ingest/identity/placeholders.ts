import { chunked, type WarehouseIO } from '../core/warehouse-io.ts';
import { blankGolden } from './golden.ts';

/** A fact table and the column that says when its customer was seen. */
export interface FactTime {
  table: string;
  column: string;
  /** `date` columns are days already; `datetime` ones are cut to the UTC day. */
  type: 'date' | 'datetime';
}

/**
 * Customers from facts alone. A fact whose customer_ref has no customer record loads under the id
 * that record would get (an `unmatched` identity_map stub); without a golden `customers` row such a
 * customer would be missing from every customer view (customer_base, RFM, LTV all start there).
 * This writes one golden row per such customer: first seen (signup_date) = the earliest of its
 * facts, sources = the reference's system, no source records. A customers file loaded later for
 * the same source id claims the same id, and its golden row replaces this one.
 *
 * Idempotent: only customers without a golden row, or placeholders whose first seen moved earlier,
 * are written. Returns how many customers were created (updates not counted).
 */
/** References to check: a source's listed refs, or (refs undefined) all of its references. */
export interface RefScope {
  source: string;
  refs?: readonly string[];
}

export async function createPlaceholderCustomers(io: WarehouseIO, scope: readonly RefScope[], facts: readonly FactTime[], runVersion: number): Promise<number> {
  let created = 0;
  for (const { source, refs } of scope) {
    if (refs === undefined) created += await createFor(io, source, undefined, facts, runVersion);
    else for (const part of chunked(refs, 50_000)) created += await createFor(io, source, part, facts, runVersion);
  }
  return created;
}

async function createFor(io: WarehouseIO, source: string, refs: readonly string[] | undefined, facts: readonly FactTime[], runVersion: number): Promise<number> {
  if (facts.length === 0 || refs?.length === 0) return 0;
  const day = (f: FactTime): string => (f.type === 'date' ? `toDate(${f.column})` : `toDate(${f.column}, 'UTC')`);
  const firstSeen = facts
    .map((f) => `SELECT customer_id, ${day(f)} AS d FROM ${io.table(f.table)} WHERE customer_id IN (SELECT customer_id FROM stubs)`)
    .join(' UNION ALL ');
  const rows = await io.rows<{ customer_id: string; source: string; first_seen: string; present: number }>(
    `WITH stubs AS (
       SELECT customer_id, min(source) AS source
       FROM (SELECT source, source_id, argMax(customer_id, version) AS customer_id, argMax(rule, version) AS rule
             FROM ${io.table('identity_map')}
             WHERE source = {source:String} ${refs ? 'AND source_id IN {refs:Array(String)}' : ''} GROUP BY source, source_id)
       WHERE rule = 'unmatched'
         AND customer_id NOT IN (SELECT from_id FROM (SELECT from_id, argMax(to_id, version) AS to_id FROM ${io.table('customer_aliases')} GROUP BY from_id)
                                 WHERE to_id != '' AND to_id != from_id)
       GROUP BY customer_id)
     SELECT s.customer_id AS customer_id, s.source AS source, toString(f.first_seen) AS first_seen, g.present AS present
     FROM stubs AS s
     INNER JOIN (SELECT customer_id, min(d) AS first_seen FROM (${firstSeen}) GROUP BY customer_id) AS f ON f.customer_id = s.customer_id
     LEFT JOIN (SELECT customer_id, 1 AS present, source_records, signup_date FROM ${io.table('customers')} FINAL
                WHERE customer_id IN (SELECT customer_id FROM stubs)) AS g ON g.customer_id = s.customer_id
     WHERE g.present = 0 OR (g.source_records = 0 AND (g.signup_date IS NULL OR g.signup_date != f.first_seen))
     SETTINGS join_use_nulls = 0`,
    { source, refs: refs ? [...refs] : [] },
  );
  await io.insertRows(
    'customers',
    rows.map((r) => ({ ...blankGolden(r.customer_id), signup_date: r.first_seen, sources: [r.source], version: runVersion })),
  );
  return rows.filter((r) => Number(r.present) === 0).length;
}
