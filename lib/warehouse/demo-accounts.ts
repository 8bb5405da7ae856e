import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows, qualified, quoteIdent } from './sql.ts';

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
 *
 * A load is the demo's when its entity and content digest are a file the demo generator wrote: the
 * generator records each file's SHA-256 in its manifest, and the demo loader copies those into
 * warehouse_settings (`demo_file:<entity>:<sha256>`) before loading. Not by path: until the ninth
 * security review's follow-up a load counted as demo data when its path began with
 * `<CRM_DATA_DIR>/demo/`, so one's own export kept there (or named `…/demo/../orders.csv`) left the
 * published demo accounts on beside it. A file's digest cannot be matched by anything but the
 * generated file itself, wherever it is kept.
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

const DEMO_FILE_KEY = 'demo_file:';
const demoFileKey = (entity: string, sha256: string): string => `${DEMO_FILE_KEY}${entity}:${sha256.toLowerCase()}`;

export interface DemoFileDigest {
  file: string;
  entity: string;
  sha256: string;
}

/** The files the demo generator wrote into `demoDir`, as its manifest records them (none when there is no readable manifest). */
export async function demoManifestDigests(demoDir: string): Promise<DemoFileDigest[]> {
  let manifest: { files?: Record<string, { entity?: unknown; sha256?: unknown }> };
  try {
    manifest = JSON.parse(await readFile(join(demoDir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch {
    return [];
  }
  return Object.entries(manifest.files ?? {}).flatMap(([file, f]) =>
    typeof f?.entity === 'string' && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(f.sha256) ? [{ file, entity: f.entity, sha256: f.sha256 }] : [],
  );
}

/**
 * Records the demo generator's files as the demo's (the demo loader calls it before it loads them),
 * so they stay the demo's whatever later happens to the demo directory. Idempotent: one key per file.
 */
export async function recordDemoFiles(client: ClickHouseClient, database: string, files: readonly DemoFileDigest[]): Promise<void> {
  if (files.length === 0) return;
  const setAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
  await insertRows(
    client,
    qualified(database, 'warehouse_settings'),
    files.map((f) => ({ key: demoFileKey(f.entity, f.sha256), value: f.file, set_at: setAt })),
  );
}

/**
 * Loads of customers or facts whose (entity, digest) is no demo file: neither one recorded by the
 * demo loader nor one the manifest in `demoDir` names (warehouses loaded before the loader recorded
 * them). The path a load was made from plays no part.
 */
export async function countOwnDataLoads(client: ClickHouseClient, database: string, demoDir: string): Promise<number> {
  const db = quoteIdent(database);
  const manifest = (await demoManifestDigests(demoDir)).map((f) => demoFileKey(f.entity, f.sha256));
  return count(
    client,
    `SELECT uniqExact(batch_id) AS n FROM ${db}.ingest_batches
     WHERE entity IN {entities:Array(String)}
       AND concat({prefix:String}, entity, ':', lower(file_sha256)) NOT IN (SELECT key FROM ${db}.warehouse_settings WHERE startsWith(key, {prefix:String}))
       AND NOT has({manifest:Array(String)}, concat({prefix:String}, entity, ':', lower(file_sha256)))`,
    { entities: [...OWN_DATA_ENTITIES], prefix: DEMO_FILE_KEY, manifest },
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
