/**
 * Erasure and subject access on the engine (issue 16, items 2 and 3), through the product's own
 * paths: customer and transaction files with a rejected row each (rejects table and rejects CSV),
 * a pushed record, an identity merge (a bridging record makes one customer an alias of another),
 * the derived tables, an audit row naming the customer. Then: the export holds every record; the
 * dry run changes nothing; the erasure leaves none of the person's ids, e-mails, phones or names in
 * any table (every String column of every table searched) or any file of the data directory or the
 * rejects CSVs (bytes); revenue and customer counts drop by exactly the person's part; re-loading
 * the same files and records brings nothing back and says how many records it skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ingestFile, ingestRecords } from '../../../ingest/index.ts';
import { customerIdFor } from '../../../ingest/identity/customer-id.ts';
import { writeAudit } from '../../../lib/audit/log.ts';
import { erasePerson, erasedId, type Receipt } from '../../../lib/privacy/erase.ts';
import { exportPerson } from '../../../lib/privacy/export.ts';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { quoteIdent, rows } from '../../../lib/warehouse/sql.ts';
import { refreshDerived } from '../../../semantic/derived/refresh.ts';
import { diskHits as searchFiles, sqlHits as searchTables } from '../../support/privacy-search.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const KEY = 'test-privacy-key-0123456789abcdef';
const P = {
  name: 'Petronella Plantagenet',
  email: 'petronella.plantagenet@example.test',
  email2: 'p.plantagenet.work@example.test',
  phone: '+49 30 5550199',
  phone2: '+49 40 5550177',
  shopId: 'shop-petronella-1',
  crmId: 'crm-petronella-77',
  supId: 'sup-petronella-5',
};
const OTHER = { name: 'Otto Otherwise', email: 'otto.otherwise@example.test', id: 'shop-otto-1' };
// Everything that must be gone, as bytes on disk and as text in any column.
const NEEDLES = [customerIdFor('shop', P.shopId), customerIdFor('crm', P.crmId), P.name, P.email, P.email2, P.phone, P.phone2, P.shopId, P.crmId, P.supId, '+49305550199', '+49405550177', 'Plantagenet'];

let tw: TestWarehouse;
let dir: string;
const files: Record<string, string> = {};
const A = customerIdFor('shop', P.shopId);
const B = customerIdFor('crm', P.crmId);
// Person's paid revenue (completed lines): shop 120 + 80, crm 50. Otto: 999.
const PERSON_REVENUE = 250;

const q = async <T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> => rows<T>(tw.warehouse.client, { query: sql, query_params: params });
const num = async (sql: string): Promise<number> => Number((await q<{ n: string }>(sql))[0].n);
const wh = () => ({ client: tw.warehouse.client, database: tw.config.database });

async function loadAll(): Promise<{ skipped: number; loaded: number; rejected: number }> {
  const writer = await tw.connectAs('writer');
  const s = [
    await ingestFile(writer, { entity: 'customers', file: files.shop, source: 'shop' }),
    await ingestFile(writer, { entity: 'customers', file: files.crm, source: 'crm' }),
    await ingestFile(writer, { entity: 'customers', file: files.sup, source: 'sup' }),
    await ingestFile(writer, { entity: 'transactions', file: files.tx, source: 'shop' }),
    await ingestRecords(
      writer,
      'transactions',
      [{ transaction_id: 'crm-t1', customer_ref: P.crmId, order_date: '2024-03-01T10:00:00', status: 'completed', amount: '50' }],
      { source: 'crm', batchLabel: 'http:test-crm-1' },
    ),
  ];
  for (const x of s) assert.equal(x.status, 'completed', JSON.stringify(x));
  return {
    skipped: s.reduce((n, x) => n + (x.erasedSkipped ?? 0), 0),
    loaded: s.reduce((n, x) => n + x.loaded + x.updated, 0),
    rejected: s.reduce((n, x) => n + x.rejected, 0),
  };
}

// The searches are the support module's, written apart from lib/privacy's own discovery.
const sqlHits = (): Promise<string[]> => searchTables(tw.warehouse.client, [tw.config.database], NEEDLES);
const diskHits = (root: string): string[] => searchFiles(root, NEEDLES);

describe('erasure and subject access', { timeout: 900_000 }, () => {
  let revenueBefore: number;
  let customersBefore: number;
  let valueRowsBefore: number;
  let receipt: Receipt;

  before(async () => {
    process.env.CRM_PRIVACY_KEY = KEY;
    tw = await startTestWarehouse();
    await applyMigrations(tw.warehouse.client, { database: tw.config.database });
    dir = mkdtempSync(join(tmpdir(), 'crm-privacy-'));
    const w = (name: string, text: string): string => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    files.shop = w(
      'shop-customers.csv',
      'source_id,name,email,phone,country,region,signup_date\n' +
        `${P.shopId},${P.name},${P.email},${P.phone},DE,EMEA,2024-01-02\n` +
        `${OTHER.id},${OTHER.name},${OTHER.email},+49 30 5550111,DE,EMEA,2024-01-03\n` +
        `shop-petronella-bad,${P.name},${P.email},,DE,EMEA,not-a-date\n`,
    );
    // crm: the same person under a second address and phone: a customer of its own at first.
    files.crm = w('crm-customers.csv', `source_id,name,email,phone,country\n${P.crmId},${P.name},${P.email2},${P.phone2},DE\n`);
    // support: the first address and the second phone bridge the two: crm's customer becomes an alias.
    files.sup = w('sup-customers.csv', `source_id,name,email,phone,country\n${P.supId},P. Plantagenet,${P.email},${P.phone2},DE\n`);
    files.tx = w(
      'shop-orders.csv',
      'transaction_id,order_id,customer_ref,order_date,status,amount\n' +
        `pt-1,po-1,${P.shopId},2024-02-01T10:00:00,completed,120\n` +
        `pt-2,po-2,${P.shopId},2024-04-01T10:00:00,completed,80\n` +
        `ot-1,oo-1,${OTHER.id},2024-02-02T10:00:00,completed,999\n` +
        `pt-bad,po-3,${P.shopId},2024-05-01T10:00:00,completed,minus-ten\n`,
    );
    const first = await loadAll();
    assert.equal(first.rejected, 2, 'one rejected customer row, one rejected order line');
    assert.equal(first.skipped, 0);
    await refreshDerived(tw.warehouse.client, tw.config.database);
    await writeAudit(wh(), { action: 'customer.view', actor: 'u-admin', actorRole: 'admin', targetKind: 'customer', targetIds: [A], outcome: 'ok' });
    revenueBefore = await num('SELECT sum(net_revenue) AS n FROM paid_orders_current');
    customersBefore = await num('SELECT count() AS n FROM customers_resolved');
    valueRowsBefore = await num('SELECT count() AS n FROM customer_value_current');
  });

  after(async () => {
    delete process.env.CRM_PRIVACY_KEY;
    await tw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the planted person is one customer with an alias, in every kind of table and in the rejects files', async () => {
    const alias = await q<{ from_id: string; to_id: string }>('SELECT from_id, to_id FROM customer_aliases FINAL');
    assert.deepEqual(alias.map((a) => [a.from_id, a.to_id]), [[B, A]]);
    assert.ok(readFileSync(`${files.shop}.rejects.csv`, 'utf8').includes(P.email));
    assert.ok(readFileSync(`${files.tx}.rejects.csv`, 'utf8').includes(P.shopId));
    const hits = await sqlHits();
    for (const t of ['customer_records', 'customers', 'identity_map', 'transactions', 'rejects', 'paid_orders', 'customer_value', 'customer_retention', 'customer_aliases'])
      assert.ok(hits.some((h) => h.startsWith(`${quoteIdent(tw.config.database)}.${quoteIdent(t)}:`)), `${t} holds the person: ${hits.join(', ')}`);
  });

  test('subject access: every record in person.json and a CSV per table; audited', async () => {
    const out = join(dir, 'export');
    const r = await exportPerson(wh(), P.email, { outDir: out, actor: 'cli:test', actorRole: 'cli' });
    assert.deepEqual(r.person.customerIds, [A, B].sort());
    const byTable = Object.fromEntries(r.tables.map((t) => [t.table, t.rows]));
    assert.equal(byTable.customer_records, 3);
    assert.equal(byTable.transactions, 3, 'two shop lines and the pushed crm line');
    assert.equal(byTable.rejects, 2);
    assert.ok(existsSync(join(out, 'customer_records.csv')));
    const doc = JSON.parse(readFileSync(join(out, 'person.json'), 'utf8')) as { tables: Record<string, unknown[]>; reject_file_lines: string[] };
    assert.equal(doc.tables.customer_records.length, 3);
    assert.equal(doc.reject_file_lines.length, 2);
    assert.ok(!JSON.stringify(doc).includes(OTHER.email), 'nobody else');
    const audit = await q<{ n: string }>("SELECT count() AS n FROM audit_log WHERE action = 'privacy.export' AND has(target_ids, {a:String})", { a: A });
    assert.equal(Number(audit[0].n), 1);
    rmSync(out, { recursive: true });
  });

  test('dry run: counts, changes nothing', async () => {
    const dry = await erasePerson(wh(), P.shopId, { key: KEY, actor: 'cli:test', actorRole: 'cli', dryRun: true });
    const t = Object.fromEntries(dry.tables.map((x) => [x.table, x.rows]));
    assert.equal(t.customer_records, 3);
    assert.equal(t.transactions, 3);
    assert.equal(t.rejects, 2);
    assert.equal(t.audit_log, 2, 'the 360 view and the export name the customer');
    assert.equal(dry.files.length, 2);
    assert.equal(await num('SELECT sum(net_revenue) AS n FROM paid_orders_current'), revenueBefore);
    assert.ok((await sqlHits()).length > 0);
  });

  test('erase by source id: nothing of the person left in any table or file; aggregates drop by exactly their part', async () => {
    receipt = await erasePerson(wh(), `shop:${P.shopId}`, {
      key: KEY,
      actor: 'cli:test',
      actorRole: 'cli',
      rebuildDerived: () => refreshDerived(tw.warehouse.client, tw.config.database),
    });
    assert.equal(receipt.customers, 2);
    assert.equal(receipt.partsPendingCleanup, 0);
    assert.deepEqual(await sqlHits(), []);
    assert.deepEqual(diskHits(tw.dir), []);
    // The input files are the customer's own exports, not ours; the rejects CSVs beside them are ours.
    assert.deepEqual(diskHits(dir).filter((h) => h.includes('.rejects.csv')), []);
    assert.ok(diskHits(dir).some((h) => h.startsWith(files.shop)), 'the byte search finds what is there');
    assert.equal(await num('SELECT sum(net_revenue) AS n FROM paid_orders_current'), revenueBefore - PERSON_REVENUE);
    assert.equal(await num('SELECT count() AS n FROM customers_resolved'), customersBefore - 1);
    assert.equal(await num('SELECT count() AS n FROM customer_value_current'), valueRowsBefore - 1);
    // Otto is untouched.
    assert.equal(await num(`SELECT count() AS n FROM customer_records WHERE email = '${OTHER.email}'`), 1);
    // The audit rows stay, with the tombstone instead of the id.
    const audit = await q<{ ids: string[] }>("SELECT target_ids AS ids FROM audit_log WHERE action = 'customer.view'");
    assert.deepEqual(audit.map((a) => a.ids), [[erasedId(KEY, A)]]);
    const stored = await q<{ receipt: string }>('SELECT receipt FROM privacy_erasures');
    assert.equal(stored.length, 1);
    assert.deepEqual(JSON.parse(stored[0].receipt).tables, receipt.tables);
  });

  test('re-loading the original files and the pushed record brings nobody back, and says how many were skipped', async () => {
    const again = await loadAll();
    // shop: her record and her rejected row; crm 1; sup 1; orders: 2 lines and the rejected one; pushed 1.
    assert.equal(again.skipped, 2 + 1 + 1 + 3 + 1);
    assert.equal(again.rejected, 0, 'her rejected rows are skipped before validation');
    assert.deepEqual(await sqlHits(), []);
    assert.ok(!existsSync(`${files.shop}.rejects.csv`), 'no rejects this time: the stale file is removed');
    await refreshDerived(tw.warehouse.client, tw.config.database);
    assert.equal(await num('SELECT sum(net_revenue) AS n FROM paid_orders_current'), revenueBefore - PERSON_REVENUE);
  });

  test('a second erasure of the same person finds nobody', async () => {
    await assert.rejects(erasePerson(wh(), P.email, { key: KEY, actor: 'cli:test', actorRole: 'cli' }), /no customer/);
  });
});
