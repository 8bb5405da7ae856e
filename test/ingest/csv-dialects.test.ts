import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { entitySpec } from '../../ingest/entities/index.ts';
import { toBatchSummary } from '../../ingest/http/summary.ts';
import { compileMapping } from '../../ingest/mapping/compile.ts';
import { validateMapping, type Mapping } from '../../ingest/mapping/mapping-file.ts';
import { CsvReader } from '../../ingest/sources/csv-reader.ts';
import type { IngestSummary } from '../../ingest/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'csv-dialects-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BOM = '\uFEFF';
const FIELDS = ['customer_ref', 'order_date', 'amount'] as const;
const HEADERLESS = { header: false, names: [...FIELDS] };
const WANT = [
  { customer_ref: 'c1', order_date: '2024-01-05', amount: '10.50', line: 0 },
  { customer_ref: 'c 2', order_date: '2024-01-06', amount: '7', line: 0 },
];

/** Every dialect the issue names, each with a BOM, CRLF and trailing empty lines. Lines: data line numbers in the file. */
const cases: [string, string, Mapping['csv'], number[]][] = [
  ['headerless, comma', `${BOM}c1,2024-01-05,10.50\r\n"c 2",2024-01-06,7\r\n\r\n\r\n`, HEADERLESS, [1, 2]],
  [
    'headerless, semicolon',
    `${BOM}c1;2024-01-05;10.50\r\n"c 2";2024-01-06;7\r\n\r\n`,
    { ...HEADERLESS, delimiter: ';' },
    [1, 2],
  ],
  [
    'headerless, tab',
    `${BOM}c1\t2024-01-05\t10.50\r\n"c 2"\t2024-01-06\t7\r\n\r\n`,
    { ...HEADERLESS, delimiter: '\t' },
    [1, 2],
  ],
  [
    'headerless, whitespace',
    `${BOM}  c1   2024-01-05 \t 10.50  \r\n "c 2" 2024-01-06 7\r\n  \r\n\r\n`,
    { ...HEADERLESS, delimiter: 'whitespace' },
    [1, 2],
  ],
  [
    'headerless, ||',
    `${BOM}c1||2024-01-05||10.50\r\n"c 2"||2024-01-06||7\r\n\r\n`,
    { ...HEADERLESS, delimiter: '||' },
    [1, 2],
  ],
  [
    'header, whitespace',
    `${BOM}customer_ref  order_date  amount\r\nc1 2024-01-05 10.50\r\n"c 2" 2024-01-06 7\r\n\r\n`,
    { delimiter: 'whitespace' },
    [2, 3],
  ],
  [
    'header, "; "',
    `${BOM}customer_ref; order_date; amount\r\nc1; 2024-01-05; 10.50\r\n"c 2"; 2024-01-06; 7\r\n\r\n`,
    { delimiter: '; ' },
    [2, 3],
  ],
  [
    'header, ¦ (a multi-byte character)',
    `${BOM}customer_ref¦order_date¦amount\r\nc1¦2024-01-05¦10.50\r\n"c 2"¦2024-01-06¦7`,
    { delimiter: '¦' },
    [2, 3],
  ],
  [
    'Excel CSV: BOM, CRLF, quoted header',
    `${BOM}"customer_ref","order_date","amount"\r\n"c1","2024-01-05","10.50"\r\n"c 2","2024-01-06","7"\r\n\r\n`,
    {},
    [2, 3],
  ],
];

describe('CSV dialects through the reader (BOM, CRLF, trailing empty lines in each)', () => {
  const m = (csv: Mapping['csv']) =>
    compileMapping(
      entitySpec('transactions'),
      validateMapping({ source: 's', constants: { status: 'completed' }, csv }),
      { env: {} },
    );
  for (const [name, text, csv, lines] of cases) {
    it(name, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.csv`);
      writeFileSync(file, text);
      const compiled = m(csv);
      const rows: Record<string, string | number>[] = [];
      const bad: string[] = [];
      let columns: readonly string[] = [];
      await new CsvReader(file, compiled, { gzip: false, tsv: false }).run({
        columns: (names) => {
          columns = names;
        },
        unknownKey: () => {},
        bad: (line, detail) => bad.push(`${line}: ${detail}`),
        chunkDone: () => {},
        row: (row) => {
          const r: Record<string, string | number> = {};
          for (const f of FIELDS) {
            const i = compiled.byName.get(f)!.index;
            r[f] = row.bufs[i].toString('utf8', row.start[i], row.end[i]);
          }
          r.line = row.line;
          rows.push(r);
        },
      });
      assert.deepEqual(bad, []);
      assert.deepEqual(columns, FIELDS);
      assert.deepEqual(
        rows,
        WANT.map((w, i) => ({ ...w, line: lines[i] })),
      );
    });
  }
});

describe('csv.names go through renames and ignore like header names', () => {
  it('a headerless file named in its own words', async () => {
    const file = join(dir, 'named.csv');
    writeFileSync(file, 'c1;junk;05.01.2024;10,50\r\n');
    const mapping = validateMapping({
      source: 's',
      constants: { status: 'completed' },
      csv: { header: false, delimiter: ';', names: ['Kunde', 'Notiz', 'Datum', 'Betrag'] },
      columns: { Kunde: 'customer_ref', Datum: 'order_date', Betrag: 'amount' },
      ignore: ['Notiz'],
      dates: { order_date: 'DD.MM.YYYY' },
      numbers: { decimal: ',', thousands: '.' },
    });
    const compiled = compileMapping(entitySpec('transactions'), mapping, { env: {} });
    const got: string[] = [];
    const unknown: string[] = [];
    await new CsvReader(file, compiled, { gzip: false, tsv: false }).run({
      columns: () => {},
      unknownKey: (k) => unknown.push(k),
      bad: (line, detail) => got.push(`bad ${line}: ${detail}`),
      chunkDone: () => {},
      row: (row) => {
        for (const f of FIELDS) {
          const i = compiled.byName.get(f)!.index;
          got.push(`${f}=${row.bufs[i].toString('utf8', row.start[i], row.end[i])}`);
        }
      },
    });
    assert.deepEqual(got, ['customer_ref=c1', 'order_date=05.01.2024', 'amount=10,50']);
    assert.deepEqual(unknown, []);
  });
});

describe('the summary says how ids and orders were formed', () => {
  const summary = {
    batchId: 'b1',
    entity: 'transactions',
    input: 'cdnow.txt',
    status: 'completed',
    read: 3,
    loaded: 3,
    updated: 0,
    duplicates: 0,
    duplicatesInInput: 0,
    customersCreated: 0,
    outdated: 0,
    rejected: 0,
    staleDeleted: 0,
    unknownCustomers: 0,
    seconds: 1,
    rowsPerSecond: 3,
    warnings: [],
    rejects: [],
    derivedIds:
      'transaction ids derived from row content (no transaction_id column); orders: one per customer and day (no order_id column)',
  } as IngestSummary;

  it('in the HTTP answer, and not at all when nothing was formed', () => {
    assert.equal(toBatchSummary(summary, 3).derived_ids, summary.derivedIds);
    assert.equal('derived_ids' in toBatchSummary({ ...summary, derivedIds: undefined }, 3), false);
  });
});
