/**
 * Splits sample text into records and fields for guessing: RFC 4180 quoting (a quoted field may
 * hold delimiters, newlines and doubled quotes), CR LF or LF, and the delimiters a mapping can name:
 * one or more characters, or `whitespace` (runs of spaces and tabs; leading and trailing ones
 * ignored). Empty lines are skipped. Values are not trimmed.
 */
export type Delimiter = string; // ',' ';' '\t' '|' '||' … or 'whitespace'

export interface SplitOptions {
  quote?: string;
  /** Stop after this many records. */
  limit?: number;
  /** The text is only the start of the file: a last record without a line end is dropped (it may be cut off). */
  truncated?: boolean;
}

export function splitRecords(text: string, delimiter: Delimiter, opts: SplitOptions = {}): string[][] {
  const quote = opts.quote ?? '"';
  const limit = opts.limit ?? Infinity;
  const ws = delimiter === 'whitespace';
  const isBlank = (c: string): boolean => c === ' ' || c === '\t';
  const out: string[][] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < n && out.length < limit) {
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let ended = false;
    if (ws) while (i < n && isBlank(text[i])) i++;
    while (i < n) {
      const c = text[i];
      if (c === quote && field === '' && !quoted) {
        let j = i + 1;
        let closed = false;
        while (j < n) {
          if (text[j] === quote) {
            if (text[j + 1] === quote) {
              field += quote;
              j += 2;
              continue;
            }
            closed = true;
            j++;
            break;
          }
          field += text[j++];
        }
        if (!closed) return out; // an open quote at the sample's end: the record is cut off
        quoted = true;
        i = j;
        continue;
      }
      if (c === '\n' || (c === '\r' && text[i + 1] === '\n') || (c === '\r' && i + 1 === n)) {
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        ended = true;
        break;
      }
      if (ws ? isBlank(c) : text.startsWith(delimiter, i)) {
        if (ws) {
          while (i < n && isBlank(text[i])) i++;
          // Blanks before the line end are trailing, not a delimiter.
          if (i >= n || text[i] === '\n' || text[i] === '\r') continue;
        } else i += delimiter.length;
        fields.push(field);
        field = '';
        quoted = false;
        continue;
      }
      field += c;
      i++;
    }
    fields.push(field);
    if (!ended && opts.truncated) break;
    if (fields.length === 1 && fields[0].trim() === '' && !quoted) continue;
    out.push(fields);
  }
  return out;
}
