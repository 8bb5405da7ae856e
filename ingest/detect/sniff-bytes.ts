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

const MAGIC: { bytes: number[]; what: string }[] = [
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data (name it .gz to have it unpacked)' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive or an Excel .xlsx workbook (save the sheet as CSV)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel .xls workbook (save the sheet as CSV)' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a], what: 'xz-compressed data' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'an SQLite database' },
];

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
  for (const m of MAGIC) if (startsWith(sample, m.bytes)) notOurs(m.what);
  if (startsWith(sample, [0xff, 0xfe]) || startsWith(sample, [0xfe, 0xff])) {
    notOurs('UTF-16 text, e.g. Excel\'s "Unicode text"; save it as "CSV UTF-8" instead');
  }
  const bom = startsWith(sample, [0xef, 0xbb, 0xbf]);
  let control = 0;
  for (const c of sample) {
    if (c === 0) notOurs('binary data: it contains NUL bytes');
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
  }
  if (control > sample.length * 0.01) notOurs(`binary data: ${Math.round((100 * control) / sample.length)} % of the first bytes are control characters`);
  const encoding = isUtf8(sample) ? 'utf-8' : 'windows-1252';
  const text = new TextDecoder(encoding).decode(sample.subarray(bom ? 3 : 0, Math.min(sample.length, 65536)));
  const firstLineEnd = text.indexOf('\n');
  const crlf = firstLineEnd > 0 && text[firstLineEnd - 1] === '\r';
  return { format: looksLikeNdjson(text) ? 'ndjson' : 'csv', encoding, bom, crlf };
}

/** Valid UTF-8, allowing a multi-byte character cut off at the end of the sample. */
export function isUtf8(b: Uint8Array): boolean {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len === 0) return false;
    if (i + len > n) return true; // cut off by the sample's end
    for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return false;
    i += len;
  }
  return true;
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
