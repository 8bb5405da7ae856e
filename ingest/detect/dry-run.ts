import { InputError } from '../core/input-error.ts';
import { entitySpec } from '../entities/index.ts';
import type { EntityName } from '../entities/types.ts';
import { Batch, tsvUnescape, type RejectRow } from '../load/batch.ts';
import { RowEncoder } from '../load/row-encoder.ts';
import { compileMapping, planColumns } from '../mapping/compile.ts';
import { MappingError, validateMapping, type Mapping } from '../mapping/mapping-file.ts';
import { CsvReader } from '../sources/csv-reader.ts';
import { NdjsonReader } from '../sources/ndjson-reader.ts';
import { detectFormat } from '../sources/open-input.ts';
import { ParquetReader } from '../sources/parquet-reader.ts';
import type { RowReader } from '../sources/reader.ts';

/** What loading the start of a file with a mapping would do: rows as they would be stored, and the rejects. */
export interface DryRun {
  /** The first rows that would load, by stored column (business columns only). */
  preview: Record<string, string>[];
  /** Rows read and checked (at most `checkRows`). */
  checked: number;
  /** Of those, rows that would load. */
  valid: number;
  /** Rows the mapping's `skip` would leave out. */
  skipped: number;
  /** Rows that would be rejected, and the first rejects. */
  rejectedRows: number;
  rejects: RejectRow[];
  /** The input cannot be read with this mapping at all (nothing would load). */
  error?: string;
}

class Enough extends Error {}

/** Stands in for identity resolution and the reference lookup: the dry run writes nothing and asks the warehouse nothing. */
const PROBE_ID = Buffer.from('C-000000000000');

/**
 * Runs the start of `file` through the load's own reader and row encoder (the validation every
 * load does), without a warehouse: no lookups, no writes. Customer ids are placeholders.
 */
export async function dryRun(
  file: string,
  entity: EntityName,
  mapping: Mapping,
  opts: { previewRows?: number; checkRows?: number } = {},
): Promise<DryRun> {
  const previewRows = opts.previewRows ?? 10;
  const checkRows = Math.max(opts.checkRows ?? 1000, previewRows);
  const result: DryRun = { preview: [], checked: 0, valid: 0, skipped: 0, rejectedRows: 0, rejects: [] };
  let reader: RowReader;
  let encoder: RowEncoder;
  try {
    // The draft carries a $comment and the current mapping keys: check it the way a load would.
    const m = validateMapping(JSON.parse(JSON.stringify(mapping)) as unknown, 'mapping draft');
    const spec = entitySpec(entity);
    const compiled = compileMapping(spec, m);
    let detected: ReturnType<typeof detectFormat>;
    try {
      detected = detectFormat(file);
    } catch (e) {
      if (!m.format) throw e;
      detected = { format: m.format, gzip: file.toLowerCase().endsWith('.gz'), tsv: false };
    }
    const format = m.format ?? detected.format;
    reader =
      format === 'csv'
        ? new CsvReader(file, compiled, { gzip: detected.gzip, tsv: detected.tsv })
        : format === 'ndjson'
          ? new NdjsonReader(file, compiled, { gzip: detected.gzip })
          : new ParquetReader(file, compiled);
    encoder = new RowEncoder(compiled, Date.now(), 'dry-run', { idFor: () => PROBE_ID });
  } catch (e) {
    if (e instanceof MappingError || e instanceof InputError || e instanceof Error) return { ...result, error: (e as Error).message };
    throw e;
  }
  const layout = encoder.layout;
  const types = new Map(encoder.mapping.entity.fields.map((f) => [f.column ?? f.name, f.type]));
  const shown = new Set(layout.business);
  const batch = new Batch(layout.keyColumns.length, 1024, 1 << 20);
  const seenRejectRows = new Set<number>();
  const decode = (start: number, end: number): Record<string, string> => {
    const cells = batch.out.buf.toString('utf8', start, end).replace(/\n$/, '').split('\t');
    const row: Record<string, string> = {};
    layout.columns.forEach((c, i) => {
      if (!shown.has(c)) return;
      let v = tsvUnescape(Buffer.from(cells[i] ?? ''), 0, Buffer.byteLength(cells[i] ?? ''));
      if (v === '\\N') v = '';
      // Date-times travel as Unix seconds; show them as the UTC time they are.
      if (types.get(c) === 'datetime' && /^\d+$/.test(v)) v = new Date(Number(v) * 1000).toISOString().replace('T', ' ').slice(0, 19);
      row[c] = v;
    });
    return row;
  };
  const collectRejects = (): void => {
    for (const r of batch.rejects) {
      if (!seenRejectRows.has(r.line)) {
        seenRejectRows.add(r.line);
        result.rejectedRows++;
      }
      if (result.rejects.length < 20) result.rejects.push(r);
    }
    batch.rejects.length = 0;
  };
  try {
    await reader.run({
      columns: (names) => {
        const plan = planColumns(encoder.mapping, names);
        if (plan.missingRequired.length > 0) throw new InputError(`no column for required field${plan.missingRequired.length > 1 ? 's' : ''} ${plan.missingRequired.join(', ')} (columns: ${names.join(', ')})`);
      },
      unknownKey: () => {},
      row: (row) => {
        if (result.checked >= checkRows) throw new Enough();
        result.checked++;
        const start = batch.out.pos;
        if (encoder.encode(row, batch)) {
          result.valid++;
          // One input row may write two (a partial refund's credit line follows its sale).
          for (let at = start; at < batch.out.pos && result.preview.length < previewRows; ) {
            const end = batch.out.buf.indexOf(10, at) + 1;
            result.preview.push(decode(at, end));
            at = end;
          }
        }
        collectRejects();
        if (batch.rows > 512) {
          batch.rows = 0;
          batch.out.pos = 0;
        }
      },
      bad: (line, detail, raw) => {
        if (result.checked >= checkRows) throw new Enough();
        result.checked++;
        encoder.rejectRow(batch, line, detail, raw);
        collectRejects();
      },
      chunkDone: () => {},
    });
  } catch (e) {
    if (!(e instanceof Enough)) result.error = (e as Error).message;
  }
  result.skipped = encoder.skipped;
  return result;
}
