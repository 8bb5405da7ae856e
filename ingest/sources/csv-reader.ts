import { InputError } from '../core/input-error.ts';
import { RowInput } from './row-input.ts';
import { planColumns, type CompiledMapping } from '../mapping/compile.ts';
import { CsvParser, type CsvRowSink } from './csv-parser.ts';
import { fileSize, openBytes } from './open-input.ts';
import type { ReaderSink, RowReader } from './reader.ts';
import { SeparatedParser } from './separated-parser.ts';
import { DerivedIds } from './derive-ids.ts';

/**
 * CSV/TSV and other delimited text: the header names the columns (or the mapping's `csv.names`
 * does, for a file without a header), then each record becomes a RowInput. A one-byte delimiter
 * takes the fast parser; a longer one or `whitespace` the separated parser.
 */
export class CsvReader implements RowReader {
  readonly size: number;

  constructor(
    readonly file: string,
    readonly mapping: CompiledMapping,
    readonly opts: { gzip: boolean; tsv: boolean },
  ) {
    this.size = fileSize(file);
  }

  #derived: DerivedIds | undefined;
  /** Rows left out as a grouped report's headings, totals or empty lines (csv.groupHeading). */
  groupRows = 0;

  describeDerived(): string | undefined {
    return this.#derived?.describe();
  }

  async run(sink: ReaderSink): Promise<void> {
    const m = this.mapping;
    const derived = new DerivedIds(m);
    this.#derived = derived;
    const csv = m.csv;
    const delimiter = csv.delimiter ?? (this.opts.tsv ? 9 : 44);
    const input = openBytes(this.file, { gzip: this.opts.gzip, encoding: csv.encoding });
    const row = new RowInput(m.fields.length);
    const fieldCount = m.fields.length;
    let colOf: Int32Array | undefined;
    let expected = 0;
    let namedBy = 'as in the header';
    let header: string[] | undefined;
    const useNames = (names: readonly string[]): void => {
      header = [...names];
      expected = names.length;
      const plan = planColumns(m, header);
      sink.columns(header);
      derived.useColumns(plan);
      colOf = plan.colOf;
    };
    if (!csv.header) {
      useNames(csv.names ?? []);
      namedBy = 'as named by csv.names';
    }
    const skipLines = csv.skipLines;
    const group = csv.groupHeading?.index ?? -1;
    // The heading's bytes, copied: the parser reuses its buffer from one chunk to the next.
    let heading: Buffer | undefined;
    const onRecord: CsvRowSink['row'] = (buf, starts, ends, count, line, high, raw, rawStart, rawEnd) => {
      // A report's title lines above the table (csv.skipLines); line numbers stay the file's own.
      if (line <= skipLines) return;
      if (!colOf) {
        if (csv.names) {
          // The header line is skipped: the mapping names the columns by position.
          if (count !== csv.names.length) {
            throw new InputError(
              `${this.file}: the header has ${count} columns but "csv.names" names ${csv.names.length}`,
            );
          }
          useNames(csv.names);
          namedBy = 'as named by csv.names';
          return;
        }
        const names: string[] = [];
        for (let i = 0; i < Math.min(count, starts.length); i++)
          names.push(buf.toString('utf8', starts[i], ends[i]).trim());
        useNames(names);
        return;
      }
      if (count !== expected) {
        sink.bad(
          line,
          `expected ${expected} columns (${namedBy}), found ${count}`,
          raw.toString('utf8', rawStart, Math.min(rawEnd, rawStart + 4000)).replace(/\r?\n$/, ''),
        );
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
      if (group >= 0) {
        const c = map[group];
        const cell = c >= 0 ? trimmed(buf, starts[c], ends[c]) : undefined;
        if (cell || allEmpty(buf, starts, ends, count)) {
          // A heading names the group below it; a total ("Total for …", "TOTAL") or a report's footer ends it.
          if (cell)
            heading = TOTAL_LINE.test(buf.toString('utf8', cell[0], cell[1]))
              ? undefined
              : Buffer.from(buf.subarray(cell[0], cell[1]));
          this.groupRows++;
          return;
        }
        if (heading) {
          row.bufs[group] = heading;
          row.start[group] = 0;
          row.end[group] = heading.length;
        }
      }
      sink.row(derived.active ? derived.apply(row) : row);
    };
    const rowSink: CsvRowSink = {
      row: onRecord,
      bad: (line, detail, raw) => (line <= skipLines ? undefined : sink.bad(line, detail, raw)),
    };
    let parser: { push(chunk: Buffer): void; finish(): void } | undefined;
    for await (const chunk of input.chunks) {
      if (!parser) {
        if (csv.whitespace || csv.separator)
          parser = new SeparatedParser(csv.whitespace ? 'whitespace' : csv.separator!, csv.quote, rowSink);
        else {
          // The header may be wider than any fixed guess: size the parser from the first line.
          let from = 0;
          for (let k = 0; k < skipLines && from < chunk.length; k++) from = chunk.indexOf(10, from) + 1 || chunk.length;
          const rest = chunk.subarray(from);
          const firstLine = rest.subarray(0, Math.max(rest.indexOf(10), 0) || rest.length);
          let cols = csv.names?.length ?? 1;
          for (const b of firstLine) if (b === delimiter) cols++;
          parser = new CsvParser(delimiter, csv.quote, Math.max(cols + 1, 8), rowSink);
        }
      }
      parser.push(chunk);
      await sink.chunkDone(input.bytesRead());
    }
    parser?.finish();
    if (!header) throw new InputError(`${this.file} is empty (no header line)`);
    await sink.chunkDone(input.bytesRead());
  }
}

/** A grouped report's total line: "Total for Amy's Bird Sanctuary", "TOTAL", "Grand Total", "Subtotal". */
const TOTAL_LINE = /^\s*(grand\s*|sub\s*)?totals?(\s+(for|of)\b.*|\s*:.*)?\s*$/i;

/** [start, end] of a cell without its spaces and tabs, or undefined when nothing is left. */
function trimmed(buf: Buffer, s: number, e: number): [number, number] | undefined {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  return s < e ? [s, e] : undefined;
}

function allEmpty(buf: Buffer, starts: ArrayLike<number>, ends: ArrayLike<number>, count: number): boolean {
  for (let i = 0; i < count; i++) if (trimmed(buf, starts[i], ends[i])) return false;
  return true;
}
