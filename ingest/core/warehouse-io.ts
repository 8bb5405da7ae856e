import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { checkName, qualified, rows } from '../../lib/warehouse/sql.ts';
import { LocalPayloads } from './local-payloads.ts';
import type { PayloadStream } from './payload-stream.ts';
import { withLastColumn } from './row-end.ts';

/**
 * The few ways ingest talks to the warehouse, all through the shared client: bound-parameter
 * SELECTs, TabSeparated payload inserts, JSON row inserts, and statements. Table names come from
 * the entity contract (identifiers, never user input); values are always bound.
 */
export class WarehouseIO {
  /** Set by useLocalFiles(): large payloads go to the engine as files when it can read them. */
  local: LocalPayloads | undefined;

  constructor(
    readonly client: ClickHouseClient,
    readonly database: string,
  ) {
    if (database !== '') checkName(database);
  }

  /** `db`.`name` (quoted), or just `name` when the client's own database is meant (database ''). */
  table(name: string): string {
    checkName(name);
    return this.database ? qualified(this.database, name) : name;
  }

  async rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    return rows<T>(this.client, { query, query_params: params });
  }

  async command(query: string, params: Record<string, unknown> = {}): Promise<void> {
    await this.client.command({ query, query_params: params });
  }

  /**
   * Lets large payloads go as local files (see LocalPayloads; a file load on the machine of the
   * embedded engine). Call releaseLocalFiles() when done.
   */
  useLocalFiles(): void {
    this.local ??= new LocalPayloads((query) => this.command(query));
  }

  async releaseLocalFiles(): Promise<void> {
    await this.local?.close();
  }

  /**
   * Inserts a TabSeparated payload (the encoder's output) into `columns` of `table`. With
   * `lastColumn`, each row's last field is the ROW_END marker (row-end.ts) and the last column gets
   * `lastColumn`: a constant of the statement where the engine reads a file, else written back
   * into each row.
   */
  async insertTsv(table: string, columns: readonly string[], payload: Buffer, lastColumn?: string): Promise<void> {
    if (payload.length === 0) return;
    if (this.local && (await this.local.insert(this.table(table), columns, payload, 'TabSeparated', () => this.columnTypes(table), lastColumn))) return;
    await this.client.insert({
      table: this.table(table),
      values: Readable.from([lastColumn === undefined ? payload : withLastColumn(payload, lastColumn)], { objectMode: false }),
      format: 'TabSeparated',
      columns: columns as [string, ...string[]],
    });
  }

  /**
   * An insert into `table` that successive payloads are written into (LocalPayloads.stream), for a
   * first payload of `bytes`; undefined where payloads go one by one (no local files, or a payload
   * small enough for HTTP). The payloads' rows end in the ROW_END marker; the last column gets
   * `lastColumn`.
   */
  async openStream(table: string, columns: readonly string[], lastColumn: string, bytes: number): Promise<PayloadStream | undefined> {
    if (!this.local || bytes === 0 || bytes < LocalPayloads.minBytes) return undefined;
    return this.local.stream(this.table(table), columns, lastColumn, () => this.columnTypes(table));
  }

  readonly #types = new Map<string, Promise<ReadonlyMap<string, string> | undefined>>();

  /** A table's column types (name → type), asked once per table and load; undefined when the engine will not say. */
  columnTypes(table: string): Promise<ReadonlyMap<string, string> | undefined> {
    let t = this.#types.get(table);
    if (!t) {
      const db = this.database ? '{db:String}' : 'currentDatabase()';
      t = this.rows<{ name: string; type: string }>(`SELECT name, type FROM system.columns WHERE database = ${db} AND table = {table:String}`, { db: this.database, table })
        .then((rows) => (rows.length > 0 ? new Map(rows.map((r) => [r.name, r.type])) : undefined))
        .catch(() => undefined);
      this.#types.set(table, t);
    }
    return t;
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
