import type { ClickHouseClient } from '@clickhouse/client';

export interface SourceRecord {
  source: string;
  sourceId: string;
  /** The id this record was resolved to (may be an alias of the customer asked for). */
  customerId: string;
  /** Which rule joined it: new | email | phone | external_id | unmatched (a fact's reference without a customer record). */
  rule: string;
  matchedOn: string;
  matchedRecord: string;
  /** The record as the source sent it; absent for unmatched references. */
  record?: Record<string, unknown>;
}

/** Every source record of a customer (following merges), for the customer 360 page. */
export async function sourceRecordsOf(client: ClickHouseClient, customerId: string, opts: { database?: string } = {}): Promise<SourceRecord[]> {
  void client;
  void customerId;
  void opts;
  throw new Error('sourceRecordsOf: not implemented yet');
}
