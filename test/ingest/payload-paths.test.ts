/**
 * The two ways a load hands its payload to the engine store the same thing: HTTP bodies (any
 * server) and local files (`INSERT … SELECT * FROM file(…, structure)`, LowCardinality read as
 * String and no optimize_on_insert, or `FROM INFILE` without the types; ingest/core/local-payloads.ts,
 * used when the engine can read this machine's files). Every golden and dialect fixture is loaded in the same
 * order into two databases of one embedded warehouse, once with every payload a file and once with
 * none; the stored rows (all columns but the run's version, batch id and insert times), the
 * rejects table and the rejects CSV files must be equal. A generated file big enough for the
 * default threshold runs both ways too, and loading it again writes nothing; a user the endpoint
 * refuses `FROM INFILE` (the writer) loads over HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTransactionsCsv } from '../../bench/ingest-generate.ts';
import { LocalPayloads } from '../../ingest/core/local-payloads.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import type { EntityName } from '../../ingest/entities/types.ts';
import { ingestFile } from '../../ingest/load/job.ts';
import type { IngestSummary } from '../../ingest/types.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { fixture, otherDatabase, rows, warehouseWithSchema } from './helpers.ts';

interface Load {
  name: string;
  entity: EntityName;
  file: string;
  mapping?: string | object;
}

/** Golden fixtures (mapping-de: German numbers and dates; malformed: rejects of every kind). */
const GOLDEN: Load[] = [
  { name: 'customers-crm', entity: 'customers', file: fixture('customers-crm.csv') },
  { name: 'customers-shop', entity: 'customers', file: fixture('customers-shop.csv') },
  { name: 'customers-support', entity: 'customers', file: fixture('customers-support.ndjson') },
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

/** Export dialects (BOM + CRLF, `;` + windows-1252, headerless, whitespace, vendor exports), each with detect's draft. */
const DIALECTS = [
  'excel-bom-crlf.csv',
  'german-semicolon.csv',
  'headerless.csv',
  'whitespace.txt',
  'shopify-orders.csv',
  'stripe-charges.csv',
  'hubspot-contacts.csv',
  'hubspot-deals.csv',
  'salesforce-contacts.csv',
  'salesforce-opportunities.csv',
];

/** Columns that differ between any two runs by design: the run's version, its batch id, insert times. */
const RUN_COLUMNS = new Set(['version', 'batch_id']);

let tw: TestWarehouse;
let viaHttp: Warehouse;
let viaFiles: Warehouse;
const dir = mkdtempSync(join(tmpdir(), 'payload-paths-'));
const defaultMin = LocalPayloads.minBytes;

async function loadBoth(load: Load): Promise<{ http: IngestSummary; files: IngestSummary; sentAsFiles: number }> {
  LocalPayloads.minBytes = Infinity;
  const sent0 = LocalPayloads.sent;
  const http = await ingestFile(viaHttp, { entity: load.entity, file: load.file, mapping: load.mapping as never, rejectsFile: join(dir, `${load.name}.http.rejects.csv`) });
  assert.equal(LocalPayloads.sent, sent0, `${load.name}: the HTTP run sent no file`);
  LocalPayloads.minBytes = 0;
  const files = await ingestFile(viaFiles, { entity: load.entity, file: load.file, mapping: load.mapping as never, rejectsFile: join(dir, `${load.name}.files.rejects.csv`) });
  LocalPayloads.minBytes = defaultMin;
  return { http, files, sentAsFiles: LocalPayloads.sent - sent0 };
}

function sameSummary(name: string, a: IngestSummary, b: IngestSummary): void {
  const pick = (s: IngestSummary) => ({
    status: s.status,
    read: s.read,
    loaded: s.loaded,
    updated: s.updated,
    duplicates: s.duplicates,
    duplicatesInInput: s.duplicatesInInput,
    rejected: s.rejected,
    rejects: s.rejects,
    unknownCustomers: s.unknownCustomers,
    customersCreated: s.customersCreated,
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

/** Every row of every table the loads write, as sorted text, without the columns that differ per run. */
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

describe('HTTP bodies and local files store the same rows and the same rejects', () => {
  before(async () => {
    tw = await warehouseWithSchema();
    viaHttp = tw.warehouse;
    viaFiles = await otherDatabase(tw, 'crm_files');
  });
  after(async () => {
    LocalPayloads.minBytes = defaultMin;
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('golden fixtures, then every export dialect with its detected mapping', { timeout: 600_000 }, async () => {
    const loads: Load[] = [...GOLDEN];
    for (const name of DIALECTS) {
      const file = fixture(`exports/${name}`);
      const draft = proposeMapping(await readSample(file), { baseCurrency: 'EUR' });
      loads.push({ name, entity: draft.entity, file, mapping: draft.mapping });
    }
    let files = 0;
    let rejected = 0;
    for (const load of loads) {
      const r = await loadBoth(load);
      sameSummary(load.name, r.http, r.files);
      assert.equal(
        rejectsCsv(load.name, join(dir, `${load.name}.files.rejects.csv`)),
        rejectsCsv(load.name, join(dir, `${load.name}.http.rejects.csv`)),
        `${load.name}: rejects CSV`,
      );
      files += r.sentAsFiles;
      rejected += r.http.rejected;
    }
    // The comparison means something: the file path ran, and the fixtures do have rejects.
    assert.ok(files >= loads.length, `payloads sent as files: ${files}`);
    assert.ok(rejected > 0, 'the fixtures produced rejects');
    const [a, b] = [await tableDump(viaHttp), await tableDump(viaFiles)];
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const t of Object.keys(a)) assert.deepEqual(b[t], a[t], `table ${t}`);
    assert.ok(a.transactions.length > 0 && (a.rejects?.length ?? 0) > 0, 'stored facts and rejects were compared');
  });

  it('a file above the default threshold goes as a file, equals the HTTP load, and loads once', { timeout: 600_000 }, async () => {
    // Databases of their own: the generated ids (T1, T2, …) would meet the golden fixture's.
    const genHttp = await otherDatabase(tw, 'crm_gen_http');
    const genFiles = await otherDatabase(tw, 'crm_gen_files');
    const file = join(dir, 'generated.csv');
    await writeTransactionsCsv(file, 20_000, 11); // ≈ 3 MB of payload: above LocalPayloads.minBytes
    LocalPayloads.minBytes = defaultMin;
    const sent0 = LocalPayloads.sent;
    const files = await ingestFile(genFiles, { entity: 'transactions', file, rejectsFile: false });
    assert.ok(LocalPayloads.sent > sent0, 'the default threshold sent the payload as a file');
    LocalPayloads.minBytes = Infinity;
    const http = await ingestFile(genHttp, { entity: 'transactions', file, rejectsFile: false });
    LocalPayloads.minBytes = defaultMin;
    sameSummary('generated', http, files);
    assert.equal(files.loaded, 20_000);
    const count = async (wh: Warehouse): Promise<number> => Number((await rows<{ n: string }>(wh, `SELECT toString(count()) AS n FROM \`${wh.database}\`.transactions`))[0].n);
    const again = await ingestFile(genFiles, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(again.loaded + again.updated, 0, 'a second load writes nothing');
    assert.equal(again.duplicates, 20_000);
    assert.equal(await count(genFiles), 20_000);
    const [a, b] = [await tableDump(genHttp), await tableDump(genFiles)];
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const t of Object.keys(a)) assert.deepEqual(b[t], a[t], `table ${t}`);
  });

  it('a user who may not name FROM INFILE (the writer) is not offered local files and loads over HTTP', { timeout: 600_000 }, async () => {
    const writer = await tw.connectAs('writer');
    const file = join(dir, 'generated-writer.csv');
    await writeTransactionsCsv(file, 5_000, 12);
    LocalPayloads.minBytes = 0; // every payload would be a file, if the probe let it
    const sent0 = LocalPayloads.sent;
    try {
      const s = await ingestFile(writer, { entity: 'transactions', file, rejectsFile: false });
      assert.equal(s.status, 'completed', s.error);
      assert.equal(s.read, 5_000);
      assert.equal(s.rejected, 0);
      // A few T ids are the golden fixture's (loaded above into crm, the writer's database), some newer.
      assert.equal(s.loaded + s.updated + s.duplicates + s.outdated, 5_000);
    } finally {
      LocalPayloads.minBytes = defaultMin;
    }
    assert.equal(LocalPayloads.sent, sent0, 'no payload went as a file');
  });
});
