/**
 * Issue 13, the load internals: the same record id twice in one input, facts that create their
 * customers, wrong JSON types, the counts of a failed load, and survivorship per field. Real
 * embedded engine; expected numbers are computed here from the inputs, not copied from a run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestFile, ingestRecords } from '../../ingest/index.ts';
import { startIngestServer, type IngestServer } from '../../ingest/http/index.ts';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { one, rows, warehouseWithSchema } from './helpers.ts';
import { LocalPayloads } from '../../ingest/core/local-payloads.ts';

const HEADER = 'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity';

interface Tx {
  source: string;
  transaction_id: string;
  customer_ref: string;
  order_date: string;
  amount: string;
}
const line = (t: Tx): string => `${t.source},${t.transaction_id},O-${t.transaction_id},${t.customer_ref},${t.order_date},completed,${t.amount},EUR,1`;

/** What the last occurrence of every id says, and how many rows repeat an earlier id. */
function lastWins(list: readonly Tx[]): { winners: Map<string, Tx>; repeats: number } {
  const winners = new Map<string, Tx>();
  for (const t of list) winners.set(t.transaction_id, t);
  return { winners, repeats: list.length - winners.size };
}

describe('load internals (issue 13)', () => {
  let tw: TestWarehouse;
  let dir: string;
  before(async () => {
    tw = await warehouseWithSchema();
    dir = mkdtempSync(join(tmpdir(), 'ingest-internals-'));
  });
  after(async () => {
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sumOf = async (source: string): Promise<string> =>
    (await one<{ s: string }>(tw.warehouse, 'SELECT toString(sum(amount)) AS s FROM crm.transactions FINAL WHERE source = {s:String}', { s: source })).s;
  const rawOf = async (source: string): Promise<number> =>
    Number((await one<{ n: string }>(tw.warehouse, 'SELECT count() AS n FROM crm.transactions WHERE source = {s:String}', { s: source })).n);

  it('the same transaction id twice in one file: counted, reported, the last kept; a re-load adds nothing, raw rows included', async () => {
    const input: Tx[] = [
      { source: 'dup', transaction_id: 'T1', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', amount: '10.00' },
      { source: 'dup', transaction_id: 'T2', customer_ref: 'C1', order_date: '2024-01-06 10:00:00', amount: '20.00' },
      { source: 'dup', transaction_id: 'T1', customer_ref: 'C2', order_date: '2024-02-07 10:00:00', amount: '30.00' },
      { source: 'dup', transaction_id: 'T3', customer_ref: 'C2', order_date: '2024-02-08 10:00:00', amount: '40.00' },
      { source: 'dup', transaction_id: 'T3', customer_ref: 'C2', order_date: '2024-02-08 10:00:00', amount: '40.00' }, // an exact repeat
    ];
    const file = join(dir, 'dup.csv');
    writeFileSync(file, [HEADER, ...input.map(line)].join('\n'));
    const { winners, repeats } = lastWins(input);
    const expectedSum = [...winners.values()].reduce((s, t) => s + Number(t.amount), 0);

    const first = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(first.status, 'completed', first.error);
    assert.deepEqual(
      { read: first.read, loaded: first.loaded, updated: first.updated, duplicates: first.duplicates, duplicatesInInput: first.duplicatesInInput },
      { read: input.length, loaded: winners.size, updated: 0, duplicates: 0, duplicatesInInput: repeats },
    );
    const t1 = first.warnings.find((w) => w.includes('transaction_id T1'));
    assert.ok(t1, first.warnings.join('\n'));
    assert.match(t1, /2 rows share transaction_id T1 \(lines 2, 4\): line 4 was kept/);
    assert.equal(Number(await sumOf('dup')), expectedSum);
    const t1Row = await one<{ customer_id: string }>(tw.warehouse, "SELECT customer_id FROM crm.transactions FINAL WHERE source = 'dup' AND transaction_id = 'T1'");
    assert.equal(t1Row.customer_id, customerIdFor('dup', winners.get('T1')!.customer_ref));
    // Only the kept rows were written.
    assert.equal(await rawOf('dup'), winners.size);
    const log = await one<{ loaded: string; repeated: string }>(
      tw.warehouse,
      'SELECT toString(rows_loaded) AS loaded, toString(rows_duplicate_in_input) AS repeated FROM crm.ingest_batches FINAL WHERE batch_id = {b:String}',
      { b: first.batchId },
    );
    assert.deepEqual(log, { loaded: String(winners.size), repeated: String(repeats) });

    const second = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.deepEqual(
      { loaded: second.loaded, updated: second.updated, duplicates: second.duplicates, duplicatesInInput: second.duplicatesInInput },
      { loaded: 0, updated: 0, duplicates: winners.size, duplicatesInInput: repeats },
    );
    assert.equal(await rawOf('dup'), winners.size);
    assert.equal(Number(await sumOf('dup')), expectedSum);
  });

  it('a repeated id in another batch of the same file: the last one kept, a re-load writes nothing', async () => {
    // The CSV reader hands rows on in 1 MiB chunks and a batch ends at a chunk boundary: a file of a
    // few MiB with a small batch size spans several batches.
    const n = 12_000;
    const pad = 'x'.repeat(200);
    const input: Tx[] = [];
    for (let i = 0; i < n; i++) {
      input.push({ source: 'far', transaction_id: `T${i}`, customer_ref: `C${i % 50}`, order_date: '2024-03-01 10:00:00', amount: `${(i % 97) + 1}.25` });
    }
    // T5 again at the end (another customer, another amount), T7 again in the second MiB.
    input.push({ source: 'far', transaction_id: 'T5', customer_ref: 'C49', order_date: '2024-03-02 11:00:00', amount: '999.00' });
    input.splice(6_000, 0, { source: 'far', transaction_id: 'T7', customer_ref: 'C7', order_date: '2024-03-01 10:00:00', amount: '0.50' });
    const file = join(dir, 'far.csv');
    writeFileSync(file, [`${HEADER},product_name`, ...input.map((t) => `${line(t)},${pad}`)].join('\n'));
    const { winners, repeats } = lastWins(input);
    const expectedCents = [...winners.values()].reduce((s, t) => s + Math.round(Number(t.amount) * 100), 0);

    const first = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false, batchSize: 3_000 });
    assert.equal(first.status, 'completed', first.error);
    assert.deepEqual([first.read, first.loaded, first.duplicatesInInput], [input.length, winners.size, repeats]);
    // Lines: the header is line 1.
    const lineOf = (index: number): number => index + 2;
    const t5Last = lineOf(input.length - 1);
    assert.ok(first.warnings.includes(`rows share transaction_id T5 (an earlier batch and line ${t5Last}): line ${t5Last} was kept (the last one; with updated_at the newest wins)`), first.warnings.join('\n'));
    assert.equal(Math.round(Number(await sumOf('far')) * 100), expectedCents);
    const { final } = await one<{ final: string }>(tw.warehouse, "SELECT toString(count()) AS final FROM crm.transactions FINAL WHERE source = 'far'");
    assert.equal(Number(final), winners.size);
    const rawAfterFirst = await rawOf('far');

    const second = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false, batchSize: 3_000 });
    assert.deepEqual([second.loaded, second.updated, second.duplicatesInInput], [0, 0, repeats]);
    // On the re-load nothing of T5 was written before its last line: both lines are known.
    const t5First = lineOf(input.findIndex((t) => t.transaction_id === 'T5'));
    assert.ok(second.warnings.includes(`2 rows share transaction_id T5 (lines ${t5First}, ${t5Last}): line ${t5Last} was kept (the last one; with updated_at the newest wins)`), second.warnings.join('\n'));
    assert.equal(await rawOf('far'), rawAfterFirst);
    assert.equal(Math.round(Number(await sumOf('far')) * 100), expectedCents);
  });

  it('the same id twice in one HTTP batch: counted, reported, and re-sending the batch adds nothing', async () => {
    const server: IngestServer = await startIngestServer({ warehouse: tw.warehouse, token: 'internals-token-1', port: 0, log: () => {} });
    try {
      const records = [
        { transaction_id: 'H1', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'completed', amount: 10 },
        { transaction_id: 'H1', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'completed', amount: 12 },
        { transaction_id: 'H2', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'completed', amount: 5 },
      ];
      const ids = new Set(records.map((r) => r.transaction_id));
      const send = async (key: string): Promise<Record<string, unknown>> => {
        const res = await fetch(`${server.url}/v1/ingest/transactions`, {
          method: 'POST',
          headers: { authorization: 'Bearer internals-token-1', 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ source: 'http-dup', records }),
        });
        assert.equal(res.status, 200);
        return (await res.json()) as Record<string, unknown>;
      };
      const a = await send('k-1');
      assert.deepEqual([a.loaded, a.duplicates_in_input], [ids.size, records.length - ids.size]);
      assert.ok((a.warnings as string[]).some((w) => /2 rows share transaction_id H1 \(lines 1, 2\): line 2 was kept/.test(w)), JSON.stringify(a.warnings));
      const b = await send('k-2'); // another key: a new request with the same content
      assert.deepEqual([b.loaded, b.updated, b.duplicates, b.duplicates_in_input], [0, 0, ids.size, records.length - ids.size]);
      assert.equal(await rawOf('http-dup'), ids.size);
      assert.equal(Number(await sumOf('http-dup')), 12 + 5);
    } finally {
      await server.close();
    }
  });

  it('with updated_at, the newest of the repeated rows is kept, wherever it stands', async () => {
    const records = [
      { transaction_id: 'U1', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'refunded', amount: 1, updated_at: '2024-05-01 00:00:00' },
      { transaction_id: 'U1', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'completed', amount: 1, updated_at: '2024-01-05 10:00:00' },
    ];
    const newest = records.reduce((m, r) => (r.updated_at > m.updated_at ? r : m));
    const at = records.indexOf(newest) + 1;
    for (const label of ['newest-1', 'newest-2']) {
      const s = await ingestRecords(tw.warehouse, 'transactions', records, { source: 'newest', batchLabel: label });
      assert.equal(s.duplicatesInInput, 1);
      assert.ok(s.warnings.includes(`2 rows share transaction_id U1 (lines 1, 2): line ${at} was kept (the newest updated_at)`), s.warnings.join('\n'));
    }
    const stored = await rows<{ status: string }>(tw.warehouse, "SELECT status FROM crm.transactions FINAL WHERE source = 'newest'");
    assert.deepEqual(stored, [{ status: newest.status }]);
    assert.equal(await rawOf('newest'), 1);
  });

  it('transactions without a customers file create their customers; a later customers file merges into them', async () => {
    const input: Tx[] = [
      { source: 'solo', transaction_id: 'S1', customer_ref: '00004', order_date: '1997-01-03 00:00:00', amount: '10.00' },
      { source: 'solo', transaction_id: 'S2', customer_ref: '00004', order_date: '1997-01-01 00:00:00', amount: '5.00' },
      { source: 'solo', transaction_id: 'S3', customer_ref: '00007', order_date: '1997-02-11 00:00:00', amount: '7.00' },
    ];
    const file = join(dir, 'solo.csv');
    writeFileSync(file, [HEADER, ...input.map(line)].join('\n'));
    const firstSeen = new Map<string, string>();
    for (const t of input) {
      const day = t.order_date.slice(0, 10);
      const prev = firstSeen.get(t.customer_ref);
      if (!prev || day < prev) firstSeen.set(t.customer_ref, day);
    }
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.equal(s.customersCreated, firstSeen.size);
    const logged = await one<{ n: string }>(tw.warehouse, 'SELECT toString(customers_created) AS n FROM crm.ingest_batches FINAL WHERE batch_id = {b:String}', { b: s.batchId });
    assert.equal(Number(logged.n), firstSeen.size);
    const golden = await rows<{ customer_id: string; signup_date: string; sources: string[] }>(
      tw.warehouse,
      'SELECT customer_id, toString(signup_date) AS signup_date, sources FROM crm.customers_resolved WHERE customer_id IN {ids:Array(String)} ORDER BY customer_id',
      { ids: [...firstSeen.keys()].map((r) => customerIdFor('solo', r)) },
    );
    assert.deepEqual(
      golden,
      [...firstSeen].map(([ref, day]) => ({ customer_id: customerIdFor('solo', ref), signup_date: day, sources: ['solo'] })).sort((a, b) => (a.customer_id < b.customer_id ? -1 : 1)),
    );

    const again = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(again.customersCreated, 0);
    const soloRows = await one<{ raw: string; final: string }>(
      tw.warehouse,
      "SELECT (SELECT count() FROM crm.customers WHERE has(sources, 'solo')) AS raw, (SELECT count() FROM crm.customers FINAL WHERE has(sources, 'solo')) AS final",
    );
    assert.deepEqual(soloRows, { raw: String(firstSeen.size), final: String(firstSeen.size) });

    // A later load with an earlier purchase moves first seen back (and creates nobody).
    const earlier: Tx = { source: 'solo', transaction_id: 'S0', customer_ref: '00007', order_date: '1996-12-30 23:00:00', amount: '1.00' };
    const earlierFile = join(dir, 'solo-earlier.csv');
    writeFileSync(earlierFile, [HEADER, line(earlier)].join('\n'));
    const e = await ingestFile(tw.warehouse, { entity: 'transactions', file: earlierFile, rejectsFile: false });
    assert.equal(e.customersCreated, 0);
    firstSeen.set('00007', earlier.order_date.slice(0, 10));
    const moved = await one<{ d: string }>(tw.warehouse, 'SELECT toString(signup_date) AS d FROM crm.customers_resolved WHERE customer_id = {id:String}', {
      id: customerIdFor('solo', '00007'),
    });
    assert.equal(moved.d, firstSeen.get('00007'));

    const customersFile = join(dir, 'solo-customers.csv');
    writeFileSync(customersFile, ['source,source_id,name,email', 'solo,00004,Ann Example,ann@example.com'].join('\n'));
    const c = await ingestFile(tw.warehouse, { entity: 'customers', file: customersFile, rejectsFile: false });
    assert.equal(c.status, 'completed', c.error);
    const after = await rows<{ customer_id: string; name: string; signup_date: string }>(
      tw.warehouse,
      "SELECT customer_id, name, toString(signup_date) AS signup_date FROM crm.customers_resolved WHERE has(sources, 'solo') ORDER BY customer_id",
    );
    assert.equal(after.length, firstSeen.size);
    const ann = after.find((r) => r.customer_id === customerIdFor('solo', '00004'));
    // The record has no signup date: the customer keeps the first seen its facts gave it.
    assert.deepEqual([ann?.name, ann?.signup_date], ['Ann Example', firstSeen.get('00004')]);
  });

  it('an object or array given for a text field is a reject naming record and field, not JSON text in the table', async () => {
    const records: Record<string, unknown>[] = [
      { transaction_id: 'J1', customer_ref: { id: 7 }, order_date: '2024-01-05 10:00:00', status: 'completed', amount: 1 },
      { transaction_id: 'J2', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'completed', amount: 2, product_name: ['a', 'b'] },
      { transaction_id: 'J3', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'completed', amount: true },
      { transaction_id: 'J4', customer_ref: 'C1', order_date: '2024-01-05 10:00:00', status: 'completed', amount: 4, product_id: 99 },
    ];
    const s = await ingestRecords(tw.warehouse, 'transactions', records, { source: 'json', batchLabel: 'json-types' });
    assert.equal(s.loaded, 1);
    const byId = new Map(s.rejects.map((r) => [r.recordId, r]));
    assert.equal(byId.get('J1')?.field, 'customer_ref');
    assert.match(byId.get('J1')!.reason, /^line 1, field customer_ref: .*object/);
    assert.equal(byId.get('J2')?.field, 'product_name');
    assert.match(byId.get('J2')!.reason, /^line 2, field product_name: .*array/);
    assert.equal(byId.get('J3')?.field, 'amount');
    assert.match(byId.get('J3')!.reason, /boolean/);
    const stored = await rows<{ transaction_id: string; product_id: string }>(tw.warehouse, "SELECT transaction_id, product_id FROM crm.transactions FINAL WHERE source = 'json'");
    assert.deepEqual(stored, [{ transaction_id: 'J4', product_id: '99' }]);
  });

  it('a load that fails mid-way reports only the rows confirmed written', async () => {
    const n = 12_000;
    const pad = 'y'.repeat(200);
    const input: Tx[] = [];
    for (let i = 0; i < n; i++) input.push({ source: 'crash', transaction_id: `K${i}`, customer_ref: `C${i % 10}`, order_date: '2024-04-01 10:00:00', amount: '1.00' });
    input[n - 1].transaction_id = 'BOOM';
    const file = join(dir, 'crash.csv');
    writeFileSync(file, [`${HEADER},product_name`, ...input.map((t) => `${line(t)},${pad}`)].join('\n'));
    // A real engine refusal of the batch holding the last row: a CHECK constraint.
    await tw.warehouse.client.command({ query: "ALTER TABLE crm.transactions ADD CONSTRAINT no_boom CHECK transaction_id != 'BOOM'" });
    // One insert per batch: through a pipe the whole load is one insert, confirmed (or refused) as
    // a whole, and this is about the batches confirmed before the refused one.
    LocalPayloads.streams = false;
    // The JS path's batches: the engine path (CRM_INGEST_ENGINE_PARSE) makes one insert of the
    // file, refused as a whole (engine-parse.test.ts tests its report).
    const engineParse = process.env.CRM_INGEST_ENGINE_PARSE;
    process.env.CRM_INGEST_ENGINE_PARSE = 'off';
    try {
      const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false, batchSize: 3_000 });
      assert.equal(s.status, 'failed');
      const present = await rawOf('crash');
      assert.ok(present > 0 && present < n, `present ${present}`);
      assert.equal(s.loaded, present);
      assert.ok((s.unconfirmed ?? 0) > 0, 'the refused batch is reported as not confirmed');
      const log = await one<{ status: string; rows_loaded: string; rows_unconfirmed: string; error: string }>(
        tw.warehouse,
        'SELECT status, toString(rows_loaded) AS rows_loaded, toString(rows_unconfirmed) AS rows_unconfirmed, error FROM crm.ingest_batches FINAL WHERE batch_id = {b:String}',
        { b: s.batchId },
      );
      assert.equal(log.status, 'failed');
      assert.equal(Number(log.rows_loaded), present);
      assert.equal(Number(log.rows_unconfirmed), s.unconfirmed);
      assert.match(log.error, new RegExp(`${s.unconfirmed} rows? .*not confirmed`));
    } finally {
      LocalPayloads.streams = true;
      if (engineParse === undefined) delete process.env.CRM_INGEST_ENGINE_PARSE;
      else process.env.CRM_INGEST_ENGINE_PARSE = engineParse;
      await tw.warehouse.client.command({ query: 'ALTER TABLE crm.transactions DROP CONSTRAINT no_boom' });
    }
    const rerun = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false, batchSize: 3_000 });
    assert.equal(rerun.status, 'completed', rerun.error);
    assert.equal(await rawOf('crash'), n);
  });

  it('survivorship: a later record matched by e-mail keeps the acquisition channel and signup date, takes the newer name and contact details', async () => {
    const older = join(dir, 'crm-customers.csv');
    writeFileSync(
      older,
      ['source,source_id,name,email,phone,city,acquisition_channel,signup_date,updated_at', 'crm,1,Ann Old,ann.s@example.com,,Berlin,Paid search,2021-03-01,2021-03-01 10:00:00'].join('\n'),
    );
    const newer = join(dir, 'fair-customers.csv');
    writeFileSync(
      newer,
      ['source,source_id,name,email,phone,city,acquisition_channel,signup_date,updated_at', 'fair,9,Ann New,ANN.S@example.com,+49 30 1234567,Hamburg,Trade fair,2024-05-01,2024-05-01 10:00:00'].join(
        '\n',
      ),
    );
    assert.equal((await ingestFile(tw.warehouse, { entity: 'customers', file: older, rejectsFile: false })).status, 'completed');
    const s = await ingestFile(tw.warehouse, { entity: 'customers', file: newer, rejectsFile: false });
    assert.equal(s.status, 'completed', s.error);
    assert.equal(s.identity?.matchedRecords, 1);
    const g = await one<Record<string, string>>(
      tw.warehouse,
      'SELECT name, email, phone, city, acquisition_channel, toString(signup_date) AS signup_date, toString(source_records) AS n FROM crm.customers_resolved WHERE customer_id = {id:String}',
      { id: customerIdFor('crm', '1') },
    );
    assert.deepEqual(g, {
      name: 'Ann New',
      email: 'ann.s@example.com',
      phone: '+49301234567',
      city: 'Hamburg',
      acquisition_channel: 'Paid search',
      signup_date: '2021-03-01',
      n: '2',
    });
  });
});
