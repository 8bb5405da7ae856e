import { sep } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdent } from './sql.ts';

/**
 * The demo accounts (`…@demo.local`, password `demo1234`, printed by `npm start` and shown on the
 * sign-in page) are for the demo world only. README's next step is loading one's own exports into
 * the same data directory: from then on anyone who has read the README could sign in to a real
 * company's customers as `admin@demo.local` (sixth security review). So the demo accounts are
 * deactivated as soon as the warehouse holds a load of customers or facts that the demo loader did
 * not make — whatever loaded it (the ingest CLI, the HTTP API, another process) and whenever (before
 * this code existed too: the check reads the load log, not a flag set by the loader).
 *
 * `campaigns`, `campaign_members`, `consents` and `users` are left out: the dashboard itself writes
 * the first three through ingest (a campaign push, a consent change), and an accounts file brings
 * no customer into the warehouse.
 */
export const DEMO_DOMAIN = '@demo.local';
export const OWN_DATA_ENTITIES = ['customers', 'transactions', 'interactions', 'opportunities'] as const;

export interface DemoAccountsCheck {
  /** Loads of customers or facts from anywhere but the demo directory. */
  ownLoads: number;
  /** Demo accounts deactivated by this call. */
  retired: number;
  /** Demo accounts still active after this call. */
  active: number;
}

async function count(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<number> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

/** `demoDir` as a prefix of ingest_batches.source_file (the demo loader records each file's path under it). */
function demoPrefix(demoDir: string): string {
  return demoDir.endsWith(sep) ? demoDir : `${demoDir}${sep}`;
}

export async function countOwnDataLoads(client: ClickHouseClient, database: string, demoDir: string): Promise<number> {
  const db = quoteIdent(database);
  return count(
    client,
    `SELECT uniqExact(batch_id) AS n FROM ${db}.ingest_batches WHERE entity IN {entities:Array(String)} AND NOT startsWith(source_file, {demo:String})`,
    { entities: [...OWN_DATA_ENTITIES], demo: demoPrefix(demoDir) },
  );
}

/**
 * Deactivates every active demo account (a new row version with `active = 0`; the password hash is
 * kept, so `npm run users -- activate` is the only way back). The new version's `updated_at` ends
 * their sessions at the next request (web/src/lib/server/session-check.ts).
 */
export async function retireDemoAccounts(client: ClickHouseClient, database: string): Promise<number> {
  const db = quoteIdent(database);
  const where = `endsWith(lower(email), {domain:String}) AND active = 1`;
  const n = await count(client, `SELECT count() AS n FROM ${db}.users FINAL WHERE ${where}`, { domain: DEMO_DOMAIN });
  if (n === 0) return 0;
  await client.command({
    query: `INSERT INTO ${db}.users (user_id, email, name, role, owner_id, region, password_hash, active, version)
            SELECT user_id, email, name, role, owner_id, region, password_hash, 0, greatest(version + 1, toUInt64(toUnixTimestamp64Milli(now64(3))))
            FROM ${db}.users FINAL WHERE ${where}`,
    query_params: { domain: DEMO_DOMAIN },
  });
  return n;
}

/** Deactivates the demo accounts when the warehouse holds own data; says what it found. */
export async function checkDemoAccounts(client: ClickHouseClient, database: string, demoDir: string): Promise<DemoAccountsCheck> {
  const ownLoads = await countOwnDataLoads(client, database, demoDir);
  const retired = ownLoads > 0 ? await retireDemoAccounts(client, database) : 0;
  const db = quoteIdent(database);
  const active = await count(client, `SELECT count() AS n FROM ${db}.users FINAL WHERE endsWith(lower(email), {domain:String}) AND active = 1`, { domain: DEMO_DOMAIN });
  return { ownLoads, retired, active };
}

/** Whether a typed or stored e-mail is a demo account's. */
export const isDemoEmail = (email: string): boolean => email.trim().toLowerCase().endsWith(DEMO_DOMAIN);
