/**
 * The consent members of the semantic layer (issue 16) on the hand-countable fixture with a real
 * Cube: customer_base.granted_consents / withdrawn_consents hold the newest event per purpose,
 * the segments' consent filter (web/src/lib/segments/consent.ts) counts exactly the consented
 * customers, and an owner sees consent of their own customers only.
 * Fixture: Ann (U-OWN-01) owns C01–C05, Bob (U-OWN-02) owns C06–C10 and C12 (test/semantic/fixture.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consentFilter } from '../../web/src/lib/segments/consent.ts';
import { OWNER_ANN } from './fixture.ts';
import { num, startSemanticFixture, type SemanticFixture } from './support.ts';

let fx: SemanticFixture;

// C01: granted then withdrawn (withdrawn wins); C02: granted; C03: withdrawn then granted again
// (granted wins); C06 (Bob's): granted; C04: only SMS. So marketing e-mail consent: C02, C03, C06.
const EVENTS: [string, string, string, string][] = [
  ['C01', 'marketing_email', 'granted', '2024-01-01 10:00:00'],
  ['C01', 'marketing_email', 'withdrawn', '2024-02-01 10:00:00'],
  ['C02', 'marketing_email', 'granted', '2024-01-05 10:00:00'],
  ['C03', 'marketing_email', 'withdrawn', '2024-01-05 10:00:00'],
  ['C03', 'marketing_email', 'granted', '2024-03-05 10:00:00'],
  ['C06', 'marketing_email', 'granted', '2024-01-05 10:00:00'],
  ['C04', 'marketing_sms', 'granted', '2024-01-05 10:00:00'],
];

before(async () => {
  fx = await startSemanticFixture();
  await fx.tw.warehouse.client.insert({
    table: `${fx.tw.config.database}.consent_events`,
    format: 'JSONEachRow',
    values: EVENTS.map(([customer, purpose, status, at], i) => ({
      source: 'fixture',
      consent_id: `K${i}`,
      customer_id: customer,
      customer_ref: customer,
      purpose,
      status,
      occurred_at: at,
      channel: 'web_form',
      evidence: '',
      recorded_by: '',
      batch_id: 'b',
      row_hash: i,
      version: 1,
    })),
  });
});
after(async () => {
  await fx?.close();
});

describe('consent in the semantic layer', () => {
  test('current consent per customer: the newest event per purpose', async () => {
    const rows = await fx.load(
      {
        dimensions: ['customer_base.customer_id', 'customer_base.granted_consents', 'customer_base.withdrawn_consents'],
        filters: [
          { member: 'customer_base.customer_id', operator: 'equals', values: ['C01', 'C02', 'C03', 'C04', 'C05'] },
        ],
        order: { 'customer_base.customer_id': 'asc' },
      },
      fx.token('admin'),
    );
    assert.deepEqual(
      rows.map((r) => [
        r['customer_base.customer_id'],
        r['customer_base.granted_consents'],
        r['customer_base.withdrawn_consents'],
      ]),
      [
        ['C01', '||', '|marketing_email|'],
        ['C02', '|marketing_email|', '||'],
        ['C03', '|marketing_email|', '||'],
        ['C04', '|marketing_sms|', '||'],
        ['C05', '||', '||'],
      ],
    );
  });

  test("the segments' consent filter counts exactly the consented customers; an owner only theirs", async () => {
    const count = async (token: string): Promise<number> =>
      num(
        (
          await fx.load({ measures: ['customer_base.customers'], filters: [consentFilter('marketing_email')] }, token)
        )[0]['customer_base.customers'],
      );
    assert.equal(await count(fx.token('admin')), 3, 'C02, C03 and C06');
    assert.equal(await count(fx.token('owner', OWNER_ANN)), 2, 'Ann: C02 and C03');
    const annSees = await fx.load(
      {
        dimensions: ['customer_base.customer_id', 'customer_base.granted_consents'],
        filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: ['C06'] }],
      },
      fx.token('owner', OWNER_ANN),
    );
    assert.deepEqual(annSees, [], "Bob's customer's consent is not Ann's to see");
  });
});
