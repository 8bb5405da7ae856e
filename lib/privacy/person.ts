import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdent, rows } from '../warehouse/sql.ts';
import type { TablePlan } from './discover.ts';

/**
 * Everything that identifies one person in the warehouse, found from one identifier (a customer
 * id, an e-mail or a source record id): every customer id they were ever given (merges followed
 * both ways through customer_aliases), every source record and fact reference that resolved to
 * them, and their e-mails, phones and names as stored. Erasure and subject access both start here.
 */
export interface Person {
  customerIds: string[];
  sourceRecords: { source: string; sourceId: string }[];
  /** Lower-cased, as stored and normalised. */
  emails: string[];
  /** As stored and normalised. */
  phones: string[];
  names: string[];
}

export class PersonLookupError extends Error {
  override name = 'PersonLookupError';
}

const uniq = (values: Iterable<string>): string[] => [...new Set([...values].filter((v) => v !== ''))].sort();

/** `source:id` → its parts; undefined for a bare id. */
function sourceAndId(q: string): { source: string; sourceId: string } | undefined {
  const i = q.indexOf(':');
  return i > 0 && i < q.length - 1 ? { source: q.slice(0, i), sourceId: q.slice(i + 1) } : undefined;
}

export async function findPerson(client: ClickHouseClient, database: string, plans: TablePlan[], query: string): Promise<Person> {
  const q = query.trim();
  if (!q) throw new PersonLookupError('give a customer id, an e-mail address or a source record id (source:id)');
  const db = quoteIdent(database);
  const list = async (sql: string, params: Record<string, unknown>): Promise<string[]> =>
    (await rows<{ v: string }>(client, { query: sql, query_params: params })).map((r) => String(r.v));
  const inDb = (t: string): boolean => plans.some((p) => p.database === database && p.table === t);
  // Facts keep the id the source used (customer_ref) next to the resolved one.
  const facts = plans.filter((p) => p.database === database && p.mode === 'keyed' && p.hasSource && ['customer_ref', 'customer_id'].every((c) => p.columns.some((x) => x.name === c)));

  let seeds = await list(
    `SELECT customer_id AS v FROM ${db}.customers WHERE customer_id = {q:String}
     UNION DISTINCT SELECT from_id AS v FROM ${db}.customer_aliases WHERE from_id = {q:String}`,
    { q },
  );
  // One address may belong to several customers never merged: all of them are this person's records.
  if (!seeds.length && q.includes('@')) {
    const e = q.toLowerCase();
    seeds = await list(
      `SELECT customer_id AS v FROM ${db}.customer_records FINAL WHERE email_norm = {e:String} OR lower(trim(email)) = {e:String}
       UNION DISTINCT SELECT customer_id AS v FROM ${db}.customers FINAL WHERE lower(trim(email)) = {e:String}`,
      { e },
    );
  }
  if (!seeds.length) {
    const pair = sourceAndId(q);
    const sql = (where: string, factWhere: string): string =>
      [
        `SELECT customer_id AS v FROM ${db}.identity_map FINAL WHERE ${where}`,
        `SELECT customer_id AS v FROM ${db}.customer_records FINAL WHERE ${where}`,
        ...facts.map((f) => `SELECT DISTINCT customer_id AS v FROM ${quoteIdent(f.database)}.${quoteIdent(f.table)} WHERE ${factWhere}`),
      ].join('\nUNION DISTINCT\n');
    if (pair) {
      seeds = await list(sql('source = {s:String} AND source_id = {id:String}', 'source = {s:String} AND customer_ref = {id:String}'), { s: pair.source, id: pair.sourceId });
    }
    if (!seeds.length) {
      seeds = await list(sql('source_id = {id:String}', 'customer_ref = {id:String}'), { id: q });
      if (seeds.length > 1) {
        const sources = await list(`SELECT DISTINCT toString(source) AS v FROM ${db}.identity_map FINAL WHERE source_id = {id:String}`, { id: q });
        throw new PersonLookupError(
          `the source id matches ${seeds.length} customers (sources: ${sources.join(', ') || 'facts only'}): name the source as source:id`,
        );
      }
    }
  }
  seeds = seeds.filter((s) => s !== '');
  if (!seeds.length) throw new PersonLookupError('no customer has this id, e-mail address or source record id');

  // Follow merges both ways: a customer merged into another, and the ones merged into it.
  const ids = new Set(seeds);
  if (inDb('customer_aliases')) {
    for (;;) {
      const more = await list(
        `SELECT arrayJoin([from_id, to_id]) AS v FROM ${db}.customer_aliases FINAL
         WHERE (from_id IN {ids:Array(String)} OR to_id IN {ids:Array(String)}) AND to_id != ''`,
        { ids: [...ids] },
      );
      const before = ids.size;
      for (const m of more) if (m) ids.add(m);
      if (ids.size === before) break;
    }
  }
  const customerIds = uniq(ids);
  const p = { ids: customerIds };

  const records = new Map<string, { source: string; sourceId: string }>();
  const addPairs = async (sql: string): Promise<void> => {
    for (const r of await rows<{ s: string; id: string }>(client, { query: sql, query_params: p })) {
      if (r.id) records.set(`${r.s}\u001f${r.id}`, { source: r.s, sourceId: r.id });
    }
  };
  await addPairs(`SELECT DISTINCT toString(source) AS s, source_id AS id FROM ${db}.identity_map WHERE customer_id IN {ids:Array(String)}`);
  await addPairs(`SELECT DISTINCT toString(source) AS s, source_id AS id FROM ${db}.customer_records WHERE customer_id IN {ids:Array(String)}`);
  for (const f of facts) {
    await addPairs(`SELECT DISTINCT toString(source) AS s, customer_ref AS id FROM ${quoteIdent(f.database)}.${quoteIdent(f.table)} WHERE customer_id IN {ids:Array(String)}`);
  }

  // Contact details: from every table keyed by customer id that has e-mail or phone columns; names
  // only where a table also holds an e-mail (elsewhere `name` names a deal or a campaign).
  const emails: string[] = [];
  const phones: string[] = [];
  const names: string[] = [];
  for (const t of plans.filter((x) => x.mode === 'keyed' && x.columns.some((c) => c.name === 'customer_id'))) {
    const emailCols = t.columns.filter((c) => c.role === 'email').map((c) => c.name);
    const phoneCols = t.columns.filter((c) => c.role === 'phone').map((c) => c.name);
    const nameCols = emailCols.length ? t.columns.filter((c) => c.role === 'text' && /(^|_)name$/.test(c.name) && !/^(product|campaign|segment)_/.test(c.name)).map((c) => c.name) : [];
    const cols = [...emailCols.map((c) => ['e', c]), ...phoneCols.map((c) => ['p', c]), ...nameCols.map((c) => ['n', c])];
    if (!cols.length) continue;
    const select = cols.map(([k, c]) => `SELECT '${k}' AS k, toString(${quoteIdent(c)}) AS v FROM ${quoteIdent(t.database)}.${quoteIdent(t.table)} WHERE customer_id IN {ids:Array(String)}`).join('\nUNION DISTINCT\n');
    for (const r of await rows<{ k: string; v: string }>(client, { query: select, query_params: p })) {
      const v = r.v.trim();
      if (!v) continue;
      if (r.k === 'e') emails.push(v.toLowerCase());
      else if (r.k === 'p') phones.push(v);
      else names.push(v);
    }
  }
  return { customerIds, sourceRecords: [...records.values()], emails: uniq(emails), phones: uniq(phones), names: uniq(names) };
}

/** Identifiers as text, for searching free text and files. Short values would match inside others: left out. */
export function needles(p: Person): string[] {
  return uniq([
    ...p.customerIds,
    ...p.sourceRecords.map((r) => r.sourceId).filter((v) => v.length >= 3),
    ...p.emails,
    ...p.phones.filter((v) => v.replace(/\D/g, '').length >= 6),
    ...p.names.filter((v) => v.length >= 4),
  ]);
}

const escape = (v: string): string => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Characters that continue an identifier: a needle must not be preceded or followed by one (aud-1 is not in aud-10). */
const WORD = 'A-Za-z0-9_@.+\\-';

/** The pattern body shared by the engine (RE2, with (?i)) and the files (JavaScript, flag i). */
export function needlePattern(p: Person): string {
  const alts = needles(p).sort((a, b) => b.length - a.length).map(escape);
  return `(?:^|[^${WORD}])(?:${alts.join('|')})(?:$|[^${WORD}])`;
}
