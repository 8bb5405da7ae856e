#!/usr/bin/env -S node --import tsx
/**
 * npm run ingest -- <entity> <file> [more files] [options]
 * Loads files into the warehouse through the ingest API; see --help and ingest/README.md.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/schema.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { readReportingCurrency, recordReportingCurrency, resolveReportingCurrency } from '../lib/warehouse/reporting-currency.ts';
import { runDetect } from './detect/cli.ts';
import { runSourceToken } from './http/source-token-cli.ts';
import { ENTITY_NAMES, entitySpec } from './entities/index.ts';
import { ingestFile } from './load/job.ts';
import { baseCurrencyMismatch } from './mapping/base-currency.ts';
import { loadMappingFile, MappingError, type Mapping } from './mapping/mapping-file.ts';
import { ProgressReporter } from './progress.ts';
import type { IngestSummary, InputFormat } from './types.ts';

const HELP = `Load customer data files into the warehouse.

Usage: npm run ingest -- <entity> <file> [more files] [options]
       npm run ingest -- detect <file> [--entity E] [--out map.json] [--rows N]
                      guess format, columns and entity of an export, write a mapping draft and
                      preview the load (see detect --help)
       npm run ingest -- source-token <source>
                      print an HTTP ingest token that sends batches of that source only

Entities: ${ENTITY_NAMES.join(', ')}
Formats:  CSV/TSV (.csv, .tsv), NDJSON (.ndjson, .jsonl), Parquet (.parquet); .gz for CSV/NDJSON

Options:
  --mapping <map.json>   column mapping: other headers, date/number formats, currencies, value maps
                         (see ingest/README.md)
  --source <name>        source system for rows that do not name one (webshop, support, crm, ...)
  --format <f>           csv | ndjson | parquet (default: from the file extension)
  --rejects <out.csv>    where rejected rows go (default: <file>.rejects.csv; one file only)
  --batch-size <n>       rows per insert (default 250000; a batch also ends at 30 MB)
  --json                 print the summary as JSON
  --quiet                no progress output
  -h, --help             this text

Every row is validated; bad rows go to the rejects table and the rejects CSV with line, field and
reason, and never stop the good ones. Loading the same file again changes nothing; an updated record
replaces the old one. The exit code is non-zero only when nothing could be loaded.

The warehouse comes from CLICKHOUSE_URL (+ _USER, _PASSWORD, _DATABASE); without it the embedded
one under .data/ (or CRM_DATA_DIR) is used, shared with a running \`npm start\`.`;

function fail(message: string): never {
  process.stderr.write(`ingest: ${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatSummary(s: IngestSummary): string {
  const lines = [
    `${s.status === 'completed' ? 'Loaded' : 'FAILED'} ${s.entity} from ${s.input} (batch ${s.batchId || '-'})`,
    `  read ${fmt(s.read)} · loaded ${fmt(s.loaded)} · updated ${fmt(s.updated)} · duplicates ${fmt(s.duplicates)}` +
      `${s.duplicatesInInput ? ` · duplicates-in-input ${fmt(s.duplicatesInInput)}` : ''}` +
      `${s.outdated ? ` · outdated ${fmt(s.outdated)}` : ''} · rejected ${fmt(s.rejected)}`,
    `  ${s.seconds.toFixed(1)} s, ${fmt(s.rowsPerSecond)} rows/s`,
  ];
  if (s.staleDeleted) lines.push(`  ${fmt(s.staleDeleted)} stale rows removed (records moved to another customer or date)`);
  if (s.unknownCustomers) lines.push(`  ${fmt(s.unknownCustomers)} unknown customers (references without a customer record; loaded under a placeholder id)`);
  if (s.customersCreated) lines.push(`  ${fmt(s.customersCreated)} customers created from these facts (first seen = their earliest fact; a customers file for the same ids fills them in)`);
  if (s.erasedSkipped) lines.push(`  ${fmt(s.erasedSkipped)} records of erased people skipped (npm run privacy; their tombstones keep them out)`);
  if (s.identity) {
    lines.push(`  identity: ${fmt(s.identity.newCustomers)} new customers, ${fmt(s.identity.matchedRecords)} records matched to others, ${fmt(s.identity.merges)} customers merged`);
  }
  if (s.derivedIds) lines.push(`  ${s.derivedIds}`);
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  if (s.rejected > 0) {
    for (const r of s.rejects.slice(0, 5)) lines.push(`  rejected: ${r.reason}`);
    if (s.rejected > 5) lines.push(`  ... ${fmt(s.rejected - 5)} more`);
    if (s.rejectsFile) lines.push(`  rejects written to ${s.rejectsFile}`);
  }
  if (s.error) lines.push(`  error: ${s.error}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  // `detect` only reads the file: no warehouse, no migrations.
  if (process.argv[2] === 'detect') return runDetect(process.argv.slice(3));
  if (process.argv[2] === 'source-token') return runSourceToken(process.argv.slice(3));
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        mapping: { type: 'string' },
        source: { type: 'string' },
        format: { type: 'string' },
        rejects: { type: 'string' },
        'batch-size': { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [entity, ...files] = positionals;
  if (!entity) fail('missing <entity>');
  try {
    entitySpec(entity);
  } catch (e) {
    fail((e as Error).message);
  }
  if (files.length === 0) fail('missing <file>');
  if (values.format && !['csv', 'ndjson', 'parquet'].includes(values.format)) fail(`--format must be csv, ndjson or parquet, not "${values.format}"`);
  if (values.rejects && files.length > 1) fail('--rejects names one file; with several inputs each gets <file>.rejects.csv');
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) fail('--batch-size must be a positive whole number');
  let mapping: Mapping | undefined;
  if (values.mapping) {
    try {
      mapping = loadMappingFile(values.mapping);
    } catch (e) {
      if (e instanceof MappingError) fail(e.message);
      throw e;
    }
  }


  // Qualified table names everywhere, so connecting without a database lets migrations create it.
  const warehouse = await connectWarehouse({ withDatabase: false });
  const summaries: IngestSummary[] = [];
  try {
    await applyMigrations(warehouse.client, { database: warehouse.database, cluster: warehouse.cluster });
    // The amounts' currency is the warehouse's once recorded; CRM_BASE_CURRENCY only chooses it for
    // the first load that writes money. Checked before anything is written.
    const configured = loadConfig().CRM_BASE_CURRENCY;
    const recorded = await readReportingCurrency(warehouse.client, warehouse.database);
    const money = Boolean(entitySpec(entity).money);
    let reporting: string;
    try {
      reporting = money ? resolveReportingCurrency(recorded, configured) : (recorded ?? configured ?? 'EUR');
    } catch (e) {
      await warehouse.close();
      fail((e as Error).message);
    }
    const mismatch = mapping && values.mapping ? baseCurrencyMismatch(mapping, configured, values.mapping, recorded) : undefined;
    if (mismatch) {
      await warehouse.close();
      fail(mismatch);
    }
    // A mapping that names no base converts into the reporting currency (compile.ts reads it here).
    if (money) process.env.CRM_BASE_CURRENCY = reporting;
    for (const file of files) {
      const progress = values.quiet || values.json ? undefined : new ProgressReporter(process.stderr, file);
      const summary = await ingestFile(warehouse, {
        entity: entity as IngestSummary['entity'],
        file,
        format: values.format as InputFormat | undefined,
        mapping,
        source: values.source,
        rejectsFile: values.rejects,
        batchSize,
        onProgress: progress ? (p) => progress.update(p) : undefined,
      });
      progress?.done();
      summaries.push(summary);
      if (!values.json) process.stdout.write(`${formatSummary(summary)}\n`);
    }
    if (money && !recorded && summaries.some((s) => s.loaded + s.updated > 0)) {
      await recordReportingCurrency(warehouse.client, warehouse.database, reporting);
    }
  } finally {
    await warehouse.close();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2)}\n`);
  if (summaries.some((s) => s.status === 'failed')) return 2;
  // Records of erased people were handled as asked (skipped by their tombstones), not refused.
  const accepted = summaries.reduce((n, s) => n + s.loaded + s.updated + s.duplicates + s.duplicatesInInput + s.outdated + (s.erasedSkipped ?? 0), 0);
  return accepted > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`ingest: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(2);
  },
);
