import { describeNonText } from '../sources/sniff-binary.ts';

/**
 * What a file is, from its first bytes: the format (CSV, NDJSON, Parquet) and the text encoding.
 * Known binary formats and bytes that are not text get an error that says what the file looks like,
 * never the bytes themselves (they may be anything, and a terminal is not the place for them).
 */
export type SniffedFormat = 'csv' | 'ndjson' | 'parquet';

export interface SniffedBytes {
  format: SniffedFormat;
  /** `utf-8` (with or without BOM) or `windows-1252` (bytes that are not UTF-8: latin1 and Excel's ANSI). */
  encoding: 'utf-8' | 'windows-1252';
  bom: boolean;
  /** Lines end in CR LF (Excel, Windows tools). */
  crlf: boolean;
}

export class DetectError extends Error {}

const startsWith = (b: Uint8Array, sig: number[]): boolean => sig.every((x, i) => b[i] === x);

/**
 * Guesses format and encoding of `sample` (the first bytes of `file`, already gunzipped for .gz).
 * Throws DetectError naming the file when it is no CSV, NDJSON or Parquet file.
 */
export function sniffBytes(sample: Uint8Array, file: string): SniffedBytes {
  const notOurs = (what: string): never => {
    throw new DetectError(`${file} is not a CSV/NDJSON/Parquet file (it looks like ${what})`);
  };
  if (sample.length === 0) throw new DetectError(`${file} is empty`);
  if (startsWith(sample, [0x50, 0x41, 0x52, 0x31])) return { format: 'parquet', encoding: 'utf-8', bom: false, crlf: false };
  // The same verdict the load gives (ingest/sources/sniff-binary.ts), before any guessing.
  const nonText = describeNonText(sample);
  if (nonText) notOurs(nonText);
  const bom = startsWith(sample, [0xef, 0xbb, 0xbf]);
  const encoding = isUtf8(sample) ? 'utf-8' : 'windows-1252';
  const text = new TextDecoder(encoding).decode(sample.subarray(bom ? 3 : 0, Math.min(sample.length, 65536)));
  const firstLineEnd = text.indexOf('\n');
  const crlf = firstLineEnd > 0 && text[firstLineEnd - 1] === '\r';
  return { format: looksLikeNdjson(text) ? 'ndjson' : 'csv', encoding, bom, crlf };
}

/**
 * UTF-8 sequences in the sample: multi-byte characters that are valid and bytes that are not (a
 * character cut off by the sample's end counts as neither).
 */
export function utf8Stats(b: Uint8Array): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len > n) break; // cut off by the sample's end
    let ok = len > 0;
    for (let k = 1; ok && k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) ok = false;
    if (ok) {
      valid++;
      i += len;
    } else {
      invalid++;
      i++;
    }
  }
  return { valid, invalid };
}

/**
 * UTF-8 unless the bytes say otherwise: a file whose non-ASCII bytes are mostly not UTF-8 is
 * windows-1252 (latin1, Excel's "CSV" on Windows); a bad byte among as many valid UTF-8 characters is a bad
 * row the load rejects, not a reason to misread every other row.
 */
export function isUtf8(b: Uint8Array): boolean {
  const { valid, invalid } = utf8Stats(b);
  return invalid === 0 || valid >= invalid;
}

/** Every non-empty line of the sample (the last may be cut off) is a JSON object. */
function looksLikeNdjson(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0 || !lines[0].trimStart().startsWith('{')) return false;
  const whole = lines.length > 1 ? lines.slice(0, -1) : lines;
  return whole.slice(0, 50).every((l) => {
    try {
      const v: unknown = JSON.parse(l);
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    } catch {
      return false;
    }
  });
}
