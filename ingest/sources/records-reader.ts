import type { RowInput } from './row-input.ts';
import type { CompiledMapping } from '../mapping/compile.ts';
import { RecordRows } from './record-rows.ts';
import type { ReaderSink, RowReader } from './reader.ts';
import { DerivedIds } from './derive-ids.ts';

/** Records already in memory (HTTP bodies, the demo loader): line = 1-based position in the array. */
export class RecordsReader implements RowReader {
  readonly size = 0;
  readonly #rows: RecordRows;
  #unknown: (k: string) => void = () => {};

  constructor(
    readonly records: readonly Record<string, unknown>[],
    readonly mapping: CompiledMapping,
  ) {
    this.#rows = new RecordRows(mapping, (k) => this.#unknown(k));
  }

  rowOf(obj: Record<string, unknown>, index: number): RowInput {
    return this.#rows.fill(obj, index + 1, '');
  }

  #derived: DerivedIds | undefined;

  /** Orders formed for records without an order_id; record ids are never derived here (a missing one stays a reject). */
  describeDerived(): string | undefined {
    return this.#derived?.describe();
  }

  async run(sink: ReaderSink): Promise<void> {
    this.#unknown = (k) => sink.unknownKey(k);
    const derived = new DerivedIds(this.mapping);
    this.#derived = derived;
    const list = this.records;
    for (let i = 0; i < list.length; i++) {
      const obj = list[i];
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        sink.bad(i + 1, 'is not a JSON object', JSON.stringify(obj ?? null).slice(0, 4000));
      } else {
        const raw = JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
        sink.row(derived.apply(this.#rows.fill(obj, i + 1, raw.length > 4000 ? raw.slice(0, 4000) : raw)));
      }
      if ((i + 1) % 10_000 === 0) await sink.chunkDone(0);
    }
    await sink.chunkDone(0);
  }
}
