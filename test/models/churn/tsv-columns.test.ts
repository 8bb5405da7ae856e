import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TsvColumnReader } from '../../../models/churn/tsv-columns.ts';

/** Feeds text to a reader in pieces of `size` bytes, so lines and even numbers span chunks. */
function read(text: string, nCols: number, size: number): ReturnType<TsvColumnReader['finish']> {
  const reader = new TsvColumnReader(nCols, 1); // capacity 1: the columns must grow
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
  return reader.finish();
}

describe('TsvColumnReader reads TabSeparated key + numbers into typed columns', () => {
  // Each value next to what JSON.parse gives for the engine's JSON text of it (null → NaN).
  const lines = [
    ['C1', '0', '-0', '17', '0.30000000000000004', '\\N'],
    ['C\\tx\\\\y\\\'', '1e-7', '-2.5', '123456789012345678', 'nan', 'inf'],
    ['Zoë', '-inf', '99999999999999', '3.14', '-1', '1.7976931348623157e308'],
  ];
  const want = {
    keys: ['C1', "C\tx\\y'", 'Zoë'],
    columns: [
      [0, 1e-7, NaN],
      [-0, -2.5, 99999999999999],
      [17, JSON.parse('123456789012345678') as number, 3.14],
      [0.1 + 0.2, NaN, -1],
      [NaN, NaN, Number.MAX_VALUE],
    ],
  };
  const text = lines.map((l) => `${l.join('\t')}\n`).join('');
  for (const size of [1, 3, 7, 1 << 16]) {
    test(`in chunks of ${size} bytes`, () => {
      const got = read(text, 5, size);
      assert.deepEqual(got.keys, want.keys);
      assert.equal(got.columns.length, 5);
      got.columns.forEach((c, j) => {
        assert.ok(c instanceof Float64Array);
        assert.equal(c.length, 3);
        // Object.is: -0 stays -0 and NaN equals NaN.
        want.columns[j].forEach((w, i) => assert.ok(Object.is(c[i], w), `column ${j} row ${i}: ${c[i]} vs ${w}`));
      });
    });
  }

  test('a last line without its newline is read too', () => {
    const got = read('A\t1\t2\nB\t3\t4', 2, 4);
    assert.deepEqual(got.keys, ['A', 'B']);
    assert.deepEqual([...got.columns[1]], [2, 4]);
  });

  test('a line with too few or too many fields fails naming the line', () => {
    assert.throws(() => read('A\t1\t2\nB\t3\n', 2, 100), /line 2 has 2 fields where 3 were expected: "B\\t3"/);
    assert.throws(() => read('A\t1\t2\t9\n', 2, 100), /line 1 has 4 fields where 3 were expected/);
    // An engine exception appended to the body mid-stream is such a line.
    assert.throws(() => read('A\t1\t2\nCode: 241. DB::Exception: Memory limit exceeded\n', 2, 100), /line 2 has 1 field where 3 were expected: "Code: 241/);
  });
});

test('a header line (TabSeparatedWithNames) is skipped, in any chunking, and a header-only answer has no rows', () => {
  const text = 'customer_id\trecency_days\torders_90d\nC1\t5\t\\N\nC2\t-1\t2.5\n';
  for (const size of [1, 2, 5, 11, 1 << 16]) {
    const reader = new TsvColumnReader(2, 1, 1);
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
    const got = reader.finish();
    assert.deepEqual(got.keys, ['C1', 'C2'], `chunks of ${size}`);
    assert.deepEqual([...got.columns[0]], [5, -1]);
    assert.deepEqual([...got.columns[1]], [NaN, 2.5]);
  }
  for (const header of ['customer_id\trecency_days\n', 'customer_id\trecency']) {
    const reader = new TsvColumnReader(1, 1, 1);
    reader.push(Buffer.from(header));
    assert.deepEqual(reader.finish().keys, []);
  }
});
