import { fileURLToPath } from 'node:url';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));

export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
}

/** A test warehouse with the schema applied (database `crm`). */
export async function warehouseWithSchema(): Promise<TestWarehouse> {
  const tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  return tw;
}

/** The same warehouse connection writing to another database (created with the schema). */
export async function otherDatabase(tw: TestWarehouse, database: string): Promise<Warehouse> {
  await applyMigrations(tw.warehouse.client, { database });
  return { ...tw.warehouse, database };
}

export async function rows<T = Record<string, unknown>>(wh: Warehouse, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await wh.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

export async function one<T = Record<string, unknown>>(wh: Warehouse, query: string, params: Record<string, unknown> = {}): Promise<T> {
  const [r] = await rows<T>(wh, query, params);
  return r;
}

/** Row count without FINAL (what is physically there) and with FINAL (what readers see). */
export async function counts(wh: Warehouse, table: string): Promise<{ raw: number; final: number }> {
  const r = await one<{ raw: string; final: string }>(
    wh,
    `SELECT (SELECT count() FROM ${wh.database}.${table}) AS raw, (SELECT count() FROM ${wh.database}.${table} FINAL) AS final`,
  );
  return { raw: Number(r.raw), final: Number(r.final) };
}
