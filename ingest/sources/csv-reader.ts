import { InputError } from '../core/input-error.ts';
import { RowInput } from './row-input.ts';
import { planColumns, type CompiledMapping } from '../mapping/compile.ts';
import { CsvParser } from './csv-parser.ts';
import { fileSize, openBytes } from './open-input.ts';
import type { ReaderSink, RowReader } from './reader.ts';

/** CSV/TSV files: the header names the columns, then each record becomes a RowInput. */
export class CsvReader implements RowReader {
  readonly size: number;

  constructor(
    readonly file: string,
    readonly mapping: CompiledMapping,
    readonly opts: { gzip: boolean; tsv: boolean },
  ) {
    this.size = fileSize(file);
  }

  async run(sink: ReaderSink): Promise<void> {
    const m = this.mapping;
    const delimiter = m.csv.delimiter ?? (this.opts.tsv ? 9 : 44);
    const input = openBytes(this.file, { gzip: this.opts.gzip, encoding: m.csv.encoding });
    const row = new RowInput(m.fields.length);
    const fieldCount = m.fields.length;
    let colOf: Int32Array | undefined;
    let expected = 0;
    let header: string[] | undefined;
    let parser: CsvParser | undefined;
    const onRecord = (buf: Buffer, starts: Int32Array, ends: Int32Array, count: number, line: number, high: boolean, raw: Buffer, rawStart: number, rawEnd: number): void => {
      if (!colOf) {
        header = [];
        for (let i = 0; i < Math.min(count, starts.length); i++) header.push(buf.toString('utf8', starts[i], ends[i]).trim());
        expected = count;
        const plan = planColumns(m, header);
        sink.columns(header);
        colOf = plan.colOf;
        return;
      }
      if (count !== expected) {
        sink.bad(line, `expected ${expected} columns (as in the header), found ${count}`, raw.toString('utf8', rawStart, Math.min(rawEnd, rawStart + 4000)).replace(/\r?\n$/, ''));
        return;
      }
      row.line = line;
      row.high = high;
      row.rawBuf = raw;
      row.rawStart = rawStart;
      row.rawEnd = rawEnd;
      const map = colOf;
      for (let f = 0; f < fieldCount; f++) {
        const c = map[f];
        if (c >= 0) {
          row.bufs[f] = buf;
          row.start[f] = starts[c];
          row.end[f] = ends[c];
        } else row.start[f] = -1;
      }
      sink.row(row);
    };
    // The header may be wider than any fixed guess: size the parser from the first line.
    for await (const chunk of input.chunks) {
      if (!parser) {
        const firstLine = chunk.subarray(0, Math.max(chunk.indexOf(10), 0) || chunk.length);
        let cols = 1;
        for (const b of firstLine) if (b === delimiter) cols++;
        parser = new CsvParser(delimiter, m.csv.quote, Math.max(cols + 1, 8), { row: onRecord, bad: (line, detail, raw) => sink.bad(line, detail, raw) });
      }
      parser.push(chunk);
      await sink.chunkDone(input.bytesRead());
    }
    parser?.finish();
    if (!header) throw new InputError(`${this.file} is empty (no header line)`);
    await sink.chunkDone(input.bytesRead());
  }
}
