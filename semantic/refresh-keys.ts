/**
 * When Cube's cached answers expire. Cube 0.33 gives a cube without a `refresh_key` the key
 * `every: 10 seconds`: every cached answer over such a cube (opportunities, scores, customers,
 * interactions, campaigns, … most of the cockpit) expired every 10 s and the next request ran the
 * query again and waited for it. Under 50 cockpit users that was the periodic whole-server stall of
 * issue 17: every 10 s all distinct queries (one set per account owner: row-level security makes
 * their SQL differ) were re-run at once, the queue backed up for 20–40 s and Cube logged "Query is
 * too slow to be renewed" while serving stale answers.
 *
 * Data here changes only when something writes the warehouse (a load, a rebuild, a scoring run,
 * an erasure). So a cube without a key of its own gets a data-version key instead: a fingerprint of
 * the product database's tables from system.tables (name, uuid — new on every EXCHANGE/re-create —,
 * rows, bytes), plus the UTC day. Any insert, mutation, merge or swap changes it; reading it is a
 * metadata lookup. Tables the product writes while people merely use it, and that no cube reads
 * (the audit log records every sign-in and token), are left out so using the dashboard does not
 * expire its own answers.
 *
 * Row-level security is unaffected: Cube caches by the generated SQL, which carries the owner's
 * filter, so two owners never share an answer; the key only decides when an answer is stale.
 * Cubes that declare their own `refresh_key` keep it.
 */

import { SCRATCH_TABLE_PREFIXES } from '../lib/warehouse/scratch-tables.ts';

/**
 * Written during ordinary use (sign-ins, tokens, 360 views, sign-outs, HTTP ingest retries, alert
 * runs) or as a load's bookkeeping (its batch row, written when it starts and again when it ends;
 * its rejected rows); read by no cube or view of the model. Each write of one would otherwise be a
 * data change of its own: every shared answer dropped and re-warmed for nothing.
 */
export const NOT_DATA_TABLES = ['audit_log', 'revoked_sessions', 'ingest_requests', 'alert_runs', 'ingest_batches', 'rejects'] as const;

/**
 * The derived tables (semantic/derived/refresh.ts) are read only through their *_current views, which
 * show the snapshot committed in `derived_snapshots` (migrations 002, 010, 016). A refresh writes
 * five tables one after the other and then drops older partitions: each write changed the
 * fingerprint, and every change dropped and re-warmed every shared answer for data nobody could see
 * yet (bench:load at 10M, 2026-12-07: 10 data-version changes for 2 loads). What readers see of them
 * changes only with the commit row, so `derived_snapshots` stands for them. `_local` are their
 * shards on a cluster.
 */
export const COMMITTED_BY_SNAPSHOT = ['paid_orders', 'customer_value', 'customer_value_scores', 'customer_retention', 'derived_overlay'] as const;

/** Tables left out of the data version: written by mere use, or visible only through a commit row that is in it. */
export const OUTSIDE_DATA_VERSION: readonly string[] = [...NOT_DATA_TABLES, ...COMMITTED_BY_SNAPSHOT.flatMap((t) => [t, `${t}_local`])];

/**
 * Name prefixes left out of the data version: the ingest's per-load scratch tables, which no cube
 * reads; with them, each of a load's creates, fills and drops of one was a data change of its own
 * (9 of the 13 fingerprint changes of one 1,000-row load, bench:load at 10M, 2026-12-07).
 */
export const OUTSIDE_DATA_VERSION_PREFIXES: readonly string[] = Object.values(SCRATCH_TABLE_PREFIXES);

/** The key query: one string that changes whenever the product database's data does (or the UTC day turns). */
export function dataVersionSql(excluded: readonly string[] = OUTSIDE_DATA_VERSION, excludedPrefixes: readonly string[] = OUTSIDE_DATA_VERSION_PREFIXES): string {
  const quoted = (t: string): string => `'${t.replace(/[^A-Za-z0-9_]/g, '')}'`;
  const names = excluded.map(quoted).join(', ');
  const prefixes = excludedPrefixes.map((p) => ` AND NOT startsWith(name, ${quoted(p)})`).join('');
  return (
    `SELECT concat(toString(toDate(now())), '/', toString(count()), '/', ` +
    `toString(sum(cityHash64(name, toString(uuid), ifNull(total_rows, 0), ifNull(total_bytes, 0))))) ` +
    `FROM system.tables WHERE database = currentDatabase()${names ? ` AND name NOT IN (${names})` : ''}${prefixes}`
  );
}

/**
 * The same fingerprint table by table, for answers keyed by the tables they read
 * (semantic/tables-read.ts): `<UTC day>|<name>=<hash>;<name>=<hash>…`, names sorted. Each table's
 * hash covers exactly what the whole fingerprint above covers for it (same tables left out), so the
 * two change together; an answer over deals keeps its version while a load writes transactions.
 */
export function tableVersionsSql(excluded: readonly string[] = OUTSIDE_DATA_VERSION, excludedPrefixes: readonly string[] = OUTSIDE_DATA_VERSION_PREFIXES): string {
  const quoted = (t: string): string => `'${t.replace(/[^A-Za-z0-9_]/g, '')}'`;
  const names = excluded.map(quoted).join(', ');
  const prefixes = excludedPrefixes.map((p) => ` AND NOT startsWith(name, ${quoted(p)})`).join('');
  return (
    `SELECT concat(toString(toDate(now())), '|', arrayStringConcat(arraySort(groupArray(concat(name, '=', ` +
    `toString(cityHash64(name, toString(uuid), ifNull(total_rows, 0), ifNull(total_bytes, 0)))))), ';')) ` +
    `FROM system.tables WHERE database = currentDatabase()${names ? ` AND name NOT IN (${names})` : ''}${prefixes}`
  );
}

/** tableVersionsSql's value as the UTC day and each table's hash. */
export function parseTableVersions(value: string): { day: string; tables: Map<string, string> } {
  const bar = value.indexOf('|');
  const tables = new Map<string, string>();
  if (bar < 0) return { day: value, tables };
  for (const pair of value.slice(bar + 1).split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) tables.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { day: value.slice(0, bar), tables };
}

/**
 * Tables left out of the data version that a reader still depends on, and the table whose change
 * stands for theirs: a derived table changes for readers when its snapshot is committed. An answer
 * that names one of these reads the other (semantic/tables-read.ts).
 */
export const REPRESENTED_BY: ReadonlyMap<string, string> = new Map(COMMITTED_BY_SNAPSHOT.flatMap((t) => [[t, 'derived_snapshots'] as const, [`${t}_local`, 'derived_snapshots'] as const]));

/** How often (seconds) Cube re-reads a data-version key. Cheap: a metadata lookup, shared by every query. */
export const DATA_VERSION_RENEWAL_SECONDS = 5;

type RefreshKeyTuple = [string, { external: boolean; renewalThreshold: number }, unknown];
type Transform = (cube: string, tuple: RefreshKeyTuple) => RefreshKeyTuple;
interface QueryBase {
  cubeEvaluator: { cubeFromPath(cube: string): { refreshKey?: unknown } };
  refreshKeysByCubes(cubes: string[], transformFn?: Transform): unknown[];
}
// A mixin's base must take `any[]` (TypeScript's rule); Cube's query classes are untyped JavaScript.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type QueryClass = new (...args: any[]) => QueryBase;

/**
 * Cube's query class for the dialect with data-version keys for cubes that have no key of their own
 * (passed to Cube as `dialectFactory`). Cube runs the key's SQL through the same driver as the data.
 */
export function withDataVersionKeys<C extends QueryClass>(Base: C, sql: string = dataVersionSql()): C {
  class DataVersionKeys extends Base {
    override refreshKeysByCubes(cubes: string[], transformFn?: Transform): unknown[] {
      return super.refreshKeysByCubes(cubes, (cube, tuple) => {
        const own = this.cubeEvaluator.cubeFromPath(cube).refreshKey;
        // A cube's own key is re-read as often as the data-version key (Cube's default for a sql key
        // is every 10 s): the answer cache keeps answers asked a data-version renewal after a change
        // (answer-cache.ts), which holds only when no key an answer depends on is older than that.
        const keyed: RefreshKeyTuple = own
          ? [tuple[0], { ...tuple[1], renewalThreshold: Math.min(tuple[1].renewalThreshold, DATA_VERSION_RENEWAL_SECONDS) }, tuple[2]]
          : [sql, { external: false, renewalThreshold: DATA_VERSION_RENEWAL_SECONDS }, tuple[2]];
        return transformFn ? transformFn(cube, keyed) : keyed;
      });
    }
  }
  return DataVersionKeys;
}
