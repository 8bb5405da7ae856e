/**
 * npm run ingest -- detect <file> [--entity E] [--out mapping.json] [--rows N]
 * Guesses how to load a file and writes a mapping draft; previews what loading it would do.
 */
import { closeSync, writeFileSync } from 'node:fs';
import { openOwnFileForWriting } from '../../lib/files/own-file.ts';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config/schema.ts';
import { ENTITIES, ENTITY_NAMES, type EntityName } from '../entities/index.ts';
import { dryRun, type DryRun } from './dry-run.ts';
import { proposeMapping, type Draft } from './propose-mapping.ts';
import { DEFAULT_SAMPLE_BYTES, readSample } from './read-sample.ts';
import { DetectError } from './sniff-bytes.ts';

export const DETECT_HELP = `Guess how to load a file: format, encoding, delimiter, header, column types, date and number
formats, the entity and the column mapping. Writes a mapping draft and shows the first rows as they
would load and the rejects they would produce (a dry run: nothing is written to the warehouse).

Usage: npm run ingest -- detect <file> [options]

Options:
  --entity <e>        the entity to map to (${ENTITY_NAMES.join(', ')}); default: the best guess
  --out <map.json>    write the draft there (default: print it to stdout; the report goes to stderr)
  --rows <n>          rows to preview (default 10); the first 1000 rows (at least n) are checked
  --sample-bytes <n>  bytes read for guessing (default ${DEFAULT_SAMPLE_BYTES})
  --json              print { draft, entity, columns, dryRun } as JSON instead
  -h, --help          this text

The draft's "$comment" says what was guessed and how sure; edit what is wrong, then load with
  npm run ingest -- <entity> <file> --mapping <map.json>`;

function fail(message: string): never {
  process.stderr.write(`ingest detect: ${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

/** A small fixed-width table of the preview rows (long values cut). */
export function previewTable(rows: Record<string, string>[]): string {
  if (rows.length === 0) return '  (no row would load)';
  const cols = Object.keys(rows[0]).filter((c) => rows.some((r) => r[c] !== ''));
  const cut = (v: string): string => (v.length > 28 ? `${v.slice(0, 27)}…` : v);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cut(r[c] ?? '').length)));
  const line = (cells: string[]): string => `  ${cells.map((v, i) => v.padEnd(width[i])).join('  ')}`.trimEnd();
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cut(r[c] ?? ''))))].join('\n');
}

export function report(file: string, draft: Draft, run: DryRun, out: string | undefined): string {
  const lines = [`${file}: ${draft.entity}${draft.entitySure ? '' : ' (not sure: pass --entity to choose)'}`];
  for (const c of draft.mapping.$comment) lines.push(`  ${c}`);
  lines.push('');
  if (run.error) lines.push(`Dry run: nothing would load: ${run.error}`);
  else {
    lines.push(`Preview: the first ${run.preview.length} rows as they would load (customer ids are resolved at load time):`, previewTable(run.preview));
    // A time with an offset shows as its UTC instant, which can be another day than the file's:
    // without this line "2024-02-01 04:30:00" for "2024-01-31 23:30:00 -0500" reads as a parsing error.
    // Days only (a date-only column loads at midnight) have no time to explain.
    const times = ENTITIES[draft.entity].fields.filter(
      (f) => f.type === 'datetime' && run.preview.some((r) => /\d\d:\d\d:\d\d$/.test(r[f.column ?? f.name] ?? '') && !r[f.column ?? f.name]!.endsWith(' 00:00:00')),
    );
    if (times.length > 0) lines.push(`  Times are in UTC, the reporting time zone: each row counts on the UTC day shown (a time with an offset is its instant, 23:30 -05:00 on 31 January is 1 February 04:30; one without is read as UTC).`);
    lines.push('');
    lines.push(`Checked ${run.checked} rows: ${run.valid} would load, ${run.rejectedRows} would be rejected${run.skipped > 0 ? `, ${run.skipped} left out by "skip"` : ''}.`);
    for (const r of run.rejects.slice(0, 10)) lines.push(`  rejected: ${r.reason}`);
  }
  lines.push('', out ? `Mapping draft written to ${out}. Load with:` : 'Load with (after saving the draft):');
  lines.push(`  npm run ingest -- ${draft.entity} ${file} --mapping ${out ?? '<draft.json>'}`);
  return lines.join('\n');
}

export async function runDetect(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        entity: { type: 'string' },
        out: { type: 'string' },
        rows: { type: 'string' },
        'sample-bytes': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${DETECT_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) fail(positionals.length === 0 ? 'missing <file>' : 'detect reads one file at a time');
  const file = positionals[0];
  if (values.entity && !ENTITY_NAMES.includes(values.entity as EntityName)) fail(`unknown entity "${values.entity}" (expected one of: ${ENTITY_NAMES.join(', ')})`);
  const rows = values.rows === undefined ? 10 : Number(values.rows);
  if (!Number.isInteger(rows) || rows < 0) fail('--rows must be a whole number ≥ 0');
  const sampleBytes = values['sample-bytes'] === undefined ? DEFAULT_SAMPLE_BYTES : Number(values['sample-bytes']);
  if (!Number.isInteger(sampleBytes) || sampleBytes < 1024) fail('--sample-bytes must be a whole number ≥ 1024');
  let draft: Draft;
  try {
    const sample = await readSample(file, { maxBytes: sampleBytes });
    draft = proposeMapping(sample, { entity: values.entity as EntityName | undefined, baseCurrency: loadConfig().CRM_BASE_CURRENCY });
  } catch (e) {
    if (e instanceof DetectError) fail(e.message);
    throw e;
  }
  const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: rows });
  const json = `${JSON.stringify(draft.mapping, null, 2)}\n`;
  if (values.out) {
    // The draft often goes beside the export, in a folder others may write to: a link planted at
    // its name is refused, not written through (ninth security review).
    let fd: number;
    try {
      fd = openOwnFileForWriting(values.out, 'the mapping draft', { shareable: true });
    } catch (e) {
      fail((e as Error).message);
    }
    try {
      writeFileSync(fd, json);
    } finally {
      closeSync(fd);
    }
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ entity: draft.entity, entitySure: draft.entitySure, scores: draft.scores, columns: draft.columns, draft: draft.mapping, dryRun: run }, null, 2)}\n`);
  } else {
    if (!values.out) process.stdout.write(json);
    process.stderr.write(`${report(file, draft, run, values.out)}\n`);
  }
  return 0;
}
