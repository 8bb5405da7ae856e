import type { CompiledMapping } from '../mapping/compile.ts';
import { firstInvalidUtf8, showBytes } from '../core/reasons.ts';
import { fileSize, openBytes } from './open-input.ts';
import { RecordRows } from './record-rows.ts';
import type { ReaderSink, RowReader } from './reader.ts';
import { DerivedIds } from './derive-ids.ts';

/** Newline-delimited JSON: one object per line; blank lines are skipped. */
export class NdjsonReader implements RowReader {
  readonly size: number;

  constructor(
    readonly file: string,
    readonly mapping: CompiledMapping,
    readonly opts: { gzip: boolean },
  ) {
    this.size = fileSize(file);
  }

  #derived: DerivedIds | undefined;

  /** Orders formed for rows without an order_id; record ids are never derived for JSON (a missing one stays a reject). */
  describeDerived(): string | undefined {
    return this.#derived?.describe();
  }

  async run(sink: ReaderSink): Promise<void> {
    const input = openBytes(this.file, { gzip: this.opts.gzip, encoding: this.mapping.csv.encoding });
    const rows = new RecordRows(this.mapping, (k) => sink.unknownKey(k));
    const derived = new DerivedIds(this.mapping);
    this.#derived = derived;
    let line = 0;
    let leftover: Buffer | undefined;
    const handle = (buf: Buffer, s: number, e: number): void => {
      line++;
      let end = e;
      if (end > s && buf[end - 1] === 13) end--;
      let start = s;
      while (start < end && (buf[start] === 32 || buf[start] === 9)) start++;
      if (start === end) return;
      if (firstInvalidUtf8(buf, start, end) >= 0) {
        sink.bad(line, 'contains bytes that are not valid UTF-8; if the file is latin1, set csv.encoding in the mapping', showBytes(buf, start, Math.min(end, start + 4000)));
        return;
      }
      const text = buf.toString('utf8', start, end);
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        sink.bad(line, `is not valid JSON (${(err as Error).message})`, text.slice(0, 4000));
        return;
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        sink.bad(line, 'is not a JSON object', text.slice(0, 4000));
        return;
      }
      sink.row(derived.apply(rows.fill(obj as Record<string, unknown>, line, text.length > 4000 ? text.slice(0, 4000) : text)));
    };
    let first = true;
    for await (const chunk of input.chunks) {
      let data = leftover ? Buffer.concat([leftover, chunk]) : chunk;
      leftover = undefined;
      if (first) {
        first = false;
        if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      }
      let pos = 0;
      for (;;) {
        const nl = data.indexOf(10, pos);
        if (nl < 0) break;
        handle(data, pos, nl);
        pos = nl + 1;
      }
      if (pos < data.length) leftover = Buffer.from(data.subarray(pos));
      await sink.chunkDone(input.bytesRead());
    }
    if (leftover) handle(leftover, 0, leftover.length);
    await sink.chunkDone(input.bytesRead());
  }
}
