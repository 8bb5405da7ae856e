import type { ClickHouseClient } from '@clickhouse/client';
import { checkName, insertRows, quoteIdent, rows } from '../sql.ts';
import { renderDatabase, type RenderContext } from './ddl.ts';
import { checksum, migrations as allMigrations, renderMigration, type Migration } from './index.ts';

export interface MigrationResult {
  applied: { version: number; name: string }[];
  current: number;
}

/**
 * Applies pending migrations and records each in `schema_migrations`. Every statement is
 * idempotent (IF NOT EXISTS / OR REPLACE), so a crash between a statement and its record is
 * repaired by the next start. A recorded migration whose checksum changed is refused: it means
 * a shipped migration was edited instead of a new one being added.
 */
export async function applyMigrations(
  client: ClickHouseClient,
  ctx: RenderContext,
  list: Migration[] = allMigrations,
  log: (line: string) => void = () => {},
): Promise<MigrationResult> {
  await client.command({ query: renderDatabase(ctx) });
  const name = checkName(ctx.database);
  const db = quoteIdent(name);
  const onCluster = ctx.cluster ? ` ON CLUSTER ${quoteIdent(checkName(ctx.cluster))}` : '';
  // The ledger itself stays a plain (Replicated on a cluster) table, never Distributed: it records
  // what DDL ran, and ON CLUSTER already reaches every node.
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations${onCluster}
      (version UInt32, name String, checksum String, applied_at DateTime64(3) DEFAULT now64(3))
      ENGINE = ${ctx.cluster ? `ReplicatedReplacingMergeTree('/clickhouse/tables/all/${name}/schema_migrations', '{replica}', applied_at)` : 'ReplacingMergeTree(applied_at)'}
      ORDER BY version`,
  });
  const recorded = await rows<{ version: number; name: string; checksum: string }>(client, {
    query: `SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${db}.schema_migrations GROUP BY version`,
  });
  const done = new Map(recorded.map((r) => [Number(r.version), r]));
  const applied: MigrationResult['applied'] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    const sum = checksum(m);
    const prior = done.get(m.version);
    if (prior) {
      if (prior.checksum !== sum) {
        throw new Error(
          `migration ${m.version} (${m.name}) was changed after it was applied (checksum ${prior.checksum} → ${sum}). ` +
            'Revert the edit and add a new migration instead.',
        );
      }
      continue;
    }
    log(`applying migration ${m.version} ${m.name}`);
    for (const statement of renderMigration(m, ctx)) await client.command({ query: statement });
    await insertRows(client, `${db}.schema_migrations`, [{ version: m.version, name: m.name, checksum: sum }]);
    applied.push({ version: m.version, name: m.name });
  }
  for (const m of list) if (m.reconcile) await m.reconcile(client, ctx, log);
  return { applied, current: Math.max(0, ...list.map((m) => m.version)) };
}
