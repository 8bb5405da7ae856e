/**
 * The last field of every payload row of a table with `batch_id`: one byte where the load's batch
 * id used to be written, row after row (issue 17 item 6).
 *
 * Why: the batch id is the same on every row of a load (23 bytes and a tab, ≈ 14 % of a transactions
 * row), so each insert states it once as a constant (`SELECT c1, …, '<batch>' FROM file(…)`) and the
 * engine no longer parses it a million times. The byte stays because an insert fed through a pipe
 * must keep out a row cut off by a writer that died mid-write (PayloadStream): such a row either
 * lacks columns (the parse fails) or ends before its marker (an empty last field, which the
 * statement's `WHERE <marker column> = '.'` leaves out). Paths that cannot add a constant (an
 * HTTP body, `FROM INFILE`) get the batch id written back into each row (`withLastColumn`).
 */
export const ROW_END = '.';
const ROW_END_BYTE = 0x2e;

/** The name the marker column has in a `file()` structure (the file's own, no table has it). */
export const ROW_END_COLUMN = 'row_end_marker';

/**
 * `payload` (TabSeparated rows whose last field is ROW_END) with that field replaced by `value`,
 * TSV-escaped: what the rows were before the marker, for inserts that take the payload as it is.
 */
export function withLastColumn(payload: Buffer, value: string): Buffer {
  const v = escapedTsv(value);
  let rows = 0;
  for (let i = payload.indexOf(10); i >= 0; i = payload.indexOf(10, i + 1)) rows++;
  const out = Buffer.allocUnsafe(payload.length + rows * (v.length - 1));
  let from = 0;
  let at = 0;
  for (let nl = payload.indexOf(10); nl >= 0; nl = payload.indexOf(10, nl + 1)) {
    // TSV escapes newlines inside values, so every 0x0A ends a row, and each row ends "\t.\n".
    if (nl - from < 2 || payload[nl - 1] !== ROW_END_BYTE || payload[nl - 2] !== 9) throw new Error(`payload row at byte ${from} does not end with the row-end marker`);
    at += payload.copy(out, at, from, nl - 1);
    at += v.copy(out, at);
    out[at++] = 10;
    from = nl + 1;
  }
  if (from !== payload.length) throw new Error(`payload ends inside a row (byte ${from} of ${payload.length})`);
  return out.subarray(0, at);
}

/** `text` as one TabSeparated field (backslash, tab, newline and CR escaped). */
function escapedTsv(text: string): Buffer {
  return Buffer.from(text.replace(/[\\\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\\\')), 'utf8');
}
