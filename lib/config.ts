import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, so default paths do not depend on the caller's working directory. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface WarehouseConfig {
  /** Real ClickHouse HTTP(S) URL. Unset means: use (or start) the embedded engine. */
  url?: string;
  user: string;
  password: string;
  database: string;
  /** Where the embedded engine keeps its data and local secrets. */
  dataDir: string;
  /** Port of the embedded HTTP endpoint; 0 picks a free one. */
  embeddedPort: number;
  /** ClickHouse cluster name: when set, migrations render ON CLUSTER / Replicated / Distributed DDL. */
  cluster?: string;
}

type Env = Record<string, string | undefined>;

export function dataDirFrom(env: Env = process.env): string {
  return resolve(env.CRM_DATA_DIR ?? join(PROJECT_ROOT, '.data'));
}

/**
 * Reads warehouse settings from the environment. In embedded mode a random password is generated
 * once and stored (mode 0600) in the data directory, so the loopback endpoint is never open without
 * credentials and nothing secret has to be typed by a first-time user.
 */
export function loadWarehouseConfig(env: Env = process.env): WarehouseConfig {
  const dataDir = dataDirFrom(env);
  const url = env.CLICKHOUSE_URL?.trim() || undefined;
  const database = env.CLICKHOUSE_DATABASE?.trim() || 'crm';
  const cluster = env.CLICKHOUSE_CLUSTER?.trim() || undefined;
  const embeddedPort = Number(env.CRM_EMBEDDED_PORT ?? 8124);
  if (!Number.isInteger(embeddedPort) || embeddedPort < 0 || embeddedPort > 65535) {
    throw new Error(`CRM_EMBEDDED_PORT must be a port number (0-65535), got "${env.CRM_EMBEDDED_PORT}"`);
  }
  if (url) {
    return { url, user: env.CLICKHOUSE_USER ?? 'default', password: env.CLICKHOUSE_PASSWORD ?? '', database, dataDir, embeddedPort, cluster };
  }
  const secrets = localSecrets(dataDir);
  return {
    user: env.CLICKHOUSE_USER ?? 'crm',
    password: env.CLICKHOUSE_PASSWORD ?? secrets.clickhousePassword,
    database,
    dataDir,
    embeddedPort,
    cluster,
  };
}

export interface LocalSecrets {
  clickhousePassword: string;
  cubeApiSecret: string;
  sessionSecret: string;
  ingestToken: string;
  webhookSecret: string;
}

/**
 * Secrets: from the environment when set (production: an env file or a secret store), else created
 * once for this machine in `<dataDir>/secrets.json` (mode 0600) so a first start needs no set-up.
 */
export function localSecrets(dataDir: string, env: Env = process.env): LocalSecrets {
  const file = join(dataDir, 'secrets.json');
  const fresh = (): string => randomBytes(24).toString('base64url');
  let stored: Partial<LocalSecrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
  const all: LocalSecrets = {
    clickhousePassword: stored.clickhousePassword ?? fresh(),
    cubeApiSecret: stored.cubeApiSecret ?? fresh(),
    sessionSecret: stored.sessionSecret ?? fresh(),
    ingestToken: stored.ingestToken ?? fresh(),
    webhookSecret: stored.webhookSecret ?? fresh(),
  };
  if (Object.keys(stored).length !== Object.keys(all).length) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(all, null, 2), { mode: 0o600 });
  }
  return {
    clickhousePassword: env.CLICKHOUSE_PASSWORD || all.clickhousePassword,
    cubeApiSecret: env.CUBEJS_API_SECRET || all.cubeApiSecret,
    sessionSecret: env.CRM_SESSION_SECRET || all.sessionSecret,
    ingestToken: env.INGEST_TOKEN || all.ingestToken,
    webhookSecret: env.CRM_WEBHOOK_SECRET || all.webhookSecret,
  };
}
