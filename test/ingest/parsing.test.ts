import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { externalKeys, parseExternalIds } from '../../ingest/identity/external-ids.ts';
import { customerIdFor, isCustomerId } from '../../ingest/identity/customer-id.ts';
import { normalizeEmail } from '../../ingest/identity/normalize-email.ts';
import { normalizePhone } from '../../ingest/identity/normalize-phone.ts';
import { OutBuffer } from '../../ingest/load/out-buffer.ts';
import { firstInvalidUtf8 } from '../../ingest/core/reasons.ts';
import { CsvParser } from '../../ingest/sources/csv-parser.ts';
import { compileDateFormat, newDateParts, parseIso, toDays, toEpochSeconds } from '../../ingest/validate/parse-date.ts';
import { parseCents, parseInteger, parseScaled, timesToCents } from '../../ingest/validate/parse-number.ts';

const b = (s: string): Buffer => Buffer.from(s);

describe('dates', () => {
  const cases: [string, string, string | null][] = [
    ['ISO', '2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['ISO', '2023-02-29', null],
    ['ISO', '2024-13-45', null],
    ['ISO', '2024-01-01 10:20', '2024-01-01T10:20:00.000Z'],
    ['ISO', '2024-01-01T10:20:30Z', '2024-01-01T10:20:30.000Z'],
    ['ISO', '2024-01-01T10:20:30.123+02:00', '2024-01-01T08:20:30.000Z'],
    ['ISO', '2024-01-01T10:20:30-0530', '2024-01-01T15:50:30.000Z'],
    ['ISO', '2024-01-01x', null],
    ['DD.MM.YYYY', '31.12.2023', '2023-12-31T00:00:00.000Z'],
    ['DD.MM.YYYY', '1.2.2024', '2024-02-01T00:00:00.000Z'],
    ['DD.MM.YYYY', '2024-01-08', null],
    ['MM/DD/YYYY HH:mm', '12/31/2023 23:59', '2023-12-31T23:59:00.000Z'],
    ['MM/DD/YYYY HH:mm', '12/31/2023', '2023-12-31T00:00:00.000Z'],
    ['MM/DD/YYYY hh:mm A', '01/02/2024 03:04 PM', '2024-01-02T15:04:00.000Z'],
    ['YYYYMMDD', '20240131', '2024-01-31T00:00:00.000Z'],
    ['D.M.YY', '5.6.24', '2024-06-05T00:00:00.000Z'],
    ['epoch', '1700000000', '2023-11-14T22:13:20.000Z'],
    ['epoch_ms', '1700000000123', '2023-11-14T22:13:20.000Z'],
  ];
  for (const [format, value, expected] of cases) {
    it(`${format}: ${value}`, () => {
      const parse = format === 'ISO' ? parseIso : compileDateFormat(format);
      const p = newDateParts();
      const v = b(value);
      const ok = parse(v, 0, v.length, p);
      assert.equal(ok ? new Date(toEpochSeconds(p) * 1000).toISOString() : null, expected);
    });
  }
  it('a date keeps its calendar day whatever the offset', () => {
    const p = newDateParts();
    const v = b('2024-01-01T23:30:00-05:00');
    assert.ok(parseIso(v, 0, v.length, p));
    assert.equal(toDays(p), 19723); // 2024-01-01
  });
  it('refuses formats without year, month and day', () => {
    assert.throws(() => compileDateFormat('MM/YYYY'), /needs a year/);
  });
});

describe('numbers', () => {
  const dot = { decimal: 46, thousands: -1 };
  const de = { decimal: 44, thousands: 46 };
  const cents: [string, typeof dot, number][] = [
    ['12.34', dot, 1234],
    ['12.345', dot, 1235],
    ['-0.005', dot, -1],
    ['.5', dot, 50],
    ['+7', dot, 700],
    ['1e5', dot, NaN],
    ['1,234.56', dot, NaN],
    ['', dot, NaN],
    ['1.234,56', de, 123456],
    ['12,5', de, 1250],
    ['99999999999999', dot, NaN],
  ];
  for (const [v, f, expected] of cents) it(`cents ${JSON.stringify(v)}`, () => assert.equal(parseCents(b(v), 0, v.length, f), expected));
  const ints: [string, number][] = [['3', 3], ['3.0', 3], ['3.5', NaN], ['-2', -2], ['', NaN], ['1,000', NaN]];
  for (const [v, expected] of ints) it(`integer ${JSON.stringify(v)}`, () => assert.equal(parseInteger(b(v), 0, v.length, dot), expected));
  // Unit prices to 6 places: more are rounded half away from zero; 10 integer digits would not be exact.
  const scaled: [string, typeof dot, number][] = [
    ['0.065', dot, 65000],
    ['2.55', dot, 2550000],
    ['18', dot, 18000000],
    ['0.0000005', dot, 1],
    ['-11062.06', dot, -11062060000],
    ['1.234,5', de, 1234500000],
    ['999999999.999999', dot, 999999999999999],
    ['1000000000', dot, NaN],
    ['2.5x', dot, NaN],
    ['', dot, NaN],
  ];
  for (const [v, f, expected] of scaled) it(`unit price ${JSON.stringify(v)}`, () => assert.equal(parseScaled(b(v), 0, v.length, f, 6), expected));
  // price × quantity in cents, rounded half away from zero, exact beyond 2^53 (the BigInt path).
  const times: [number, number, number][] = [
    [65000, 1000, 6500], // 0.065 × 1000 = 65.00, where a price rounded to cents first would give 70.00
    [195000, 3, 59], // 0.585 → 0.59
    [194999, 3, 58], // 0.584997 → 0.58
    [2550000, 6, 1530],
    [-65000, 1, -7], // -0.065 → -0.07 (away from zero)
    [0, 5, 0],
    [900000000005909, 11, 990000000006], // 9900000000064999e-6: a double would make it …65000 and round up
  ];
  for (const [price, qty, expected] of times) it(`${price}e-6 × ${qty} → ${expected} cents`, () => assert.equal(timesToCents(price, 6, qty), expected));
});

describe('TSV output', () => {
  it('writes numbers, dates, unix times and escapes', () => {
    const o = new OutBuffer(4);
    const parts: (() => void)[] = [
      () => o.uint(0),
      () => o.uint(9007199254740991),
      () => o.uint(1795431915255),
      () => o.cents(-5),
      () => o.cents(123456),
      () => o.date(0),
      () => o.date(19782),
      () => o.epoch(86400),
      () => o.epoch(4294967295),
      () => {
        const v = b('a\tb\\c\nd\re');
        o.escaped(v, 0, v.length);
      },
    ];
    parts.forEach((write, i) => {
      if (i > 0) o.byte(32);
      write();
    });
    assert.equal(o.bytes().toString(), '0 9007199254740991 1795431915255 -0.05 1234.56 1970-01-01 2024-02-29 0000086400 4294967295 a\\tb\\\\c\\nd\\re');
  });
});

describe('CSV parser', () => {
  function parse(text: string | Buffer, chunk = 3, delimiter = 44): { fields: string[]; line: number }[] {
    const out: { fields: string[]; line: number }[] = [];
    const p = new CsvParser(delimiter, 34, 8, {
      row(buf, starts, ends, count, line) {
        const fields: string[] = [];
        for (let i = 0; i < Math.min(count, 8); i++) fields.push(buf.toString('utf8', starts[i], ends[i]));
        out.push({ fields, line });
      },
      bad(line, detail) {
        out.push({ fields: [`BAD: ${detail}`], line });
      },
    });
    const data = Buffer.isBuffer(text) ? text : Buffer.from(text);
    // Small chunks: records and quoted fields cross chunk boundaries.
    for (let i = 0; i < data.length; i += chunk) p.push(data.subarray(i, i + chunk));
    p.finish();
    return out;
  }
  it('handles quotes, doubled quotes, newlines in quotes, CRLF, blank lines, BOM and a missing final newline', () => {
    const text = '\uFEFFa,b,c\r\n1,"x, y",""""\r\n\r\n2,"multi\nline",z\n3,,"q"\n4,"tail"x,5';
    for (const chunk of [1, 2, 3, 7, 1000]) {
      assert.deepEqual(parse(text, chunk), [
        { fields: ['a', 'b', 'c'], line: 1 },
        { fields: ['1', 'x, y', '"'], line: 2 },
        { fields: ['2', 'multi\nline', 'z'], line: 4 },
        { fields: ['3', '', 'q'], line: 6 },
        { fields: ['4', 'tailx', '5'], line: 7 },
      ], `chunk ${chunk}`);
    }
  });
  it('reports an unterminated quote at the end', () => {
    assert.deepEqual(parse('a,b\n1,"open\n'), [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['BAD: a quoted field is not closed before the end of the file'], line: 2 },
    ]);
  });
  it('chunks larger than the stitch (64 KiB): records cut at any point, one longer than the stitch', () => {
    // Records of every shape, and the expected fields written down as they are generated.
    const lines: string[] = [];
    const expected: { fields: string[]; line: number }[] = [];
    let line = 1;
    for (let i = 0; lines.join('').length < 600_000; i++) {
      const kind = i % 5;
      const long = i === 1234 ? 'L'.repeat(100_000) : `v${i}`;
      if (kind === 0) {
        lines.push(`${i},"q, ${i}","a""b"\r\n`);
        expected.push({ fields: [String(i), `q, ${i}`, 'a"b'], line });
        line++;
      } else if (kind === 1) {
        lines.push(`${i},"multi\nline ${long}",z\n`);
        expected.push({ fields: [String(i), `multi\nline ${long}`, 'z'], line });
        line += 2;
      } else if (kind === 2) {
        lines.push('\n');
        line++;
      } else {
        lines.push(`${i},${long},,end\n`);
        expected.push({ fields: [String(i), long, '', 'end'], line });
        line++;
      }
    }
    const text = lines.join('');
    for (const chunk of [65_537, 70_001, 131_072, 250_000]) assert.deepEqual(parse(text, chunk), expected, `chunk ${chunk}`);
  });
  it('reads tab-separated text', () => {
    assert.deepEqual(parse('a\tb\n1\t2\n', 4, 9), [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
  });
});

describe('UTF-8 check', () => {
  const cases: [number[], number][] = [
    [[0x61, 0xc3, 0xa9], -1],
    [[0x61, 0xe9, 0x62], 1],
    [[0xc3], 0],
    [[0xed, 0xa0, 0x80], 0], // surrogate
    [[0xf0, 0x9f, 0x98, 0x80], -1],
    [[0xc0, 0x80], 0], // overlong
  ];
  for (const [bytes, expected] of cases) it(bytes.map((x) => x.toString(16)).join(' '), () => assert.equal(firstInvalidUtf8(Buffer.from(bytes), 0, bytes.length), expected));
});

describe('identity keys', () => {
  const phones: [string, string, string][] = [
    ['+49 30 1234567', 'DE', '+49301234567'],
    ['+49 (0)30 1234567', 'DE', '+49301234567'],
    ['0049 (0) 30-1234567', 'FR', '+49301234567'],
    ['+44 (0)20 7946 0018', 'DE', '+442079460018'],
    ['030/1234567', 'DE', '+49301234567'],
    ['0049301234567', 'DE', '+49301234567'],
    ['+49 (30) 123-4567', 'US', '+49301234567'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['1-415-555-0100', 'US', '+14155550100'],
    ['+1 415 555 0100 ext. 5', 'DE', '+14155550100'],
    ['06 12345678', 'IT', '+390612345678'],
    ['12', 'DE', ''],
    ['n/a', 'DE', ''],
  ];
  for (const [raw, country, expected] of phones) it(`phone ${raw} (${country})`, () => assert.equal(normalizePhone(raw, country), expected));
  const emails: [string, string][] = [
    ['  Anna.Schmidt@Example.COM ', 'anna.schmidt@example.com'],
    ['Anna <anna@x.de>', 'anna@x.de'],
    ['mailto:A@b.co', 'a@b.co'],
    ['nope', ''],
    ['a@b', ''],
  ];
  for (const [raw, expected] of emails) it(`email ${JSON.stringify(raw)}`, () => assert.equal(normalizeEmail(raw), expected));
  it('external ids in both spellings', () => {
    assert.deepEqual([...parseExternalIds('{"Shop":"1001","crm":7}')], [['shop', '1001'], ['crm', '7']]);
    assert.deepEqual([...parseExternalIds('shop:1001; CRM:A-7')], [['shop', '1001'], ['crm', 'A-7']]);
    assert.throws(() => parseExternalIds('shop=1001'), /not system:id/);
    assert.deepEqual(externalKeys('Support', 'S-1', new Map([['shop', '1001']])), ['shop:1001', 'support:S-1']);
  });
  it('customer ids are fixed-length, readable and stable', () => {
    const id = customerIdFor('shop', '1001');
    assert.ok(isCustomerId(id), id);
    assert.equal(id.length, 14);
    assert.equal(id, customerIdFor('shop', '1001'));
    assert.notEqual(id, customerIdFor('shop', '1002'));
    assert.equal(id, 'C-45DGWCYJN6M5'); // pinned: changing the derivation would re-key every customer
  });
});
