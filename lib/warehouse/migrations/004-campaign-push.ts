import type { TableDef } from './ddl.ts';

/**
 * Campaign push log (issue 5, web/src/lib/segments/campaign-push.server.ts). A push of a saved
 * segment to the campaign webhook also writes a `campaigns` row (tied to the segment) and a
 * `sent` row in `campaign_members` per new member, so the responses that ingest loads later
 * replace those rows (same (campaign_id, customer_id) key, newer version); this table records the
 * push itself.
 */
export const campaignPushes: TableDef = {
  name: 'campaign_pushes',
  columns: [
    "push_id String COMMENT 'X-CRM-Delivery-Id of the webhook call (the same on each of its retries)'",
    'segment_id String',
    "segment_name String COMMENT 'as of the push'",
    "campaign_id String COMMENT 'derived from segment and campaign name: pushing the same pair again reaches the same campaign'",
    'campaign_name String',
    "members UInt32 COMMENT 'members sent in the webhook payload'",
    "new_members UInt32 COMMENT 'members the push added to campaign_members (0 when all were in the campaign already)'",
    "truncated UInt8 COMMENT '1 when the segment had more members than one push sends'",
    "webhook_origin String COMMENT 'scheme://host:port of the webhook; never its path or query, which may hold a token'",
    "status LowCardinality(String) COMMENT 'delivered | failed | not_recorded (delivered, but writing the campaign failed)'",
    "http_status UInt16 COMMENT 'last HTTP status; 0 when no answer came'",
    'attempts UInt8',
    "error String COMMENT 'empty when delivered and recorded'",
    "pushed_by String COMMENT 'user id of the marketer'",
    "pushed_by_email String",
    "pushed_at DateTime64(3, 'UTC')",
  ],
  engine: 'MergeTree',
  orderBy: '(segment_id, pushed_at)',
  shardingKey: 'cityHash64(segment_id)',
  why: 'One row per push attempt (delivered or not), appended once the webhook answered: an audit log read per segment, newest first. Never updated, so a plain MergeTree.',
};

export const campaignPushTables: TableDef[] = [campaignPushes];
