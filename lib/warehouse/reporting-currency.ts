import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows, qualified, rows } from './sql.ts';

/**
 * The warehouse's reporting currency: the one currency its amounts are stored in, recorded by the
 * first load that writes money (warehouse_settings, migration 019). It is a property of the data,
 * not of the environment: after `CRM_BASE_CURRENCY=USD npm run ingest …` a plain `npm start`
 * labelled the dollars "€98.0k". CRM_BASE_CURRENCY only chooses it for the first load; afterwards
 * it must agree or be unset.
 */
const KEY = 'reporting_currency';

const normal = (code: string | undefined): string | undefined => code?.trim().toUpperCase() || undefined;

/** The recorded currency; undefined when no load has written money yet. */
export async function readReportingCurrency(client: ClickHouseClient, database: string): Promise<string | undefined> {
  const [row] = await rows<{ value: string }>(client, {
    query: `SELECT argMax(value, set_at) AS value FROM ${qualified(database, 'warehouse_settings')} WHERE key = {key:String}`,
    query_params: { key: KEY },
  });
  return normal(row?.value);
}

/**
 * Records `currency` when nothing is recorded yet and returns what is recorded afterwards. Never
 * overwrites: a load in another currency is refused before it writes (reportingCurrencyMismatch).
 */
export async function recordReportingCurrency(client: ClickHouseClient, database: string, currency: string): Promise<string> {
  const recorded = await readReportingCurrency(client, database);
  if (recorded) return recorded;
  const value = normal(currency) ?? 'EUR';
  await insertRows(client, qualified(database, 'warehouse_settings'), [{ key: KEY, value, set_at: new Date().toISOString().replace('T', ' ').replace('Z', '') }]);
  return value;
}

/**
 * The currency every part of the product shows amounts in, from the recorded one and
 * CRM_BASE_CURRENCY: the recorded one wins; a variable that names another is an error (the
 * amounts would be labelled with a currency they are not in), with what to do.
 */
export function resolveReportingCurrency(recorded: string | undefined, configured: string | undefined): string {
  const rec = normal(recorded);
  const conf = normal(configured);
  if (rec && conf && rec !== conf) {
    throw new Error(
      `the warehouse's amounts are in ${rec} (recorded by its first load), but CRM_BASE_CURRENCY is ${conf}: ` +
        `unset CRM_BASE_CURRENCY (or set it to ${rec}) to show them as ${rec}; to report in ${conf}, load the data into a new data directory (CRM_DATA_DIR) with CRM_BASE_CURRENCY=${conf}`,
    );
  }
  return rec ?? conf ?? 'EUR';
}

/** Reads the recorded currency and resolves it against `configured` (what bin/start.ts does). */
export async function reportingCurrencyOf(client: ClickHouseClient, database: string, configured: string | undefined): Promise<string> {
  return resolveReportingCurrency(await readReportingCurrency(client, database), configured);
}

/**
 * For a process that shows amounts (npm start, the models and alerts CLIs): resolves the reporting
 * currency and puts it in CRM_BASE_CURRENCY, which every formatter it starts reads (lib/format via
 * loadConfig()); throws on a mismatch, as resolveReportingCurrency. Returns it and whether it was recorded.
 */
export async function adoptReportingCurrency(client: ClickHouseClient, database: string): Promise<{ currency: string; recorded: boolean }> {
  const recorded = await readReportingCurrency(client, database);
  const currency = resolveReportingCurrency(recorded, process.env.CRM_BASE_CURRENCY);
  process.env.CRM_BASE_CURRENCY = currency;
  return { currency, recorded: Boolean(recorded) };
}
