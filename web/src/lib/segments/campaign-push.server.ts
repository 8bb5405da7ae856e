import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { qualified } from '../../../../lib/warehouse/sql.ts';
import type { IngestRecordsFn } from '../server/context.ts';

/**
 * What a push of a saved segment leaves in the warehouse (migration 004 and the core campaign
 * tables):
 *
 * - a `campaigns` row tied to the segment, written once (a later push never overwrites what
 *   ingest may have loaded for the campaign since: budget, channel, dates);
 * - a `sent` row in `campaign_members` for every pushed member not yet in the campaign, so the
 *   responses and conversions that ingest loads later (same (campaign_id, customer_id) key,
 *   newer version) replace them, and pushing again adds nobody;
 * - the members as a new evaluation of the segment in `segment_members`;
 * - one `campaign_pushes` row per push, delivered or not.
 *
 * `campaigns` and `campaign_members` are ingest's tables: they are written only through ingest's
 * public API (ingestRecords, passed in as WebContext.ingestRecords), so the rows get ingest's
 * validation, dedupe, row hashes and versions like any other load. `campaign_pushes` is the
 * dashboard's own log and is written here.
 *
 * Takes the client and the ingest function explicitly so the warehouse tests drive it without the
 * web server.
 */
export interface PushDb {
  client: ClickHouseClient;
  database?: string;
}

export type { IngestRecordsFn };

const q = (db: PushDb, table: string): string => (db.database ? qualified(db.database, table) : table);

/** UTC DateTime64(3) text. */
const ts = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

export const normalizeCampaignName = (name: string): string => name.trim().replace(/\s+/g, ' ').slice(0, 200);

/**
 * Campaign id of (segment, campaign name): deterministic, so a second push of the same segment
 * under the same name reaches the same campaign instead of creating another. Names compare
 * case-insensitively and with collapsed spaces.
 */
export function campaignIdFor(segmentId: string, campaignName: string): string {
  const key = `${segmentId}\u001f${normalizeCampaignName(campaignName).toLowerCase()}`;
  return `push-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}

/** scheme://host[:port] of a webhook URL; its path and query may carry a token and are not logged. */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

export interface CampaignRecord {
  pushId: string;
  campaignId: string;
  campaignName: string;
  segmentId: string;
  customerIds: string[];
  at: Date;
}

/** The ingest load did not take every record: the push is delivered but not (fully) recorded. */
function checkLoad(what: string, r: Awaited<ReturnType<IngestRecordsFn>>): void {
  if (r.status === 'completed' && r.rejected === 0) return;
  const why = r.error ?? r.rejects.slice(0, 3).map((x) => x.reason).join('; ');
  throw new Error(`ingest did not load the ${what} (batch ${r.batchId}, ${r.rejected} rejected): ${why}`);
}

/**
 * A source record of each customer (its `source`, `source_id`), which is how ingest names the
 * customer of a fact: ingest resolves it back to this customer id (following merges). The pushed
 * ids are resolved ids (what the semantic layer returns), whose own records map to them.
 */
async function sourceRefs(db: PushDb, ids: string[]): Promise<Map<string, { source: string; source_id: string }>> {
  const refs = new Map<string, { source: string; source_id: string }>();
  for (let i = 0; i < ids.length; i += 50_000) {
    const rs = await db.client.query({
      query: `SELECT customer_id, tupleElement(m, 1) AS source, tupleElement(m, 2) AS source_id
        FROM (SELECT customer_id, min((source, source_id)) AS m FROM ${q(db, 'identity_map')} FINAL
              WHERE customer_id IN {ids:Array(String)} GROUP BY customer_id)`,
      query_params: { ids: ids.slice(i, i + 50_000) },
      format: 'JSONEachRow',
    });
    for (const r of await rs.json<{ customer_id: string; source: string; source_id: string }>()) refs.set(r.customer_id, { source: r.source, source_id: r.source_id });
  }
  return refs;
}

/**
 * Writes the campaign (first push only) and the members not yet in it through ingest. A member is
 * `sent` at ingest's version of the load (its start time: campaign_members has no updated_at), so
 * a response or conversion loaded later has a higher version and replaces it; a member already in
 * the campaign in any status is not sent again, so a push never reverts a response. (A response
 * can only be about a member some push already sent, which this check finds; one loaded in the
 * instant between the check and the load below would lose to `sent`, ingest's newest load wins.)
 */
export async function recordCampaign(db: PushDb, ingest: IngestRecordsFn, r: CampaignRecord): Promise<{ newMembers: number; createdCampaign: boolean }> {
  const batch = `push:${r.pushId}`;
  const exists = await db.client.query({
    query: `SELECT count() AS n FROM ${q(db, 'campaigns')} WHERE campaign_id = {id:String}`,
    query_params: { id: r.campaignId },
    format: 'JSONEachRow',
  });
  const createdCampaign = Number((await exists.json<{ n: string }>())[0]?.n ?? 0) === 0;
  if (createdCampaign) {
    const loaded = await ingest('campaigns', [{
      campaign_id: r.campaignId, name: r.campaignName, channel: 'webhook', objective: '', segment_id: r.segmentId,
      started_at: r.at.toISOString().slice(0, 10), budget: '0',
    }], { batchLabel: `${batch}:campaign` });
    checkLoad('campaign', loaded);
  }
  // Members are compared as resolved ids (what the semantic layer returns), so a member stored under
  // an id that has since been merged into another is still recognised.
  const rs = await db.client.query({
    query: `SELECT DISTINCT customer_id FROM ${q(db, 'campaign_members_resolved')} WHERE campaign_id = {id:String}`,
    query_params: { id: r.campaignId },
    format: 'JSONEachRow',
  });
  const known = new Set((await rs.json<{ customer_id: string }>()).map((x) => x.customer_id));
  const fresh = [...new Set(r.customerIds)].filter((id) => id && !known.has(id));
  let newMembers = 0;
  if (fresh.length > 0) {
    const refs = await sourceRefs(db, fresh);
    const missing = fresh.filter((id) => !refs.has(id));
    if (missing.length > 0) throw new Error(`no customer record for ${missing.length} pushed member(s), e.g. ${missing.slice(0, 3).join(', ')}`);
    const addedAt = ts(r.at).slice(0, 19);
    const loaded = await ingest(
      'campaign_members',
      fresh.map((id) => ({ campaign_id: r.campaignId, source: refs.get(id)!.source, customer_ref: refs.get(id)!.source_id, added_at: addedAt, status: 'sent' })),
      { batchLabel: `${batch}:members` },
    );
    checkLoad('members', loaded);
    newMembers = loaded.loaded + loaded.updated;
  }
  const evaluatedAt = ts(r.at);
  const members = [...new Set(r.customerIds)].filter(Boolean);
  for (let i = 0; i < members.length; i += 50_000) {
    await db.client.insert({
      table: q(db, 'segment_members'),
      format: 'JSONEachRow',
      values: members.slice(i, i + 50_000).map((customer_id) => ({ segment_id: r.segmentId, customer_id, evaluated_at: evaluatedAt })),
    });
  }
  return { newMembers, createdCampaign };
}

export type PushStatus = 'delivered' | 'failed' | 'not_recorded';

export interface PushLogEntry {
  pushId: string;
  segmentId: string;
  segmentName: string;
  campaignId: string;
  campaignName: string;
  members: number;
  newMembers: number;
  truncated: boolean;
  webhookUrl: string;
  status: PushStatus;
  httpStatus?: number;
  attempts: number;
  error?: string;
  pushedBy: string;
  pushedByEmail: string;
  at: Date;
}

export async function logPush(db: PushDb, e: PushLogEntry): Promise<void> {
  await db.client.insert({
    table: q(db, 'campaign_pushes'),
    format: 'JSONEachRow',
    values: [{
      push_id: e.pushId, segment_id: e.segmentId, segment_name: e.segmentName, campaign_id: e.campaignId, campaign_name: e.campaignName,
      members: e.members, new_members: e.newMembers, truncated: e.truncated ? 1 : 0, webhook_origin: webhookOrigin(e.webhookUrl),
      status: e.status, http_status: e.httpStatus ?? 0, attempts: Math.min(e.attempts, 255), error: (e.error ?? '').slice(0, 2000),
      pushed_by: e.pushedBy, pushed_by_email: e.pushedByEmail, pushed_at: ts(e.at),
    }],
  });
}

export interface PushLogRow {
  push_id: string;
  segment_id: string;
  campaign_id: string;
  campaign_name: string;
  members: number;
  new_members: number;
  status: PushStatus;
  http_status: number;
  attempts: number;
  error: string;
  pushed_by: string;
  pushed_by_email: string;
  pushed_at: string;
}

/** The newest `perSegment` pushes of each of these segments (all when `segmentIds` is empty), newest first. */
export async function recentPushes(db: PushDb, segmentIds: string[], perSegment = 20): Promise<PushLogRow[]> {
  const rs = await db.client.query({
    // LIMIT … BY: a segment pushed often cannot crowd the others out.
    query: `SELECT push_id, segment_id, campaign_id, campaign_name, members, new_members, status, http_status, attempts, error, pushed_by, pushed_by_email, pushed_at
      FROM ${q(db, 'campaign_pushes')}
      WHERE length({ids:Array(String)}) = 0 OR segment_id IN {ids:Array(String)}
      ORDER BY pushed_at DESC LIMIT {n:UInt32} BY segment_id
      LIMIT 10000`,
    query_params: { ids: segmentIds, n: perSegment },
    format: 'JSONEachRow',
  });
  return (await rs.json<PushLogRow>()).map((r) => ({ ...r, members: Number(r.members), new_members: Number(r.new_members), http_status: Number(r.http_status), attempts: Number(r.attempts) }));
}
