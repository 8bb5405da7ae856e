import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutBuffer } from '../../ingest/load/out-buffer.ts';
import { writeQuoted, writeStageHistory, writeStringMap } from '../../ingest/load/tsv-values.ts';

const written = (write: (out: OutBuffer) => void): string => {
  const out = new OutBuffer(64);
  write(out);
  return out.buf.toString('utf8', 0, out.pos);
};
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe('TSV values inside Map and Array columns', () => {
  const quoted: [string, string][] = [
    ['shop', "'shop'"],
    ["O'Brien", "'O\\'Brien'"],
    ['a\\b', "'a\\\\b'"],
    ['tab\there', "'tab\\there'"],
    ['line\nbreak\r', "'line\\nbreak\\r'"],
    ['Zoë', "'Zoë'"],
    ['', "''"],
  ];
  for (const [value, expected] of quoted) it(`quoted ${JSON.stringify(value)}`, () => assert.equal(written((o) => writeQuoted(o, value)), expected));

  const maps: [string, Map<string, string>, string][] = [
    ['empty map', new Map(), '{}'],
    ['one id', new Map([['shop', '1001']]), "{'shop':'1001'}"],
    ['two ids, in order', new Map([['shop', '1001'], ['crm', "A'7"]]), "{'shop':'1001','crm':'A\\'7'}"],
  ];
  for (const [name, map, expected] of maps) it(name, () => assert.equal(written((o) => writeStringMap(o, map)), expected));

  const histories: [string, [string, number][], string][] = [
    ['no stages', [], '[]'],
    ['one stage', [['lead', day('2024-01-05')]], "[('lead','2024-01-05')]"],
    ['stages in order', [['lead', day('2024-01-05')], ['won', day('2024-02-29')]], "[('lead','2024-01-05'),('won','2024-02-29')]"],
  ];
  for (const [name, entries, expected] of histories) it(name, () => assert.equal(written((o) => writeStageHistory(o, entries)), expected));

  it('grows the buffer for long values', () => {
    const long = 'x'.repeat(500);
    assert.equal(written((o) => writeQuoted(o, long)), `'${long}'`);
  });
});
