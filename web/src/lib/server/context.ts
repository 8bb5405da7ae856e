import type { ClickHouseClient } from '@clickhouse/client';
import type { Role } from '../auth/roles.ts';
import type { FormatContext } from '../../../../lib/format/context.ts';
import { configureFormat } from '../format/format.ts';

/**
 * What the SvelteKit server code needs from the process that runs it: secrets, where Cube is, and
 * the few warehouse reads that are not analytics (user accounts, a customer's source records).
 *
 * web/server.ts (run by tsx) creates the context and the adapter-node bundle reads it. The two are
 * separate module graphs (the bundle has its own copies of every module), so the bridge is a
 * well-known symbol on globalThis rather than a module-level variable. Its one import sets the
 * formatters' base currency with the context (same bridge), so no request formats in EUR first.
 */
export interface UserRecord {
  userId: string;
  email: string;
  name: string;
  role: Role;
  ownerId: string;
  region: string;
  passwordHash: string;
  active: boolean;
  /** users.updated_at of the current row version, ms since the epoch: sessions issued before it end. */
  updatedAt: number;
}

/** Signed-out session ids, so a copied cookie stops working at sign-out, not at its expiry. */
export interface SessionRevocations {
  isRevoked(sessionId: string): Promise<boolean>;
  /** `expiresAt` (seconds since the epoch) is when the cookie would have expired: the entry can go then. */
  revoke(entry: { sessionId: string; userId: string; expiresAt: number }): Promise<void>;
}

export interface SourceRecordView {
  source: string;
  sourceId: string;
  /** Which identity rule joined it (new | email | phone | external_id | unmatched). */
  rule: string;
  /** The normalised value that matched. */
  matchedOn: string;
  /** `source:source_id` of the record it matched. */
  matchedRecord: string;
  /** Field → value as the source sent it, flattened to text for display; empty when unmatched. */
  fields: Record<string, string>;
}

/** What the dashboard needs of ingest's IngestSummary (ingest/types.ts). */
export interface IngestResult {
  batchId: string;
  status: 'completed' | 'failed';
  loaded: number;
  updated: number;
  duplicates: number;
  outdated: number;
  rejected: number;
  rejects: { reason: string }[];
  error?: string;
}

/** ingest/index.ts's ingestRecords, bound to the process's warehouse; only the entities the dashboard records. */
export type IngestRecordsFn = (
  entity: 'campaigns' | 'campaign_members' | 'consents',
  records: Record<string, unknown>[],
  opts: { batchLabel: string; source?: string },
) => Promise<IngestResult>;

/**
 * The demo accounts' gate (web/server/demo-guard.ts), set only by `npm start` on the embedded
 * default, where demo accounts with the published password exist.
 */
export interface DemoAccountsGate {
  /** False once the warehouse holds own data (the demo accounts are then deactivated too). */
  usable(): Promise<boolean>;
  /** Whether the sign-in page may name the demo accounts (as last checked). */
  hintShown(): boolean;
}

/** What the SvelteKit server code needs of the process's structured log (lib/log.ts's pino Logger). */
export interface ServerLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface WebContext {
  secrets: { sessionSecret: string; cubeApiSecret: string };
  /** Cube REST base, e.g. http://127.0.0.1:4000/cubejs-api (server-side calls go straight there). */
  cubeUrl: string;
  users: {
    byEmail(email: string): Promise<UserRecord | undefined>;
    byId(userId: string): Promise<UserRecord | undefined>;
  };
  sessions: SessionRevocations;
  /** A customer's records as each source system sent them (identity resolution's inputs). */
  sourceRecordsOf?(customerId: string): Promise<SourceRecordView[]>;
  /**
   * Ingest's public API for the rows the dashboard adds to ingest's tables (a campaign push's
   * `campaigns` and `campaign_members` rows): validated, deduplicated and versioned like any load.
   * Absent when the ingest module could not be loaded (a push is then delivered but not recorded).
   */
  ingestRecords?: IngestRecordsFn;
  /** Cookies get the Secure flag (set when the site is served over HTTPS). */
  secureCookies: boolean;
  /**
   * The data directory the alerts worker and CLI use (alert rules file, outbox). Resolved by the
   * process, because the bundle's own copy of lib/config would look for `.data` under web/build.
   */
  dataDir: string;
  /** Locale and base currency of every amount the pages show (lib/format; CRM_BASE_CURRENCY). */
  format?: FormatContext;
  /**
   * The process's warehouse connection, for the dashboard's own records (saved segments, campaign
   * pushes). Passed in for the same reason as dataDir: the bundle cannot find the embedded endpoint.
   */
  warehouse: { client: ClickHouseClient; database?: string };
  /** Absent where no demo accounts are handed out (deployments, tests' stacks). */
  demoAccounts?: DemoAccountsGate;
  /** The structured log (part "web"); absent in tests that build a context by hand. */
  log?: ServerLog;
  /** CRM_DASHBOARD_TRACE: one line per request's timings (web/server/web-trace.ts); absent when off. */
  trace?: (event: string, fields: Record<string, unknown>) => void;
}

const KEY = Symbol.for('customer-intelligence.web.context');
type Holder = { [KEY]?: WebContext };

export function setWebContext(ctx: WebContext | undefined): void {
  (globalThis as Holder)[KEY] = ctx;
  // Before any request: a page's server load, an export or a data request may run before (or
  // without) the root layout, which used to be the only place the base currency was set.
  configureFormat(ctx?.format);
}

export function getWebContext(): WebContext {
  const ctx = (globalThis as Holder)[KEY];
  if (!ctx) throw new Error('web context missing: start the dashboard through startWebServer() (web/server.ts)');
  return ctx;
}
