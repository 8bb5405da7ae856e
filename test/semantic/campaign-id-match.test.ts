/**
 * The segment builder's campaign-response rule through a real Cube (issue 16 review follow-up):
 * a campaign id holding LIKE's wildcards (`_`, `%`) and a backslash matches itself and only itself.
 * Cube turns `contains` into `lower(x) LIKE CONCAT('%', lower(?), '%')` and its ClickHouse driver
 * formats the parameter MySQL-style, so the escaping must survive both; the decoys differ from
 * the id exactly where a wildcard would let them match.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { segmentFilters, type Rule } from '../../web/src/lib/segments/rules.ts';
import { num, startSemanticFixture, type SemanticFixture } from './support.ts';

const ID = 'SUM_25%_OFF\\B';
// C04 and C05: one character where `_` is, and the rest where `%` is; C07 without the backslash.
const DECOYS: [string, string][] = [
  ['C04', 'SUMX25%_OFF\\B'],
  ['C05', 'SUM_25 EXTRA_OFF\\B'],
  ['C07', 'SUM_25%_OFFB'],
];

let fx: SemanticFixture;
let exec: string;

before(async () => {
  fx = await startSemanticFixture();
  exec = fx.token('executive');
  const member = (campaign: string, customerId: string) => ({
    campaign_id: campaign, customer_id: customerId, customer_ref: customerId, added_at: '2024-05-01 09:00:00', status: 'responded',
    responded_at: '2024-05-10 09:00:00', converted_at: null, revenue: '0.00', batch_id: 'fixture-ids', row_hash: 0, version: 1,
  });
  await fx.tw.warehouse.client.insert({
    table: `${fx.tw.config.database}.campaign_members`,
    values: [member(ID, 'C02'), ...DECOYS.map(([c, id]) => member(id, c))],
    format: 'JSONEachRow',
  });
});
after(async () => {
  await fx?.close();
});

const customersOf = async (rule: Rule): Promise<string[]> =>
  (
    await fx.load(
      { dimensions: ['customer_base.customer_id'], filters: segmentFilters({ match: 'all', groups: [{ match: 'all', rules: [rule] }] }), order: { 'customer_base.customer_id': 'asc' } } as never,
      exec,
    )
  ).map((r) => String(r['customer_base.customer_id']));

describe('campaign ids with LIKE wildcards, through Cube', () => {
  test('the stored ids are as loaded', async () => {
    const rows = await fx.load({ dimensions: ['customer_base.customer_id', 'customer_base.responded_campaign_ids'], filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: ['C02', 'C04'] }] } as never, exec);
    const byId = Object.fromEntries(rows.map((r) => [r['customer_base.customer_id'], r['customer_base.responded_campaign_ids']]));
    assert.equal(byId.C02, `|${ID}|`);
    assert.equal(byId.C04, `|${DECOYS[0][1]}|`);
  });

  test('responded to the campaign: exactly its respondent', async () => {
    assert.deepEqual(await customersOf({ field: 'campaign_response', op: 'to_campaign', values: [ID] }), ['C02']);
    for (const [c, id] of DECOYS) assert.deepEqual(await customersOf({ field: 'campaign_response', op: 'to_campaign', values: [id] }), [c], id);
  });

  test('responded to none of them: everyone but its respondent', async () => {
    const all = num((await fx.load({ measures: ['customer_base.customers'] } as never, exec))[0]['customer_base.customers']);
    const none = await customersOf({ field: 'campaign_response', op: 'not_to_campaign', values: [ID] });
    assert.equal(none.length, all - 1);
    assert.ok(!none.includes('C02'));
  });
});
