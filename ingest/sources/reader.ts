import type { RowInput } from './row-input.ts';

/** What a reader feeds: rows already split into canonical fields. */
export interface ReaderSink {
  /** Input column names once known (CSV header, Parquet schema); throws to stop when required ones are missing. */
  columns(names: readonly string[]): void;
  /** Names seen in JSON objects that map to no field (reported once). */
  unknownKey(name: string): void;
  row(row: RowInput): void;
  /** A row that cannot be split into fields (column count, malformed JSON). */
  bad(line: number, detail: string, raw: string): void;
  /** Called between chunks; awaiting it is the backpressure. */
  chunkDone(bytesRead: number): Promise<void> | void;
}

export interface RowReader {
  /** Total input size in bytes when known (progress), else 0. */
  readonly size: number;
  run(sink: ReaderSink): Promise<void>;
  /** After run: which ids the reader formed itself (derive-ids.ts), for the summary; undefined when none. */
  describeDerived?(): string | undefined;
  /** After run: rows left out as a grouped report's headings, totals or empty lines (CSV's csv.groupHeading). */
  readonly groupRows?: number;
}
