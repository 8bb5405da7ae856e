/**
 * Readers for the demo generator's tests: an RFC 4180 CSV reader and an NDJSON reader that work on
 * raw bytes, so a row with invalid UTF-8 is seen as such (not silently "fixed" by a decoder), and the
 * row checks the ingest contract implies. Written independently of the generator on purpose.
 */
import { readFileSync } from 'node:fs';

export interface RawRow {
  /** 1-based line number where the record starts. */
  line: number;
  values: Record<string, unknown>;
  utf8: boolean;
}

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

function decode(bytes: Uint8Array): { text: string; utf8: boolean } {
  try {
    return { text: strict.decode(bytes), utf8: true };
  } catch {
    return { text: lenient.decode(bytes), utf8: false };
  }
}

/** Splits CSV bytes into records (quotes may hold commas and line breaks) and fields. */
export function readCsv(path: string): { header: string[]; rows: RawRow[] } {
  const buf = readFileSync(path);
  const records: { line: number; bytes: Uint8Array }[] = [];
  let start = 0;
  let quoted = false;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x22) quoted = !quoted;
    else if (b === 0x0a) {
      if (!quoted) {
        records.push({ line: startLine, bytes: buf.subarray(start, i) });
        start = i + 1;
        startLine = line + 1;
      }
      line++;
    }
  }
  if (start < buf.length) records.push({ line: startLine, bytes: buf.subarray(start) });
  const header = parseCsvRecord(decode(records[0].bytes).text);
  const rows = records.slice(1).map((r) => {
    const { text, utf8 } = decode(r.bytes);
    const fields = parseCsvRecord(text);
    if (fields.length !== header.length) throw new Error(`${path}:${r.line}: ${fields.length} fields, header has ${header.length}`);
    return { line: r.line, values: Object.fromEntries(header.map((h, i) => [h, fields[i]])), utf8 };
  });
  return { header, rows };
}

export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quote in: ${text.slice(0, 80)}`);
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < text.length && text[i] !== ',') throw new Error(`text after a closing quote in: ${text.slice(0, 80)}`);
    } else {
      const c = text.indexOf(',', i);
      const end = c < 0 ? text.length : c;
      value = text.slice(i, end);
      if (value.includes('"')) throw new Error(`bare quote in an unquoted field: ${text.slice(0, 80)}`);
      i = end;
    }
    fields.push(value);
    if (i >= text.length) return fields;
    i++; // comma
  }
}

export function readNdjson(path: string): RawRow[] {
  const buf = readFileSync(path);
  const rows: RawRow[] = [];
  let start = 0;
  let line = 1;
  for (let i = 0; i <= buf.length; i++) {
    if (i < buf.length && buf[i] !== 0x0a) continue;
    if (i > start) {
      const { text, utf8 } = decode(buf.subarray(start, i));
      rows.push({ line, values: JSON.parse(text) as Record<string, unknown>, utf8 });
    }
    start = i + 1;
    line++;
  }
  return rows;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Day number of a real calendar date "YYYY-MM-DD", else undefined. */
export function dayOf(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DATE.exec(text);
  return m ? calendarDay(m) : undefined;
}

/** Seconds since the epoch of a real "YYYY-MM-DD HH:MM:SS", else undefined. */
export function timeOf(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const day = calendarDay(m);
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (day === undefined || h > 23 || mi > 59 || s > 59) return undefined;
  return day * 86_400 + h * 3600 + mi * 60 + s;
}

function calendarDay(m: RegExpExecArray): number | undefined {
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return Date.UTC(y, mo - 1, d) / 86_400_000;
}

export type Defect = 'missing_id' | 'bad_date' | 'negative_quantity' | 'invalid_utf8' | 'unknown_status' | 'unknown_type';

interface Rule {
  id: string;
  date: string;
  dateType: 'date' | 'datetime';
  enumColumn?: string;
  enumKind?: Defect;
  allowed?: readonly string[];
  quantity?: string;
}

/** The ingest contract's row checks (schema comments in lib/warehouse/migrations/001-core.ts). */
export const RULES: Record<string, Rule> = {
  customers: { id: 'source_id', date: 'signup_date', dateType: 'date', enumColumn: 'customer_type', enumKind: 'unknown_type', allowed: ['person', 'business'] },
  transactions: { id: 'transaction_id', date: 'order_date', dateType: 'datetime', enumColumn: 'status', enumKind: 'unknown_status', allowed: ['completed', 'refunded', 'cancelled', 'pending', 'credit'], quantity: 'quantity' },
  interactions: {
    id: 'interaction_id', date: 'occurred_at', dateType: 'datetime', enumColumn: 'type', enumKind: 'unknown_type',
    allowed: ['email_sent', 'email_open', 'email_click', 'call', 'meeting', 'web_visit', 'support_ticket', 'complaint', 'chat', 'campaign_response'],
  },
  opportunities: { id: 'opportunity_id', date: 'created_at', dateType: 'date', enumColumn: 'status', enumKind: 'unknown_status', allowed: ['open', 'won', 'lost'] },
  campaign_members: { id: 'customer_ref', date: 'added_at', dateType: 'datetime', enumColumn: 'status', enumKind: 'unknown_status', allowed: ['sent', 'opened', 'clicked', 'responded', 'converted', 'bounced', 'unsubscribed'] },
};

/** Every defect of a row (a planted dirty row has exactly one; a clean row none). */
export function defects(entity: string, row: RawRow): Defect[] {
  const rule = RULES[entity];
  const v = row.values;
  const out: Defect[] = [];
  if (!row.utf8) out.push('invalid_utf8');
  if (typeof v[rule.id] !== 'string' || v[rule.id] === '') out.push('missing_id');
  if ((rule.dateType === 'date' ? dayOf(v[rule.date]) : timeOf(v[rule.date])) === undefined) out.push('bad_date');
  if (rule.quantity !== undefined && !(Number(v[rule.quantity]) >= 0)) out.push('negative_quantity');
  if (rule.enumColumn && !rule.allowed!.includes(String(v[rule.enumColumn]))) out.push(rule.enumKind!);
  return out;
}
