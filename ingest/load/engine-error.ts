/**
 * The engine's error for an insert it could not parse quotes the payload: the text before the
 * failure and whole neighbouring rows ("Row 2: Column 0, name: source, parsed text: …"), i.e.
 * other records' data, and (were our encoder ever to write past what it filled) stale bytes of a
 * reused buffer. That message goes to the batch log, the summary and HTTP answers, so only what
 * names the failure is kept: the engine's reason, the row number and the column, never the text.
 */
const PARSE_FAILURE = /Cannot parse|Cannot read|garbage after|parsed text:|Row \d+:\s*\n?\s*Column/;

export function withoutPayload(message: string): string {
  if (!PARSE_FAILURE.test(message)) return message;
  const row = /\(at row (\d+)\)/.exec(message);
  // The failing column is the one the engine marks with ERROR after its parsed text.
  const col = /name: ([A-Za-z0-9_]+),\s+type: ((?:[^,\n(]|\([^)\n]*\))+),\s+(?:parsed text: [^\n]*?)?ERROR/.exec(message);
  const reason = /ClickHouseError: ([A-Za-z ]+?)(?=:|\.|$)/m.exec(message)?.[1] ?? /^([A-Za-z ]+?)(?=:|\.|$)/m.exec(message)?.[1] ?? 'Cannot parse input';
  const where = [row && `at row ${row[1]} of the insert`, col && `column ${col[1]} (${col[2].trim()})`].filter(Boolean).join(', ');
  return `the warehouse refused the insert: ${reason.trim()}${where ? ` (${where})` : ''}; the engine's quote of the payload is left out, as it holds other rows' data`;
}
