import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { entitySpec } from '../../ingest/entities/index.ts';
import { compileMapping } from '../../ingest/mapping/compile.ts';
import { validateMapping, type Mapping } from '../../ingest/mapping/mapping-file.ts';
import { CsvReader } from '../../ingest/sources/csv-reader.ts';
import { OccurrenceCounter } from '../../ingest/sources/occurrence-counter.ts';
import type { RowReader } from '../../ingest/sources/reader.ts';
import { RecordsReader } from '../../ingest/sources/records-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'derive-ids-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Read {
  rows: Record<string, string>[];
  columns?: string[];
  bad: string[];
  derived?: string;
}

/** Runs a reader and returns each row's canonical fields as text (what the encoder would see). */
async function read(reader: RowReader, fields: string[], m: ReturnType<typeof compileMapping>): Promise<Read> {
  const out: Read = { rows: [], bad: [] };
  await reader.run({
    columns: (names) => {
      out.columns = [...names];
    },
    unknownKey: () => {},
    bad: (line, detail) => out.bad.push(`${line}: ${detail}`),
    chunkDone: () => {},
    row: (row) => {
      const r: Record<string, string> = {};
      for (const name of fields) {
        const f = m.byName.get(name)!.index;
        r[name] = row.start[f] >= 0 ? row.bufs[f].toString('utf8', row.start[f], row.end[f]) : '';
      }
      out.rows.push(r);
    },
  });
  out.derived = reader.describeDerived?.();
  return out;
}

async function readCsv(text: string, mapping: Mapping, fields: string[]): Promise<Read> {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, text);
  const m = compileMapping(entitySpec('transactions'), validateMapping(mapping), { env: {} });
  return read(new CsvReader(file, m, { gzip: false, tsv: false }), fields, m);
}

/** The id the contract promises, computed here from scratch: sha256 of name=value\x1f for every non-empty field but the id and updated_at, in contract order. */
function expectedId(values: Record<string, string>, n: number): string {
  const order = entitySpec('transactions')
    .fields.map((f) => f.name)
    .filter((f) => f !== 'transaction_id' && f !== 'updated_at');
  const content = order
    .filter((f) => values[f])
    .map((f) => `${f}=${values[f]}\x1f`)
    .join('');
  return `${createHash('sha256').update(content).digest('hex').slice(0, 16)}-${n}`;
}

const CDNOW: Mapping = {
  source: 'cdnow',
  csv: {
    header: false,
    delimiter: 'whitespace',
    names: ['customer_ref', 'unused', 'order_date', 'quantity', 'amount'],
  },
  ignore: ['unused'],
  constants: { status: 'completed' },
  dates: { order_date: 'YYYYMMDD' },
};

describe('derived ids', () => {
  it('headerless whitespace file: ids from content + occurrence; identical lines stay two rows', async () => {
    const text =
      ' 00004 0001 19970101  2\t  29.33\r\n 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n\r\n';
    const r = await readCsv(text, CDNOW, [
      'transaction_id',
      'order_id',
      'customer_ref',
      'order_date',
      'quantity',
      'amount',
      'source',
      'status',
    ]);
    assert.deepEqual(r.bad, []);
    assert.deepEqual(r.columns, ['customer_ref', 'unused', 'order_date', 'quantity', 'amount']);
    const base = { source: 'cdnow', customer_ref: '00004', status: 'completed', quantity: '2' };
    const a = { ...base, order_date: '19970101', amount: '29.33' };
    const b = { ...base, order_date: '19970118', amount: '29.73' };
    assert.deepEqual(
      r.rows.map((x) => x.transaction_id),
      [expectedId(a, 1), expectedId(a, 2), expectedId(b, 1)],
    );
    // Default orders: one per customer and order timestamp.
    assert.deepEqual(
      r.rows.map((x) => x.order_id),
      ['00004@1997-01-01 00:00:00', '00004@1997-01-01 00:00:00', '00004@1997-01-18 00:00:00'],
    );
    assert.equal(
      r.derived,
      'transaction ids derived from row content (no transaction_id column); orders: one per customer and order timestamp (no order_id column)',
    );
  });

  it('reading the same file again gives the same ids', async () => {
    const text = 'c1 20240101 5\nc1 20240101 5\nc2 20240101 5\n';
    const m: Mapping = {
      ...CDNOW,
      csv: { header: false, delimiter: 'whitespace', names: ['customer_ref', 'order_date', 'amount'] },
      ignore: [],
    };
    const first = await readCsv(text, m, ['transaction_id']);
    const second = await readCsv(text, m, ['transaction_id']);
    assert.deepEqual(first.rows, second.rows);
    assert.equal(new Set(first.rows.map((x) => x.transaction_id)).size, 3);
  });

  it('orders.by: customer_day groups a day, line makes every line an order, and an order_id in the row wins', async () => {
    const header = 'customer_ref,order_date,amount,order_id\n';
    const text = `${header}c1,2024-01-01 09:00:00,1,\nc1,2024-01-01 17:30:00,2,\nc1,2024-01-02 09:00:00,3,O-9\n`;
    const base: Mapping = { source: 's', constants: { status: 'completed' } };
    const day = await readCsv(text, { ...base, orders: { by: 'customer_day' } }, ['order_id', 'transaction_id']);
    assert.deepEqual(
      day.rows.map((x) => x.order_id),
      ['c1@2024-01-01', 'c1@2024-01-01', 'O-9'],
    );
    assert.equal(
      day.derived,
      'transaction ids derived from row content (no transaction_id column); orders: one per customer and day (2 of 3 rows had no order_id)',
    );
    const stamp = await readCsv(text, base, ['order_id']);
    assert.deepEqual(
      stamp.rows.map((x) => x.order_id),
      ['c1@2024-01-01 09:00:00', 'c1@2024-01-01 17:30:00', 'O-9'],
    );
    const line = await readCsv(text, { ...base, orders: { by: 'line' } }, ['order_id', 'transaction_id']);
    assert.deepEqual(
      line.rows.map((x) => x.order_id),
      [line.rows[0].transaction_id, line.rows[1].transaction_id, 'O-9'],
    );
    assert.notEqual(line.rows[0].order_id, line.rows[1].order_id);
  });

  it('a time zone in the order time is normalised: the same instant is the same order', async () => {
    const text = 'customer_ref,order_date,amount\nc1,2024-01-01T10:00:00+02:00,1\nc1,2024-01-01T08:00:00Z,2\n';
    const r = await readCsv(text, { source: 's', constants: { status: 'completed' } }, ['order_id']);
    assert.deepEqual(
      r.rows.map((x) => x.order_id),
      ['c1@2024-01-01 08:00:00', 'c1@2024-01-01 08:00:00'],
    );
  });

  it('a file with a transaction_id column keeps it, and a blank one stays blank (a reject, not a derived id)', async () => {
    const text = 'transaction_id,customer_ref,order_date,amount\nT1,c1,2024-01-01,1\n,c1,2024-01-02,1\n';
    const r = await readCsv(text, { source: 's', constants: { status: 'completed' } }, ['transaction_id']);
    assert.deepEqual(
      r.rows.map((x) => x.transaction_id),
      ['T1', ''],
    );
    assert.equal(r.derived, 'orders: one per customer and order timestamp (no order_id column)');
  });

  it('records (HTTP, NDJSON): orders are formed, ids are not derived', async () => {
    const m = compileMapping(entitySpec('transactions'), {}, { env: {} });
    const reader = new RecordsReader(
      [
        { source: 's', customer_ref: 'c1', order_date: '2024-01-01 10:00:00', amount: 1, status: 'completed' },
        {
          source: 's',
          transaction_id: 'T2',
          order_id: 'O2',
          customer_ref: 'c1',
          order_date: '2024-01-01 10:00:00',
          amount: 1,
          status: 'completed',
        },
      ],
      m,
    );
    const r = await read(reader, ['transaction_id', 'order_id'], m);
    assert.deepEqual(r.rows, [
      { transaction_id: '', order_id: 'c1@2024-01-01 10:00:00' },
      { transaction_id: 'T2', order_id: 'O2' },
    ]);
    assert.equal(r.derived, 'orders: one per customer and order timestamp (1 of 2 rows had no order_id)');
  });

  it('headerless with csv.names: a row with another column count is reported, not shifted', async () => {
    const r = await readCsv(
      'c1 20240101 5\nc1 20240101\n',
      {
        ...CDNOW,
        csv: { header: false, delimiter: 'whitespace', names: ['customer_ref', 'order_date', 'amount'] },
        ignore: [],
      },
      ['customer_ref'],
    );
    assert.deepEqual(r.bad, ['2: expected 3 columns (as named by csv.names), found 2']);
  });

  it('csv.names with a header line replace the header (two columns with the same header told apart)', async () => {
    const text = 'id,ref,date,amount,amount\nT1,c1,2024-01-01,5,6\n';
    const r = await readCsv(
      text,
      {
        source: 's',
        constants: { status: 'completed' },
        csv: { names: ['transaction_id', 'customer_ref', 'order_date', 'amount', 'gross'] },
        ignore: ['gross'],
      },
      ['transaction_id', 'amount'],
    );
    assert.deepEqual(r.rows, [{ transaction_id: 'T1', amount: '5' }]);
  });
});

describe('derived interaction ids', () => {
  it('an interactions file without interaction_id gets ids from content; nothing is grouped', async () => {
    const file = join(dir, 'interactions.csv');
    writeFileSync(file, 'customer_ref,occurred_at,type\nc1,2024-01-01 10:00:00,call\nc1,2024-01-01 10:00:00,call\n');
    const m = compileMapping(entitySpec('interactions'), { source: 'crm' }, { env: {} });
    const r = await read(new CsvReader(file, m, { gzip: false, tsv: false }), ['interaction_id'], m);
    const content = 'source=crm\x1fcustomer_ref=c1\x1foccurred_at=2024-01-01 10:00:00\x1ftype=call\x1f';
    const digest = createHash('sha256').update(content).digest('hex').slice(0, 16);
    assert.deepEqual(
      r.rows.map((x) => x.interaction_id),
      [`${digest}-1`, `${digest}-2`],
    );
    assert.equal(r.derived, 'interaction ids derived from row content (no interaction_id column)');
  });
});

describe('occurrence counter', () => {
  it('counts each key, across growth, for keys up to 2^48', () => {
    const c = new OccurrenceCounter();
    const expected = new Map<number, number>();
    let x = 12345;
    for (let i = 0; i < 50_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const key = (x % 20_000) * 14_073_748_835; // spread over [0, 2^48)
      const n = (expected.get(key) ?? 0) + 1;
      expected.set(key, n);
      assert.equal(c.next(key), n);
    }
    assert.equal(c.size, expected.size);
    assert.equal(c.next(2 ** 48 - 1), 1);
    assert.equal(c.next(7), 1); // not a multiple of the spread above
    assert.equal(c.next(7), 2);
  });
});
