/**
 * A large file is parsed, validated and encoded in a worker thread (ingest/sources/worker-parse.ts);
 * it must load exactly what the job's own thread loads. Every golden and dialect fixture is loaded
 * twice into two databases of one embedded warehouse, once parsed in the job's thread and once in
 * the worker (its size threshold set to 0): summaries (counts, rejects with line, field and reason,
 * warnings, derived ids), rejects CSV files and every stored row (all columns but the run's version,
 * batch id and insert times) must be equal. A generated file of several batches, with bad rows,
 * repeated ids and unknown columns, runs both ways too (and loads once), and an input the reader
 * refuses fails with the same message either way. Workers run the bundle of their modules
 * (worker-bundle.ts; one test loads through tsx's loader instead), rebuilt when a source changes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { writeTransactionsCsv } from '../../bench/ingest-generate.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import type { EntityName } from '../../ingest/entities/types.ts';
import { ingestFile } from '../../ingest/load/job.ts';
import { bundled, STALE_MS } from '../../ingest/sources/worker-bundle.ts';
import { ParseWorker } from '../../ingest/sources/worker-parse.ts';
import type { IngestFileOptions, IngestSummary } from '../../ingest/types.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { fixture, otherDatabase, rows, warehouseWithSchema } from './helpers.ts';

interface Load {
  name: string;
  entity: EntityName;
  file: string;
  mapping?: string | object;
}

const GOLDEN: Load[] = [
  { name: 'customers-crm', entity: 'customers', file: fixture('customers-crm.csv') },
  { name: 'transactions', entity: 'transactions', file: fixture('transactions.csv') },
  { name: 'transactions-de', entity: 'transactions', file: fixture('transactions-de.csv'), mapping: fixture('mapping-de.json') },
  { name: 'transactions-malformed', entity: 'transactions', file: fixture('transactions-malformed.csv') },
  { name: 'interactions', entity: 'interactions', file: fixture('interactions.ndjson') },
  { name: 'opportunities', entity: 'opportunities', file: fixture('opportunities.csv') },
  { name: 'campaigns', entity: 'campaigns', file: fixture('campaigns.csv') },
  { name: 'campaign_members', entity: 'campaign_members', file: fixture('campaign_members.csv') },
  { name: 'consents', entity: 'consents', file: fixture('consents.csv') },
  { name: 'users', entity: 'users', file: fixture('users.csv') },
];

const DIALECTS = ['excel-bom-crlf.csv', 'german-semicolon.csv', 'headerless.csv', 'whitespace.txt', 'shopify-orders.csv', 'stripe-charges.csv', 'hubspot-deals.csv', 'salesforce-opportunities.csv'];

const RUN_COLUMNS = new Set(['version', 'batch_id']);

let tw: TestWarehouse;
let inThread: Warehouse;
let inWorker: Warehouse;
const dir = mkdtempSync(join(tmpdir(), 'parse-worker-'));
const defaultMin = ParseWorker.minBytes;

async function loadBothWays(load: Load, a: Warehouse, b: Warehouse, extra: Partial<IngestFileOptions> = {}): Promise<{ thread: IngestSummary; worker: IngestSummary; workers: number }> {
  ParseWorker.minBytes = Infinity;
  const started = ParseWorker.started;
  const opts = (way: string): IngestFileOptions => ({ entity: load.entity, file: load.file, mapping: load.mapping as never, rejectsFile: join(dir, `${load.name}.${way}.rejects.csv`), ...extra });
  const thread = await ingestFile(a, opts('thread'));
  assert.equal(ParseWorker.started, started, `${load.name}: no worker in the job's thread run`);
  ParseWorker.minBytes = 0;
  try {
    const worker = await ingestFile(b, opts('worker'));
    return { thread, worker, workers: ParseWorker.started - started };
  } finally {
    ParseWorker.minBytes = defaultMin;
  }
}

function sameSummary(name: string, a: IngestSummary, b: IngestSummary): void {
  const pick = (s: IngestSummary) => ({
    status: s.status,
    read: s.read,
    loaded: s.loaded,
    updated: s.updated,
    duplicates: s.duplicates,
    duplicatesInInput: s.duplicatesInInput,
    outdated: s.outdated,
    rejected: s.rejected,
    rejects: s.rejects,
    warnings: s.warnings,
    unknownCustomers: s.unknownCustomers,
    customersCreated: s.customersCreated,
    derivedIds: s.derivedIds,
    error: s.error,
  });
  assert.deepEqual(pick(b), pick(a), name);
}

function rejectsCsv(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return `(no rejects file for ${name})`;
  }
}

async function tableDump(wh: Warehouse): Promise<Record<string, string[]>> {
  const tables = await rows<{ name: string }>(
    wh,
    `SELECT name FROM system.tables WHERE database = {db:String} AND name NOT IN ('ingest_batches', 'schema_migrations') AND name NOT LIKE 'ingest_keys_%' AND total_rows > 0 ORDER BY name`,
    { db: wh.database },
  );
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    const cols = await rows<{ name: string; default_expression: string }>(
      wh,
      'SELECT name, default_expression FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
      { db: wh.database, t: name },
    );
    const keep = cols.filter((c) => !RUN_COLUMNS.has(c.name) && !/now/i.test(c.default_expression)).map((c) => `toString(\`${c.name}\`)`);
    const rs = await wh.client.query({ query: `SELECT ${keep.join(', ')} FROM \`${wh.database}\`.\`${name}\``, format: 'TabSeparated' });
    out[name] = (await rs.text()).split('\n').filter((l) => l !== '').sort();
  }
  return out;
}

async function sameTables(a: Warehouse, b: Warehouse): Promise<Record<string, string[]>> {
  const [x, y] = [await tableDump(a), await tableDump(b)];
  assert.deepEqual(Object.keys(y), Object.keys(x));
  for (const t of Object.keys(x)) assert.deepEqual(y[t], x[t], `table ${t}`);
  return x;
}

describe('a file parsed in the worker thread loads what the job thread loads', () => {
  before(async () => {
    tw = await warehouseWithSchema();
    inThread = tw.warehouse;
    inWorker = await otherDatabase(tw, 'crm_worker');
  });
  after(async () => {
    ParseWorker.minBytes = defaultMin;
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('golden fixtures, then export dialects with their detected mapping', { timeout: 600_000 }, async () => {
    const loads: Load[] = [...GOLDEN];
    for (const name of DIALECTS) {
      const file = fixture(`exports/${name}`);
      const draft = proposeMapping(await readSample(file), { baseCurrency: 'EUR' });
      loads.push({ name, entity: draft.entity, file, mapping: draft.mapping });
    }
    let workers = 0;
    let rejected = 0;
    const fromBundle = ParseWorker.fromBundle;
    for (const load of loads) {
      const r = await loadBothWays(load, inThread, inWorker);
      sameSummary(load.name, r.thread, r.worker);
      assert.equal(rejectsCsv(load.name, join(dir, `${load.name}.worker.rejects.csv`)), rejectsCsv(load.name, join(dir, `${load.name}.thread.rejects.csv`)), `${load.name}: rejects CSV`);
      workers += r.workers;
      rejected += r.thread.rejected;
    }
    // The comparison means something: most loads ran in a worker (all but customers, which resolve
    // identities in the job's thread, and Stripe's and Shopify's drafts, which read refunded amounts
    // whose credit lines are counted there), and the fixtures have rejects.
    assert.ok(workers >= loads.length - 3, `loads parsed in a worker: ${workers} of ${loads.length}`);
    assert.equal(ParseWorker.fromBundle - fromBundle, workers, 'every worker ran the bundle (worker-bundle.ts), not tsx');
    assert.ok(rejected > 0, 'the fixtures produced rejects');
    const dump = await sameTables(inThread, inWorker);
    assert.ok(dump.transactions.length > 0 && (dump.rejects?.length ?? 0) > 0, 'stored facts and rejects were compared');
  });

  it('a generated file of several batches with bad rows, repeated ids and an unknown column; loaded again it writes nothing', { timeout: 600_000 }, async () => {
    const a = await otherDatabase(tw, 'crm_gen_thread');
    const b = await otherDatabase(tw, 'crm_gen_worker');
    const clean = join(dir, 'clean.csv');
    await writeTransactionsCsv(clean, 30_000, 7);
    const lines = readFileSync(clean, 'utf8').split('\n');
    lines[0] += ',note';
    for (let i = 1; i < lines.length; i++) if (lines[i] !== '') lines[i] += ',x';
    lines[101] = lines[101].replace(',EUR,', ',EURO,'); // bad currency
    lines[2002] = lines[2002].replace(/,(completed|refunded|cancelled|pending),/, ',shipped,'); // bad status
    lines[15_003] = lines[15_003].split(',').slice(0, 5).join(','); // too few columns
    lines.push(lines[20_000].replace(/^shop,/, 'shop,')); // the same transaction again, later
    const file = join(dir, 'generated.csv');
    writeFileSync(file, lines.join('\n'));
    const r = await loadBothWays({ name: 'generated', entity: 'transactions', file }, a, b, { batchSize: 7_000 });
    assert.equal(r.workers, 1);
    sameSummary('generated', r.thread, r.worker);
    assert.equal(r.thread.rejected, 3);
    assert.equal(r.thread.read, 30_001);
    assert.equal(r.thread.loaded, 30_001 - 3 - 1); // read, rejected, the repeated transaction
    assert.equal(r.thread.duplicatesInInput, 1);
    assert.ok(r.thread.warnings.some((w) => w.includes('note')), r.thread.warnings.join('; '));
    assert.equal(rejectsCsv('generated', join(dir, 'generated.worker.rejects.csv')), rejectsCsv('generated', join(dir, 'generated.thread.rejects.csv')));
    await sameTables(a, b);
    ParseWorker.minBytes = 0;
    try {
      const again = await ingestFile(b, { entity: 'transactions', file, rejectsFile: false, batchSize: 7_000 });
      assert.equal(again.loaded + again.updated, 0, 'a second load writes nothing');
      assert.equal(again.rejected, 3);
    } finally {
      ParseWorker.minBytes = defaultMin;
    }
  });

  it('an input without a required column fails with the same message either way', { timeout: 120_000 }, async () => {
    const file = join(dir, 'no-amount.csv');
    writeFileSync(file, 'source,transaction_id,customer_ref,order_date,status\nshop,T1,C1,2024-01-02,completed\n');
    const r = await loadBothWays({ name: 'no-amount', entity: 'transactions', file }, inThread, inWorker);
    assert.equal(r.workers, 1);
    assert.equal(r.thread.status, 'failed');
    assert.match(r.thread.error ?? '', /no column for required field amount/);
    assert.equal(r.worker.status, 'failed');
    assert.equal(r.worker.error, r.thread.error);
    // The same through tsx's loader, where no bundle can be made.
    ParseWorker.useBundle = false;
    try {
      const viaTsx = await loadBothWays({ name: 'no-amount-tsx', entity: 'transactions', file }, inThread, inWorker);
      assert.equal(viaTsx.workers, 1);
      assert.equal(viaTsx.worker.error, r.thread.error);
    } finally {
      ParseWorker.useBundle = true;
    }
  });

  it('the bundle a worker runs is rebuilt when one of its sources changes, and reused while none does', { timeout: 120_000 }, async () => {
    const src = mkdtempSync(join(tmpdir(), 'worker-bundle-src-'));
    const out = mkdtempSync(join(tmpdir(), 'worker-bundle-out-'));
    try {
      writeFileSync(join(src, 'entry.ts'), "import { value } from './dep.ts';\nexport const answer: number = value * 2;\n");
      writeFileSync(join(src, 'dep.ts'), 'export const value: number = 20;\n');
      const first = await bundled(join(src, 'entry.ts'), out);
      assert.ok(first, 'a bundle was built');
      assert.equal(((await import(first)) as { answer: number }).answer, 40);
      assert.equal(await bundled(join(src, 'entry.ts'), out), first, 'unchanged sources: the same bundle');
      // The same entry under another path (another checkout sharing node_modules): a bundle of its own.
      const copy = mkdtempSync(join(tmpdir(), 'worker-bundle-copy-'));
      writeFileSync(join(copy, 'entry.ts'), readFileSync(join(src, 'entry.ts')));
      writeFileSync(join(copy, 'dep.ts'), 'export const value: number = 5;\n');
      const other = await bundled(join(copy, 'entry.ts'), out);
      assert.equal(((await import(other!)) as { answer: number }).answer, 10);
      rmSync(copy, { recursive: true, force: true });
      assert.equal(await bundled(join(src, 'entry.ts'), out), first, 'and the first checkout still finds its own');
      writeFileSync(join(src, 'dep.ts'), 'export const value: number = 21;\n');
      const second = await bundled(join(src, 'entry.ts'), out);
      assert.ok(second && second !== first, 'a changed import: another bundle');
      assert.equal(((await import(second)) as { answer: number }).answer, 42);
      // A superseded bundle stays a day (a running process may start its next worker from it), then goes.
      assert.equal(readdirSync(out).filter((f) => f.endsWith('.mjs')).length, 3, 'first, the other checkout\'s, second');
      const old = new Date(Date.now() - STALE_MS - 60_000);
      utimesSync(fileURLToPath(first), old, old);
      writeFileSync(join(src, 'dep.ts'), 'export const value: number = 22;\n');
      const third = await bundled(join(src, 'entry.ts'), out);
      assert.equal(((await import(third!)) as { answer: number }).answer, 44);
      assert.deepEqual(
        readdirSync(out).filter((f) => f.endsWith('.mjs')).sort(),
        [other!, second, third!].map((u) => basename(fileURLToPath(u))).sort(),
        'the day-old bundle is removed',
      );
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
