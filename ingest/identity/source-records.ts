import type { ClickHouseClient } from '@clickhouse/client';
import { WarehouseIO } from '../core/warehouse-io.ts';
import { loadAliases, rootOf } from './aliases.ts';

export interface SourceRecord {
  source: string;
  sourceId: string;
  /** The id this record was resolved to (may be an alias of the customer asked for). */
  customerId: string;
  /** Which rule joined it: new | email | phone | external_id | unmatched (a fact's reference without a customer record). */
  rule: string;
  /** The normalised value that matched (e-mail, phone, system:id). */
  matchedOn: string;
  /** `source:source_id` of the record it matched. */
  matchedRecord: string;
  /** The record as the source sent it; absent for unmatched references. */
  record?: Record<string, unknown>;
}

/**
 * Every source record of a customer, for the customer 360 page: the customer's own records and
 * those of every customer merged into it (aliases), with the rule that joined each one, plus
 * references from facts that have no customer record yet (rule `unmatched`). Accepts an alias id
 * too (it is followed to the surviving customer).
 */
export async function sourceRecordsOf(client: ClickHouseClient, customerId: string, opts: { database?: string } = {}): Promise<SourceRecord[]> {
  // Without a database the client's own (connectWarehouse sets it) is used.
  const io = new WarehouseIO(client, opts.database ?? '');
  const aliases = await loadAliases(io);
  const root = rootOf(aliases, customerId);
  const ids = [root, ...[...aliases].filter(([, to]) => rootOf(aliases, to) === root).map(([from]) => from)];
  const identity = await io.rows<{ source: string; source_id: string; customer_id: string; rule: string; matched_on: string; matched_record: string }>(
    `SELECT source, source_id, customer_id, rule, matched_on, matched_record FROM ${io.table('identity_map')} FINAL
     WHERE customer_id IN {ids:Array(String)} ORDER BY source, source_id`,
    { ids },
  );
  const records = await io.rows<Record<string, unknown> & { source: string; source_id: string }>(
    `SELECT * EXCEPT (batch_id, row_hash, version, ingested_at) FROM ${io.table('customer_records')} FINAL
     WHERE customer_id IN {ids:Array(String)} ORDER BY source, source_id`,
    { ids },
  );
  const recordBy = new Map(records.map((r) => [`${r.source}\u001f${r.source_id}`, r]));
  const out: SourceRecord[] = identity.map((m) => ({
    source: m.source,
    sourceId: m.source_id,
    customerId: m.customer_id,
    rule: m.rule,
    matchedOn: m.matched_on,
    matchedRecord: m.matched_record,
    record: recordBy.get(`${m.source}\u001f${m.source_id}`),
  }));
  // A record whose identity row was not written yet (interrupted load) still belongs here.
  const listed = new Set(identity.map((m) => `${m.source}\u001f${m.source_id}`));
  for (const r of records) {
    if (!listed.has(`${r.source}\u001f${r.source_id}`)) {
      out.push({ source: r.source, sourceId: r.source_id, customerId: String(r.customer_id), rule: '', matchedOn: '', matchedRecord: '', record: r });
    }
  }
  return out;
}
