/**
 * Tells a text export from something else given its first bytes, so that a zip, an image or random
 * bytes fail once with "<file> is not a CSV/NDJSON/Parquet file (a ZIP archive …)" instead of one
 * reject per "line" echoing raw bytes. Says what the bytes look like, never shows them.
 */

interface Magic {
  bytes: number[];
  /** Offset of the signature in the file. */
  at?: number;
  what: string;
}

/** Signatures of the files people most often pick by mistake (https://en.wikipedia.org/wiki/List_of_file_signatures). */
const MAGICS: readonly Magic[] = [
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data; name it .csv.gz or .ndjson.gz to have it unpacked' },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'a ZIP archive (an .xlsx workbook is one): unzip it, or save the sheet as CSV',
  },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'an empty ZIP archive' },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    what: 'an old Office document (.xls/.doc): save the sheet as CSV',
  },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file: name it .parquet or pass --format parquet' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data: unpack it first' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data: unpack it first' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data: unpack it first' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive: unpack it first' },
  { bytes: [0x52, 0x61, 0x72, 0x21], what: 'a RAR archive: unpack it first' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable (ELF)' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66], what: 'an SQLite database' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text: save it as UTF-8' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text: save it as UTF-8' },
];

function startsWith(head: Uint8Array, m: Magic): boolean {
  const at = m.at ?? 0;
  if (head.length < at + m.bytes.length) return false;
  for (let i = 0; i < m.bytes.length; i++) if (head[at + i] !== m.bytes[i]) return false;
  return true;
}

/** A known file signature at the start of `head`, described for a person; undefined when none. */
export function knownSignature(head: Uint8Array): string | undefined {
  for (const m of MAGICS) if (startsWith(head, m)) return m.what;
  return undefined;
}

/**
 * Text exports have no NUL bytes and hardly any other control characters. More than 1 % of them in the sample — random bytes have about 12 % — is binary data.
 */
export function binaryContent(head: Uint8Array): string | undefined {
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 0) return 'binary data: it contains NUL bytes';
    // Tab, LF, CR, form feed, and Ctrl-Z (the end-of-file mark old DOS exports still append) are text.
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 0x1a) control++;
    else if (b === 0x7f) control++;
  }
  if (head.length > 0 && control * 100 > head.length)
    return `binary data: ${control} of its first ${head.length} bytes are control characters`;
  return undefined;
}

/** What the start of a file given as CSV/NDJSON looks like when it is not text; undefined for text. */
export function describeNonText(head: Uint8Array): string | undefined {
  return knownSignature(head) ?? binaryContent(head);
}
