import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';

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
 * Takes the client explicitly so the warehouse tests drive it without the web server.
 */
export interface PushDb {
  client: ClickHouseClient;
  database?: string;
}

const q = (db: PushDb, table: string): string => (db.database ? `\`${db.database.replaceAll('`', '')}\`.${table}` : table);

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

/**
 * Pushed members are written with version 1: ingest versions its rows by load time, so anything
 * it loads later about the same membership (a response, a conversion) always wins over `sent`.
 */
export const SENT_VERSION = 1;

export interface CampaignRecord {
  pushId: string;
  campaignId: string;
  campaignName: string;
  segmentId: string;
  customerIds: string[];
  at: Date;
}

export async function recordCampaign(db: PushDb, r: CampaignRecord): Promise<{ newMembers: number; createdCampaign: boolean }> {
  const batch = `push:${r.pushId}`;
  const exists = await db.client.query({
    query: `SELECT count() AS n FROM ${q(db, 'campaigns')} WHERE campaign_id = {id:String}`,
    query_params: { id: r.campaignId },
    format: 'JSONEachRow',
  });
  const createdCampaign = Number((await exists.json<{ n: string }>())[0]?.n ?? 0) === 0;
  if (createdCampaign) {
    await db.client.insert({
      table: q(db, 'campaigns'),
      format: 'JSONEachRow',
      values: [{
        campaign_id: r.campaignId, name: r.campaignName, channel: 'webhook', objective: '', segment_id: r.segmentId,
        started_at: r.at.toISOString().slice(0, 10), ended_at: null, budget: '0', batch_id: batch, row_hash: 0, version: r.at.getTime(),
      }],
    });
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
  const addedAt = ts(r.at).slice(0, 19);
  for (let i = 0; i < fresh.length; i += 50_000) {
    await db.client.insert({
      table: q(db, 'campaign_members'),
      format: 'JSONEachRow',
      values: fresh.slice(i, i + 50_000).map((customer_id) => ({
        // customer_ref names a source record; a pushed member has none but its resolved id.
        campaign_id: r.campaignId, customer_id, customer_ref: customer_id, added_at: addedAt, status: 'sent',
        responded_at: null, converted_at: null, revenue: '0', batch_id: batch, row_hash: 0, version: SENT_VERSION,
      })),
    });
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
  return { newMembers: fresh.length, createdCampaign };
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
