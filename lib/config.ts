import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFrom, type Config } from './config/schema.ts';

export { ConfigError, loadConfig, type Config } from './config/schema.ts';

/** Repository root, so default paths do not depend on the caller's working directory. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * The least-privileged ClickHouse users, one per kind of component (the admin is `user`/`password`):
 * - writer: ingest, models, derived tables, alerts and the web app (DML on the product database);
 * - semantic: Cube (reads the product database, owns `<database>_pre_aggregations`);
 * - reader: reads the product database only.
 */
export const WAREHOUSE_ROLES = ['writer', 'semantic', 'reader'] as const;
export type WarehouseRole = (typeof WAREHOUSE_ROLES)[number];

export interface WarehouseCredentials {
  user: string;
  password: string;
}

export interface WarehouseConfig {
  /** Real ClickHouse HTTP(S) URL. Unset means: use (or start) the embedded engine. */
  url?: string;
  /** The admin: migrations, CREATE DATABASE, creating the other users on a real server. */
  user: string;
  password: string;
  /** Per role; a role missing here (a real server whose env lacks it) fails when it is asked for. */
  users?: Partial<Record<WarehouseRole, WarehouseCredentials>>;
  database: string;
  /** Where the embedded engine keeps its data and local secrets. */
  dataDir: string;
  /** Port of the embedded HTTP endpoint; 0 picks a free one. */
  embeddedPort: number;
  /** Engine sessions of the embedded endpoint kept for the product's own statements (embedded/server.ts). */
  embeddedReservedSessions?: number;
  /** File the embedded endpoint appends per-request timings to (embedded/request-trace.ts). */
  embeddedTrace?: string;
  /** ClickHouse cluster name: when set, migrations render ON CLUSTER / Replicated / Distributed DDL. */
  cluster?: string;
}

/** The environment to parse, or an already parsed Config (lib/config/schema.ts). */
type Env = Record<string, string | undefined> | Config;

export function dataDirFrom(env: Env = process.env): string {
  return configFrom(env).CRM_DATA_DIR;
}

/**
 * Reads warehouse settings from the environment. In embedded mode a random password is generated
 * once and stored (mode 0600) in the data directory, so the loopback endpoint is never open without
 * credentials and nothing secret has to be typed by a first-time user.
 */
export function loadWarehouseConfig(env: Env = process.env): WarehouseConfig {
  const config = configFrom(env);
  const dataDir = config.CRM_DATA_DIR;
  const url = config.CLICKHOUSE_URL;
  const database = config.CLICKHOUSE_DATABASE;
  const cluster = config.CLICKHOUSE_CLUSTER;
  const embeddedPort = config.CRM_EMBEDDED_PORT;
  if (url) {
    const users: WarehouseConfig['users'] = {};
    for (const role of WAREHOUSE_ROLES) {
      const { user: userVar, password: passwordVar } = roleVariables(role);
      const password = config[passwordVar];
      // No password: this process was not given that role (docker-compose blanks what a service must not hold).
      if (password) users[role] = { user: config[userVar], password };
    }
    return { url, user: config.CLICKHOUSE_USER ?? 'default', password: config.CLICKHOUSE_PASSWORD ?? '', users, database, dataDir, embeddedPort, cluster };
  }
  const secrets = localSecrets(dataDir, config);
  const users = Object.fromEntries(
    WAREHOUSE_ROLES.map((role) => [role, { user: config[roleVariables(role).user], password: secrets.clickhouseUsers[role] }]),
  ) as Record<WarehouseRole, WarehouseCredentials>;
  const admin = config.CLICKHOUSE_USER ?? 'crm';
  const names = [admin, ...WAREHOUSE_ROLES.map((r) => users[r].user)];
  if (new Set(names).size !== names.length) {
    throw new Error(`the ClickHouse users must have different names, got ${names.join(', ')}: check CLICKHOUSE_USER and CLICKHOUSE_{WRITER,SEMANTIC,READER}_USER`);
  }
  return {
    user: admin,
    password: config.CLICKHOUSE_PASSWORD ?? secrets.clickhousePassword,
    users,
    database,
    dataDir,
    embeddedPort,
    embeddedReservedSessions: config.CRM_EMBEDDED_RESERVED_SESSIONS,
    embeddedTrace: config.CRM_EMBEDDED_TRACE,
    cluster,
  };
}

/** Environment variables naming a role's user and password, e.g. CLICKHOUSE_WRITER_USER. */
export function roleVariables(role: WarehouseRole): { user: `CLICKHOUSE_${Uppercase<WarehouseRole>}_USER`; password: `CLICKHOUSE_${Uppercase<WarehouseRole>}_PASSWORD` } {
  const prefix = `CLICKHOUSE_${role.toUpperCase() as Uppercase<WarehouseRole>}` as const;
  return { user: `${prefix}_USER`, password: `${prefix}_PASSWORD` };
}

export function defaultRoleUser(role: WarehouseRole): string {
  return `crm_${role}`;
}

/** A role's credentials, or an error saying which variables to set. */
export function credentialsFor(config: WarehouseConfig, role: WarehouseRole): WarehouseCredentials {
  const found = config.users?.[role];
  if (found) return found;
  const vars = roleVariables(role);
  throw new Error(
    `no ClickHouse credentials for the ${role} user: set ${vars.password} (and ${vars.user}, default ${defaultRoleUser(role)}). ` +
      '`npm start -- --services migrate` run with the admin user (CLICKHOUSE_USER) creates that user on the server; see docs/deploy.md',
  );
}

export interface LocalSecrets {
  clickhousePassword: string;
  /** Passwords of the least-privileged warehouse users (embedded mode). */
  clickhouseUsers: Record<WarehouseRole, string>;
  cubeApiSecret: string;
  sessionSecret: string;
  ingestToken: string;
  webhookSecret: string;
  /** HMAC key of erased people's tombstones (lib/privacy): losing it forgets every erasure. */
  privacyKey: string;
}

/**
 * Secrets: from the environment when set (production: an env file or a secret store), else created
 * once for this machine in `<dataDir>/secrets.json` (mode 0600) so a first start needs no set-up.
 */
export function localSecrets(dataDir: string, env: Env = process.env): LocalSecrets {
  const config = configFrom(env);
  const file = join(dataDir, 'secrets.json');
  const fresh = (): string => randomBytes(24).toString('base64url');
  let stored: Partial<LocalSecrets> = {};
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
  const all: LocalSecrets = {
    clickhousePassword: stored.clickhousePassword ?? fresh(),
    clickhouseUsers: Object.fromEntries(WAREHOUSE_ROLES.map((role) => [role, stored.clickhouseUsers?.[role] ?? fresh()])) as LocalSecrets['clickhouseUsers'],
    cubeApiSecret: stored.cubeApiSecret ?? fresh(),
    sessionSecret: stored.sessionSecret ?? fresh(),
    ingestToken: stored.ingestToken ?? fresh(),
    webhookSecret: stored.webhookSecret ?? fresh(),
    privacyKey: stored.privacyKey ?? fresh(),
  };
  if (JSON.stringify(stored) !== JSON.stringify(all)) {
    privateDir(dataDir);
    writePrivateFile(file, JSON.stringify(all, null, 2));
  }
  return {
    clickhousePassword: config.CLICKHOUSE_PASSWORD || all.clickhousePassword,
    clickhouseUsers: Object.fromEntries(
      WAREHOUSE_ROLES.map((role) => [role, config[roleVariables(role).password] || all.clickhouseUsers[role]]),
    ) as LocalSecrets['clickhouseUsers'],
    cubeApiSecret: config.CUBEJS_API_SECRET || all.cubeApiSecret,
    sessionSecret: config.CRM_SESSION_SECRET || all.sessionSecret,
    ingestToken: config.INGEST_TOKEN || all.ingestToken,
    webhookSecret: config.CRM_WEBHOOK_SECRET || all.webhookSecret,
    privacyKey: config.CRM_PRIVACY_KEY || all.privacyKey,
  };
}

/**
 * Creates `dir` (and missing parents) readable by this OS user only. An existing directory is
 * tightened too: the data directory holds passwords, the engine's files and the users' hashes.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodOwn(dir, 0o700);
}

function chmodOwn(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    throw new Error(`cannot make ${path} private (mode ${mode.toString(8)}): it belongs to another OS user. Run as its owner, or set CRM_DATA_DIR to a directory of yours`, { cause: error });
  }
}

/** Writes a file only this OS user can read, replacing it whole (readers never see half of it). */
export function writePrivateFile(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  // The mode given to writeFileSync only applies to a new file, and the umask may narrow it further.
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

/** Files and folders of the data directory that hold secrets, tightened on every start. */
const PRIVATE_ENTRIES = ['secrets.json', 'endpoint.json', 'alert-rules.json', 'store', 'outbox', 'models', 'user_files', 'metadata', 'data'];

/**
 * Makes the data directory and what it holds private (0700 folders, 0600 files): earlier versions
 * created them 0755/0644, and other writers (models, alerts) use the process umask.
 */
export function tightenDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  chmodOwn(dataDir, 0o700);
  const tighten = (path: string): void => {
    let stat;
    try {
      // Not through symlinks: the engine's data/ links into store/, which is walked on its own.
      stat = lstatSync(path);
    } catch {
      return; // removed meanwhile
    }
    if (stat.isDirectory()) {
      if ((stat.mode & 0o077) !== 0) chmodOwn(path, 0o700);
      for (const name of readdirSync(path)) tighten(join(path, name));
    } else if (stat.isFile() && (stat.mode & 0o077) !== 0) {
      chmodOwn(path, 0o600);
    }
  };
  for (const name of PRIVATE_ENTRIES) tighten(join(dataDir, name));
}
