/**
 * The engine path for local CSV files (ingest/load/engine-parse.ts, CRM_INGEST_ENGINE_PARSE) stores
 * exactly what the JS path stores. The same sequence of loads — the bench's generated file, a
 * re-load, a newer export with changed statuses, an older export, duplicates inside a file, a
 * second source, a gzipped file, a file in another currency with a rate, files with rows the JS
 * checks reject or the SQL checks are too strict for, the golden fixtures — goes into two fresh
 * databases of one embedded warehouse, one with the engine path on and one with it off. Every
 * table the loads write must hold the same rows (all columns; `version` where it is a run's own
 * time is replaced by the load's name, batch_id by the load's name), and summaries, rejects and
 * rejects files must be the same. The engine path must have taken the loads it is meant for, so
 * the comparison is not of the JS path with itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTransactionsCsv } from '../../bench/ingest-generate.ts';
import { engineParseStats } from '../../ingest/load/engine-parse.ts';
import { ingestFile } from '../../ingest/load/job.ts';
import { erasePerson } from '../../lib/privacy/erase.ts';
import { customerIdFor } from '../../ingest/identity/customer-id.ts';
import type { IngestSummary } from '../../ingest/types.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { fixture, otherDatabase, rows, warehouseWithSchema } from './helpers.ts';

interface Load {
  name: string;
  file: string;
  mapping?: object | string;
  /** The engine path must take this load (when on). */
  engine: boolean;
  /** It must hand lines to the JS path (rows its checks refuse, erased people's). */
  handOff?: boolean;
  /** Another entity loaded the same way into both databases first (customers, interactions). */
  entity?: 'customers' | 'interactions';
  source?: string;
  /** Instead of a load: erase this person from both databases (lib/privacy). */
  erase?: string;
}

const KEY = 'engine-parse-test-privacy-key-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'engine-parse-'));
let tw: TestWarehouse;
let viaEngine: Warehouse;
let viaJs: Warehouse;

const HEADER = 'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity,product_id,product_name,category,channel,updated_at';

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function loads(): Promise<Load[]> {
  const gen = join(dir, 'gen.csv');
  await writeTransactionsCsv(gen, 3000, 7);
  const genLines = readFileSync(gen, 'utf8').trimEnd().split('\n');
  const body = genLines.slice(1);
  // A newer export: a tenth of the lines refunded, updated a year later.
  const newer = body.filter((_l, i) => i % 10 === 0).map((l) => {
    const c = l.split(',');
    c[5] = 'refunded';
    c[13] = c[13].replace(/^(\d{4})/, (y) => String(Number(y) + 1));
    return c.join(',');
  });
  // An older export of other lines: cancelled, a year before (must not win).
  const older = body.filter((_l, i) => i % 10 === 5).map((l) => {
    const c = l.split(',');
    c[5] = 'cancelled';
    c[13] = c[13].replace(/^(\d{4})/, (y) => String(Number(y) - 1));
    return c.join(',');
  });
  const second = body.slice(0, 500).map((l) => l.replace(/^shop,/, 'pos,'));
  const gz = join(dir, 'gz.csv.gz');
  writeFileSync(gz, gzipSync(`${HEADER}\n${body.slice(500, 900).map((l) => l.replace(/^shop,/, 'web,')).join('\n')}\n`));
  const dupes = [...body.slice(0, 50), ...body.slice(0, 20).map((l) => l.replace(/,(\d+\.\d\d),EUR,/, ',1.00,EUR,'))].map((l) => l.replace(/^shop,/, 'dup,'));
  // Rows the JS path rejects, in a source no row of which is stored yet: the engine path must not load them.
  const bad = [
    'bad,B1,O1,K1,2024-01-05 10:00:00,completed,10.00,EUR,1,P1,ok,office,web,',
    'bad,B2,O2,K1,2024-13-45,completed,10.00,EUR,1,P1,bad date,office,web,',
    'bad,B3,O3,K2,2024-02-30 10:00:00,completed,10.00,EUR,1,P1,no such day,office,web,',
    'bad,B4,O4,K2,2024-01-05 10:00:00,shipped,10.00,EUR,1,P1,bad status,office,web,',
    'bad,B5,O5,K3,2024-01-05 10:00:00,completed,-4.00,EUR,1,P1,credit line,office,web,',
    'bad,B6,O6,K3,2024-01-05 10:00:00,completed,10.00,EUR,x,P1,bad quantity,office,web,',
    'bad,B7,O7,K4,2024-01-05 10:00:00,completed,10.00,XXX,1,P1,no rate,office,web,',
    'bad,B8,O8,,2024-01-05 10:00:00,completed,10.00,EUR,1,P1,no customer,office,web,',
    'bad,B9,O9,K5,2024-01-05 10:00:00,completed,10.00,EUR,1,P1,bad updated_at,office,web,2024-99-01',
    // One second past the last a DateTime holds: the engine's parser wraps it to 1970.
    'bad,B20,O20,K8,2106-02-07 06:28:16,completed,10.00,EUR,1,P1,past 2106,office,web,',
    // The separator the SQL checks join a row's values with, inside a value.
    'bad,B21,O21,K8,2024-01-05 10:00:00,completed,10.00,EUR,1,P1,unit\x1Fseparator,office,web,',
    'bad,B22,O22,K8,2024-01-05 10:00:00,completed\x1F,10.00,EUR,1,P1,separator after a status,office,web,',
    // Quantities (decimal since migration 024): a dot that is not a point, too many decimals, too
    // large, exponents; each a reject naming quantity on both paths.
    'bad,B10,O10,K6,2024-01-05 10:00:00,completed,10.00,EUR,7x5,P1,quantity 7x5,office,web,',
    'bad,B11,O11,K6,2024-01-05 10:00:00,completed,10.00,EUR,1.123456789,P1,nine decimals,office,web,',
    'bad,B12,O12,K6,2024-01-05 10:00:00,completed,10.00,EUR,10000000000,P1,eleven digits,office,web,',
    'bad,B13,O13,K6,2024-01-05 10:00:00,completed,10.00,EUR,1e3,P1,exponent,office,web,',
  ];
  // Each bad row alone beside a good one, in a source of its own (a first load: the engine path's case).
  const badOne = (i: number, row: string): string => write(`bad-${i}.csv`, [HEADER, `bad${i},B0,O0,K0,2024-01-05 10:00:00,completed,1.00,EUR,1,P1,ok,office,web,`, row.replace(/^bad,/, `bad${i},`)]);
  // Valid rows the SQL checks do not take (offsets, decimal shapes, thousands): the JS path loads them.
  const lenient = [
    'len,L1,O1,M1,2024-02-10T12:30:00Z,Completed,120.00,eur,1,P3,Chair,furniture,store,2024-02-20T09:00:00Z',
    'len,L2,O2,M2,2024-03-01,pending,0,,,P4,Sample,office,web,',
    'len,L3,O3,M2,2024-03-01 10:00:00,completed,5.,EUR,2,P4,Sample,office,web,',
    // Valid quantities the SQL shape does not take: a sign, a bare point, zeros beyond 8 decimals.
    'len,L4,O4,M3,2024-03-02 10:00:00,completed,5.00,EUR,+2,P4,Sample,office,web,',
    'len,L5,O4,M3,2024-03-02 10:00:00,completed,5.00,EUR,.5,P5,Sample,office,web,',
    'len,L6,O4,M3,2024-03-02 10:00:00,completed,5.00,EUR,7.500000000,P6,Sample,office,web,',
  ];
  // Decimal quantities the engine path writes itself: the same canonical text (no trailing zeros,
  // no leading zeros, a whole number without a point), hence the same row_hash, as the JS encoder.
  const hours = [
    HEADER,
    'hrs,H1,O1,T1,2024-04-08 09:00:00,completed,1125.00,EUR,7.5,CONS,Consulting hours,services,web,',
    'hrs,H2,O1,T1,2024-04-08 09:00:00,completed,37.50,EUR,0.25,TRV,Travel time,services,web,',
    'hrs,H3,O2,T2,2024-04-09 09:00:00,completed,50.00,EUR,0.3333333,SUP,Support,services,web,',
    'hrs,H4,O2,T2,2024-04-09 09:00:00,completed,90.00,EUR,007.50,SUP2,Support,services,web,',
    'hrs,H5,O3,T3,2024-04-10 09:00:00,refunded,20.00,EUR,2.00000000,KG,Oak,goods,store,2024-04-11 10:00:00',
    'hrs,H6,O3,T3,2024-04-10 09:00:00,completed,1.00,EUR,9999999999.99999999,MAX,Largest,goods,store,',
    'hrs,H7,O4,T4,2024-04-11 09:00:00,completed,3.00,EUR,,DFLT,Default one,goods,store,',
    'hrs,H8,O4,T4,2024-04-11 09:00:00,completed,0.00,EUR,0.0,ZERO,Zero,goods,store,',
    'hrs,H9,O4,T4,2024-04-11 09:00:00,completed,0.00,EUR,0.00000001,TINY,Smallest,goods,store,',
  ];
  // Exact conversions and rounding: amounts with more decimals, a second currency with a rate.
  const fx = [
    'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency,quantity',
    'fx,F1,O1,X1,2024-01-05 10:00:00,completed,10.005,USD,1',
    'fx,F2,O1,X1,2024-01-05,COMPLETED,0.125,EUR,3',
    'fx,F3,O2,X2,2024-01-06T00:00:01,refunded,1234567.899,usd,0',
    'fx,F4,O3,X3,1970-01-01 00:00:00,pending,0.994,USD,',
    'fx,F5,O4,X 4,2024-01-07 10:00:00,cancelled,  7.50 ,USD,  2  ',
    'fx,F6,O5,"X,5",2024-01-08 10:00:00,completed,"3.335",USD,1',
    'fx,F7,O6,X6,2106-02-07 06:28:15,completed,1.00,EUR,1',
  ];
  return [
    { name: 'generated', file: gen, engine: true },
    { name: 'generated again', file: gen, engine: false },
    { name: 'newer export', file: write('newer.csv', [HEADER, ...newer]), engine: false },
    { name: 'older export', file: write('older.csv', [HEADER, ...older]), engine: false },
    { name: 'second source', file: write('second.csv', [HEADER, ...second]), engine: true },
    { name: 'gzipped', file: gz, engine: true },
    { name: 'duplicates in the file', file: write('dupes.csv', [HEADER, ...dupes]), engine: false },
    { name: 'rows the JS path rejects', file: write('bad.csv', [HEADER, ...bad]), engine: false },
    // One good row beside each: the engine path stores it and hands the other line to the JS path
    // (an eleven-digit quantity overflows the typed conversion, which the engine then refuses for
    // the whole file: the JS path's).
    ...bad.map((row, i) => ({ name: `bad row ${i + 1} alone`, file: badOne(i + 1, row), engine: !row.includes('eleven digits'), handOff: i > 0 && !row.includes('eleven digits') })),
    { name: 'rows the SQL checks leave to JS', file: write('lenient.csv', [HEADER, ...lenient]), engine: false },
    ...usualOrder(),
    // Past the engine's parallel-parsing segments (≈ 26 MB): refused rows far into the file keep
    // their line numbers (the engine's _row_number drifts when it parses in parallel).
    { name: 'a large file with refused rows throughout', file: await largeWithRefused(), engine: true, handOff: true },
    // A record spanning two lines before a refused row: the lines after it are not the record's
    // number + 2, so the file is the JS path's.
    {
      name: 'a line end in a value and a refused row',
      file: write('multiline.csv', [
        HEADER,
        'ml,M1,O1,K1,2024-01-05 10:00:00,completed,1.00,EUR,1,P1,"two\nlines",office,web,',
        'ml,M2,O2,K1,2024-01-05 10:00:00,completed,1.00,EUR,1,P1,ok,office,web,',
        'ml,M3,O3,K2,2024-13-45 10:00:00,completed,1.00,EUR,1,P1,bad date,office,web,',
        'ml,M4,O4,K2,2024-01-06 10:00:00,completed,1.00,EUR,1,P1,ok,office,web,',
      ]),
      engine: false,
    },
    { name: 'decimal quantities', file: write('hours.csv', hours), engine: true },
    { name: 'currencies and rounding', file: write('fx.csv', fx), mapping: { currency: { base: 'EUR', rates: { USD: 0.9137 } } }, engine: true },
    // Base cents just below and past 2^53 and past Decimal(18, 2): the engine path hands such rows
    // to the JS path, which computes them exactly or rejects them; both must store the same.
    {
      name: 'amounts past 2^53 hundredths',
      file: write('huge.csv', [
        'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency',
        'huge,H1,O1,Z1,2024-01-05 10:00:00,completed,1.00,VND',
        'huge,H2,O2,Z1,2024-01-05 10:00:00,completed,3839926014.63,XAU',
        'huge,H3,O3,Z1,2024-01-05 10:00:00,completed,38399260146.32,XAU',
        'huge,H4,O4,Z2,2024-01-05 10:00:00,completed,370370370370.37,VND',
        'huge,H5,O5,Z2,2024-01-05 10:00:00,completed,370370370370.38,VND',
        'huge,H6,O6,Z2,2024-01-05 10:00:00,completed,9999999999999.99,VND',
      ]),
      mapping: { currency: { base: 'EUR', rates: { VND: 27000, XAU: 2345.67 } } },
      engine: false,
    },
    { name: 'constants and renames', file: write('renamed.csv', ['Order,Line,Kunde,Datum,Betrag,Notiz', 'O1,R1,Z1,2024-05-01 08:00:00,12.30,hi', 'O2,R2,Z2,2024-05-02 09:00:00,1.00,']), mapping: { source: 'renamed', columns: { Order: 'order_id', Line: 'transaction_id', Kunde: 'customer_ref', Datum: 'order_date', Betrag: 'amount' }, constants: { status: 'completed', channel: 'phone' }, ignore: ['Notiz'] }, engine: true },
    {
      name: 'text beyond ASCII, quotes and padding',
      file: write('text.csv', [
        HEADER,
        'uni,U1,O1,Zoë,2024-06-01 12:00:00,completed,9.90,EUR,1,P1,Café crème — 東京,Bücher,"web, mobile",',
        'uni,U2,"O""2",R 2,2024-06-02 12:00:00,refunded,19.90,EUR,2,"  P2  ",Dinner for 2 😀,"",store,2024-06-03 08:00:00',
      ]),
      engine: true,
    },
    { name: 'fixture transactions', file: fixture('transactions.csv'), engine: false },
    { name: 'fixture malformed', file: fixture('transactions-malformed.csv'), engine: false },
    { name: 'fixture de', file: fixture('transactions-de.csv'), mapping: fixture('mapping-de.json'), engine: false },
  ];
}

/**
 * The usual order of loads (issue 17 item 6): customers first — two systems, a record that bridges
 * two customers into one (an alias), a person erased afterwards — and an interaction naming a
 * reference with no customer record (an `unmatched` stub), then transactions naming known, merged,
 * stubbed, erased and unknown customers, mixed with rows the checks refuse.
 */
const USUAL = 'transactions after customers, good and bad rows';

async function largeWithRefused(): Promise<string> {
  const file = join(dir, 'large.csv');
  await writeTransactionsCsv(file, 200_000, 11);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  for (let i = 1; i < lines.length; i++) {
    lines[i] = lines[i].replace(/^shop,/, 'large,');
    if (i % 9_973 === 0) lines[i] = lines[i].replace(/,(\d{4})-(\d\d)-(\d\d) /, ',$1-13-$3 ');
    // An offset the engine's checks refuse and the JS path accepts.
    if (i % 15_013 === 0) lines[i] = lines[i].replace(/,(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),/, ',$1T$2Z,');
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function usualOrder(): Load[] {
  const customers = (name: string, lines: string[]): string => write(name, ['source_id,name,email,phone,country,signup_date', ...lines]);
  const ERASED = 'erase.me@example.test';
  const setup: Load[] = [
    {
      name: 'customers of the shop',
      entity: 'customers',
      source: 'eshop',
      file: customers('uo-shop.csv', [
        'S1,Ann Alder,ann@example.test,+49 30 5550101,DE,2023-01-02',
        'S2,Ben Birch,ben@example.test,+49 30 5550102,DE,2023-02-03',
        'S3,Cleo Cedar,cleo@example.test,,DE,2023-03-04',
        `S4,Erin Erased,${ERASED},+49 30 5550104,DE,2023-04-05`,
      ]),
      engine: false,
    },
    // The CRM knows Ben under another address and phone: a customer of its own at first.
    { name: 'customers of the crm', entity: 'customers', source: 'ecrm', file: customers('uo-crm.csv', ['R1,Ben Birch,b.birch@example.test,+49 40 5550177,DE,', 'R2,Dora Dogwood,dora@example.test,,DE,2023-05-06']), engine: false },
    // Support bridges them (Ben's shop address, his CRM phone): the CRM's customer becomes an alias of the shop's.
    { name: 'customers of support', entity: 'customers', source: 'esup', file: customers('uo-sup.csv', ['H1,B. Birch,ben@example.test,+49 40 5550177,DE,']), engine: false },
    {
      name: 'an interaction of an unknown shop customer',
      entity: 'interactions',
      file: write('uo-int.csv', ['source,interaction_id,customer_ref,occurred_at,type', 'eshop,I1,S9,2023-06-01 10:00:00,call']),
      engine: false,
    },
    { name: 'erasure', file: '', erase: ERASED, engine: false },
  ];
  const tx = (i: number, src: string, ref: string, rest = '2024-01-05 10:00:00,completed,10.00,EUR,1,P1,ok,office,web,'): string => `${src},UT${i},UO${i},${ref},${rest}`;
  const known = [
    tx(1, 'eshop', 'S1'),
    tx(2, 'eshop', 'S2'),
    tx(3, 'ecrm', 'R1'), // merged: the shop customer's id
    tx(4, 'ecrm', 'R2'),
    tx(5, 'eshop', 'S9'), // stubbed by the interaction
    tx(6, 'eshop', 'S4'), // erased: skipped by both paths
    tx(7, 'eshop', 'NEW1'),
    tx(8, 'ecrm', 'NEW2'),
    tx(9, 'eshop', 'S1', '2024-02-05 10:00:00,refunded,20.00,EUR,2,P2,ok,office,web,2024-02-06 10:00:00'),
    tx(10, 'esup', 'H1'),
    tx(11, 'eshop', 'S3'),
    tx(12, 'eshop', 'NEW1'),
  ];
  const mixed = [
    tx(20, 'eshop', 'S1'),
    tx(21, 'eshop', 'S2', '2024-13-45,completed,10.00,EUR,1,P1,bad date,office,web,'),
    tx(22, 'ecrm', 'R1', '2024-01-05 10:00:00,completed,ten,EUR,1,P1,bad amount,office,web,'),
    tx(23, 'eshop', 'NEW3', '2024-02-10T12:30:00Z,Completed,120.00,eur,1,P3,the engine refuses and JS accepts,furniture,store,'),
    tx(24, 'eshop', 'S4', '2024-13-45,completed,10.00,EUR,1,P1,erased and bad,office,web,'),
    tx(25, 'eshop', 'S4'),
    tx(26, 'ecrm', 'NEW4', '2024-03-01,pending,0,,,P4,JS accepts,office,web,'),
    tx(27, 'ecrm', 'NEW4'),
    tx(28, 'eshop', 'S9'),
    tx(29, 'eshop', 'S3'),
    tx(30, 'eshop', 'NEW5'),
  ];
  // An id on a good line and on a bad one: the JS path decides (and warns), so the file is its.
  const repeated = [tx(40, 'eshop', 'S1'), tx(40, 'eshop', 'S1', '2024-13-45,completed,10.00,EUR,1,P1,bad date,office,web,'), tx(41, 'eshop', 'S2'), tx(42, 'eshop', 'S3')].map((l) => l.replace(/^eshop,/, 'rep,'));
  return [
    ...setup,
    { name: USUAL, file: write('uo-tx.csv', [HEADER, ...known, ...mixed]), engine: true, handOff: true },
    { name: 'the same rows again, new ids', file: write('uo-tx2.csv', [HEADER, ...known, ...mixed].map((l) => l.replace(/,UT(\d+),/, ',VT$1,'))), engine: false },
    { name: 'an id on a good and a bad line', file: write('uo-rep.csv', [HEADER, ...repeated]), engine: false },
  ];
}

/** Every row of every table the loads write, sorted, with batch ids and run versions named by load. */
async function tableDump(wh: Warehouse, names: ReadonlyMap<string, string>, versions: ReadonlyMap<number, string>): Promise<Record<string, string[]>> {
  const tables = await rows<{ name: string; engine: string }>(
    wh,
    `SELECT name, engine FROM system.tables WHERE database = {db:String} AND name NOT IN ('ingest_batches', 'schema_migrations', 'privacy_erasures', 'audit_log') AND name NOT LIKE 'ingest_keys_%' AND total_rows > 0 ORDER BY name`,
    { db: wh.database },
  );
  const out: Record<string, string[]> = {};
  for (const { name, engine } of tables) {
    // Rows as the product sees them: a replaced version is gone once its parts merge, and when the
    // engine merges in the background differs between the two databases (the engine path writes
    // its facts as two parts), so both are merged before they are read.
    if (/MergeTree$/.test(engine)) await wh.client.command({ query: `OPTIMIZE TABLE \`${wh.database}\`.\`${name}\` FINAL` });
    const cols = await rows<{ name: string; type: string; default_expression: string }>(
      wh,
      'SELECT name, type, default_expression FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
      { db: wh.database, t: name },
    );
    const keep = cols
      // An erasure's id is random per erasure (each database had its own of the same person).
      .filter((c) => (!/now/i.test(c.default_expression) || c.name === 'version') && c.name !== 'erasure_id')
      .map((c) => {
        if (c.name === 'batch_id') return "transform(batch_id, {ids:Array(String)}, {names:Array(String)}, concat('batch id of no load: ', batch_id))";
        if (c.name === 'version' && /Int/.test(c.type)) return "transform(toUInt64(version), {vs:Array(UInt64)}, {vnames:Array(String)}, toString(version))";
        return `toString(\`${c.name}\`)`;
      });
    const rs = await wh.client.query({
      query: `SELECT ${keep.join(', ')} FROM \`${wh.database}\`.\`${name}\``,
      format: 'TabSeparated',
      query_params: { ids: [...names.keys()], names: [...names.values()], vs: [...versions.keys()], vnames: [...versions.values()] },
    });
    out[name] = (await rs.text()).split('\n').filter((l) => l !== '').sort();
  }
  return out;
}

/** A run's own version (its start in ms) by load name, from the batch log. */
async function runVersions(wh: Warehouse, names: ReadonlyMap<string, string>): Promise<Map<number, string>> {
  const log = await rows<{ batch_id: string; v: string }>(wh, `SELECT batch_id, toString(toUnixTimestamp64Milli(started_at)) AS v FROM \`${wh.database}\`.ingest_batches FINAL`);
  return new Map(log.map((r) => [Number(r.v), `run of ${names.get(r.batch_id) ?? r.batch_id}`]));
}

function pick(s: IngestSummary): Record<string, unknown> {
  return {
    status: s.status,
    read: s.read,
    loaded: s.loaded,
    updated: s.updated,
    duplicates: s.duplicates,
    duplicatesInInput: s.duplicatesInInput,
    outdated: s.outdated,
    rejected: s.rejected,
    staleDeleted: s.staleDeleted,
    rejects: s.rejects,
    unknownCustomers: s.unknownCustomers,
    customersCreated: s.customersCreated,
    erasedSkipped: s.erasedSkipped,
    warnings: s.warnings,
    derivedIds: s.derivedIds,
    error: s.error,
  };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '(none)';
  }
}

async function load(wh: Warehouse, mode: 'on' | 'off', l: Load, tag: string): Promise<IngestSummary> {
  const before = process.env.CRM_INGEST_ENGINE_PARSE;
  process.env.CRM_INGEST_ENGINE_PARSE = mode;
  try {
    return await ingestFile(wh, { entity: l.entity ?? 'transactions', file: l.file, source: l.source, mapping: l.mapping as never, rejectsFile: join(dir, `${tag}.${mode}.rejects.csv`) });
  } finally {
    if (before === undefined) delete process.env.CRM_INGEST_ENGINE_PARSE;
    else process.env.CRM_INGEST_ENGINE_PARSE = before;
  }
}

describe('the engine path stores what the JS path stores', () => {
  before(async () => {
    process.env.CRM_PRIVACY_KEY = KEY;
    tw = await warehouseWithSchema();
    viaJs = tw.warehouse;
    viaEngine = await otherDatabase(tw, 'crm_engine');
  });
  after(async () => {
    delete process.env.CRM_PRIVACY_KEY;
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('same tables, summaries and rejects for every load, in the same order', { timeout: 600_000 }, async () => {
    const all = await loads();
    const names = { on: new Map<string, string>(), off: new Map<string, string>() };
    let tookEngine = 0;
    for (const [i, l] of all.entries()) {
      const tag = `load-${i}`;
      if (l.erase) {
        for (const wh of [viaEngine, viaJs]) {
          const r = await erasePerson({ client: wh.client, database: wh.database }, l.erase, { key: KEY, actor: 'test', actorRole: 'cli', cleanupTimeoutMs: 1000 });
          assert.equal(r.customers, 1, `${l.name}: one customer erased`);
        }
        continue;
      }
      const taken = engineParseStats.loads;
      const handed = engineParseStats.handOffs;
      const on = await load(viaEngine, 'on', l, tag);
      const engine = engineParseStats.loads - taken;
      assert.equal(engine, l.engine ? 1 : 0, `${l.name}: the engine path ${l.engine ? 'should have' : 'should not have'} taken it`);
      tookEngine += engine;
      assert.equal(engineParseStats.handOffs - handed, l.handOff ? 1 : 0, `${l.name}: lines ${l.handOff ? 'should have been' : 'should not have been'} handed to the JS path`);
      const off = await load(viaJs, 'off', l, tag);
      assert.equal(engineParseStats.loads - taken, engine, `${l.name}: off means the JS path`);
      names.on.set(on.batchId, l.name);
      names.off.set(off.batchId, l.name);
      assert.deepEqual(pick(on), pick(off), `${l.name}: summary`);
      if (l.name === USUAL) {
        // What the JS path decides for that file, said independently: 23 rows, three of the erased
        // person (one of them also a bad date) skipped, a bad date and a bad amount rejected, the
        // two rows only the JS checks accept loaded, six references without a customer record
        // (S9's earlier stub and five new ones).
        assert.deepEqual([on.read, on.loaded, on.rejected, on.erasedSkipped, on.unknownCustomers], [23, 18, 2, 3, 6], `${l.name}: counts`);
        assert.deepEqual(on.rejects.map((r) => r.line), [15, 16]);
        const ids = await rows<{ id: string; c: string }>(viaEngine, `SELECT transaction_id AS id, customer_id AS c FROM \`${viaEngine.database}\`.transactions FINAL WHERE source IN ('eshop', 'ecrm', 'esup')`);
        const of = new Map(ids.map((r) => [r.id, r.c]));
        // Ben's CRM record was merged into his shop customer: its facts take the survivor's id.
        assert.equal(of.get('UT3'), customerIdFor('eshop', 'S2'), 'a merged customer resolves to the survivor');
        assert.equal(of.get('UT10'), customerIdFor('eshop', 'S2'), "support's record of Ben");
        assert.equal(of.get('UT5'), customerIdFor('eshop', 'S9'), 'the stub of an earlier interaction');
        assert.equal(of.get('UT7'), customerIdFor('eshop', 'NEW1'));
        assert.equal(of.get('UT23'), customerIdFor('eshop', 'NEW3'), 'a handed-off row');
        assert.ok(!of.has('UT6') && !of.has('UT25'), "the erased person's rows are not stored");
      }
      assert.equal(readOr(join(dir, `${tag}.on.rejects.csv`)), readOr(join(dir, `${tag}.off.rejects.csv`)), `${l.name}: rejects file`);
    }
    assert.ok(tookEngine >= 5, `loads the engine path took: ${tookEngine}`);
    // The batch log says the same of each load (its final row; ids and times differ by run).
    const log = async (wh: Warehouse): Promise<Record<string, unknown>[]> =>
      rows(
        wh,
        `SELECT * EXCEPT (batch_id, started_at, finished_at, version) FROM \`${wh.database}\`.ingest_batches FINAL ORDER BY started_at, source_file`,
      );
    assert.deepEqual(await log(viaEngine), await log(viaJs), 'ingest_batches');
    const dumpOn = await tableDump(viaEngine, names.on, await runVersions(viaEngine, names.on));
    const dumpOff = await tableDump(viaJs, names.off, await runVersions(viaJs, names.off));
    assert.deepEqual(Object.keys(dumpOn), Object.keys(dumpOff), 'the same tables were written');
    for (const t of Object.keys(dumpOff)) assert.deepEqual(dumpOn[t], dumpOff[t], `table ${t}`);
    // The comparison covers what it should: the generated rows, unknown customers and rejects.
    assert.ok(dumpOff.transactions.length > 3000, `transactions rows: ${dumpOff.transactions.length}`);
    assert.ok(dumpOff.customers.length > 300, `customers: ${dumpOff.customers.length}`);
    assert.ok(dumpOff.rejects.length >= 8, `rejects: ${dumpOff.rejects.length}`);
    // The engine path's quantities as the file says them (not only equal to the JS path's).
    const hours = await rows<{ id: string; q: string }>(viaEngine, `SELECT transaction_id AS id, toString(quantity) AS q FROM \`${viaEngine.database}\`.transactions FINAL WHERE source = 'hrs' ORDER BY id`);
    assert.deepEqual(Object.fromEntries(hours.map((r) => [r.id, r.q])), {
      H1: '7.5', H2: '0.25', H3: '0.3333333', H4: '7.5', H5: '2', H6: '9999999999.99999999', H7: '1', H8: '0', H9: '0.00000001',
    });
  });

  it('a base amount past what the column holds is left to the JS path', { timeout: 120_000 }, async () => {
    // 9,999,999,999,999.99 at a rate of 27,000: 2.7e19 base cents, past Decimal(18, 2) and past
    // UInt64 (the SQL's cents wrapped). The JS path rejects it ('amounts past 2^53 hundredths' above
    // compares both paths' loads).
    const file = write('big.csv', ['source,transaction_id,order_id,customer_ref,order_date,status,amount,currency', 'big,G1,O1,Y1,2024-01-05 10:00:00,completed,9999999999999.99,VND', 'big,G2,O2,Y1,2024-01-05 10:00:00,completed,1.00,VND']);
    const handed = engineParseStats.handOffs;
    const s = await load(viaEngine, 'on', { name: 'big', file, mapping: { currency: { base: 'EUR', rates: { VND: 27000 } } }, engine: true }, 'big');
    assert.equal(engineParseStats.handOffs, handed + 1, "the engine path's checks did not pass the row: its line went to the JS path");
    assert.deepEqual([s.read, s.loaded, s.rejected], [2, 1, 1]);
    assert.equal(s.rejects[0]?.line, 2);
    assert.match(s.rejects[0]?.reason ?? '', /amount/);
  });

  it('a load that fails in its JS part after the engine stored its rows is completed by a re-run', { timeout: 180_000 }, async () => {
    const lines = [
      ...Array.from({ length: 30 }, (_v, i) => `split,S${i},O${i},K${i % 6},2024-01-05 10:00:00,completed,${i}.50,EUR,1,P1,x,office,web,`),
      // The engine's checks refuse both (an offset, a capitalised status); the JS path accepts them.
      'split,LATE,O90,K1,2024-02-10T12:30:00Z,Completed,9.00,EUR,1,P1,late,office,web,',
      'split,BOOM2,O91,K99,2024-02-10T12:30:00Z,Completed,9.00,EUR,1,P1,refused by the table,office,web,',
      'split,BAD,O92,K2,2024-13-45,completed,9.00,EUR,1,P1,bad date,office,web,',
    ];
    const file = write('split.csv', [HEADER, ...lines]);
    const table = `\`${viaEngine.database}\`.transactions`;
    await viaEngine.client.command({ query: `ALTER TABLE ${table} ADD CONSTRAINT no_boom2 CHECK transaction_id != 'BOOM2'` });
    const handed = engineParseStats.handOffs;
    let failed: IngestSummary;
    try {
      failed = await load(viaEngine, 'on', { name: 'split', file, engine: true }, 'split-1');
    } finally {
      await viaEngine.client.command({ query: `ALTER TABLE ${table} DROP CONSTRAINT no_boom2` });
    }
    assert.equal(engineParseStats.handOffs, handed + 1, 'the engine stored its rows and handed three lines on');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.loaded, 30, "the engine's rows are confirmed");
    const again = await load(viaEngine, 'on', { name: 'split again', file, engine: false }, 'split-2');
    assert.equal(again.status, 'completed');
    const clean = await load(viaJs, 'off', { name: 'split', file, engine: false }, 'split-3');
    assert.equal(clean.status, 'completed');
    assert.deepEqual([clean.loaded, clean.rejected], [32, 1]);
    const stored = async (wh: Warehouse): Promise<unknown[]> => [
      await rows(wh, `SELECT * EXCEPT (batch_id, version, ingested_at) FROM \`${wh.database}\`.transactions FINAL WHERE source = 'split' ORDER BY transaction_id`),
      await rows(wh, `SELECT source_id, customer_id, rule FROM \`${wh.database}\`.identity_map FINAL WHERE source = 'split' ORDER BY source_id`),
      await rows(wh, `SELECT * EXCEPT (version, updated_at) FROM \`${wh.database}\`.customers FINAL WHERE has(sources, 'split') ORDER BY customer_id`),
    ];
    const [tx, ids, customers] = await stored(viaEngine);
    assert.equal((tx as unknown[]).length, 32);
    assert.deepEqual([tx, ids, customers], await stored(viaJs));
  });

  it('a facts insert the engine refuses reports every row read as unconfirmed, none as loaded', { timeout: 120_000 }, async () => {
    const n = 40;
    const lines = Array.from({ length: n }, (_v, i) => `refused,R${i},O${i},K${i % 7},2024-01-05 10:00:00,completed,1.00,EUR,1,P1,x,office,web,`);
    lines[n - 1] = lines[n - 1].replace(`R${n - 1},`, 'BOOM,');
    const file = write('refused.csv', [HEADER, ...lines]);
    const table = `\`${viaEngine.database}\`.transactions`;
    // A real engine refusal of the facts insert: a CHECK constraint the last row breaks.
    await viaEngine.client.command({ query: `ALTER TABLE ${table} ADD CONSTRAINT no_boom CHECK transaction_id != 'BOOM'` });
    try {
      const s = await load(viaEngine, 'on', { name: 'refused', file, engine: true }, 'refused');
      assert.equal(s.status, 'failed');
      assert.deepEqual([s.read, s.loaded, s.unconfirmed], [n, 0, n], 'read, loaded, unconfirmed');
      assert.match(s.error ?? '', /BOOM|no_boom|CHECK|constraint/i);
      const [log] = await rows<{ status: string; rows_loaded: string; rows_unconfirmed: string }>(
        viaEngine,
        `SELECT status, toString(rows_loaded) AS rows_loaded, toString(rows_unconfirmed) AS rows_unconfirmed FROM \`${viaEngine.database}\`.ingest_batches FINAL WHERE batch_id = {b:String}`,
        { b: s.batchId },
      );
      assert.deepEqual(log, { status: 'failed', rows_loaded: '0', rows_unconfirmed: String(n) });
      const [present] = await rows<{ n: string }>(viaEngine, `SELECT toString(count()) AS n FROM ${table} WHERE source = 'refused'`);
      assert.ok(Number(present.n) < n, `stored ${present.n} of ${n}`);
    } finally {
      await viaEngine.client.command({ query: `ALTER TABLE ${table} DROP CONSTRAINT no_boom` });
    }
  });
});
