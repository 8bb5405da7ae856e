/**
 * What a segment push writes to the warehouse (migration 004 and web/src/lib/segments/
 * campaign-push.server.ts), on the real embedded engine: the campaign tied to the segment, a
 * `sent` member per new customer, no duplicates on a second push, responses loaded later are never
 * reverted by a push, and the push log. The campaign rows go through ingest's public API
 * (ingestRecords), as the dashboard's WebContext.ingestRecords does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { renderAll } from '../../lib/warehouse/migrations/index.ts';
import { campaignPushes } from '../../lib/warehouse/migrations/004-campaign-push.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { ingestRecords } from '../../ingest/index.ts';
import { campaignIdFor, logPush, recentPushes, recordCampaign, type IngestRecordsFn, type PushDb } from '../../web/src/lib/segments/campaign-push.server.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

let tw: TestWarehouse;
let db: PushDb;
let ingest: IngestRecordsFn;
/** Customer ids of the shop records 1…4 (C1…C4 below), as ingest resolved them. */
const C: Record<string, string> = {};

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await db.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const nameOf = (id: string): string => Object.entries(C).find(([, v]) => v === id)?.[0] ?? id;
const members = async (campaignId: string) =>
  (await rows<{ customer_id: string; status: string }>(
    'SELECT customer_id, status FROM campaign_members_resolved WHERE campaign_id = {id:String}',
    { id: campaignId },
  )).map((r) => `${nameOf(r.customer_id)}:${r.status}`).sort();

before(async () => {
  tw = await startTestWarehouse();
  db = { client: tw.warehouse.client, database: tw.config.database };
  await applyMigrations(db.client, { database: tw.config.database });
  ingest = (entity, records, opts) => ingestRecords(tw.warehouse, entity, records, opts);
  const customers = await ingestRecords(tw.warehouse, 'customers', [1, 2, 3, 4].map((n) => ({ source: 'shop', source_id: `${n}`, name: `Customer ${n}`, email: `c${n}@example.com` })), { batchLabel: 'campaign-push-test' });
  assert.equal(customers.status, 'completed', JSON.stringify(customers));
  for (const r of await rows<{ source_id: string; customer_id: string }>("SELECT source_id, customer_id FROM identity_map FINAL WHERE source = 'shop'")) C[`C${r.source_id}`] = r.customer_id;
  assert.equal(Object.keys(C).length, 4);
});
after(async () => {
  await tw?.close();
});

describe('migration 004', () => {
  test('campaign_pushes: a MergeTree here, Replicated + Distributed by segment on a cluster', async () => {
    const [t] = await rows<{ engine: string; sorting_key: string }>(
      "SELECT engine, sorting_key FROM system.tables WHERE database = {db:String} AND name = 'campaign_pushes'",
      { db: tw.config.database },
    );
    assert.deepEqual(t, { engine: 'MergeTree', sorting_key: 'segment_id, pushed_at' });
    const ddl = renderAll({ database: 'crm', cluster: 'c' });
    assert.ok(ddl.some((s) => s.startsWith('CREATE TABLE IF NOT EXISTS crm.campaign_pushes_local ON CLUSTER c') && s.includes("ReplicatedMergeTree('/clickhouse/tables/{shard}/crm/campaign_pushes_local', '{replica}')")));
    assert.ok(ddl.some((s) => s.includes(`Distributed(c, crm, campaign_pushes_local, ${campaignPushes.shardingKey})`)));
  });
});

describe('recordCampaign', () => {
  const segmentId = 'seg-1';
  const campaignId = campaignIdFor(segmentId, 'Spring push');
  const at = new Date('2026-11-20T10:00:00Z');

  test('a first push creates the campaign for the segment and one sent member per customer', async () => {
    const r = await recordCampaign(db, ingest, { pushId: 'p1', campaignId, campaignName: 'Spring push', segmentId, customerIds: [C.C1, C.C2, C.C3, C.C2], at });
    assert.deepEqual(r, { newMembers: 3, createdCampaign: true });
    const campaigns = await rows<{ name: string; segment_id: string; started_at: string }>('SELECT name, segment_id, started_at FROM campaigns FINAL WHERE campaign_id = {id:String}', { id: campaignId });
    assert.deepEqual(campaigns, [{ name: 'Spring push', segment_id: segmentId, started_at: '2026-11-20' }]);
    assert.deepEqual(await members(campaignId), ['C1:sent', 'C2:sent', 'C3:sent']);
    const evaluated = await rows<{ customer_id: string }>("SELECT customer_id FROM segment_members_current WHERE segment_id = {id:String}", { id: segmentId });
    assert.deepEqual(evaluated.map((x) => nameOf(x.customer_id)).sort(), ['C1', 'C2', 'C3']);
  });

  test('the rows are ingest’s: logged loads, row hashes, the load’s version, a source record as customer_ref', async () => {
    const stored = await rows<{ customer_id: string; customer_ref: string; row_hash: string; version: string; batch_id: string }>(
      'SELECT customer_id, customer_ref, row_hash, version, batch_id FROM campaign_members FINAL WHERE campaign_id = {id:String}', { id: campaignId });
    assert.equal(stored.length, 3);
    for (const m of stored) {
      assert.equal(m.customer_ref, nameOf(m.customer_id).slice(1), 'the shop record that names the customer');
      assert.notEqual(Number(m.row_hash), 0);
      assert.ok(Number(m.version) > Date.parse('2026-01-01'), 'versioned by load time, not a constant');
    }
    const batches = await rows<{ entity: string; status: string; source_file: string }>(
      "SELECT entity, status, source_file FROM ingest_batches FINAL WHERE source_file LIKE 'push:p1:%' ORDER BY entity");
    assert.deepEqual(batches, [
      { entity: 'campaign_members', status: 'completed', source_file: 'push:p1:members' },
      { entity: 'campaigns', status: 'completed', source_file: 'push:p1:campaign' },
    ]);
  });

  test('pushing the same members again adds nobody, not even unmerged rows', async () => {
    const r = await recordCampaign(db, ingest, { pushId: 'p2', campaignId, campaignName: 'Spring push', segmentId, customerIds: [C.C3, C.C1, C.C2], at: new Date('2026-11-21T10:00:00Z') });
    assert.deepEqual(r, { newMembers: 0, createdCampaign: false });
    const [raw] = await rows<{ n: string }>('SELECT count() AS n FROM campaign_members WHERE campaign_id = {id:String}', { id: campaignId });
    assert.equal(Number(raw.n), 3, 'no row was written at all');
    const [c] = await rows<{ n: string; started_at: string }>('SELECT count() AS n, any(started_at) AS started_at FROM campaigns WHERE campaign_id = {id:String}', { id: campaignId });
    assert.deepEqual({ n: Number(c.n), started_at: c.started_at }, { n: 1, started_at: '2026-11-20' }, 'the campaign row is written once');
  });

  test('a response loaded later wins, and a later push neither reverts it nor re-adds the member', async () => {
    // The campaign tool reports back through ingest, naming the customer by its source record.
    const loaded = await ingestRecords(tw.warehouse, 'campaign_members', [
      { campaign_id: campaignId, source: 'shop', customer_ref: '2', added_at: '2026-11-20 10:00:00', status: 'converted', responded_at: '2026-11-22 09:00:00', converted_at: '2026-11-22 09:05:00', revenue: '120.00' },
    ], { batchLabel: 'responses-1' });
    assert.deepEqual([loaded.status, loaded.updated], ['completed', 1], 'the response replaced the sent row');
    assert.deepEqual(await members(campaignId), ['C1:sent', 'C2:converted', 'C3:sent']);
    const r = await recordCampaign(db, ingest, { pushId: 'p3', campaignId, campaignName: 'Spring push', segmentId, customerIds: [C.C1, C.C2, C.C3, C.C4], at: new Date('2026-11-23T10:00:00Z') });
    assert.equal(r.newMembers, 1, 'only C4 is new');
    assert.deepEqual(await members(campaignId), ['C1:sent', 'C2:converted', 'C3:sent', 'C4:sent']);
  });

  test('a sent row never overwrites a response loaded after it: the response has the higher version', async () => {
    // C4 was sent by the last push; its response arrives now.
    const loaded = await ingestRecords(tw.warehouse, 'campaign_members', [
      { campaign_id: campaignId, source: 'shop', customer_ref: '4', added_at: '2026-11-23 10:00:00', status: 'responded', responded_at: '2026-11-24 08:00:00' },
    ], { batchLabel: 'responses-2' });
    assert.equal(loaded.updated, 1);
    const versions = await rows<{ status: string; version: string }>(
      'SELECT status, version FROM campaign_members WHERE campaign_id = {id:String} AND customer_id = {c:String} ORDER BY version', { id: campaignId, c: C.C4 });
    assert.deepEqual(versions.map((v) => v.status), ['sent', 'responded'], 'the raw rows, oldest first');
    assert.ok(Number(versions[1].version) > Number(versions[0].version));
    // A push after it finds C4 in the campaign and sends nothing, so the response stays.
    const resent = await recordCampaign(db, ingest, { pushId: 'p3b', campaignId, campaignName: 'Spring push', segmentId, customerIds: [C.C4], at: new Date('2026-11-24T10:00:00Z') });
    assert.equal(resent.newMembers, 0);
    assert.deepEqual(await members(campaignId), ['C1:sent', 'C2:converted', 'C3:sent', 'C4:responded']);
  });

  test('a member stored under an id that was merged away is recognised under the surviving id', async () => {
    await db.client.insert({ table: 'customer_aliases', format: 'JSONEachRow', values: [{ from_id: C.C3, to_id: 'C30', rule: 'email', version: 1 }] });
    const r = await recordCampaign(db, ingest, { pushId: 'p4', campaignId, campaignName: 'Spring push', segmentId, customerIds: ['C30'], at: new Date('2026-11-23T11:00:00Z') });
    assert.equal(r.newMembers, 0);
  });

  test('a member without any customer record is refused before anything is written', async () => {
    await assert.rejects(
      recordCampaign(db, ingest, { pushId: 'p6', campaignId, campaignName: 'Spring push', segmentId, customerIds: [C.C1, 'C-NOSUCHRECORD'], at: new Date('2026-11-25T10:00:00Z') }),
      /no customer record for 1 pushed member/,
    );
  });

  test('another campaign name is another campaign of the same segment', async () => {
    const other = campaignIdFor(segmentId, 'Autumn push');
    assert.notEqual(other, campaignId);
    const r = await recordCampaign(db, ingest, { pushId: 'p5', campaignId: other, campaignName: 'Autumn push', segmentId, customerIds: [C.C1], at });
    assert.deepEqual(r, { newMembers: 1, createdCampaign: true });
  });
});

describe('push log', () => {
  test('every push is a row: who, when, what, how it went; the webhook path is not stored', async () => {
    const base = { segmentId: 'seg-log', segmentName: 'Log test', campaignId: 'cmp-log', campaignName: 'Log', truncated: false, webhookUrl: 'https://hooks.example.com/T0/SECRET?token=x', pushedBy: 'u-mk', pushedByEmail: 'marketer@demo.local' };
    await logPush(db, { ...base, pushId: 'a', members: 3, newMembers: 3, status: 'delivered', httpStatus: 200, attempts: 2, at: new Date('2026-11-20T10:00:00Z') });
    await logPush(db, { ...base, pushId: 'b', members: 3, newMembers: 0, status: 'failed', httpStatus: 503, attempts: 4, error: 'HTTP 503', at: new Date('2026-11-21T10:00:00Z') });
    const log = await recentPushes(db, ['seg-log']);
    assert.deepEqual(log.map((p) => [p.push_id, p.status, p.members, p.new_members, p.http_status, p.attempts, p.error, p.pushed_by, p.pushed_by_email]), [
      ['b', 'failed', 3, 0, 503, 4, 'HTTP 503', 'u-mk', 'marketer@demo.local'],
      ['a', 'delivered', 3, 3, 200, 2, '', 'u-mk', 'marketer@demo.local'],
    ]);
    assert.equal(log[0].pushed_at, '2026-11-21 10:00:00.000');
    const [origin] = await rows<{ webhook_origin: string }>("SELECT DISTINCT webhook_origin FROM campaign_pushes WHERE segment_id = 'seg-log'");
    assert.equal(origin.webhook_origin, 'https://hooks.example.com');
    assert.deepEqual((await recentPushes(db, ['seg-log'], 1)).map((p) => p.push_id), ['b'], 'the newest per segment');
    assert.deepEqual(await recentPushes(db, ['nobody']), []);
  });
});
