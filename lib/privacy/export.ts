import { closeSync, mkdirSync, writeFileSync } from 'node:fs';
import { openOwnFileForWriting } from '../files/own-file.ts';
import { join } from 'node:path';
import { writeAudit } from '../audit/log.ts';
import { csvRow } from '../csv/escape-cell.ts';
import { rows } from '../warehouse/sql.ts';
import { discoverTables } from './discover.ts';
import type { PrivacyWarehouse } from './erase.ts';
import { csvRecords, isRejectsFileOfOurs } from './files.ts';
import { findPerson, needlePattern, type Person } from './person.ts';
import { paramSource, personValues, rowCondition, tableName } from './predicates.ts';
import { readFileSync } from 'node:fs';
import { quoteIdent } from '../warehouse/sql.ts';

/**
 * Subject access (issue 16, item 3): everything the warehouse holds about one person, found the way
 * erasure finds it (the same tables, the same conditions), written as one JSON document and a folder
 * of CSVs, one per table — the JSON for portability, the CSVs for a person to open. Audited as
 * privacy.export with the customer ids and the number of rows.
 */
export interface ExportOptions {
  /** Folder to write (created, private): `person.json` and `<table>.csv`. */
  outDir: string;
  actor: string;
  actorRole: string;
  requestId?: string;
}

export interface SubjectExport {
  dir: string;
  person: Person;
  tables: { table: string; rows: number; file: string }[];
  rejectLines: number;
  rows: number;
}

export async function exportPerson(wh: PrivacyWarehouse, query: string, opts: ExportOptions): Promise<SubjectExport> {
  const plans = await discoverTables(wh.client, wh.database);
  const person = await findPerson(wh.client, wh.database, plans, query);
  // Free text (the rejects table and files) is searched by the person's identifiers, not their
  // name: a namesake's rejected record would otherwise be handed to this person (erasure matches
  // the same way, so it never removes a namesake's record either).
  const byIdentifiers: Person = { ...person, names: [] };
  const values = personValues(byIdentifiers);
  const own = new Set(person.customerIds);
  mkdirSync(opts.outDir, { recursive: true, mode: 0o700 });
  const doc: Record<string, unknown[]> = {};
  const tables: SubjectExport['tables'] = [];
  for (const plan of plans.filter((p) => p.mode === 'keyed' || p.mode === 'text' || p.mode === 'rewrite')) {
    const where = rowCondition(plan, paramSource);
    if (!where) continue;
    const found = await rows<Record<string, unknown>>(wh.client, { query: `SELECT * FROM ${tableName(plan)} WHERE ${where}`, query_params: values });
    // A row found by an id list (an audit row of an export, a campaign push) lists other customers too.
    const idArrays = plan.mode === 'rewrite' ? plan.columns.filter((c) => c.role === 'id_array').map((c) => c.name) : [];
    for (const r of found) for (const c of idArrays) if (Array.isArray(r[c])) r[c] = (r[c] as unknown[]).map((x) => (own.has(String(x)) ? x : OTHER_CUSTOMER));
    if (found.length === 0) continue;
    const name = plan.database === wh.database ? plan.table : `${plan.database}.${plan.table}`;
    doc[name] = found;
    const columns = plan.columns.map((c) => c.name);
    const text = [csvRow(columns), ...found.map((r) => csvRow(columns.map((c) => cell(r[c]))))].join('\r\n');
    const file = join(opts.outDir, `${name}.csv`);
    writeOwnFile(file, `\uFEFF${text}\r\n`);
    tables.push({ table: name, rows: found.length, file });
  }
  // Rejected input lines that name the person, from the rejects CSVs beside loaded files.
  const pattern = new RegExp(needlePattern(byIdentifiers), 'i');
  const rejects: string[] = [];
  const files = await rows<{ f: string }>(wh.client, { query: `SELECT DISTINCT source_file AS f FROM ${quoteIdent(wh.database)}.ingest_batches WHERE rows_rejected > 0` });
  for (const { f } of files) {
    const path = `${f}.rejects.csv`;
    if (!isRejectsFileOfOurs(path)) continue;
    for (const r of csvRecords(readFileSync(path, 'utf8')).slice(1)) if (pattern.test(r)) rejects.push(r.trimEnd());
  }
  const total = tables.reduce((s, t) => s + t.rows, 0);
  writeOwnFile(join(opts.outDir, 'person.json'), JSON.stringify({ generated_at: new Date().toISOString(), identifiers: person, tables: doc, reject_file_lines: rejects }, null, 2));
  await writeAudit(
    { client: wh.client, database: wh.database },
    {
      action: 'privacy.export',
      actor: opts.actor,
      actorRole: opts.actorRole,
      targetKind: 'customer',
      targetIds: person.customerIds,
      rowCount: total,
      requestId: opts.requestId,
      outcome: 'ok',
      detail: 'subject access export',
    },
  );
  return { dir: opts.outDir, person, tables, rejectLines: rejects.length, rows: total };
}

/** What stands in an exported id list for a customer who is not the person. */
const OTHER_CUSTOMER = '(another customer)';

const cell = (v: unknown): string | number | null =>
  v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : typeof v === 'number' ? v : String(v);

/** A file of the export, 0600; a link planted at its name (an --out folder others write to) is refused (ninth security review). */
function writeOwnFile(path: string, text: string): void {
  const fd = openOwnFileForWriting(path, 'the subject access file');
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
