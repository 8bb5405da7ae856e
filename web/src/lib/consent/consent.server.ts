import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { consentSettings, hasConsent, CONSENT_STATUSES, type ConsentStatus } from '../../../../lib/consent/purposes.ts';
import { qualified } from '../../../../lib/warehouse/sql.ts';
import type { IngestRecordsFn } from '../server/context.ts';
import type { PurposeConsent } from './types.ts';

/**
 * Consent on the customer 360 page (issue 16, item 1): the current consent per configured purpose,
 * read from migration 012's consent_current view, and a change recorded as a consent EVENT through
 * ingest's public API (validated, versioned and resolved like a file's), never written here.
 * Callers check the role and that the customer is the user's (an owner's) before either.
 */
export interface Db {
  client: ClickHouseClient;
  database?: string;
}

const q = (db: Db, table: string): string => (db.database ? qualified(db.database, table) : table);

export type { PurposeConsent };

/** Every configured purpose, in the configured order, with what applies to this customer. */
export async function currentConsent(db: Db, customerId: string): Promise<PurposeConsent[]> {
  const settings = consentSettings();
  const rs = await db.client.query({
    query: `SELECT purpose, status, toString(changed_at) AS changed_at, channel, recorded_by FROM ${q(db, 'consent_current')} WHERE customer_id = {id:String}`,
    query_params: { id: customerId },
    format: 'JSONEachRow',
  });
  const rows = new Map(
    (
      await rs.json<{
        purpose: string;
        status: ConsentStatus;
        changed_at: string;
        channel: string;
        recorded_by: string;
      }>()
    ).map((r) => [r.purpose, r]),
  );
  return settings.purposes.map((purpose) => {
    const r = rows.get(purpose);
    const latest = r && (CONSENT_STATUSES as readonly string[]).includes(r.status) ? r.status : undefined;
    return {
      purpose,
      latest,
      consented: hasConsent(purpose, latest, settings),
      changedAt: r?.changed_at,
      channel: r?.channel,
      recordedBy: r?.recorded_by,
    };
  });
}

/** The customer's owner id (golden record), or '' when none; undefined when there is no such customer. */
export async function ownerOf(db: Db, customerId: string): Promise<string | undefined> {
  const rs = await db.client.query({
    query: `SELECT owner_id FROM ${q(db, 'customers_resolved')} WHERE customer_id = {id:String} LIMIT 1`,
    query_params: { id: customerId },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ owner_id: string }>())[0]?.owner_id;
}

/** A purpose and status posted by the form, checked against the configuration; a message when wrong. */
export function parseChange(
  purpose: unknown,
  status: unknown,
): { purpose: string; status: ConsentStatus } | { error: string } {
  const p = String(purpose ?? '').trim();
  const s = String(status ?? '').trim();
  if (!consentSettings().purposes.includes(p)) return { error: `Unknown consent purpose “${p.slice(0, 40)}”.` };
  if (!(CONSENT_STATUSES as readonly string[]).includes(s)) return { error: 'Choose grant or withdraw.' };
  return { purpose: p, status: s as ConsentStatus };
}

export interface ConsentChange {
  customerId: string;
  purpose: string;
  status: ConsentStatus;
  userId: string;
  at: Date;
}

/**
 * Records one consent event for the customer: named by one of its source records (ingest resolves
 * the reference back to this customer, following merges), channel `dashboard`, the user's id as
 * recorded_by, a fresh event id (every change is its own event; the newest wins).
 */
export async function recordConsentChange(db: Db, ingest: IngestRecordsFn, c: ConsentChange): Promise<string> {
  const rs = await db.client.query({
    query: `SELECT tupleElement(m, 1) AS source, tupleElement(m, 2) AS source_id
      FROM (SELECT min((source, source_id)) AS m FROM ${q(db, 'identity_map')} FINAL WHERE customer_id = {id:String} GROUP BY customer_id)`,
    query_params: { id: c.customerId },
    format: 'JSONEachRow',
  });
  const ref = (await rs.json<{ source: string; source_id: string }>())[0];
  if (!ref) throw new Error(`no source record for customer ${c.customerId}`);
  const consentId = `dashboard-${randomUUID()}`;
  const r = await ingest(
    'consents',
    [
      {
        source: ref.source,
        consent_id: consentId,
        customer_ref: ref.source_id,
        purpose: c.purpose,
        status: c.status,
        occurred_at: c.at.toISOString().slice(0, 19).replace('T', ' '),
        channel: 'dashboard',
        evidence: `recorded in the dashboard by ${c.userId}`,
        recorded_by: c.userId,
      },
    ],
    { batchLabel: `dashboard:${consentId}` },
  );
  if (r.status !== 'completed' || r.loaded + r.updated !== 1) {
    throw new Error(
      `ingest did not load the consent event (batch ${r.batchId}): ${r.error ?? r.rejects.map((x) => x.reason).join('; ')}`,
    );
  }
  return consentId;
}
