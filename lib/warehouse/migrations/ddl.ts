import { checkName } from '../sql.ts';

/**
 * Table definitions rendered either for one server or for a cluster. A cluster gets, for every
 * table, a `<name>_local` Replicated table on each shard and a Distributed `<name>` over them, so
 * every query and insert of the product keeps using the same table names in both deployments.
 */
export interface TableDef {
  name: string;
  /** Column list, one `name Type [DEFAULT …] [CODEC …]` per entry. */
  columns: string[];
  /** Extra index / projection clauses, e.g. `INDEX idx_id id TYPE bloom_filter GRANULARITY 4`. */
  indexes?: string[];
  /** Engine family without the Replicated prefix: `ReplacingMergeTree(version)`, `MergeTree`. */
  engine: string;
  orderBy: string;
  partitionBy?: string;
  /** Distributed sharding key; customer-keyed tables use cityHash64(customer_id) so a customer stays on one shard. */
  shardingKey: string;
  settings?: Record<string, string | number>;
  /** Why this engine and sort key: shown next to the DDL in the schema doc. */
  why: string;
}

export interface ViewDef {
  name: string;
  /**
   * SELECT body; `{db}` becomes the database name and `{global}` becomes `GLOBAL ` on a cluster
   * (a join against a Distributed table must ship the right side once, not query it per shard).
   */
  select: string;
  why: string;
}

export interface RenderContext {
  database: string;
  /** When set, render ON CLUSTER / Replicated / Distributed DDL. */
  cluster?: string;
}

/**
 * Names in DDL are written bare, after the product's name check: a migration's checksum is the
 * hash of this text (index.ts), so quoting them now would make every applied migration look edited;
 * the database name also lands in Keeper paths, where only plain names are safe.
 */
const ident = checkName;

function onCluster(ctx: RenderContext): string {
  return ctx.cluster ? ` ON CLUSTER ${ident(ctx.cluster)}` : '';
}

function replicated(engine: string, ctx: RenderContext, table: string): string {
  const m = /^(\w+)(?:\((.*)\))?$/.exec(engine.trim());
  if (!m) throw new Error(`cannot parse engine "${engine}"`);
  const [, family, args] = m;
  const path = `'/clickhouse/tables/{shard}/${ctx.database}/${table}'`;
  const all = [path, `'{replica}'`, ...(args ? [args] : [])].join(', ');
  return `Replicated${family}(${all})`;
}

export function renderTable(def: TableDef, ctx: RenderContext): string[] {
  const db = ident(ctx.database);
  const body = [...def.columns, ...(def.indexes ?? [])].map((c) => `    ${c}`).join(',\n');
  const settings = def.settings && Object.keys(def.settings).length
    ? `\nSETTINGS ${Object.entries(def.settings).map(([k, v]) => `${ident(k)} = ${typeof v === 'number' ? v : `'${v}'`}`).join(', ')}`
    : '';
  const tail = `${def.partitionBy ? `\nPARTITION BY ${def.partitionBy}` : ''}\nORDER BY ${def.orderBy}${settings}`;
  if (!ctx.cluster) {
    return [`CREATE TABLE IF NOT EXISTS ${db}.${ident(def.name)}\n(\n${body}\n)\nENGINE = ${def.engine}${tail}`];
  }
  const local = `${def.name}_local`;
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${ident(local)}${onCluster(ctx)}\n(\n${body}\n)\nENGINE = ${replicated(def.engine, ctx, local)}${tail}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${ident(def.name)}${onCluster(ctx)} AS ${db}.${ident(local)}\nENGINE = Distributed(${ident(ctx.cluster)}, ${db}, ${ident(local)}, ${def.shardingKey})`,
  ];
}

export function renderView(def: ViewDef, ctx: RenderContext): string[] {
  const db = ident(ctx.database);
  const select = def.select.replaceAll('{db}', db).replaceAll('{global}', ctx.cluster ? 'GLOBAL ' : '');
  // CREATE OR REPLACE keeps a changed view definition idempotent across migration versions.
  return [`CREATE OR REPLACE VIEW ${db}.${ident(def.name)}${onCluster(ctx)} AS\n${select}`];
}

export function renderDatabase(ctx: RenderContext): string {
  return `CREATE DATABASE IF NOT EXISTS ${ident(ctx.database)}${onCluster(ctx)}`;
}
