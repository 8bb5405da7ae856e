/**
 * Every environment variable the product knows, in one typed schema (zod): its type, default,
 * meaning and which part reads it. Product code does not read `process.env.X` itself: a process
 * entry calls `loadConfig()` once and hands the typed object (or the parts it needs) to modules.
 *
 * `npm run config:docs` renders `.env.example` and the README's variable table from this file
 * (lib/config/docs.ts); test/lib/config-docs.test.ts fails when either is not current.
 *
 * Kinds of variable:
 * - product: read by this repository's code through loadConfig();
 * - third-party: read by a library (adapter-node, Cube, docker-compose); listed for documentation,
 *   passed through untouched;
 * - internal: set by the product itself for a child process (Cube); never set them yourself.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { maskUrlPasswords } from '../url-password.ts';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export type Env = Record<string, string | undefined>;

export type Kind = 'product' | 'third-party' | 'internal';
export type Group = 'warehouse' | 'secrets' | 'servers' | 'logging' | 'web' | 'alerts' | 'ingest' | 'privacy' | 'semantic' | 'tools' | 'deploy';

export const GROUP_TITLES: Record<Group, string> = {
  warehouse: 'Warehouse (ClickHouse)',
  secrets: 'Secrets (generated into `<CRM_DATA_DIR>/secrets.json` when unset)',
  servers: 'Processes and ports',
  logging: 'Logging',
  web: 'Dashboard behind a proxy (read by adapter-node)',
  alerts: 'Churn alerts',
  ingest: 'Ingest',
  privacy: 'Privacy: retention (maximum age of raw data, ClickHouse TTL; docs/privacy.md)',
  semantic: 'Semantic layer (Cube child process)',
  tools: 'Notebooks and models',
  deploy: 'docker-compose',
};

export interface VariableDoc {
  /** Human type: "port", "URL", "secret", … */
  type: string;
  /** Human default ("unset: embedded"). */
  default: string;
  meaning: string;
  /** Files or parts that read it. */
  readBy: string;
  group: Group;
  kind: Kind;
  /** Never echo the value in an error (passwords, tokens, URLs with credentials). */
  secret?: boolean;
  /** `.env.example` line: a value means the line is active, undefined writes it commented out. */
  example?: string;
  /** A comment line written above it in `.env.example`. */
  exampleComment?: string;
}

interface Variable<T> {
  schema: z.ZodType<T, string | undefined>;
  doc: VariableDoc;
}

// ── value parsers: each takes the raw string (undefined when unset) ──────────────────────────────

type Check<T> = (raw: string | undefined) => { ok: true; value: T } | { ok: false; message: string };

function parser<T>(check: Check<T>): z.ZodType<T, string | undefined> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const r = check(raw);
      if (r.ok) return r.value;
      ctx.addIssue({ code: 'custom', message: r.message });
      return z.NEVER;
    });
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (message: string) => ({ ok: false as const, message });
const blank = (raw: string | undefined): boolean => raw === undefined || raw.trim() === '';

/** The value as given (not trimmed); unset stays undefined. */
const raw = () => parser<string | undefined>((v) => ok(v));
/** Trimmed; unset or blank gives the default. */
function text(): z.ZodType<string | undefined, string | undefined>;
function text(dflt: string): z.ZodType<string, string | undefined>;
function text(dflt?: string) {
  return parser((v) => ok(v?.trim() || dflt));
}
const port = (dflt: number) =>
  parser<number>((v) => {
    if (blank(v)) return ok(dflt);
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 && n <= 65535 ? ok(n) : bad('must be a port number (0-65535)');
  });
const positive = (dflt: number, unit: string) =>
  parser<number>((v) => {
    if (blank(v)) return ok(dflt);
    const n = Number(v);
    return Number.isFinite(n) && n > 0 ? ok(n) : bad(`must be a positive number${unit ? ` of ${unit}` : ''}`);
  });
/** A whole number ≥ min; unset or blank gives the default. */
const whole = (dflt: number, min: number) =>
  parser<number>((v) => {
    if (blank(v)) return ok(dflt);
    const n = Number(v);
    return Number.isSafeInteger(n) && n >= min ? ok(n) : bad(`must be a whole number of at least ${min}`);
  });
const url = (schemes: RegExp, what: string) =>
  parser<string | undefined>((v) => {
    const t = v?.trim();
    if (!t) return ok(undefined);
    return schemes.test(t) ? ok(t) : bad(`must be ${what}`);
  });
const httpUrl = () => url(/^https?:\/\/\S+$/i, 'an http(s) URL, e.g. https://host:port');
/** One of `choices`, compared case-insensitively and trimmed; unset or blank gives the default. */
function oneOf<const C extends string>(choices: readonly C[]): z.ZodType<C | undefined, string | undefined>;
function oneOf<const C extends string>(choices: readonly C[], dflt: C): z.ZodType<C, string | undefined>;
function oneOf<const C extends string>(choices: readonly C[], dflt?: C) {
  return parser<C | undefined>((v) => {
    if (blank(v)) return ok(dflt);
    const t = v!.trim().toLowerCase() as C;
    return choices.includes(t) ? ok(t) : bad(`must be one of ${choices.join(', ')}`);
  });
}

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function variable<T>(schema: z.ZodType<T, string | undefined>, doc: VariableDoc): Variable<T> {
  return { schema, doc };
}

const roleUser = (name: 'writer' | 'semantic' | 'reader', who: string, comment?: string) =>
  variable(text(`crm_${name}`), {
    type: 'string', default: `\`crm_${name}\``, meaning: `the ${name} user: ${who}`, readBy: 'lib/config.ts', group: 'warehouse', kind: 'product',
    example: `crm_${name}`, exampleComment: comment,
  });
const rolePassword = (name: 'writer' | 'semantic' | 'reader', example: string) =>
  variable(raw(), {
    type: 'secret', default: 'generated (embedded); required by the services that use it (server)', meaning: `password of \`CLICKHOUSE_${name.toUpperCase()}_USER\``,
    readBy: 'lib/config.ts', group: 'warehouse', kind: 'product', secret: true, example,
  });

// ── the variables ────────────────────────────────────────────────────────────────────────────────

export const VARIABLES = {
  // warehouse
  CLICKHOUSE_URL: variable(httpUrl(), {
    type: 'URL', default: 'unset: embedded ClickHouse', meaning: 'HTTP(S) endpoint of a real ClickHouse, e.g. `https://ch.example.com:8443`',
    readBy: 'lib/config.ts, notebooks/run.ts', group: 'warehouse', kind: 'product',
  }),
  CLICKHOUSE_USER: variable(raw(), {
    type: 'string', default: '`crm` (embedded) / `default` (server)', meaning: 'the admin: migrations, `CREATE DATABASE`, creating the users below; only the `migrate` service holds it',
    readBy: 'lib/config.ts', group: 'warehouse', kind: 'product', example: 'crm',
    exampleComment: 'ClickHouse admin (the server creates this user on first start). Only the migrate service gets\n# it: it applies the schema and creates the three users below with their grants.',
  }),
  CLICKHOUSE_PASSWORD: variable(raw(), {
    type: 'secret', default: 'generated (embedded) / empty (server)', meaning: 'password of `CLICKHOUSE_USER`',
    readBy: 'lib/config.ts', group: 'warehouse', kind: 'product', secret: true, example: 'change-me-long-random',
  }),
  CLICKHOUSE_DATABASE: variable(text('crm'), {
    type: 'string', default: '`crm`', meaning: 'database the product owns', readBy: 'lib/config.ts', group: 'warehouse', kind: 'product', example: 'crm',
  }),
  CLICKHOUSE_WRITER_USER: roleUser('writer', 'ingest, models, derived tables, alerts, the web app; changes tables of `CLICKHOUSE_DATABASE` only',
    'Least-privileged users, one per kind of service (see README.md, docs/deploy.md).\n# writer: ingest API, worker (models, derived tables, alerts), web: changes tables of CLICKHOUSE_DATABASE only.'),
  CLICKHOUSE_WRITER_PASSWORD: rolePassword('writer', 'change-me-writer-random'),
  CLICKHOUSE_SEMANTIC_USER: roleUser('semantic', 'Cube; reads `CLICKHOUSE_DATABASE`, owns `<database>_pre_aggregations` (rollups)',
    'semantic: Cube; reads CLICKHOUSE_DATABASE, writes its rollups into <database>_pre_aggregations.'),
  CLICKHOUSE_SEMANTIC_PASSWORD: rolePassword('semantic', 'change-me-semantic-random'),
  CLICKHOUSE_READER_USER: roleUser('reader', 'read-only (`readonly=2`) on `CLICKHOUSE_DATABASE`: notebooks, BI tools, analysts', 'reader: read-only, for notebooks and BI tools.'),
  CLICKHOUSE_READER_PASSWORD: rolePassword('reader', 'change-me-reader-random'),
  CLICKHOUSE_CLUSTER: variable(text(), {
    type: 'string', default: 'unset: single node', meaning: 'cluster name: migrations render `ON CLUSTER`, Replicated and Distributed tables',
    readBy: 'lib/config.ts', group: 'warehouse', kind: 'product',
  }),
  CRM_DATA_DIR: variable(parser((v) => ok(resolve(v ?? join(PROJECT_ROOT, '.data')))), {
    type: 'path', default: '`./.data` (in the repository)', meaning: 'embedded warehouse data, local secrets, alert rules, the alert outbox, trained models',
    readBy: 'lib/config.ts, notebooks/run.ts', group: 'warehouse', kind: 'product',
  }),
  CRM_EMBEDDED_PORT: variable(port(8124), {
    type: 'port', default: '`8124`', meaning: 'port of the embedded ClickHouse endpoint on 127.0.0.1', readBy: 'lib/config.ts', group: 'warehouse', kind: 'product',
  }),
  CRM_EMBEDDED_RESERVED_SESSIONS: variable(whole(1, 0), {
    type: 'sessions', default: '`1`',
    meaning: "engine sessions of the embedded warehouse's 4 that Cube's queries and the derived refresher never hold, so the product's own statements (session checks, a load's lookups and writes) never queue behind analytic ones; `0`: one first-come queue for all",
    readBy: 'lib/config.ts', group: 'warehouse', kind: 'product',
  }),
  CRM_EMBEDDED_TRACE: variable(text(), {
    type: 'path', default: 'unset: off',
    meaning: 'append one JSON line per statement of the embedded warehouse to this file: user, lane, queue wait, run time, statement shape without its values (chDB keeps no query log)',
    readBy: 'lib/config.ts', group: 'warehouse', kind: 'product',
  }),

  // secrets
  CUBEJS_API_SECRET: variable(raw(), {
    type: 'secret', default: 'generated', meaning: "signs the semantic layer's JWTs (HS256): at least 32 random characters; passed to Cube",
    readBy: 'lib/config.ts (localSecrets), semantic/cube-process.ts', group: 'secrets', kind: 'product', secret: true,
    example: 'change-me-32-random-characters-at-least', exampleComment: "Signs the semantic layer's JWTs (HS256): at least 32 random characters.",
  }),
  CRM_SESSION_SECRET: variable(raw(), {
    type: 'secret', default: 'generated', meaning: 'signs dashboard session cookies', readBy: 'lib/config.ts (localSecrets)', group: 'secrets', kind: 'product', secret: true,
    example: 'change-me-another-random-secret', exampleComment: 'Signs dashboard session cookies.',
  }),
  INGEST_TOKEN: variable(raw(), {
    type: 'secret', default: 'generated',
    meaning:
      'bearer token for `POST /v1/ingest/…` (real-time event push); it sends every source. Give each sending system its source token instead (`npm run ingest -- source-token <source>`), which sends that source only; source tokens are derived from this one, so rotating it revokes them all',
    readBy: 'lib/config.ts (localSecrets), ingest/http/token.ts, ingest/http/auth.ts',
    group: 'secrets', kind: 'product', secret: true, example: 'change-me-ingest-token',
    exampleComment: 'Bearer token for POST /v1/ingest/... (real-time event push): sends every source. Give each sending system a source token instead: npm run ingest -- source-token <source>.',
  }),
  CRM_WEBHOOK_SECRET: variable(raw(), {
    type: 'secret', default: 'generated', meaning: 'HMAC key of the campaign and alert webhooks', readBy: 'lib/config.ts (localSecrets)', group: 'secrets', kind: 'product',
    secret: true, example: 'change-me-webhook-secret', exampleComment: 'HMAC key for campaign and alert webhooks.',
  }),

  CRM_PRIVACY_KEY: variable(raw(), {
    type: 'secret', default: 'generated', meaning: 'HMAC key of the tombstones of erased people (`npm run privacy`, ingest skips their records); keep it as long as the data: a new key forgets every erasure',
    readBy: 'lib/config.ts (localSecrets), lib/privacy', group: 'secrets', kind: 'product', secret: true,
    example: 'change-me-privacy-key', exampleComment: 'HMAC key of the tombstones of erased people (never rotate it without re-keying them).',
  }),

  // processes and ports
  CRM_BIND_HOST: variable(text('127.0.0.1'), {
    type: 'host', default: '`127.0.0.1`', meaning: 'address the ingest API, Cube and the dashboard listen on (`0.0.0.0` in containers)',
    readBy: 'bin/start.ts, web/dev.ts', group: 'servers', kind: 'product',
  }),
  CRM_WEB_PORT: variable(port(3000), {
    type: 'port', default: '`3000`', meaning: 'dashboard port', readBy: 'bin/start.ts, alerts/config.ts (default links)', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_PORT: variable(port(4000), {
    type: 'port', default: '`4000`', meaning: 'Cube (REST, GraphQL) port', readBy: 'bin/start.ts, semantic/cube-process.ts, notebooks', group: 'servers', kind: 'product',
  }),
  CRM_INGEST_PORT: variable(port(4100), {
    type: 'port', default: '`4100`', meaning: 'ingest API port', readBy: 'bin/start.ts', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_URL: variable(httpUrl(), {
    type: 'URL', default: 'unset: the Cube this process starts', meaning: 'a semantic layer running elsewhere (`--services web` without `semantic`)',
    readBy: 'bin/start.ts, web/dev.ts, notebooks', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_WAIT_SECONDS: variable(positive(60, 'seconds'), {
    type: 'seconds', default: '`60`',
    meaning: "how long the semantic API's `/load` and GraphQL wait for a slow or uncached query before answering 504 (instead of Cube's `Continue wait`)",
    readBy: 'semantic/server.ts, semantic/cube-process.ts', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_TRACE: variable(text(), {
    type: 'path', default: 'unset: off',
    meaning: "append one JSON line per event of the semantic layer to this file: Cube's queue and cache events (queued, waiting, performing, renewing, rollup builds) and each API request's time and answer-cache outcome; queries appear as short hashes, never their SQL, values or tokens (semantic/trace.ts)",
    readBy: 'semantic/server.ts, semantic/cube-process.ts', group: 'servers', kind: 'product',
  }),
  CRM_DASHBOARD_TRACE: variable(text(), {
    type: 'path', default: 'unset: off',
    meaning: "append one JSON line per dashboard request to this file: its route, how long its session check and the rest of the server's work until the first byte took, and the Node event loop's delay each second (web/server/web-trace.ts); no cookie, user, query string or data",
    readBy: 'web/server.ts', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_ANSWER_CACHE_MB: variable(whole(64, 0), {
    type: 'MiB', default: '`64`',
    meaning: "memory for /v1/load answers shared across users with the same access (semantic/answer-cache.ts; after a data change an answer is served at most 30 s stale, only to its own access scope, while the new one is computed); `0` turns it off",
    readBy: 'semantic/server.ts, semantic/cube-process.ts', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_ANSWERS_KEYED_BY: variable(oneOf(['tables', 'database'], 'tables'), {
    type: '`tables` or `database`', default: '`tables`',
    meaning: "what makes a shared answer stale after a data change: `tables`, a change to a table the answer reads (its cubes' SQL, the scope's row filter and the views under them; semantic/tables-read.ts), so a load of transactions leaves answers over deals current; `database`, any change (one data version for every answer)",
    readBy: 'semantic/server.ts, semantic/cube-process.ts', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_QUERY_CONCURRENCY: variable(whole(0, 0), {
    type: 'queries', default: '`0`: 2 on the embedded warehouse, 10 on a ClickHouse server',
    meaning: "warehouse queries Cube runs at once (rollup builds: half of it, at least 1). The embedded warehouse's 4 engine sessions also serve the product's own statements (session checks, loads), so Cube keeps to 2 there; a server or cluster takes Cube's usual 10",
    readBy: 'bin/start.ts, semantic/server.ts, semantic/cube-process.ts', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_ACCOUNT_SLOTS: variable(whole(4, 1), {
    type: 'requests', default: '`4`',
    meaning: "data requests of one account (token subject: a dashboard user, an analyst's token) in Cube's queue at once; the account's further requests wait in a queue of their own, served round-robin with other accounts' (semantic/security/account-queues.ts), so one account's flood delays only itself. Answers from the answer cache take no turn",
    readBy: 'semantic/server.ts, semantic/cube-process.ts', group: 'servers', kind: 'product',
  }),
  CRM_SEMANTIC_ACCOUNT_QUEUE: variable(whole(200, 0), {
    type: 'requests', default: '`200`',
    meaning: "data requests of one account that may wait for a turn at Cube (CRM_SEMANTIC_ACCOUNT_SLOTS); beyond, 429 with Retry-After. A wait longer than the query timeout is answered like a query still running (`Continue wait`, or 504 after CRM_SEMANTIC_WAIT_SECONDS for plain HTTP clients)",
    readBy: 'semantic/server.ts, semantic/cube-process.ts', group: 'servers', kind: 'product',
  }),
  CRM_DERIVED_CHECK_SECONDS: variable(positive(60, 'seconds'), {
    type: 'seconds', default: '`60`', meaning: 'how often the worker looks for new loads to rebuild the derived value, RFM and retention tables',
    readBy: 'bin/start.ts', group: 'servers', kind: 'product',
  }),
  CRM_WEB_DEV_PORT: variable(port(5173), {
    type: 'port', default: '`5173`', meaning: 'port of `npm run dev:web` (Vite dev server)', readBy: 'web/dev.ts', group: 'servers', kind: 'product',
  }),

  // logging
  CRM_LOG_LEVEL: variable(oneOf(LOG_LEVELS, 'info'), {
    type: 'level', default: '`info`', meaning: 'server log level (`trace`, `debug`, `info`, `warn`, `error`)', readBy: 'lib/log.ts', group: 'logging', kind: 'product',
  }),
  CRM_LOG_FORMAT: variable(oneOf(['json', 'text']), {
    type: '`json` or `text`', default: '`text` on a terminal, else `json`', meaning: 'server log format', readBy: 'lib/log.ts', group: 'logging', kind: 'product',
  }),

  // dashboard behind a proxy (adapter-node reads these with its CRM_WEB_ prefix)
  CRM_WEB_ORIGIN: variable(text(), {
    type: 'URL', default: 'unset: plain http on the bind address', meaning: "the dashboard's public origin behind a TLS proxy, e.g. `https://crm.example.com` (https makes cookies Secure); unset, the dashboard answers only at IP addresses and localhost (a host name could be re-pointed at it: DNS rebinding)",
    readBy: 'adapter-node, web/server.ts, alerts/config.ts', group: 'web', kind: 'third-party',
  }),
  CRM_WEB_PROTOCOL_HEADER: variable(text(), {
    type: 'header', default: 'unset (the server marks its own requests http)', meaning: 'header carrying the scheme from a proxy, e.g. `x-forwarded-proto`',
    readBy: 'adapter-node, web/server.ts', group: 'web', kind: 'third-party',
  }),
  CRM_WEB_HOST_HEADER: variable(raw(), {
    type: 'header', default: 'unset', meaning: 'header carrying the host from a proxy, e.g. `x-forwarded-host`', readBy: 'adapter-node', group: 'web', kind: 'third-party',
  }),
  CRM_WEB_ADDRESS_HEADER: variable(raw(), {
    type: 'header', default: 'unset: the socket address', meaning: "header carrying the client's address, e.g. `X-Forwarded-For` (see web/README.md)",
    readBy: 'adapter-node', group: 'web', kind: 'third-party',
  }),
  CRM_WEB_XFF_DEPTH: variable(raw(), {
    type: 'integer', default: '`1`', meaning: 'trusted proxies in front of the dashboard when `CRM_WEB_ADDRESS_HEADER` is `X-Forwarded-For`', readBy: 'adapter-node', group: 'web', kind: 'third-party',
  }),
  CAMPAIGN_WEBHOOK_URL: variable(url(/^https?:\/\//i, 'an http(s) URL'), {
    type: 'URL', default: 'unset: segment push disabled', meaning: "where a segment push posts the members (signed with `CRM_WEBHOOK_SECRET`)",
    readBy: 'web/src/lib/segments/push.server.ts (SvelteKit bundle)', group: 'web', kind: 'product', secret: true,
  }),

  // alerts
  SMTP_URL: variable(url(/^smtps?:\/\//i, 'an smtp:// or smtps:// URL (nodemailer connection URL)'), {
    type: 'URL', default: 'unset: .eml files in `<CRM_DATA_DIR>/outbox/<owner>/`', meaning: 'churn alert e-mail, e.g. `smtps://user:pass@smtp.example.com:465`',
    readBy: 'alerts/config.ts', group: 'alerts', kind: 'product', secret: true, example: '',
    exampleComment: 'Churn alert e-mail (nodemailer URL); empty writes .eml files to the outbox instead.',
  }),
  ALERT_FROM: variable(text('"Customer intelligence" <alerts@localhost>'), {
    type: 'address', default: '`"Customer intelligence" <alerts@localhost>`', meaning: 'From address of the digests', readBy: 'alerts/config.ts', group: 'alerts', kind: 'product',
    example: 'alerts@example.com',
  }),
  ALERT_WEBHOOK_URL: variable(url(/^https?:\/\//i, 'an http(s) URL'), {
    type: 'URL', default: 'unset: no webhook', meaning: 'Slack-compatible webhook for the digests, HMAC-signed', readBy: 'alerts/config.ts', group: 'alerts', kind: 'product', secret: true,
  }),
  CRM_PUBLIC_URL: variable(text(), {
    type: 'URL', default: '`CRM_WEB_ORIGIN`, else `http://127.0.0.1:$CRM_WEB_PORT`', meaning: 'public URL of the dashboard, base of the links in alerts',
    readBy: 'alerts/config.ts', group: 'alerts', kind: 'product', example: 'http://localhost:3000', exampleComment: 'Public URL of the dashboard, used in alert links.',
  }),
  CRM_TIMEZONE: variable(text('UTC'), {
    type: 'IANA zone', default: '`UTC`', meaning: 'time zone of the default alert schedule (a new rules file)', readBy: 'alerts/rules.ts', group: 'alerts', kind: 'product',
  }),

  // as-of date (lib/as-of.ts)
  CRM_AS_OF: variable(
    parser<string | undefined>((v) => {
      const t = v?.trim();
      if (!t) return ok(undefined);
      const d = /^\d{4}-\d{2}-\d{2}$/.test(t) ? new Date(`${t}T00:00:00Z`) : undefined;
      return d && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === t ? ok(t) : bad('must be a calendar date YYYY-MM-DD');
    }),
    {
      type: 'date', default: 'unset: today, or the last fact\'s date when the data ends more than 7 days before today',
      meaning: 'the one as-of date of recency, active customers, RFM, churn training and scoring, alerts, the derived tables and the dashboard\'s default periods',
      readBy: 'lib/as-of.ts via bin/start.ts, semantic/derived, models/cli.ts, alerts', group: 'servers', kind: 'product',
    },
  ),

  // ingest
  CRM_BASE_CURRENCY: variable(raw(), {
    type: 'ISO 4217', default: '`EUR`', meaning: "reporting currency of the first load that writes money, which the warehouse then records (warehouse_settings) and npm start, the dashboard, digests and churn reasons use; once recorded, leave it unset or equal (another is refused)", readBy: 'ingest/cli.ts, bin/start.ts, models/cli.ts, alerts/cli.ts via lib/warehouse/reporting-currency.ts; ingest/mapping/compile.ts; lib/format', group: 'ingest', kind: 'product',
  }),
  CRM_DEFAULT_COUNTRY: variable(raw(), {
    type: 'ISO 3166', default: '`DE`', meaning: 'country of phone numbers and addresses when a mapping file names none', readBy: 'ingest/mapping/compile.ts', group: 'ingest', kind: 'product',
  }),
  CRM_CONSENT_PURPOSES: variable(
    parser<string[]>((v) => {
      if (blank(v)) return ok(['marketing_email', 'marketing_sms', 'marketing_phone', 'profiling']);
      const list = [...new Set(v!.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean))];
      const badName = list.find((p) => !/^[a-z][a-z0-9_]{0,39}$/.test(p));
      if (badName) return bad(`must be a comma-separated list of purpose names (a-z, 0-9, _; "${badName}" is not one)`);
      return list.includes('profiling') ? ok(list) : bad('must include profiling (the churn model reads it)');
    }),
    {
      type: 'list', default: '`marketing_email,marketing_sms,marketing_phone,profiling`',
      meaning: 'consent purposes a consent event may name (lib/consent); every purpose but profiling needs an explicit grant (no event means no consent)',
      readBy: 'ingest/entities/consents.ts, web (360 page, segments), models/scoring', group: 'ingest', kind: 'product',
    },
  ),
  CRM_CONSENT_PROFILING_DEFAULT: variable(oneOf(['granted', 'denied'], 'granted'), {
    type: '`granted` | `denied`', default: '`granted`',
    meaning: 'profiling consent of a customer with no profiling event: `granted` (legitimate interest, the person may object) or `denied` (opt-in); customers without profiling consent are not churn-scored',
    readBy: 'lib/consent, models/scoring/score-churn.ts', group: 'ingest', kind: 'product',
  }),
  INGEST_HTTP_MAX_CONCURRENT: variable(whole(8, 1), {
    type: 'integer', default: '`8`', meaning: 'ingest API: batches loading at once; more wait in the queue (memory: about this × the 10 MiB body limit)',
    readBy: 'ingest/http/server.ts', group: 'ingest', kind: 'product',
  }),
  INGEST_HTTP_QUEUE_LENGTH: variable(whole(64, 0), {
    type: 'integer', default: '`64`', meaning: 'ingest API: requests that may wait for a free slot, first come first served; beyond it 503 with `Retry-After` (0 = no queue)',
    readBy: 'ingest/http/server.ts', group: 'ingest', kind: 'product',
  }),
  INGEST_HTTP_QUEUE_MIB: variable(positive(64, 'MiB'), {
    type: 'MiB', default: '`64`', meaning: 'ingest API: bodies the waiting requests may hold in memory together (each counted at its `Content-Length`, gzip or chunked ones at the body limit)',
    readBy: 'ingest/http/server.ts', group: 'ingest', kind: 'product',
  }),
  INGEST_HTTP_QUEUE_WAIT_SECONDS: variable(positive(30, 'seconds'), {
    type: 'seconds', default: '`30`', meaning: 'ingest API: longest a request waits in the queue before a 503 with `Retry-After`',
    readBy: 'ingest/http/server.ts', group: 'ingest', kind: 'product',
  }),
  CRM_RETENTION_TRANSACTIONS_DAYS: variable(whole(0, 0), {
    type: 'days', default: '`0`: kept', meaning: 'maximum age of order lines by order date (ClickHouse TTL, applied at migrate)', readBy: 'lib/warehouse/migrations/013-privacy.ts', group: 'privacy', kind: 'product',
  }),
  CRM_RETENTION_INTERACTIONS_DAYS: variable(whole(0, 0), {
    type: 'days', default: '`0`: kept', meaning: 'maximum age of interactions (calls, e-mails, tickets…) by when they happened', readBy: 'lib/warehouse/migrations/013-privacy.ts', group: 'privacy', kind: 'product',
  }),
  CRM_RETENTION_OPPORTUNITIES_DAYS: variable(whole(0, 0), {
    type: 'days', default: '`0`: kept', meaning: 'maximum age of closed deals by close date (open deals are kept)', readBy: 'lib/warehouse/migrations/013-privacy.ts', group: 'privacy', kind: 'product',
  }),
  CRM_RETENTION_REJECTS_DAYS: variable(whole(90, 0), {
    type: 'days', default: '`90`', meaning: 'maximum age of quarantined rows (the rejects table; they hold raw input)', readBy: 'lib/warehouse/migrations/013-privacy.ts', group: 'privacy', kind: 'product',
  }),
  CRM_RETENTION_INGEST_REQUESTS_DAYS: variable(whole(30, 0), {
    type: 'days', default: '`30`', meaning: 'maximum age of HTTP idempotency records (a retry older than this loads again)', readBy: 'lib/warehouse/migrations/013-privacy.ts', group: 'privacy', kind: 'product',
  }),
  CRM_RETENTION_AUDIT_DAYS: variable(whole(0, 0), {
    type: 'days', default: '`0`: kept', meaning: 'maximum age of audit log rows (0 keeps them; many regimes ask for years)', readBy: 'lib/warehouse/migrations/013-privacy.ts', group: 'privacy', kind: 'product',
  }),
  CRM_INGEST_ENGINE_PARSE: variable(oneOf(['auto', 'on', 'off'], 'auto'), {
    type: 'auto|on|off', default: '`auto`', meaning: "`auto`/`on`: a local transactions CSV whose mapping SQL can express, loaded by a process running the embedded engine into sources with no stored facts, is parsed and checked by the engine itself (`file()`; references resolved against identity_map, rows its checks refuse handed to the JS path by line); anything else, and `off`, takes the JS path (ingest/README.md, \"Which path loads a file\")", readBy: 'ingest/load/job.ts', group: 'ingest', kind: 'product',
  }),
  INGEST_TIMINGS: variable(parser((v) => ok(Boolean(v))), {
    type: 'flag', default: 'unset: off', meaning: 'any value: print the phases of each load (ms) to stderr', readBy: 'ingest/load/job.ts', group: 'ingest', kind: 'product',
  }),

  // semantic layer: set by semantic/server.ts for the Cube child process
  CRM_SEMANTIC_HOST: variable(text('127.0.0.1'), {
    type: 'host', default: '`127.0.0.1`', meaning: 'address Cube listens on (from `CRM_BIND_HOST`)', readBy: 'semantic/cube-process.ts', group: 'semantic', kind: 'internal',
  }),
  CRM_SEMANTIC_REFRESH_SECONDS: variable(positive(30, ''), {
    type: 'seconds', default: '`30`', meaning: "seconds between checks of the rollups' refresh keys", readBy: 'semantic/cube-process.ts', group: 'semantic', kind: 'internal',
  }),
  CUBEJS_DB_QUERY_LIMIT: variable(positive(50_000, ''), {
    type: 'rows', default: '`50000`', meaning: 'most rows a query may return', readBy: 'semantic/cube-process.ts, Cube', group: 'semantic', kind: 'internal',
  }),
  CUBEJS_DB_QUERY_TIMEOUT: variable(positive(60, ''), {
    type: 'seconds', default: '`60`', meaning: 'query timeout', readBy: 'semantic/cube-process.ts, Cube', group: 'semantic', kind: 'internal',
  }),
  CUBEJS_LOG_LEVEL: variable(parser((v) => ok((v ?? 'warn').toLowerCase())), {
    type: 'level', default: '`warn`', meaning: "Cube's log level (`info`, `trace` log every query)", readBy: 'semantic/cube-process.ts, Cube', group: 'semantic', kind: 'internal',
  }),
  CUBEJS_SCHEMA_PATH: variable(raw(), {
    type: 'path', default: '`semantic/model`', meaning: 'the Cube data model', readBy: 'semantic/server.ts, semantic/cube-process.ts, Cube', group: 'semantic', kind: 'internal',
  }),
  CUBEJS_DB_NAME: variable(raw(), {
    type: 'string', default: '`CLICKHOUSE_DATABASE`', meaning: 'database Cube queries; rollups go to `<name>_pre_aggregations`', readBy: 'semantic/cube-process.ts, Cube', group: 'semantic', kind: 'internal',
  }),
  CUBEJS_DB_HOST: variable(raw(), {
    type: 'various', default: 'from the warehouse settings', meaning: 'with `CUBEJS_DB_PORT`, `_SSL`, `_USER`, `_PASS`, `_TYPE`: the Cube driver settings, derived from the warehouse settings',
    readBy: 'Cube (set by semantic/server.ts)', group: 'semantic', kind: 'internal',
  }),

  // notebooks and models
  CRM_JUPYTER_PYTHON: variable(text(), {
    type: 'path', default: '`/usr/bin/python3`, else `python3`', meaning: 'Python that runs Jupyter for `npm run notebooks`', readBy: 'notebooks/run.ts', group: 'tools', kind: 'product',
  }),
  CRM_CHURN_HORIZON_DAYS: variable(
    parser<number | undefined>((v) => {
      if (blank(v)) return ok(undefined);
      const n = Number(v);
      return Number.isInteger(n) && n >= 1 && n <= 3660 ? ok(n) : bad('must be a whole number of days in 1…3660');
    }),
    {
      type: 'integer', default: 'unset: the horizon of the latest trained churn model (`npm run models -- all --horizon N` sets it), else `90`',
      meaning: 'churn horizon in days (churned = no purchase in this many days) of the training at the first `npm start` and the worker\'s scheduled re-score; a history shorter than it is refused',
      readBy: 'models/churn/horizon.ts via models/scoring/train-and-score.ts (bin/prepare-data.ts, alerts/run.ts)', group: 'tools', kind: 'product',
    },
  ),
  CRM_CDNOW_FILE: variable(raw(), {
    type: 'path', default: '`../shared/data/cdnow/CDNOW_sample.txt`', meaning: 'the CDNOW sample the CLV tests and benchmark use', readBy: 'models/clv/cdnow.ts', group: 'tools', kind: 'product',
  }),
  CRM_CUBE_TOKEN: variable(raw(), {
    type: 'secret', default: 'a one-day analyst token signed with `CUBEJS_API_SECRET` (or the data directory\'s secret)',
    meaning: 'token the notebooks send to the semantic API (`npm run -s token -- --role analyst --name Ann`)',
    readBy: 'notebooks/01-customers-semantic-api.ipynb (kernel)', group: 'tools', kind: 'product', secret: true,
  }),
  CRM_NOTEBOOK_TREES: variable(positive(100, 'trees'), {
    type: 'integer', default: '`100` (production\'s)', meaning: 'trees of the forest the churn notebook trains (fewer: faster, less accurate)',
    readBy: 'notebooks/02-churn-model-evaluation.ipynb (kernel)', group: 'tools', kind: 'product',
  }),
  PYTHON: variable(text('/usr/bin/python3'), {
    type: 'path', default: '`/usr/bin/python3`', meaning: 'Python with numpy and scikit-learn that the model benchmarks compare against (`--python` overrides it)',
    readBy: 'models/bench/churn-warehouse.ts, forest-vs-sklearn.ts, real.ts', group: 'tools', kind: 'product',
  }),

  // docker-compose
  CRM_ENV_FILE: variable(raw(), {
    type: 'path', default: '`.env`', meaning: 'env file the compose services read', readBy: 'docker-compose.yml, docker-compose.cluster.yml', group: 'deploy', kind: 'third-party',
  }),
  CLICKHOUSE_INTERSERVER_SECRET: variable(raw(), {
    type: 'secret', default: 'required by the cluster profile', meaning: 'shared secret of the ClickHouse cluster nodes', readBy: 'docker-compose.cluster.yml', group: 'deploy',
    kind: 'third-party', secret: true, example: 'change-me-interserver-secret', exampleComment: 'Shared secret of the ClickHouse cluster nodes (docker-compose.cluster.yml only).',
  }),
} satisfies Record<string, Variable<unknown>>;

export type VariableName = keyof typeof VARIABLES;

type Schemas = { [K in VariableName]: (typeof VARIABLES)[K]['schema'] };
const shape = Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema])) as Schemas;
export const configSchema = z.object(shape);

/** The parsed environment: every variable typed, defaults applied. */
export type Config = Readonly<z.output<typeof configSchema>> & { readonly [CONFIG]: true };

const CONFIG = Symbol.for('crm.config');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates the environment. Throws a ConfigError naming every bad variable, what it
 * must be and what it was ("CRM_WEB_PORT must be a port number (0-65535…), got 'abc'").
 */
export function loadConfig(env: Env = process.env): Config {
  const data = parseVariables(configSchema, Object.keys(VARIABLES) as VariableName[], env);
  return Object.defineProperty({ ...data }, CONFIG, { value: true, enumerable: false }) as Config;
}

/**
 * Only the named variables, parsed and checked as loadConfig() does. For code that must work even
 * when another variable is wrong: the log (lib/log.ts), which has to be able to report that error.
 */
export function loadVariables<K extends VariableName>(names: readonly K[], env: Env = process.env): Pick<z.output<typeof configSchema>, K> {
  const picked = z.object(Object.fromEntries(names.map((name) => [name, shape[name]])) as Pick<Schemas, K>);
  return parseVariables(picked, names, env) as Pick<z.output<typeof configSchema>, K>;
}

function parseVariables<T>(schema: z.ZodType<T>, names: readonly VariableName[], env: Env): T {
  const result = schema.safeParse(Object.fromEntries(names.map((name) => [name, env[name]])));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]) as VariableName;
    const doc = VARIABLES[name]?.doc;
    // A URL variable is not secret, but its user-info may carry a password.
    const got = doc?.secret ? '(value not shown)' : `'${maskUrlPasswords(String(env[name]))}'`;
    return `${name} ${issue.message}, got ${got}`;
  });
  throw new ConfigError(problems);
}

/** A parsed Config as is; an environment (or part of one, as tests pass) parsed. */
export function configFrom(source: Env | Config = process.env): Config {
  return isConfig(source) ? source : loadConfig(source);
}

export function isConfig(source: unknown): source is Config {
  return typeof source === 'object' && source !== null && (source as Record<symbol, unknown>)[CONFIG] === true;
}
