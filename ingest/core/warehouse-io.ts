import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * The few ways ingest talks to the warehouse, all through the shared client: bound-parameter
 * SELECTs, TabSeparated payload inserts, JSON row inserts, and statements. Table names come from
 * the entity contract (identifiers, never user input); values are always bound.
 */
export class WarehouseIO {
  constructor(
    readonly client: ClickHouseClient,
    readonly database: string,
  ) {
    if (database !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`invalid database name "${database}"`);
  }

  /** `db.name`, or just `name` when the client's own database is meant (database ''). */
  table(name: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid table name "${name}"`);
    return this.database ? `${this.database}.${name}` : name;
  }

  async rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const rs = await this.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async command(query: string, params: Record<string, unknown> = {}): Promise<void> {
    await this.client.command({ query, query_params: params });
  }

  /** Inserts a TabSeparated payload (the encoder's output) into `columns` of `table`. */
  async insertTsv(table: string, columns: readonly string[], payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    await this.client.insert({
      table: this.table(table),
      values: Readable.from([payload], { objectMode: false }),
      format: 'TabSeparated',
      columns: columns as [string, ...string[]],
    });
  }

  async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: this.table(table), values: rows as Record<string, unknown>[], format: 'JSONEachRow' });
  }
}

/** Splits `items` into chunks so bound IN lists stay a reasonable size. */
export function* chunked<T>(items: readonly T[], size = 10_000): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
