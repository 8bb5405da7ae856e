import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeparatedParser, type Separator } from '../../ingest/sources/separated-parser.ts';

type Rec = { fields: string[]; line: number; raw?: string };

/** Feeds `text` in chunks of every size given: records, separators, CRLF and quotes cross chunk boundaries. */
function parse(text: string, separator: Separator, chunk: number): Rec[] {
  const out: Rec[] = [];
  const p = new SeparatedParser(separator, 34, {
    row(buf, starts, ends, count, line, _high, raw, rawStart, rawEnd) {
      const fields: string[] = [];
      for (let i = 0; i < count; i++) fields.push(buf.toString('utf8', starts[i], ends[i]));
      out.push({ fields, line, raw: raw.toString('utf8', rawStart, rawEnd) });
    },
    bad(line, detail) {
      out.push({ fields: [`BAD: ${detail}`], line });
    },
  });
  const data = Buffer.from(text);
  for (let i = 0; i < data.length; i += chunk) p.push(Buffer.from(data.subarray(i, i + chunk)));
  p.finish();
  return out.map(({ fields, line }) => ({ fields, line }));
}

const WS: Separator = 'whitespace';
const PIPES: Separator = Buffer.from('||');
const SEMI_SPACE: Separator = Buffer.from('; ');
const BROKEN_BAR: Separator = Buffer.from('¦');

const cases: [string, Separator, string, Rec[]][] = [
  // The CDNOW log as published: leading spaces, runs of spaces, one tab, CRLF.
  [
    'CDNOW lines',
    WS,
    ' 00004 0001 19970101  2\t  29.33\r\n 00004 0001 19970118  2   29.73\r\n',
    [
      { fields: ['00004', '0001', '19970101', '2', '29.33'], line: 1 },
      { fields: ['00004', '0001', '19970118', '2', '29.73'], line: 2 },
    ],
  ],
  [
    'trailing whitespace, blank and whitespace-only lines, trailing empty lines',
    WS,
    'a  b  \r\n\r\n   \t \r\nc d\r\n\r\n\r\n',
    [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['c', 'd'], line: 4 },
    ],
  ],
  [
    'BOM and no final newline',
    WS,
    '\uFEFFx y\nz  w',
    [
      { fields: ['x', 'y'], line: 1 },
      { fields: ['z', 'w'], line: 2 },
    ],
  ],
  [
    'quotes keep whitespace, doubled quotes and newlines',
    WS,
    '"a b"  "say ""hi"""\t"multi\nline" end\r\n',
    [{ fields: ['a b', 'say "hi"', 'multi\nline', 'end'], line: 1 }],
  ],
  ['an empty quoted field is a field', WS, '"" x\n', [{ fields: ['', 'x'], line: 1 }]],
  [
    'two-byte separator, empty fields kept',
    PIPES,
    'a||b||||c\r\n||x||\r\n',
    [
      { fields: ['a', 'b', '', 'c'], line: 1 },
      { fields: ['', 'x', ''], line: 2 },
    ],
  ],
  ['a single | is data', PIPES, 'a|b||c\n', [{ fields: ['a|b', 'c'], line: 1 }]],
  ['quoted separator', PIPES, '"a||b"||c\n', [{ fields: ['a||b', 'c'], line: 1 }]],
  ['"; " separator', SEMI_SPACE, 'a; b;c; d\n', [{ fields: ['a', 'b;c', 'd'], line: 1 }]],
  ['multi-byte character separator', BROKEN_BAR, 'ä¦ö¦ü\n', [{ fields: ['ä', 'ö', 'ü'], line: 1 }]],
  [
    'blank lines between records, CRLF',
    PIPES,
    'a||b\r\n\r\nc||d',
    [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['c', 'd'], line: 3 },
    ],
  ],
  [
    'unclosed quote at the end',
    WS,
    'a b\n"open c\n',
    [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['BAD: a quoted field is not closed before the end of the file'], line: 2 },
    ],
  ],
];

describe('separated parser (whitespace and multi-byte separators)', () => {
  for (const [name, sep, text, expected] of cases) {
    it(name, () => {
      for (const chunk of [1, 2, 3, 5, 1 << 20]) assert.deepEqual(parse(text, sep, chunk), expected, `chunk ${chunk}`);
    });
  }

  it('reports the raw record (with its line break) for rejects', () => {
    const raws: string[] = [];
    const p = new SeparatedParser(WS, 34, {
      row: (_b, _s, _e, _c, _l, _h, raw, rs, re) => raws.push(raw.toString('utf8', rs, re)),
      bad: () => assert.fail('no bad record expected'),
    });
    p.push(Buffer.from(' 1 2\r\n 3 4'));
    p.finish();
    assert.deepEqual(raws, [' 1 2\r\n', ' 3 4']);
  });

  it('grows past 16 fields', () => {
    const fields = Array.from({ length: 40 }, (_, i) => `f${i}`);
    assert.deepEqual(parse(`${fields.join(' ')}\n`, WS, 7), [{ fields, line: 1 }]);
  });
});
