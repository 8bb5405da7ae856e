import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunkModeFor, InsertTooLargeError, recordChunks, type ChunkMode } from '../../../lib/warehouse/embedded/insert-chunks.ts';

async function* pieces(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function chunks(text: string, mode: ChunkMode, { pieceSize = 3, targetBytes = 8, maxBytes = 1 << 20 } = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const c of recordChunks(pieces(text, pieceSize), mode, { targetBytes, maxBytes })) out.push(c.toString());
  return out;
}

describe('chunkModeFor', () => {
  const cases: [string, ChunkMode][] = [
    ['TabSeparated', { kind: 'lines', headerRows: 0, objectRows: false }],
    ['TSVWithNames', { kind: 'lines', headerRows: 1, objectRows: false }],
    ['JSONCompactEachRowWithNamesAndTypes', { kind: 'lines', headerRows: 2, objectRows: false }],
    ['JSONEachRow', { kind: 'lines', headerRows: 0, objectRows: true }],
    ['CSVWithNames', { kind: 'csv', headerRows: 1 }],
    ['RowBinary', { kind: 'whole' }],
    ['Parquet', { kind: 'whole' }],
    ['Values', { kind: 'whole' }],
  ];
  for (const [format, mode] of cases) test(format, () => assert.deepEqual(chunkModeFor(format), mode));
});

describe('recordChunks', () => {
  test('line formats are cut after a newline once a piece reaches the target size', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i}\trow${i}\n`).join('');
    const out = await chunks(rows, chunkModeFor('TSV'));
    assert.ok(out.length > 1);
    assert.equal(out.join(''), rows);
    for (const c of out) assert.ok(c.endsWith('\n'), JSON.stringify(c));
  });

  test('a final row without a newline still goes out', async () => {
    assert.deepEqual((await chunks('1\ta\n2\tb', chunkModeFor('TSV'), { targetBytes: 1 << 20 })).join(''), '1\ta\n2\tb');
  });

  test('header rows are repeated on every piece', async () => {
    const body = 'id\tname\nUInt8\tString\n' + Array.from({ length: 6 }, (_, i) => `${i}\tn${i}\n`).join('');
    const out = await chunks(body, chunkModeFor('TSVWithNamesAndTypes'));
    assert.ok(out.length > 1);
    for (const c of out) assert.ok(c.startsWith('id\tname\nUInt8\tString\n'), JSON.stringify(c));
    assert.equal(out.map((c, i) => (i === 0 ? c : c.slice('id\tname\nUInt8\tString\n'.length))).join(''), body);
  });

  test('CSV is never cut inside a quoted field, even one spanning lines', async () => {
    const body = '1,"a\nb"\n2,"say ""hi""\n\n"\n3,c\n4,"x"\n';
    const out = await chunks(body, chunkModeFor('CSV'), { pieceSize: 2, targetBytes: 4 });
    assert.equal(out.join(''), body);
    assert.deepEqual(out, ['1,"a\nb"\n', '2,"say ""hi""\n\n"\n', '3,c\n', '4,"x"\n']);
  });

  test('a JSONEachRow array is kept whole', async () => {
    const body = '  [{"a":1},\n{"a":2},\n{"a":3}]\n';
    assert.deepEqual(await chunks(body, chunkModeFor('JSONEachRow'), { targetBytes: 4 }), [body]);
  });

  test('whole formats go out in one piece, refused above the limit', async () => {
    assert.deepEqual(await chunks('abc\ndef\n', chunkModeFor('RowBinary'), { targetBytes: 2 }), ['abc\ndef\n']);
    await assert.rejects(chunks('x'.repeat(100), chunkModeFor('Parquet'), { maxBytes: 50 }), InsertTooLargeError);
  });

  test('empty input yields nothing', async () => {
    assert.deepEqual(await chunks('', chunkModeFor('TSV')), []);
  });
});

test('blank text is no row, but a binary body of blank bytes is data', async () => {
  assert.deepEqual(await chunks('\n\n', chunkModeFor('TSV')), []);
  assert.deepEqual(await chunks('\n', chunkModeFor('RowBinary')), ['\n']);
});
