import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { InputError } from '../../ingest/core/input-error.ts';
import { entitySpec } from '../../ingest/entities/index.ts';
import { compileMapping } from '../../ingest/mapping/compile.ts';
import { CsvReader } from '../../ingest/sources/csv-reader.ts';
import { NdjsonReader } from '../../ingest/sources/ndjson-reader.ts';
import { ParquetReader } from '../../ingest/sources/parquet-reader.ts';
import type { RowReader } from '../../ingest/sources/reader.ts';
import { describeNonText } from '../../ingest/sources/sniff-binary.ts';

const dir = mkdtempSync(join(tmpdir(), 'binary-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic "random" bytes (xorshift32): the same every run. */
function noise(n: number): Buffer {
  const b = Buffer.alloc(n);
  let s = 2463534242;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    b[i] = s & 0xff;
  }
  return b;
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise(900)]);
const ZIP = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), noise(900)]);

describe('binary input is refused, saying what it looks like', () => {
  const heads: [string, Buffer, RegExp | undefined][] = [
    ['csv text', Buffer.from('a,b\n1,2\n'), undefined],
    ['latin1 text', Buffer.from('name\nCaf\xe9\n', 'latin1'), undefined],
    ['tabs, CRLF and a form feed', Buffer.from('a\tb\r\n\f1\t2\r\n'), undefined],
    ['a DOS end-of-file mark', Buffer.from('a,b\r\n1,2\r\n\x1a'), undefined],
    ['gzip', gzipSync('a,b\n'), /^gzip-compressed data/],
    ['zip', ZIP, /^a ZIP archive/],
    ['png', PNG, /^a PNG image$/],
    ['parquet', Buffer.from('PAR1\x15\x04', 'latin1'), /^a Parquet file/],
    ['utf-16', Buffer.from('\ufeffa,b\n', 'utf16le'), /^UTF-16 text/],
    ['NUL bytes', Buffer.from('a,b\n\x00\x00\n'), /NUL bytes/],
    [
      'random bytes',
      Buffer.from(noise(4096).map((x) => (x === 0 ? 1 : x))),
      /^binary data: \d+ of its first 4096 bytes are control characters$/,
    ],
  ];
  for (const [name, head, expected] of heads) {
    it(`head: ${name}`, () => {
      const what = describeNonText(head);
      if (expected) assert.match(what ?? '', expected);
      else assert.equal(what, undefined);
    });
  }

  const tx = compileMapping(entitySpec('transactions'), {}, { env: {} });
  const readers: [string, Buffer, (f: string) => RowReader, RegExp][] = [
    [
      'a PNG named .csv',
      PNG,
      (f) => new CsvReader(f, tx, { gzip: false, tsv: false }),
      /is not a CSV\/NDJSON\/Parquet file \(it looks like a PNG image\)$/,
    ],
    [
      'a ZIP named .csv',
      ZIP,
      (f) => new CsvReader(f, tx, { gzip: false, tsv: false }),
      /\(it looks like a ZIP archive/,
    ],
    [
      'random bytes named .ndjson',
      noise(2000),
      (f) => new NdjsonReader(f, tx, { gzip: false }),
      /is not a CSV\/NDJSON\/Parquet file \(it looks like binary data/,
    ],
    [
      'gzip of a PNG named .csv.gz',
      gzipSync(PNG),
      (f) => new CsvReader(f, tx, { gzip: true, tsv: false }),
      /\(it looks like a PNG image\)$/,
    ],
    [
      'a gzip file named .csv',
      gzipSync('a,b\n1,2\n'),
      (f) => new CsvReader(f, tx, { gzip: false, tsv: false }),
      /\(it looks like gzip-compressed data; name it \.csv\.gz/,
    ],
    [
      'a CSV named .parquet',
      Buffer.from('a,b\n1,2\n'),
      (f) => new ParquetReader(f, tx),
      /is not a CSV\/NDJSON\/Parquet file \(it looks like text, not Parquet/,
    ],
    ['a PNG named .parquet', PNG, (f) => new ParquetReader(f, tx), /\(it looks like a PNG image\)$/],
  ];
  for (const [name, bytes, make, message] of readers) {
    it(`${name}: one clear error, no raw bytes, no rows`, async () => {
      const file = join(dir, name.replace(/\W+/g, '-'));
      writeFileSync(file, bytes);
      const seen: string[] = [];
      await assert.rejects(
        make(file).run({
          columns: () => {},
          unknownKey: () => {},
          row: () => seen.push('row'),
          bad: (_l, _d, raw) => seen.push(raw),
          chunkDone: () => {},
        }),
        (e: Error) => {
          assert.ok(e instanceof InputError, String(e));
          assert.match(e.message, message);
          assert.ok(e.message.startsWith(file), e.message);
          // Nothing of the content is echoed: the message is plain printable ASCII plus the path.
          assert.doesNotMatch(e.message, /[^\x20-\x7e]/);
          return true;
        },
      );
      assert.deepEqual(seen, []);
    });
  }
});
