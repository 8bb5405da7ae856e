import type { ClickHouseClient } from '@clickhouse/client';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { quoteIdent, rows } from '../../lib/warehouse/sql.ts';

/**
 * Where a person's identifiers still are, for the erasure tests: every MergeTree table of the
 * databases (all columns as text, case-insensitively), and every file under a folder (bytes).
 * Written independently of lib/privacy's own discovery, so a table it misses shows up here.
 */
export async function sqlHits(client: ClickHouseClient, databases: string[], needles: string[]): Promise<string[]> {
  const cols = await rows<{ database: string; table: string; name: string }>(client, {
    query: `SELECT c.database AS database, c.table AS table, c.name AS name FROM system.columns AS c
      INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
      WHERE c.database IN {dbs:Array(String)} AND t.engine LIKE '%MergeTree'`,
    query_params: { dbs: databases },
  });
  const byTable = new Map<string, string[]>();
  for (const c of cols) byTable.set(`${quoteIdent(c.database)}.${quoteIdent(c.table)}`, [...(byTable.get(`${quoteIdent(c.database)}.${quoteIdent(c.table)}`) ?? []), c.name]);
  const hits: string[] = [];
  for (const [table, names] of byTable) {
    const text = `concat(${names.map((n) => `ifNull(toString(${quoteIdent(n)}), '')`).join(", '|', ")})`;
    const [r] = await rows<{ n: string }>(client, {
      query: `SELECT count() AS n FROM ${table} WHERE multiSearchAnyCaseInsensitive(${text}, {needles:Array(String)})`,
      query_params: { needles },
    });
    if (Number(r.n) > 0) hits.push(`${table}: ${r.n}`);
  }
  return hits;
}

/** `path: needle` for every file under `root` whose bytes hold a needle. */
export function diskHits(root: string, needles: string[]): string[] {
  const found: string[] = [];
  const bytes = needles.map((n) => Buffer.from(n));
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // removed meanwhile
      }
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        const content = readFileSync(path);
        for (const n of bytes) if (content.includes(n)) found.push(`${path}: ${n.toString()}`);
      }
    }
  };
  walk(root);
  return found;
}
