import { csvRow } from './csv.ts';
import type { Row } from '../cube/types.ts';
import { exportHeader, exportValue, type ExportUnit, type FormatContext } from '../../../../lib/format/index.ts';

/**
 * THE CSV writer of every dashboard export (segment members, churn risk): pages through a loader
 * (Cube /load as the signed-in user on the server) and writes rows as each page arrives, so memory
 * stays at one page whatever the size. Every cell goes through csv.ts (quoting, formula guard).
 */
export type PageLoader = (limit: number, offset: number) => Promise<Row[]>;

/**
 * One column of an export: header, Cube member and, for numbers, the unit its values are rounded
 * to (lib/format/export-values.ts: money 2 decimals, probabilities as percent with 1 decimal, whole
 * days). A column without a unit is written as Cube returns it.
 */
export type CsvColumn = readonly [header: string, member: string] | readonly [header: string, member: string, unit: ExportUnit];

/**
 * Columns with their units: the unit goes into the header ("churn_probability" → "churn_probability_pct",
 * "clv" → "clv_eur" in the base currency) and decides the rounding of every cell. The currency has
 * no default: with one, the churn-risk export wrote "_eur" above a USD warehouse's amounts.
 */
export function withUnits(
  columns: readonly (readonly [string, string])[],
  units: Readonly<Record<string, ExportUnit>>,
  ctx: Pick<FormatContext, 'currency'>,
): CsvColumn[] {
  return columns.map(([header, member]) => {
    const unit = units[member];
    return unit ? ([exportHeader(header, unit, ctx), member, unit] as const) : ([header, member] as const);
  });
}

const cell = (row: Row, [, member, unit]: CsvColumn): unknown => (unit ? exportValue(row[member], unit) : row[member]);

/** Every row, page by page; stops at the first short page. */
export async function* pagedRows(load: PageLoader, pageSize: number): AsyncGenerator<Row[]> {
  for (let offset = 0; ; offset += pageSize) {
    const rows = await load(pageSize, offset);
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
  }
}

/**
 * A CSV byte stream: UTF-8 BOM (spreadsheets read the encoding), header line, then one CRLF line per
 * row in column order. `first` is an already-loaded first page (so the caller can answer a failed
 * first query with a proper error status instead of a truncated file).
 */
export function csvStream(columns: readonly CsvColumn[], pages: AsyncIterator<Row[]>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`\uFEFF${csvRow(columns.map(([h]) => h))}`));
        return;
      }
      try {
        const next = await pages.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value.map((r) => csvRow(columns.map((c) => cell(r, c)))).join('')));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await pages.return?.(undefined);
    },
  });
}

/** The download answer for a CSV stream; the file name is reduced to safe characters. */
export function csvResponse(stream: ReadableStream<Uint8Array>, fileName: string): Response {
  return new Response(stream, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'private, no-store',
    },
  });
}

/** Reads a whole stream back as text (tests, small payloads). */
export async function streamText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let text = '';
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}
