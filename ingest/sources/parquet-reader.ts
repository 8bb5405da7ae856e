import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError } from '../core/input-error.ts';
import { planColumns, type CompiledMapping } from '../mapping/compile.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import { fileSize, notAnInputFile } from './open-input.ts';
import { describeNonText } from './sniff-binary.ts';
import { DerivedIds } from './derive-ids.ts';
import { RecordRows } from './record-rows.ts';
import type { ReaderSink, RowReader } from './reader.ts';

/**
 * Parquet through hyparquet with a file-backed AsyncBuffer: one row group at a time is decoded, so
 * memory is bounded by the largest row group, not the file. Line numbers are 1-based row numbers.
 */
export class ParquetReader implements RowReader {
  readonly size: number;

  constructor(
    readonly file: string,
    readonly mapping: CompiledMapping,
  ) {
    this.size = fileSize(file);
  }

  #derived: DerivedIds | undefined;

  describeDerived(): string | undefined {
    return this.#derived?.describe();
  }

  async run(sink: ReaderSink): Promise<void> {
    checkParquetSignature(this.file);
    let buffer;
    let metadata;
    try {
      buffer = await asyncBufferFromFile(this.file);
      metadata = await parquetMetadataAsync(buffer);
    } catch (e) {
      throw new InputError(`${this.file} is not a readable Parquet file: ${(e as Error).message}`);
    }
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    const plan = planColumns(this.mapping, names);
    sink.columns(names);
    const derived = new DerivedIds(this.mapping);
    this.#derived = derived;
    derived.useColumns(plan);
    const used = names.filter((n, i) => i >= 0 && !plan.unknown.includes(n));
    const rows = new RecordRows(this.mapping, (k) => sink.unknownKey(k));
    let start = 0;
    const total = Number(metadata.num_rows);
    for (const group of metadata.row_groups) {
      const count = Number(group.num_rows);
      const end = start + count;
      const objects = await parquetReadObjects({ file: buffer, metadata, compressors, columns: used, rowStart: start, rowEnd: end });
      for (let i = 0; i < objects.length; i++) {
        const obj = objects[i] as Record<string, unknown>;
        sink.row(derived.apply(rows.fill(obj, start + i + 1, JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 4000))));
      }
      start = end;
      await sink.chunkDone(total > 0 ? Math.round((this.size * start) / total) : this.size);
    }
  }
}

/** Parquet files start with "PAR1"; anything else is described (text, a ZIP, …) rather than handed to the decoder. */
function checkParquetSignature(file: string): void {
  const head = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const start = head.subarray(0, n);
  if (n >= 4 && start.toString('latin1', 0, 4) === 'PAR1') return;
  const what = describeNonText(start);
  throw notAnInputFile(file, what && !what.startsWith('a Parquet') ? what : n === 0 ? 'an empty file' : 'text, not Parquet: name it .csv or .ndjson, or pass --format');
}
