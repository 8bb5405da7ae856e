import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { report } from '../../ingest/detect/cli.ts';
import { dryRun } from '../../ingest/detect/dry-run.ts';
import { guessColumn, type ColumnKind } from '../../ingest/detect/guess-column.ts';
import { guessDateFormat } from '../../ingest/detect/guess-date.ts';
import { guessDialect } from '../../ingest/detect/guess-dialect.ts';
import { guessHeader } from '../../ingest/detect/guess-header.ts';
import { guessNumberFormat } from '../../ingest/detect/guess-number.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readHead, readSample } from '../../ingest/detect/read-sample.ts';
import { DetectError, sniffBytes } from '../../ingest/detect/sniff-bytes.ts';
import { splitRecords } from '../../ingest/detect/split-records.ts';
import { fixture } from './helpers.ts';

const dot = { decimal: '.', thousands: '' } as const;

describe('detect: what a file is (sniffBytes)', () => {
  const ok: [string, Buffer, string, string, boolean][] = [
    ['CSV in UTF-8', Buffer.from('a,b\n1,2\n'), 'csv', 'utf-8', false],
    ['CSV with a UTF-8 BOM', Buffer.from('\uFEFFa,b\r\n1,2\r\n'), 'csv', 'utf-8', true],
    ['latin1 bytes', Buffer.from('name;city\nM\xfcller;K\xf6ln\n', 'latin1'), 'csv', 'windows-1252', false],
    ['NDJSON', Buffer.from('{"a":1}\n{"a":2}\n'), 'ndjson', 'utf-8', false],
    ['Parquet', Buffer.from('PAR1\x15\x04', 'latin1'), 'parquet', 'utf-8', false],
    ['UTF-8 cut inside a character', Buffer.from('a,b\nx,\xc3', 'latin1'), 'csv', 'utf-8', false],
    ['one stray latin1 byte among UTF-8 text', Buffer.concat([Buffer.from('a,b\nCafé,Müller,Köln\n'), Buffer.from('Caf\xe9,x\n', 'latin1')]), 'csv', 'utf-8', false],
  ];
  for (const [what, bytes, format, encoding, bom] of ok) {
    it(what, () => {
      const s = sniffBytes(bytes, 'f');
      assert.deepEqual([s.format, s.encoding, s.bom], [format, encoding, bom]);
    });
  }
  it('CR LF line ends', () => assert.equal(sniffBytes(Buffer.from('a,b\r\n1,2\r\n'), 'f').crlf, true));
  const binary: [string, Buffer, RegExp][] = [
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), /gzip/],
    ['xlsx', Buffer.from('PK\x03\x04\x14\x00', 'latin1'), /ZIP archive \(an \.xlsx workbook/],
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), /PNG/],
    ['NUL bytes', Buffer.from([0x61, 0x00, 0x62, 0xfe, 0xfa]), /NUL bytes/],
    ['UTF-16', Buffer.from([0xff, 0xfe, 0x61, 0x00]), /UTF-16/],
    ['control characters', Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 2 : 0x41))), /control characters/],
  ];
  for (const [what, bytes, re] of binary) {
    it(`refuses ${what}, saying what it looks like without echoing the bytes`, () => {
      assert.throws(() => sniffBytes(bytes, 'in.csv'), (e: Error) => {
        assert.ok(e instanceof DetectError);
        assert.match(e.message, /^in\.csv is not a CSV\/NDJSON\/Parquet file/);
        assert.match(e.message, re);
        assert.ok(![...e.message].some((ch) => ch.charCodeAt(0) < 32), 'no raw bytes in the message');
        return true;
      });
    });
  }
});

describe('detect: records and delimiters', () => {
  const splits: [string, string, string, string[][]][] = [
    ['quoted delimiter and doubled quote', 'a,"b,c",""\r\n"x""y",2,3\n', ',', [['a', 'b,c', ''], ['x"y', '2', '3']]],
    ['empty lines skipped', 'a;b\n\n1;2\n', ';', [['a', 'b'], ['1', '2']]],
    ['runs of whitespace, leading and trailing ignored', ' 00004 0001 19970101  2\t  29.33\r\n 1  2 \n', 'whitespace', [['00004', '0001', '19970101', '2', '29.33'], ['1', '2']]],
    ['a quoted value with spaces in whitespace mode', 'a "b c" d\n', 'whitespace', [['a', 'b c', 'd']]],
    ['multi-character delimiter', 'a||b||c\n1||2|x||3\n', '||', [['a', 'b', 'c'], ['1', '2|x', '3']]],
  ];
  for (const [what, text, d, want] of splits) it(`splits: ${what}`, () => assert.deepEqual(splitRecords(text, d), want));
  it('drops a last record the sample may have cut off', () => {
    assert.deepEqual(splitRecords('a,b\n1,2\n3,', ',', { truncated: true }), [['a', 'b'], ['1', '2']]);
    assert.deepEqual(splitRecords('a,b\n1,"2\n3', ',', { truncated: false }), [['a', 'b']]);
  });

  const dialects: [string, string, string, number][] = [
    ['comma', 'id,name,amount\n1,"Doe, J",2.50\n2,X,3\n', ',', 3],
    ['semicolon with decimal commas', 'Nr;Betrag;Menge\n1;12,50;2\n2;1.234,00;1\n', ';', 3],
    ['tab', 'a\tb c\td\n1\t2 3\t4\n', '\t', 3],
    ['pipe', 'a|b\n1|2\n', '|', 2],
    ['double pipe', 'a||b||c\n1||2||3\n', '||', 3],
    ['CDNOW-like aligned columns with one stray tab', ' 00004 0001 19970101  2\t  29.33\r\n 00004 0001 19970118  2   29.73\r\n 00021 0002 19970101  3   63.34\r\n', 'whitespace', 5],
  ];
  for (const [what, text, delimiter, columns] of dialects) {
    it(`delimiter: ${what}`, () => {
      const d = guessDialect(text);
      assert.deepEqual([d.delimiter, d.columns], [delimiter, columns]);
    });
  }
});

describe('detect: dates', () => {
  const cases: [string, string[], { allowEpoch?: boolean; preferDayFirst?: boolean }, string | undefined, 'high' | 'low' | undefined][] = [
    ['YYYYMMDD', ['19970101', '19980630'], {}, 'YYYYMMDD', 'high'],
    ['ISO dates and times', ['2024-03-01', '2024-03-01T10:00:00Z', '2024-03-01 10:00'], {}, 'ISO', 'high'],
    ['ISO with a spaced offset (Shopify)', ['2024-03-01 10:00:00 +0100'], {}, 'YYYY-MM-DD HH:mm:ss Z', 'high'],
    ['DD.MM.YYYY', ['03.01.2024', '29.02.2024'], {}, 'DD.MM.YYYY', 'high'],
    ['DD.MM.YYYY HH:mm, some without time', ['03.01.2024 09:15', '29.02.2024'], {}, 'DD.MM.YYYY HH:mm', 'high'],
    ['month first, decided by a day above 12', ['3/1/2024', '12/31/2024'], {}, 'MM/DD/YYYY', 'high'],
    ['day first, decided by a day above 12', ['13/1/2024', '1/12/2024'], {}, 'DD/MM/YYYY', 'high'],
    ['ambiguous: month first by default', ['3/1/2024', '1/12/2024'], {}, 'MM/DD/YYYY', 'low'],
    ['ambiguous: day first in a European file', ['3/1/2024', '1/12/2024'], { preferDayFirst: true }, 'DD/MM/YYYY', 'low'],
    ['12-hour clock', ['3/14/2024 1:05 PM'], {}, 'MM/DD/YYYY h:mm A', 'high'],
    ['epoch seconds when the header says time', ['1709287200', '1709290800'], { allowEpoch: true }, 'epoch', 'high'],
    ['epoch milliseconds', ['1709287200000'], { allowEpoch: true }, 'epoch_ms', 'high'],
    ['ten digits without a time header are no date', ['1709287200'], {}, undefined, undefined],
    ['ids are no dates', ['00004', '00021'], {}, undefined, undefined],
    ['an impossible date', ['2024-02-30'], {}, undefined, undefined],
    ['the format that fits all beats one that tolerates a misfit', ['05.01.2024', '06.01.2024 14:30', '07.01.2024', '08.01.2024'], {}, 'DD.MM.YYYY HH:mm', 'high'],
    ['one bad value in a column does not hide its format', ['2024-01-05 10:00:00', '2024-13-45', '2024-02-01 09:00:00', '2024-02-02 09:00:00'], {}, 'ISO', 'high'],
  ];
  for (const [what, values, opts, format, sure] of cases) {
    it(what, () => {
      const g = guessDateFormat(values, opts);
      assert.equal(g?.format, format);
      assert.equal(g?.sure, sure);
    });
  }
});

describe('detect: numbers and column kinds', () => {
  const numbers: [string[], string, string][] = [
    [['12,50', '1.234,50', '3'], ',', '.'],
    [['29.33', '1,234.00'], '.', ','],
    [['19,99', '7,45'], ',', ''],
    [['1 234,50'], ',', ' '],
    // Could be either: read as a thousands comma (a price is rarely written to three decimals), and the draft says how to read it as 1.234.
    [['1,234'], '.', ','],
    [['1,234', '2,5'], ',', ''], // a decimal comma elsewhere: "1,234" is 1.234
    [['abc', '2024-01-01'], '.', ''],
  ];
  for (const [values, decimal, thousands] of numbers) {
    it(`numbers ${values.join(' ')} → decimal "${decimal}", thousands "${thousands}"`, () => {
      const g = guessNumberFormat(values);
      assert.deepEqual([g.decimal, g.thousands], [decimal, thousands]);
    });
  }
  const kinds: [string, string[], ColumnKind, { decimal: '.' | ','; thousands: '' | '.' | ',' }?][] = [
    ['customer', ['00004', '00021'], 'id'],
    ['qty', ['1', '2', '5', '3'], 'int'],
    ['Order ID', ['10001', '10002'], 'id'],
    ['amount', ['29.33', '1.5', '3'], 'decimal'],
    ['Betrag', ['1.249,00', '19,99'], 'decimal', { decimal: ',', thousands: '.' }],
    ['mail', ['a@b.de', 'x.y@z.com'], 'email'],
    ['tel', ['+49 30 5550101', '(030) 555-0202'], 'phone'],
    ['cur', ['usd', 'usd', 'eur'], 'currency'],
    ['flag', ['true', 'false', 'true'], 'boolean'],
    ['status', ['paid', 'paid', 'refunded', 'paid', 'paid', 'paid'], 'enum'],
    ['sku', ['A-1', 'B-2', 'C-3'], 'id'],
    ['note', ['hello there', 'a longer text', 'more words'], 'text'],
    ['created', ['2024-01-01 10:00', '2024-01-02 11:00'], 'datetime'],
    ['day', ['19970101', '19970102'], 'date'],
    ['empty', ['', ' '], 'empty'],
  ];
  for (const [header, values, kind, numbersFmt] of kinds) {
    it(`column "${header}" ${JSON.stringify(values)} → ${kind}`, () => assert.equal(guessColumn(header, values, { numbers: numbersFmt ?? dot }).kind, kind));
  }
});

describe('detect: header or not', () => {
  const cases: [string, string[][], boolean][] = [
    ['names over numbers', [['id', 'amount'], ['1', '2.5'], ['2', '3']], true],
    ['a number in the first line', [['00004', '0001', '19970101'], ['00005', '0002', '19970102']], false],
    ['a date in the first line', [['C-1', '2024-01-05 10:12:00'], ['C-2', '2024-01-06 11:00:00']], false],
    ['all text, names not repeated below', [['name', 'city'], ['Ann', 'Berlin'], ['Bo', 'Oslo']], true],
    ['all text, first values repeated below', [['Ann', 'Berlin'], ['Ann', 'Oslo']], false],
    ['names over e-mails', [['who', 'mail'], ['Ann', 'a@b.de'], ['Bo', 'b@b.de']], true],
  ];
  for (const [what, records, header] of cases) it(what, () => assert.equal(guessHeader(records, { numbers: dot }).header, header));
});

describe('detect: entity and mapping draft for real export layouts', () => {
  const cases: {
    file: string;
    entity: string;
    source: string;
    fields: Record<string, string>;
    extra?: (m: ReturnType<typeof proposeMapping>['mapping']) => void;
  }[] = [
    {
      file: 'headerless.csv',
      entity: 'transactions',
      source: 'headerless',
      fields: {},
      extra: (m) => {
        assert.deepEqual(m.csv?.names, ['customer_ref', 'order_date', 'column_3', 'quantity', 'amount']);
        assert.equal(m.csv?.header, false);
        assert.deepEqual(m.ignore, ['column_3']);
        assert.deepEqual(m.orders, { by: 'customer_timestamp' });
        assert.deepEqual(m.constants, { status: 'completed' });
      },
    },
    {
      file: 'whitespace.txt',
      entity: 'transactions',
      source: 'whitespace',
      fields: { customer_id: 'customer_ref', order_date: 'order_date', items: 'quantity', amount: 'amount' },
      extra: (m) => {
        assert.equal(m.csv?.delimiter, 'whitespace');
        assert.deepEqual(m.dates, { order_date: 'MM/DD/YYYY' });
      },
    },
    {
      file: 'german-semicolon.csv',
      entity: 'transactions',
      source: 'german-semicolon',
      fields: { Bestellnr: 'order_id', Kundennr: 'customer_ref', Bestelldatum: 'order_date', Status: 'status', Betrag: 'amount', Menge: 'quantity', Artikel: 'product_id', Artikelname: 'product_name', Kategorie: 'category' },
      extra: (m) => {
        assert.deepEqual(m.csv, { delimiter: ';', quote: '"', encoding: 'windows-1252' });
        assert.deepEqual(m.numbers, { decimal: ',', thousands: '.' });
        assert.deepEqual(m.dates, { order_date: 'DD.MM.YYYY HH:mm' });
        assert.deepEqual(m.values, { status: { Abgeschlossen: 'completed', Erstattet: 'refunded', Storniert: 'cancelled' } });
      },
    },
    {
      file: 'excel-bom-crlf.csv',
      entity: 'transactions',
      source: 'excel-bom-crlf',
      fields: { 'Order ID': 'order_id', 'Customer ID': 'customer_ref', 'Order Date': 'order_date', Product: 'product_name', Quantity: 'quantity', Amount: 'amount', Status: 'status' },
      extra: (m) => {
        assert.deepEqual(m.numbers, { decimal: '.', thousands: ',' });
        assert.deepEqual(m.dates, { order_date: 'MM/DD/YYYY HH:mm' });
        assert.ok(m.$comment.some((c) => /with BOM, CR LF/.test(c)));
      },
    },
    {
      file: 'shopify-orders.csv',
      entity: 'transactions',
      source: 'shopify',
      fields: { Name: 'order_id', Email: 'customer_ref', 'Financial Status': 'status', 'Created at': 'order_date', 'Lineitem price': 'unit_price', 'Lineitem quantity': 'quantity', Currency: 'currency' },
      extra: (m) => {
        assert.equal(m.columns?.Total, undefined); // order-level: the line's amount is Lineitem price × quantity
        assert.ok(m.$comment.some((c) => /"Lineitem price" is the price of one unit/.test(c)));
        assert.deepEqual(m.constants, { status: 'completed' }); // the order's later lines have no Financial Status
        assert.equal(m.values?.status?.voided, 'cancelled');
        assert.deepEqual(m.currency, { default: 'EUR' });
        assert.ok(m.ignore?.includes('Payment ID') && m.ignore.includes('Id') && m.ignore.includes('Total'));
      },
    },
    {
      file: 'stripe-charges.csv',
      entity: 'transactions',
      source: 'stripe',
      fields: { id: 'transaction_id', 'Customer ID': 'customer_ref', 'Created (UTC)': 'order_date', Amount: 'amount', 'Amount Refunded': 'refunded_amount', Currency: 'currency', Status: 'status' },
      extra: (m) => {
        assert.deepEqual(m.values, { status: { Paid: 'completed', Failed: 'cancelled' } });
        assert.deepEqual(m.currency, { default: 'USD', base: 'USD' });
      },
    },
    {
      file: 'hubspot-contacts.csv',
      entity: 'customers',
      source: 'hubspot',
      fields: { 'Record ID': 'source_id', Email: 'email', 'Phone Number': 'phone', 'Company Name': 'company', 'Create Date': 'signup_date', 'Country/Region': 'country', 'Original Source': 'acquisition_channel' },
    },
    {
      file: 'hubspot-deals.csv',
      entity: 'opportunities',
      source: 'hubspot',
      fields: { 'Record ID': 'opportunity_id', 'Deal Stage': 'status', Amount: 'amount', 'Create Date': 'created_at', 'Close Date': 'closed_at', 'Associated Contact IDs': 'customer_ref' },
      extra: (m) => assert.deepEqual(m.values?.status, { 'Closed Won': 'won', 'Closed Lost': 'lost', 'Contract Sent': 'open', 'Appointment Scheduled': 'open' }),
    },
    {
      file: 'salesforce-contacts.csv',
      entity: 'customers',
      source: 'salesforce',
      fields: { 'Contact ID': 'source_id', Email: 'email', Phone: 'phone', 'Account Name': 'company', 'Created Date': 'signup_date' },
      extra: (m) => assert.deepEqual(m.dates, { signup_date: 'MM/DD/YYYY' }),
    },
    {
      file: 'salesforce-opportunities.csv',
      entity: 'opportunities',
      source: 'salesforce',
      fields: { Id: 'opportunity_id', ContactId: 'customer_ref', StageName: 'status', Amount: 'amount', CreatedDate: 'created_at', CloseDate: 'closed_at', LastModifiedDate: 'updated_at' },
    },
  ];
  cases.push({
    file: 'online-retail.csv',
    entity: 'transactions',
    source: 'online-retail',
    fields: { InvoiceNo: 'order_id', StockCode: 'product_id', Description: 'product_name', Quantity: 'quantity', InvoiceDate: 'order_date', UnitPrice: 'unit_price', CustomerID: 'customer_ref' },
    extra: (m) => {
      assert.deepEqual(m.dates, { order_date: 'MM/DD/YYYY HH:mm' });
      assert.deepEqual(m.ignore, ['Country']);
      assert.deepEqual(m.constants, { status: 'completed' });
      assert.ok(m.$comment.some((c) => c.startsWith('amount: "UnitPrice" is the price of one unit; each line\'s amount is "UnitPrice" × "Quantity"')));
      assert.ok(m.$comment.some((c) => /^customer_ref: "CustomerID" is empty on 7 sampled rows/.test(c)));
      assert.ok(m.$comment.some((c) => /^7 sampled rows have a negative unit_price or quantity: return\/credit lines .*loaded as status credit/.test(c)));
      assert.deepEqual(m.credits, { sign: true });
      assert.ok(m.$comment.some((c) => c.startsWith('customer_ref: "CustomerID" writes whole numbers as decimals ("17850.0"); they are kept as written, so a file that writes 17850 names another record')));
      assert.ok(!m.$comment.some((c) => /MISSING/.test(c)));
    },
  });
  for (const c of cases) {
    it(`${c.file} → ${c.entity} from ${c.source}`, async () => {
      const draft = proposeMapping(await readSample(fixture(`exports/${c.file}`)));
      assert.equal(draft.entity, c.entity);
      assert.equal(draft.entitySure, true);
      assert.equal(draft.mapping.source, c.source);
      for (const [header, field] of Object.entries(c.fields)) assert.equal(draft.mapping.columns?.[header], field, `${header} → ${field}`);
      c.extra?.(draft.mapping);
    });
  }
  for (const [file, entity] of [
    ['interactions.ndjson', 'interactions'],
    ['customers-support.ndjson', 'customers'],
  ] as const) {
    it(`NDJSON ${file} → ${entity}, canonical keys kept`, async () => {
      const draft = proposeMapping(await readSample(fixture(file)));
      assert.equal(draft.entity, entity);
      assert.equal(draft.mapping.format, 'ndjson');
      assert.equal(draft.mapping.csv, undefined);
      for (const [key, field] of Object.entries(draft.mapping.columns ?? {})) if (key !== 'external_ids') assert.equal(key, field);
      const run = await dryRun(fixture(file), draft.entity, draft.mapping);
      assert.equal(run.error, undefined);
      assert.ok(run.valid > 0);
    });
  }
  it('a unit price: "Price" beside a quantity is per unit, alone it is the amount; German Einzelpreis', () => {
    const table = (names: string[], rows: string[][]) => ({ file: 'orders.csv', format: 'csv' as const, names, header: true, rows });
    const rows = [['A1', 'C1', '2024-01-05', '3', '2.50'], ['A2', 'C2', '2024-01-06', '1', '9.99']];
    const withQty = proposeMapping(table(['Order', 'Customer', 'Date', 'Qty', 'Price'], rows)).mapping;
    assert.deepEqual([withQty.columns?.Price, withQty.columns?.Qty], ['unit_price', 'quantity']);
    const alone = proposeMapping(table(['Order', 'Customer', 'Date', 'Price'], rows.map((r) => [r[0], r[1], r[2], r[4]]))).mapping;
    assert.equal(alone.columns?.Price, 'amount');
    const both = proposeMapping(table(['Order', 'Customer', 'Date', 'Qty', 'Price', 'Total'], rows.map((r) => [...r, '7.50']))).mapping;
    assert.deepEqual([both.columns?.Price, both.columns?.Total], ['unit_price', 'amount']);
    assert.ok(both.$comment.some((c) => /^amount: from "Total"; "Price" \(unit price × "Qty"\) fills only rows where it is empty/.test(c)));
    const de = proposeMapping(table(['Bestellnr', 'Kundennr', 'Datum', 'Menge', 'Einzelpreis'], rows)).mapping;
    assert.deepEqual([de.columns?.Einzelpreis, de.columns?.Menge], ['unit_price', 'quantity']);
  });
  it('--entity overrides the guess', async () => {
    const draft = proposeMapping(await readSample(fixture('exports/hubspot-contacts.csv')), { entity: 'interactions' });
    assert.equal(draft.entity, 'interactions');
    assert.ok(draft.mapping.$comment.some((c) => /MISSING required/.test(c)));
  });
  it('a file in the base currency keeps the base', async () => {
    const draft = proposeMapping(await readSample(fixture('exports/stripe-charges.csv')), { baseCurrency: 'USD' });
    assert.deepEqual(draft.mapping.currency, { default: 'USD' });
  });
});

describe('detect: dry run through the load path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'detect-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('previews rows as stored and reports the rejects a load would produce, by line and field', async () => {
    const file = join(dir, 'orders.csv');
    writeFileSync(file, 'line_id,order,customer,date,amount,status\nL1,O1,C1,2024-01-05,10.50,paid\nL2,O2,C2,2024-13-45,5,paid\nL3,O3,C3,2024-01-07,-3,refunded\nL4,O4,C1,2024-01-08,7.25,paid\n');
    const draft = proposeMapping(await readSample(file));
    assert.equal(draft.entity, 'transactions');
    const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 5 });
    assert.equal(run.error, undefined);
    assert.deepEqual([run.checked, run.valid, run.rejectedRows], [4, 3, 1]);
    // The negative amount is a credit line: the draft loads it as one ("credits": {"sign": true}).
    assert.deepEqual(run.preview.map((r) => [r.order_id, r.customer_ref, r.amount, r.status]), [['O1', 'C1', '10.50', 'completed'], ['O3', 'C3', '3.00', 'credit'], ['O4', 'C1', '7.25', 'completed']]);
    assert.equal(run.preview[0].order_date, '2024-01-05 00:00:00');
    assert.deepEqual(run.rejects.map((r) => [r.line, r.field]), [[3, 'order_date']]);
    const { credits: _, ...strict } = draft.mapping;
    const refused = await dryRun(file, draft.entity, strict, { previewRows: 5 });
    assert.deepEqual(refused.rejects.map((r) => [r.line, r.field]), [[3, 'order_date'], [4, 'amount']]);
    assert.match(refused.rejects[1].reason, /^line 4, field amount: "-3" is negative: a return or credit line .*set "credits": \{"sign": true\} in the mapping/);
  });
  // Session 13: a headerless file mapped only whole-number columns to quantity, and took the last
  // decimal column as the amount: hours (7.5) were left out, or read as the amount when after it.
  it('headerless: decimal quantities written unlike the amounts map to quantity, before or after the amount', async () => {
    const rows = [
      ['C-1', '2024-01-05 10:00:00', '7.5', '675.00'],
      ['C-2', '2024-01-06 11:00:00', '8', '720.00'],
      ['C-1', '2024-01-07 09:00:00', '0.25', '22.50'],
      ['C-3', '2024-01-08 15:30:00', '3.75', '1,337.50'],
    ];
    const draftOf = async (name: string, lines: string[][]) => {
      const file = join(dir, name);
      writeFileSync(file, lines.map((r) => r.map((v) => (v.includes(',') ? `"${v}"` : v)).join(',')).join('\n') + '\n');
      const draft = proposeMapping(await readSample(file));
      const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 5 });
      return { draft, preview: run.preview.map((r) => [r.customer_ref, r.quantity, r.amount]), rejects: run.rejects };
    };
    const want = [['C-1', '7.5', '675.00'], ['C-2', '8', '720.00'], ['C-1', '0.25', '22.50'], ['C-3', '3.75', '1337.50']];
    const before = await draftOf('hours.csv', rows);
    assert.equal(before.draft.entity, 'transactions');
    assert.deepEqual(before.draft.mapping.csv?.names, ['customer_ref', 'order_date', 'quantity', 'amount']);
    assert.ok(before.draft.mapping.$comment.some((c) => /^quantity: column 3 holds decimals written unlike the amounts .*column 4 writes two decimals/.test(c)), before.draft.mapping.$comment.join('\n'));
    assert.deepEqual([before.preview, before.rejects], [want, []]);
    const after = await draftOf('hours-last.csv', rows.map((r) => [r[0], r[1], r[3], r[2]]));
    assert.deepEqual(after.draft.mapping.csv?.names, ['customer_ref', 'order_date', 'amount', 'quantity']);
    assert.deepEqual([after.preview, after.rejects], [want, []]);
    // A decimal column written as money (a unit price, 90.00) is no quantity: left out, the amount is the last.
    const priced = await draftOf('priced.csv', rows.map((r) => [r[0], r[1], '90.00', r[3]]));
    assert.deepEqual(priced.draft.mapping.csv?.names, ['customer_ref', 'order_date', 'column_3', 'amount']);
    // Amounts not written with two decimals: nothing tells hours from money, no quantity guessed.
    const plain = await draftOf('plain.csv', rows.map((r) => [r[0], r[1], r[2], r[3].replace(/\.?0+$/, '').replace(',', '')]));
    assert.deepEqual(plain.draft.mapping.csv?.names, ['customer_ref', 'order_date', 'column_3', 'amount']);
  });
  it('unit price × quantity, and credit lines by sign or by an order-number prefix, as the load stores them', async () => {
    const file = join(dir, 'invoices.csv');
    writeFileSync(
      file,
      'Invoice,Customer,Date,Qty,Price\nI1,C1,2024-01-05,3,0.065\nI1,C1,2024-01-05,1000,0.065\nC2,C1,2024-01-06,-2,4.995\nC3,C2,2024-01-07,1,5\nI4,C2,2024-01-08,2,-1.5\n',
    );
    const base = { source: 'inv', columns: { Invoice: 'order_id', Customer: 'customer_ref', Date: 'order_date', Qty: 'quantity', Price: 'unit_price' }, constants: { status: 'completed' } };
    const shown = (m: object) => dryRun(file, 'transactions', m).then((r) => [r.preview.map((p) => [p.order_id, p.status, p.amount, p.quantity]), r.rejects.map((x) => [x.line, x.field])]);
    // Without "credits": negative lines are refused; 0.065 × 3 = 0.195 → 0.20, × 1000 = 65.00.
    assert.deepEqual(await shown(base), [[['I1', 'completed', '0.20', '3'], ['I1', 'completed', '65.00', '1000'], ['C3', 'completed', '5.00', '1']], [[4, 'quantity'], [6, 'unit_price']]]);
    // By sign: magnitudes, status credit (4.995 × 2 = 9.99; 1.5 × 2 = 3.00).
    assert.deepEqual((await shown({ ...base, credits: { sign: true } }))[0], [['I1', 'completed', '0.20', '3'], ['I1', 'completed', '65.00', '1000'], ['C2', 'credit', '9.99', '2'], ['C3', 'completed', '5.00', '1'], ['I4', 'credit', '3.00', '2']]);
    // By prefix alone: C3 (positive) is a credit; the negative lines are still refused.
    const byPrefix = await shown({ ...base, credits: { orderPrefix: 'C' } });
    assert.deepEqual(byPrefix[0], [['I1', 'completed', '0.20', '3'], ['I1', 'completed', '65.00', '1000'], ['C3', 'credit', '5.00', '1']]);
  });
  it('stops after the rows it was asked to check', async () => {
    const file = join(dir, 'many.csv');
    writeFileSync(file, `transaction_id,customer,date,amount\n${Array.from({ length: 50 }, (_, i) => `T${i},C${i % 7},2024-01-0${1 + (i % 9)},${i}.00`).join('\n')}\n`);
    const draft = proposeMapping(await readSample(file));
    const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 3, checkRows: 20 });
    assert.deepEqual([run.checked, run.valid, run.preview.length], [20, 20, 3]);
  });
  it('a header naming a column twice gets csv.names that tell them apart, and loads', async () => {
    const file = join(dir, 'dup.csv');
    writeFileSync(file, 'id,customer,date,amount,Phone,Phone,\nT1,C1,2024-01-05,10.50,+49 30 1,+49 30 2,x\nT2,C2,2024-01-06,3.00,+49 30 3,+49 30 4,y\n');
    const draft = proposeMapping(await readSample(file));
    assert.deepEqual(draft.mapping.csv?.names, ['id', 'customer', 'date', 'amount', 'Phone', 'Phone (2)', 'column_7']);
    assert.equal(draft.mapping.columns?.id, 'transaction_id');
    const run = await dryRun(file, draft.entity, draft.mapping);
    assert.deepEqual([run.error, run.valid, run.preview.map((r) => r.transaction_id)], [undefined, 2, ['T1', 'T2']]);
  });
  it('reads a bounded head, unpacking .gz as a stream', async () => {
    const big = join(dir, 'big.csv.gz');
    const text = `id,amount\n${Array.from({ length: 200_000 }, (_, i) => `T${i},${i}.50`).join('\n')}\n`;
    writeFileSync(big, gzipSync(text));
    const head = await readHead(big, 65_536);
    assert.deepEqual([head.bytes.length, head.whole], [65_536, false]);
    assert.equal(head.bytes.toString(), text.slice(0, 65_536));
    const small = join(dir, 'small.csv.gz');
    writeFileSync(small, gzipSync('a,b\n1,2\n'));
    const all = await readHead(small, 65_536);
    assert.deepEqual([all.bytes.toString(), all.whole], ['a,b\n1,2\n', true]);
  });
  it('the malformed-rows fixture: its columns are still found, and every bad row shows as the load would reject it', async () => {
    const file = fixture('transactions-malformed.csv');
    const draft = proposeMapping(await readSample(file));
    assert.equal(draft.mapping.columns?.order_date, 'order_date');
    const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 20 });
    assert.deepEqual([run.checked, run.valid], [15, 6]);
    // B7's "shipped" is mapped to completed by the draft; B10's latin1 byte among UTF-8 rows is a reject;
    // B3's negative quantity and B4's negative amount are credit lines the draft loads as such.
    assert.deepEqual(run.preview.map((r) => [r.transaction_id, r.status]), [['B1', 'completed'], ['B3', 'credit'], ['B4', 'credit'], ['B7', 'completed'], ['B9', 'completed'], ['B14', 'completed']]);
    assert.equal(run.preview[5].product_name, 'Café ok');
    assert.ok(run.rejects.some((r) => r.line === 3 && r.field === 'order_date'));
    assert.ok(run.rejects.some((r) => r.line === 14 && r.field === 'currency'));
  });
  it('"skip" leaves non-product lines out: neither shown nor rejected, counted', async () => {
    const file = fixture('exports/online-retail.csv');
    const draft = proposeMapping(await readSample(file));
    const codes = ['POST', 'DOT', 'M', 'D', 'B'];
    const run = await dryRun(file, draft.entity, { ...draft.mapping, skip: { product_id: codes } }, { previewRows: 100 });
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    const skipped = lines.filter((l) => codes.includes(l.split(',')[1]));
    assert.deepEqual([run.checked, run.skipped], [lines.length, skipped.length]);
    assert.equal(run.valid + run.rejectedRows + run.skipped, run.checked);
    assert.ok(!run.preview.some((r) => codes.includes(r.product_id)));
    assert.ok(!run.rejects.some((r) => /Adjust bad debt|DOTCOM/.test(r.raw)));
  });
  it('a time with an offset previews as its UTC instant, and the report says which day it counts on', async () => {
    const file = join(dir, 'orders_export.csv');
    // Shopify's spelling: a space before the offset. 23:30 in New York on 31 January is 1 February, 04:30 UTC.
    writeFileSync(file, 'Name,Email,Financial Status,Created at,Currency,Lineitem name,Lineitem price,Lineitem quantity\n#1001,a@example.com,paid,2024-01-31 23:30:00 -0500,USD,Thing,10.00,1\n#1002,b@example.com,paid,2024-02-01 07:59:00 -0500,USD,Thing,20.00,1\n');
    const draft = proposeMapping(await readSample(file));
    const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 5 });
    assert.deepEqual(run.preview.map((r) => r.order_date), ['2024-02-01 04:30:00', '2024-02-01 12:59:00']);
    const text = report(file, draft, run, undefined);
    assert.match(text, /Times are in UTC, the reporting time zone: each row counts on the UTC day shown/);
    // A file of days only has no times to explain.
    const days = join(dir, 'days.csv');
    writeFileSync(days, 'line_id,order,customer,date,amount,status\nL1,O1,C1,2024-01-05,10.50,paid\n');
    const dayDraft = proposeMapping(await readSample(days));
    assert.doesNotMatch(report(days, dayDraft, await dryRun(days, dayDraft.entity, dayDraft.mapping, { previewRows: 5 }), undefined), /Times are in UTC/);
  });

  it('a draft the load cannot use says why instead of previewing', async () => {
    const run = await dryRun(fixture('exports/stripe-charges.csv'), 'transactions', { columns: { id: 'no_such_field' } });
    assert.match(run.error ?? '', /no_such_field/);
  });
});
