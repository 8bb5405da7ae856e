/**
 * The three ways a load hands its payload to the engine store the same thing: HTTP bodies (any
 * server), local files (`INSERT … SELECT * FROM file(…, structure)`, LowCardinality read as
 * String and no optimize_on_insert, or `FROM INFILE` without the types; ingest/core/local-payloads.ts,
 * used when the engine can read this machine's files), and one insert fed batch after batch
 * through a named pipe (ingest/core/payload-stream.ts, the entity's own table on that same
 * condition). Every golden and dialect fixture is loaded in the same order into three databases of
 * one embedded warehouse: every payload over HTTP, every payload a file, and every payload of the
 * entity's table through the pipe; the stored rows (all columns but the run's version, batch id and
 * insert times), the rejects table and the rejects CSV files must be equal. A generated file big
 * enough for the default threshold runs every way too, and loading it again writes nothing; a user
 * the endpoint refuses `FROM INFILE` (the writer) loads over HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTransactionsCsv } from '../../bench/ingest-generate.ts';
import { LocalPayloads } from '../../ingest/core/local-payloads.ts';
import { ROW_END } from '../../ingest/core/row-end.ts';
import { WarehouseIO } from '../../ingest/core/warehouse-io.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import type { EntityName } from '../../ingest/entities/types.ts';
import { ingestFile } from '../../ingest/load/job.ts';
import type { IngestSummary } from '../../ingest/types.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { fixture, otherDatabase, rows, warehouseWithSchema } from './helpers.ts';

// These loads are about the JS path's payloads (HTTP bodies, files, the pipe): the engine path
// (CRM_INGEST_ENGINE_PARSE, engine-parse.test.ts) would load the large first loads without any.
process.env.CRM_INGEST_ENGINE_PARSE = 'off';

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
let viaPipe: Warehouse;
const dir = mkdtempSync(join(tmpdir(), 'payload-paths-'));
const defaultMin = LocalPayloads.minBytes;

async function loadAllWays(load: Load): Promise<{ http: IngestSummary; files: IngestSummary; pipe: IngestSummary; sentAsFiles: number; streamed: number }> {
  LocalPayloads.minBytes = Infinity;
  const sent0 = LocalPayloads.sent;
  const streamed0 = LocalPayloads.streamed;
  const http = await ingestFile(viaHttp, { entity: load.entity, file: load.file, mapping: load.mapping as never, rejectsFile: join(dir, `${load.name}.http.rejects.csv`) });
  assert.equal(LocalPayloads.sent + LocalPayloads.streamed, sent0 + streamed0, `${load.name}: the HTTP run sent no file and no stream`);
  LocalPayloads.minBytes = 0;
  LocalPayloads.streams = false;
  let files: IngestSummary;
  try {
    files = await ingestFile(viaFiles, { entity: load.entity, file: load.file, mapping: load.mapping as never, rejectsFile: join(dir, `${load.name}.files.rejects.csv`) });
  } finally {
    LocalPayloads.streams = true;
  }
  const sentAsFiles = LocalPayloads.sent - sent0;
  assert.equal(LocalPayloads.streamed, streamed0, `${load.name}: the files run opened no stream`);
  const pipe = await ingestFile(viaPipe, { entity: load.entity, file: load.file, mapping: load.mapping as never, rejectsFile: join(dir, `${load.name}.pipe.rejects.csv`) });
  LocalPayloads.minBytes = defaultMin;
  return { http, files, pipe, sentAsFiles, streamed: LocalPayloads.streamed - streamed0 };
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
/**
 * Every row of every table the loads write, as sorted text, without the columns that differ per run.
 * With `loads` (batch id → the load's name), batch_id is kept as the name of the load that wrote the
 * row, so each path must store each load's own batch id on the rows it wrote.
 */
async function tableDump(wh: Warehouse, loads?: ReadonlyMap<string, string>): Promise<Record<string, string[]>> {
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
    const keep = cols
      .filter((c) => (loads && c.name === 'batch_id') || (!RUN_COLUMNS.has(c.name) && !/now/i.test(c.default_expression)))
      .map((c) => (c.name === 'batch_id' ? "if(batch_id = '', '', transform(batch_id, {ids:Array(String)}, {names:Array(String)}, concat('batch id of no load: ', batch_id)))" : `toString(\`${c.name}\`)`));
    const rs = await wh.client.query({
      query: `SELECT ${keep.join(', ')} FROM \`${wh.database}\`.\`${name}\``,
      format: 'TabSeparated',
      query_params: { ids: [...(loads?.keys() ?? [])], names: [...(loads?.values() ?? [])] },
    });
    out[name] = (await rs.text()).split('\n').filter((l) => l !== '').sort();
  }
  return out;
}

describe('HTTP bodies and local files store the same rows and the same rejects', () => {
  before(async () => {
    tw = await warehouseWithSchema();
    viaHttp = tw.warehouse;
    viaFiles = await otherDatabase(tw, 'crm_files');
    viaPipe = await otherDatabase(tw, 'crm_pipe');
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
    let streamed = 0;
    let rejected = 0;
    const batches = { http: new Map<string, string>(), files: new Map<string, string>(), pipe: new Map<string, string>() };
    for (const load of loads) {
      const r = await loadAllWays(load);
      for (const way of ['http', 'files', 'pipe'] as const) batches[way].set(r[way].batchId, load.name);
      sameSummary(`${load.name} (files)`, r.http, r.files);
      sameSummary(`${load.name} (pipe)`, r.http, r.pipe);
      for (const way of ['files', 'pipe']) {
        assert.equal(
          rejectsCsv(load.name, join(dir, `${load.name}.${way}.rejects.csv`)),
          rejectsCsv(load.name, join(dir, `${load.name}.http.rejects.csv`)),
          `${load.name}: rejects CSV (${way})`,
        );
      }
      files += r.sentAsFiles;
      streamed += r.streamed;
      rejected += r.http.rejected;
    }
    // The comparison means something: the file and pipe paths ran, and the fixtures do have rejects.
    assert.ok(files >= loads.length, `payloads sent as files: ${files}`);
    // Most loads write their table through a pipe; not users (no batch_id column to guard a cut row
    // with), nor a load whose every row was rejected or looked up (its payload goes on its own).
    assert.ok(streamed >= Math.ceil(loads.length / 2), `loads that streamed: ${streamed} of ${loads.length}`);
    assert.ok(rejected > 0, 'the fixtures produced rejects');
    const [a, b, c] = [await tableDump(viaHttp, batches.http), await tableDump(viaFiles, batches.files), await tableDump(viaPipe, batches.pipe)];
    assert.deepEqual(Object.keys(b), Object.keys(a));
    assert.deepEqual(Object.keys(c), Object.keys(a));
    for (const t of Object.keys(a)) {
      assert.deepEqual(b[t], a[t], `table ${t} (files)`);
      assert.deepEqual(c[t], a[t], `table ${t} (pipe)`);
      assert.ok(!a[t].some((row) => row.includes('batch id of no load')), `table ${t}: every batch_id is a load's own`);
    }
    assert.ok(a.transactions.length > 0 && (a.rejects?.length ?? 0) > 0, 'stored facts and rejects were compared');
    // Every stored fact carries the batch id of a load of its own path (none empty).
    for (const [wh, ids] of [
      [viaHttp, batches.http],
      [viaFiles, batches.files],
      [viaPipe, batches.pipe],
    ] as const) {
      const bad = await rows<{ n: string }>(wh, `SELECT toString(count()) AS n FROM \`${wh.database}\`.transactions WHERE batch_id NOT IN {ids:Array(String)}`, { ids: [...ids.keys()] });
      assert.equal(bad[0].n, '0', `${wh.database}: transactions rows without a load's batch id`);
    }
  });

  it('a file above the default threshold goes as files or through a pipe, equals the HTTP load, and loads once', { timeout: 600_000 }, async () => {
    // Databases of their own: the generated ids (T1, T2, …) would meet the golden fixture's.
    const genHttp = await otherDatabase(tw, 'crm_gen_http');
    const genFiles = await otherDatabase(tw, 'crm_gen_files');
    const genPipe = await otherDatabase(tw, 'crm_gen_pipe');
    const file = join(dir, 'generated.csv');
    await writeTransactionsCsv(file, 20_000, 11); // ≈ 3 MB of payload: above LocalPayloads.minBytes
    LocalPayloads.minBytes = defaultMin;
    const sent0 = LocalPayloads.sent;
    LocalPayloads.streams = false;
    let files: IngestSummary;
    try {
      files = await ingestFile(genFiles, { entity: 'transactions', file, rejectsFile: false });
    } finally {
      LocalPayloads.streams = true;
    }
    assert.ok(LocalPayloads.sent > sent0, 'the default threshold sent the payload as a file');
    const streamed0 = LocalPayloads.streamed;
    const pipe = await ingestFile(genPipe, { entity: 'transactions', file, rejectsFile: false });
    assert.equal(pipe.status, 'completed', pipe.error);
    assert.equal(LocalPayloads.streamed, streamed0 + 1, 'the default threshold sent the payload through one pipe');
    LocalPayloads.minBytes = Infinity;
    const http = await ingestFile(genHttp, { entity: 'transactions', file, rejectsFile: false });
    LocalPayloads.minBytes = defaultMin;
    sameSummary('generated (files)', http, files);
    sameSummary('generated (pipe)', http, pipe);
    assert.equal(pipe.loaded, 20_000);
    const count = async (wh: Warehouse): Promise<number> => Number((await rows<{ n: string }>(wh, `SELECT toString(count()) AS n FROM \`${wh.database}\`.transactions`))[0].n);
    for (const wh of [genFiles, genPipe]) {
      const again = await ingestFile(wh, { entity: 'transactions', file, rejectsFile: false });
      assert.equal(again.loaded + again.updated, 0, `${wh.database}: a second load writes nothing`);
      assert.equal(again.duplicates, 20_000);
      assert.equal(await count(wh), 20_000);
    }
    const [a, b, c] = [await tableDump(genHttp), await tableDump(genFiles), await tableDump(genPipe)];
    assert.deepEqual(Object.keys(b), Object.keys(a));
    assert.deepEqual(Object.keys(c), Object.keys(a));
    for (const t of Object.keys(a)) {
      assert.deepEqual(b[t], a[t], `table ${t} (files)`);
      assert.deepEqual(c[t], a[t], `table ${t} (pipe)`);
    }
  });

  it('a row cut off by a writer that died mid-write is never stored from a pipe', { timeout: 120_000 }, async () => {
    const wh = await otherDatabase(tw, 'crm_cut');
    await wh.client.command({ query: 'CREATE TABLE crm_cut.cut (id String, n UInt32, batch_id String) ENGINE = MergeTree ORDER BY id' });
    const io = new WarehouseIO(wh.client, 'crm_cut');
    io.useLocalFiles();
    // Rows end in the row-end marker where batch_id goes; the statement stores the load's batch id.
    const whole = `a1\t1\t${ROW_END}\na2\t2\t${ROW_END}\n`;
    try {
      // Cut just before the marker, inside an earlier column, right after an earlier column.
      for (const cut of ['a3\t3\t', 'a3\t3', 'a3\t']) {
        await wh.client.command({ query: 'TRUNCATE TABLE crm_cut.cut' });
        const stream = await io.openStream('cut', ['id', 'n', 'batch_id'], 'B-2026', 1 << 30);
        assert.ok(stream, 'the embedded engine takes a pipe');
        await stream.write(Buffer.from(whole + cut));
        let failed = false;
        await stream.close().catch(() => {
          failed = true;
        });
        const stored = await rows<{ id: string; batch_id: string }>(wh, 'SELECT id, batch_id FROM crm_cut.cut ORDER BY id');
        const ids = stored.map((r) => r.id);
        assert.ok(!ids.includes('a3'), `${JSON.stringify(cut)}: the cut row is not stored (${ids.join(', ')})`);
        // Either the cut row is left out and the rest stored, or the insert fails (nothing confirmed).
        if (!failed) {
          assert.deepEqual(ids, ['a1', 'a2'], JSON.stringify(cut));
          assert.deepEqual(
            stored.map((r) => r.batch_id),
            ['B-2026', 'B-2026'],
          );
        }
      }
      // The whole rows alone: stored with the load's batch id, not the marker.
      await wh.client.command({ query: 'TRUNCATE TABLE crm_cut.cut' });
      const stream = await io.openStream('cut', ['id', 'n', 'batch_id'], 'B-2026', 1 << 30);
      await stream!.write(Buffer.from(whole));
      await stream!.close();
      assert.deepEqual(await rows<{ id: string; batch_id: string }>(wh, 'SELECT id, batch_id FROM crm_cut.cut ORDER BY id'), [
        { id: 'a1', batch_id: 'B-2026' },
        { id: 'a2', batch_id: 'B-2026' },
      ]);
    } finally {
      await io.releaseLocalFiles();
    }
  });

  it('a user who may not name FROM INFILE (the writer) is not offered local files and loads over HTTP', { timeout: 600_000 }, async () => {
    const writer = await tw.connectAs('writer');
    const file = join(dir, 'generated-writer.csv');
    await writeTransactionsCsv(file, 5_000, 12);
    LocalPayloads.minBytes = 0; // every payload would be a file, if the probe let it
    const sent0 = LocalPayloads.sent;
    const streamed0 = LocalPayloads.streamed;
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
    assert.equal(LocalPayloads.streamed, streamed0, 'no payload went through a pipe');
  });
});
