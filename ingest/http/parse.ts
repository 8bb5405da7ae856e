import { HttpError } from './errors.ts';
import { headerKey } from '../mapping/compile.ts';

export type BatchFormat = 'json' | 'ndjson';

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines']);

/** `Content-Type` → body format, checked before the body is read. A missing type means JSON. */
export function batchFormat(contentType: string | undefined): BatchFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '' || type === 'application/json' || type.endsWith('+json')) return 'json';
  if (NDJSON_TYPES.has(type)) return 'ndjson';
  throw new HttpError(415, 'unsupported_media_type', `Content-Type "${type}" is not supported; send application/json ({"source": "...", "records": [...]}) or application/x-ndjson (one record per line, ?source=... in the URL).`);
}

export interface ParsedBatch {
  source: string;
  records: Record<string, unknown>[];
}

export interface ParseOptions {
  format: BatchFormat;
  /** `?source=` from the URL; the only place an NDJSON body can name its source. */
  querySource?: string;
  maxRecords: number;
}

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const BODY_KEYS = new Set(['source', 'records']);

/**
 * Body → `{source, records}`. Forms: `{"source": "shop", "records": [...]}`, a bare JSON array with
 * `?source=`, or NDJSON with `?source=`. Record fields are not validated here — that is the ingest
 * pipeline's job, record by record, so one bad record never fails the batch. What fails the whole
 * request is what makes the batch itself unreadable: bad UTF-8, bad JSON, an element that is not an
 * object (a sender bug, not a data-quality problem), no source, too many records.
 */
export function parseBatch(body: Buffer, opts: ParseOptions): ParsedBatch {
  const text = decodeUtf8(body);
  if (opts.format === 'ndjson') {
    const records = parseNdjson(text, opts.maxRecords);
    const source = checkSource(opts.querySource, 'the ?source= URL parameter (required for NDJSON)');
    checkRecordSources(records, source, (i) => `Record ${i + 1} (NDJSON, blank lines not counted)`);
    return { source, records };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `The body is not valid JSON: ${(err as Error).message}`);
  }
  let records: unknown;
  let source = opts.querySource;
  if (Array.isArray(value)) {
    records = value;
  } else if (isPlainObject(value)) {
    const unknown = Object.keys(value).filter((k) => !BODY_KEYS.has(k));
    if (unknown.length) throw new HttpError(400, 'bad_request', `Unknown top-level field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; the body is {"source": "...", "records": [...]}.`);
    records = value.records;
    if (value.source !== undefined) {
      if (typeof value.source !== 'string') throw new HttpError(400, 'bad_request', '"source" must be a string.');
      if (source !== undefined && source !== value.source) {
        throw new HttpError(400, 'bad_request', `The body says source "${value.source}" but the URL says "${source}".`);
      }
      source = value.source;
    }
  } else {
    throw new HttpError(400, 'bad_request', 'The body must be a JSON object {"source": "...", "records": [...]}.');
  }
  if (!Array.isArray(records)) throw new HttpError(400, 'bad_request', '"records" must be an array of records.');
  checkCount(records.length, opts.maxRecords);
  const notObject = records.findIndex((r) => !isPlainObject(r));
  if (notObject !== -1) throw new HttpError(400, 'bad_request', `records[${notObject}] is not a JSON object; every record must be {"field": value, …}.`);
  (records as Record<string, unknown>[]).forEach((r, i) => checkDepth(r, `records[${i}]`));
  const checked = checkSource(source, '"source" in the body or ?source= in the URL');
  checkRecordSources(records as Record<string, unknown>[], checked, (i) => `records[${i}]`);
  return { source: checked, records: records as Record<string, unknown>[] };
}

function parseNdjson(text: string, maxRecords: number): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    checkCount(records.length + 1, maxRecords);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new HttpError(400, 'invalid_json', `Line ${line} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(value)) throw new HttpError(400, 'bad_request', `Line ${line} is not a JSON object; every line must be one record {"field": value, …}.`);
    checkDepth(value, `Line ${line}`);
    records.push(value);
  }
  if (records.length === 0) checkCount(0, maxRecords);
  return records;
}

/** Deepest nesting a record's values may have: a record is flat fields, a few with an object or array of scalars. */
export const MAX_RECORD_DEPTH = 16;

/**
 * JSON.parse reads any depth without recursion, but everything after it that walks a record
 * (JSON.stringify for the batch's digest, the mappings) recurses: a 2 MB body of one field nested a
 * million deep overflowed the stack there and answered 500 "retry", which a client would retry
 * forever. Refused here as what it is, naming the record and field; checked without recursion.
 */
function checkDepth(record: Record<string, unknown>, where: string): void {
  for (const [field, value] of Object.entries(record)) {
    if (typeof value !== 'object' || value === null) continue;
    const stack: [unknown, number][] = [[value, 2]];
    while (stack.length) {
      const [v, depth] = stack.pop()!;
      if (depth > MAX_RECORD_DEPTH) {
        throw new HttpError(400, 'bad_request', `${where}, field "${field.slice(0, 64)}": nested more than ${MAX_RECORD_DEPTH} levels deep; a record's fields are values, or objects and arrays of values.`);
      }
      for (const child of Object.values(v as object)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/**
 * A batch carries one source, the one its URL or body names. A record's own `source` field (any
 * spelling the pipeline maps to it: `SOURCE`, ` Source `) won over the batch's, so a sender of
 * `?source=shop` rewrote the CRM's records — e-mail, owner id (ninth security review). A record
 * may repeat the batch's source (spaces and tabs around it, as the pipeline trims) or leave it
 * out; another is a 400 naming the record and field.
 */
function checkRecordSources(records: readonly Record<string, unknown>[], source: string, where: (i: number) => string): void {
  records.forEach((record, i) => {
    for (const [key, value] of Object.entries(record)) {
      if (headerKey(key.replace(/^\uFEFF/, '')) !== 'source' || value === null || value === undefined) continue;
      const given = typeof value === 'string' ? value.replace(/^[ \t]+|[ \t]+$/g, '') : JSON.stringify(value);
      if (given === '' || given === source) continue;
      throw new HttpError(400, 'bad_request', `${where(i)}, field "${key.slice(0, 64)}": source "${given.slice(0, 80)}" is not this batch's source "${source}"; a batch carries one source (send other sources' records in batches of their own).`);
    }
  });
}

/**
 * A source token may not assign account owners (tenth security review). Identity resolution joins
 * a shop's record to the CRM's customer by e-mail and the golden `owner_id` is the newest record's,
 * so a shop record with a CRM customer's e-mail and another owner id moved that customer into
 * another account owner's row-level scope — without touching the CRM's own record, which the
 * ninth review's source rule protects. Owners come from the ingest token (the CRM's own system)
 * and from files; a customers record of a source token naming one, in any spelling the pipeline
 * maps to `owner_id`, refuses the batch before anything is loaded.
 */
export function refuseOwnerAssignment(records: readonly Record<string, unknown>[], format: BatchFormat, scope: string): void {
  refuseField(records, format, 'owner_id', (where, key) => `${where}, field "${key}": this token sends source "${scope}" only and may not assign account owners (owner ids decide which owner sees a customer); send customers without it, or assign owners from the CRM's own system with the ingest token.`);
}

/**
 * A source token may not say which CRM user recorded a consent event (tenth security review,
 * second pass): `recorded_by` is a dashboard user's id, shown on the customer 360 page as who
 * recorded the change, and a shop's webhook has no dashboard users — a leaked shop token could
 * attribute an opt-in to an employee. Refused like an owner id, in any spelling.
 */
export function refuseConsentAttribution(records: readonly Record<string, unknown>[], format: BatchFormat, scope: string): void {
  refuseField(records, format, 'recorded_by', (where, key) => `${where}, field "${key}": this token sends source "${scope}" only and may not name the CRM user who recorded a consent (recorded_by is a dashboard user's id); send consent events without it.`);
}

function refuseField(records: readonly Record<string, unknown>[], format: BatchFormat, field: string, message: (where: string, key: string) => string): void {
  records.forEach((record, i) => {
    for (const [key, value] of Object.entries(record)) {
      if (headerKey(key.replace(/^\uFEFF/, '')) !== field || value === null || value === undefined) continue;
      if (typeof value === 'string' && value.trim() === '') continue;
      const where = format === 'ndjson' ? `Record ${i + 1} (NDJSON, blank lines not counted)` : `records[${i}]`;
      throw new HttpError(403, 'forbidden_field', message(where, key.slice(0, 64)));
    }
  });
}

function checkCount(n: number, maxRecords: number): void {
  if (n === 0) throw new HttpError(400, 'bad_request', 'The batch has no records.');
  if (n > maxRecords) throw new HttpError(413, 'too_many_records', `The batch has more than ${maxRecords} records; send at most ${maxRecords} per request.`);
}

function checkSource(source: string | undefined, where: string): string {
  if (source === undefined || source === '') throw new HttpError(400, 'bad_request', `Missing source: name the sending system in ${where}, e.g. "shop".`);
  if (!SOURCE.test(source)) throw new HttpError(400, 'bad_request', `Source "${source.slice(0, 80)}" is not valid: 1-64 letters, digits, "_", ".", ":" or "-".`);
  return source;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new HttpError(400, 'bad_request', 'The body is not valid UTF-8.');
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
