/**
 * Consent events end to end on the real embedded engine (issue 16, item 1): a file through
 * `ingestFile` (rejects name record and field), the same kind of events through the HTTP endpoint,
 * re-loads that add nothing, and the current consent (newest event per customer and purpose wins,
 * across merged customers and load order). Expected values are worked out from the fixture here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingestFile, ingestRecords } from '../../ingest/index.ts';
import { startIngestServer, type IngestServer } from '../../ingest/http/index.ts';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { counts, fixture, rows, warehouseWithSchema } from './helpers.ts';

const TOKEN = 'consent-test-token-81c2';

describe('consent events', () => {
  let tw: TestWarehouse;
  let server: IngestServer;
  before(async () => {
    tw = await warehouseWithSchema();
    server = await startIngestServer({ warehouse: tw.warehouse, token: TOKEN, port: 0, log: () => {} });
  });
  after(async () => {
    await server?.close();
    await tw?.close();
  });

  const current = () =>
    rows<{ customer_id: string; purpose: string; status: string; channel: string; events: string }>(
      tw.warehouse,
      'SELECT customer_id, purpose, status, channel, toString(events) AS events FROM crm.consent_current ORDER BY customer_id, purpose',
    );
  const id = (ref: string) => customerIdFor('prefs', ref);

  it('loads a file; bad rows are rejected naming record and field; the newest event per purpose wins', async () => {
    const s = await ingestFile(tw.warehouse, {
      entity: 'consents',
      file: fixture('consents.csv'),
      source: 'prefs',
      rejectsFile: false,
    });
    assert.equal(s.status, 'completed', s.error);
    // 9 rows: K6 (purpose "newsletter"), K7 (status "maybe"), K8 (no customer), K9 (date 2024-13-40) are bad.
    assert.deepEqual([s.read, s.loaded, s.rejected], [9, 5, 4]);
    const why = Object.fromEntries(s.rejects.map((r) => [r.recordId, `${r.field}: ${r.reason}`]));
    assert.match(
      why.K6,
      /^purpose: .*"newsletter" is not one of: marketing_email, marketing_sms, marketing_phone, profiling/,
    );
    assert.match(why.K7, /^status: .*"maybe" is not one of: granted, withdrawn/);
    assert.match(why.K8, /^customer_ref: /);
    assert.match(why.K9, /^occurred_at: .*2024-13-40/);
    // C1: e-mail granted 10 Jan, withdrawn 1 Mar → withdrawn (2 events); profiling withdrawn. C2: two grants.
    assert.deepEqual(
      await current(),
      [
        { customer_id: id('C1'), purpose: 'marketing_email', status: 'withdrawn', channel: 'email_link', events: '2' },
        { customer_id: id('C1'), purpose: 'profiling', status: 'withdrawn', channel: 'phone', events: '1' },
        { customer_id: id('C2'), purpose: 'marketing_email', status: 'granted', channel: 'web_form', events: '1' },
        { customer_id: id('C2'), purpose: 'marketing_sms', status: 'granted', channel: 'web_form', events: '1' },
      ].sort((a, b) => (a.customer_id + a.purpose < b.customer_id + b.purpose ? -1 : 1)),
    );
  });

  it('loading the same file again adds nothing', async () => {
    const before = await counts(tw.warehouse, 'consent_events');
    const s = await ingestFile(tw.warehouse, {
      entity: 'consents',
      file: fixture('consents.csv'),
      source: 'prefs',
      rejectsFile: false,
    });
    assert.deepEqual([s.loaded, s.updated, s.duplicates], [0, 0, 5]);
    assert.deepEqual(await counts(tw.warehouse, 'consent_events'), before);
  });

  it('an older event loaded later does not win; a newer one does, whatever the load order', async () => {
    // Loaded after the file, but older than C1's withdrawal of 1 Mar: C1 stays withdrawn.
    const older = await ingestRecords(
      tw.warehouse,
      'consents',
      [
        {
          consent_id: 'K20',
          customer_ref: 'C1',
          purpose: 'marketing_email',
          status: 'granted',
          occurred_at: '2024-02-20 00:00:00',
        },
      ],
      { source: 'prefs', batchLabel: 'older' },
    );
    assert.equal(older.loaded, 1);
    // C2 withdraws SMS later: withdrawn.
    const newer = await ingestRecords(
      tw.warehouse,
      'consents',
      [
        {
          consent_id: 'K21',
          customer_ref: 'C2',
          purpose: 'marketing_sms',
          status: 'withdrawn',
          occurred_at: '2024-06-01 00:00:00',
        },
      ],
      { source: 'prefs', batchLabel: 'newer' },
    );
    assert.equal(newer.loaded, 1);
    const now = Object.fromEntries(
      (await current()).map((r) => [`${r.customer_id}/${r.purpose}`, `${r.status} ${r.events}`]),
    );
    assert.equal(now[`${id('C1')}/marketing_email`], 'withdrawn 3');
    assert.equal(now[`${id('C2')}/marketing_sms`], 'withdrawn 2');
  });

  it('through the HTTP endpoint: loaded once, a retry with the same idempotency key adds nothing', async () => {
    const body = {
      source: 'prefs',
      records: [
        {
          consent_id: 'H1',
          customer_ref: 'C3',
          purpose: 'marketing_email',
          status: 'granted',
          occurred_at: '2024-07-01T10:00:00Z',
          channel: 'preference_centre',
          evidence: 'pc-17',
        },
        {
          consent_id: 'H2',
          customer_ref: 'C3',
          purpose: 'bogus',
          status: 'granted',
          occurred_at: '2024-07-01T10:00:00Z',
        },
      ],
    };
    const post = () =>
      fetch(`${server.url}/v1/ingest/consents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'prefs-1' },
        body: JSON.stringify(body),
      });
    const first = (await (await post()).json()) as {
      loaded: number;
      rejected: number;
      rejects: { record_id: string; field: string }[];
    };
    assert.equal(first.loaded, 1);
    assert.equal(first.rejected, 1);
    assert.deepEqual(
      first.rejects.map((r) => [r.record_id, r.field]),
      [['H2', 'purpose']],
    );
    const before = await counts(tw.warehouse, 'consent_events');
    await post();
    assert.deepEqual(await counts(tw.warehouse, 'consent_events'), before);
    const c3 = (await current()).filter((r) => r.customer_id === id('C3'));
    assert.deepEqual(c3, [
      {
        customer_id: id('C3'),
        purpose: 'marketing_email',
        status: 'granted',
        channel: 'preference_centre',
        events: '1',
      },
    ]);
  });

  it('a merged customer: events of both records count together under the surviving id', async () => {
    // Two customer records with one e-mail become one customer; each record's system sent an event.
    await ingestRecords(tw.warehouse, 'customers', [{ source_id: 'M1', email: 'merge@example.org', name: 'M' }], {
      source: 'crm-a',
      batchLabel: 'm1',
    });
    await ingestRecords(tw.warehouse, 'customers', [{ source_id: 'M2', email: 'merge@example.org', name: 'M' }], {
      source: 'crm-b',
      batchLabel: 'm2',
    });
    await ingestRecords(
      tw.warehouse,
      'consents',
      [
        {
          consent_id: 'A1',
          customer_ref: 'M1',
          purpose: 'marketing_email',
          status: 'granted',
          occurred_at: '2024-01-01 00:00:00',
        },
      ],
      { source: 'crm-a', batchLabel: 'a1' },
    );
    await ingestRecords(
      tw.warehouse,
      'consents',
      [
        {
          consent_id: 'B1',
          customer_ref: 'M2',
          purpose: 'marketing_email',
          status: 'withdrawn',
          occurred_at: '2024-02-01 00:00:00',
        },
      ],
      { source: 'crm-b', batchLabel: 'b1' },
    );
    const [who] = await rows<{ customer_id: string }>(
      tw.warehouse,
      "SELECT customer_id FROM crm.customers_resolved WHERE email = 'merge@example.org'",
    );
    const mine = (await current()).filter((r) => r.customer_id === who.customer_id);
    assert.deepEqual(
      mine.map((r) => [r.purpose, r.status, r.events]),
      [['marketing_email', 'withdrawn', '2']],
    );
  });
});
