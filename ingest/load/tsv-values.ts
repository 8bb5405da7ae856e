import type { OutBuffer } from './out-buffer.ts';

/**
 * Map and Array column values in a TabSeparated row. ClickHouse reads the strings inside them with
 * quoted-string rules directly (one level of backslash escapes, not TSV escaping on top).
 */

/** `{'k':'v',…}` for a Map(String, String) column. */
export function writeStringMap(out: OutBuffer, map: ReadonlyMap<string, string>): void {
  out.byte(123);
  let first = true;
  for (const [k, v] of map) {
    if (!first) out.byte(44);
    first = false;
    writeQuoted(out, k);
    out.byte(58);
    writeQuoted(out, v);
  }
  out.byte(125);
}

/** `[('stage','YYYY-MM-DD'),…]` for an Array(Tuple(String, Date)) column. */
export function writeStageHistory(out: OutBuffer, entries: readonly (readonly [string, number])[]): void {
  out.byte(91);
  for (let i = 0; i < entries.length; i++) {
    const [stage, days] = entries[i];
    if (i > 0) out.byte(44);
    out.byte(40);
    writeQuoted(out, stage);
    out.byte(44);
    out.byte(39);
    out.date(days);
    out.byte(39);
    out.byte(41);
  }
  out.byte(93);
}

/** A string inside a Map/Array value. */
export function writeQuoted(out: OutBuffer, s: string): void {
  out.byte(39);
  const b = Buffer.from(s, 'utf8');
  out.reserve(b.length * 2 + 1);
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 92 || c === 39) {
      out.byte(92);
      out.byte(c);
    } else if (c === 9 || c === 10 || c === 13) {
      out.byte(92);
      out.byte(c === 9 ? 116 : c === 10 ? 110 : 114);
    } else out.byte(c);
  }
  out.byte(39);
}
