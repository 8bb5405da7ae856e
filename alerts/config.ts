/**
 * Delivery settings from the configuration. With no SMTP_URL (the embedded default) digests are
 * written as .eml files to `<dataDir>/outbox/<owner>/`, which the owner's alerts inbox reads.
 *
 * The variables (SMTP_URL, ALERT_FROM, ALERT_WEBHOOK_URL, CRM_WEBHOOK_SECRET, CRM_PUBLIC_URL,
 * CRM_WEB_ORIGIN, CRM_WEB_PORT) are declared once, with their defaults and meaning, in
 * lib/config/schema.ts (the README's configuration table is generated from it).
 */
import { join } from 'node:path';
import { localSecrets } from '../lib/config.ts';
import { ConfigError, configFrom, type Config } from '../lib/config/schema.ts';
import { AlertsError } from './errors.ts';
import { readRules, type AlertRules } from './rules.ts';
import { describeSchedule } from './schedule.ts';
import { formatContextOf, type FormatContext } from '../lib/format/index.ts';

/**
 * The process's Config (lib/config/schema.ts) as its entry point parsed it, or an environment to
 * parse (tests pass a literal). Left out, configFrom() parses the process's environment: the
 * schema is the one reader of process.env, so every variable here has its declared default.
 */
type Env = Record<string, string | undefined> | Config;

export type Channel = 'email' | 'outbox' | 'webhook';

export interface AlertsConfig {
  dataDir: string;
  /** `<dataDir>/outbox`: one folder per owner. */
  outboxDir: string;
  /** SMTP connection URL; unset: digests go to the outbox instead. */
  smtpUrl?: string;
  from: string;
  webhookUrl?: string;
  webhookSecret: string;
  /** Dashboard base URL, no trailing slash; customer links are `<publicUrl>/customers/<id>`. */
  publicUrl: string;
  /** Locale and base currency of the digests' amounts (CRM_BASE_CURRENCY); en-GB and EUR when not given. */
  format?: FormatContext;
}

/** Delivery settings; `dataDir` defaults to the configuration's CRM_DATA_DIR. */
export function loadAlertsConfig(dataDir?: string, env?: Env): AlertsConfig {
  let config: Config;
  try {
    config = configFrom(env);
  } catch (error) {
    // SMTP_URL, ALERT_WEBHOOK_URL, … are checked by the schema; callers expect the alerts' error code.
    if (error instanceof ConfigError) throw new AlertsError('CONFIG_INVALID', error.message);
    throw error;
  }
  const smtpUrl = config.SMTP_URL;
  const webhookUrl = config.ALERT_WEBHOOK_URL;
  const publicUrl = publicUrlFrom(config);
  dataDir ??= config.CRM_DATA_DIR;
  return {
    dataDir,
    outboxDir: join(dataDir, 'outbox'),
    smtpUrl,
    from: config.ALERT_FROM,
    webhookUrl,
    webhookSecret: localSecrets(dataDir, config).webhookSecret,
    publicUrl,
    format: formatContextOf(config),
  };
}

/** Base of the dashboard links: CRM_PUBLIC_URL, else CRM_WEB_ORIGIN, else the local web port. */
export function publicUrlFrom(env?: Env): string {
  const config = configFrom(env);
  return (config.CRM_PUBLIC_URL || config.CRM_WEB_ORIGIN || `http://127.0.0.1:${config.CRM_WEB_PORT}`).replace(/\/+$/, '');
}

/** Channels a run plans digests for: e-mail (SMTP) or else the outbox, plus the webhook when set. */
export function activeChannels(config: AlertsConfig): Channel[] {
  return [config.smtpUrl ? 'email' : 'outbox', ...(config.webhookUrl ? (['webhook'] as const) : [])];
}

/** host:port of a URL without its credentials, path or query (webhook paths carry secrets). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? '/…' : ''}`;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * One line for the start banner: where digests go and when, e.g.
 * "no SMTP_URL set: digests are written as .eml files to ./.data/outbox/<owner>/ (alerts inbox); daily at 07:00 UTC".
 */
export function describeDelivery(opts: { config?: AlertsConfig; rules?: AlertRules } = {}): string {
  const config = opts.config ?? loadAlertsConfig();
  let when: string;
  try {
    when = describeSchedule((opts.rules ?? readRules(config.dataDir)).schedule);
  } catch (err) {
    when = `not scheduled (${(err as Error).message})`;
  }
  const where = config.smtpUrl
    ? `e-mail via ${redactUrl(config.smtpUrl)} from ${config.from}`
    : `no SMTP_URL set: digests are written as .eml files to ${join(config.outboxDir, '<owner>')}/ (alerts inbox)`;
  const hook = config.webhookUrl ? ` and signed JSON to ${redactUrl(config.webhookUrl)}` : '';
  return `${where}${hook}; ${when}`;
}
