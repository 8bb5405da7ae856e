import type { Warehouse } from '../../lib/warehouse/index.ts';
import { quoteIdent } from '../../lib/warehouse/sql.ts';
import { planColumns, type CompiledField, type CompiledMapping } from '../mapping/compile.ts';
import type { RowReader } from '../sources/reader.ts';
import type { RowInput } from '../sources/row-input.ts';
import { openBytes } from '../sources/open-input.ts';
import { checkColumns } from '../sources/required-columns.ts';

/** A sale a credit line may name: whose it is and which order it belongs to. */
export interface ReferencedSale {
  ref: string;
  order: string;
}

/** `<source>\x1f<transaction id>`: how references are keyed (a reference names a sale of its own source). */
export const saleKey = (source: string, id: string): string => `${source}\x1f${id}`;

const IDS_PER_QUERY = 10_000;

/** The mapping reads the entity's reference field (PayPal's Reference Txn ID → reference_id). */
export function readsReferences(compiled: CompiledMapping): boolean {
  const field = compiled.entity.money?.reference;
  return field !== undefined && ([...compiled.renames.values()].includes(field) || compiled.byName.get(field)?.constant !== undefined);
}

/** Ends the probe's read early: the answer is known. */
class Decided extends Error {}

/**
 * Which of the fields the input fills by itself, with no rename in the mapping: a column spelled
 * like one (`reference_id`, `Reference ID`) in a CSV header or Parquet schema, a key of a JSON
 * record. A field must act the same however it arrives, and what depends on it (the sales looked up
 * before the load, counts kept on the job's own encoder) is decided before the rows are read. CSV
 * and Parquet: the header only (the read stops at the first row). NDJSON and HTTP records have no
 * header: read until each field has had a value, to the end when one never has.
 */
export async function inputFills(compiled: CompiledMapping, reader: RowReader, names: readonly string[]): Promise<Set<string>> {
  const fields = names.map((n) => compiled.byName.get(n)).filter((f): f is CompiledField => f !== undefined);
  const filled = new Set<string>();
  if (fields.length === 0) return filled;
  let header = false;
  try {
    await reader.run({
      // Decided here, ended at the first row: a CSV named by csv.names announces its columns before
      // its file is read, and ending the read from inside it closes the file.
      columns: (cols) => {
        const plan = planColumns(compiled, cols);
        header = true;
        for (const f of fields) if (plan.colOf[f.index] >= 0) filled.add(f.spec.name);
      },
      unknownKey: () => {},
      row: (row) => {
        if (header) throw new Decided();
        for (const f of fields) if (row.start[f.index] >= 0 && row.end[f.index] > row.start[f.index]) filled.add(f.spec.name);
        if (filled.size === fields.length) throw new Decided();
      },
      bad: () => {},
      chunkDone: () => {},
    });
  } catch (e) {
    if (!(e instanceof Decided)) throw e;
  }
  return filled;
}

/** Letters every key that can match one of the money fields holds (headerKey keeps them), or a JSON escape that may spell them. */
const MAY_NAME = /referen|refund|\\u/i;

/**
 * Whether an NDJSON file may have a key for reference_id or a refunded amount: a scan of its bytes
 * for the letters such a key must hold, without parsing a line. Most files have none, and their
 * load then reads them once more for the price of a byte scan (about a third of a load, parsed).
 */
export async function mayNameMoneyFields(file: string, gzip: boolean): Promise<boolean> {
  const input = openBytes(file, { gzip, encoding: 'utf-8' });
  let tail = '';
  for await (const chunk of input.chunks) {
    const text = tail + chunk.toString('latin1');
    if (MAY_NAME.test(text)) return true; // leaving the loop closes the file
    tail = text.slice(-8);
  }
  return false;
}

/**
 * The sales that rows of an input refer to (PayPal's refund rows name the payment they reverse by
 * Reference Txn ID), found before the load encodes anything: first among the input's own rows (a
 * refund in the same download as its payment), then among the transactions already loaded for the
 * source (a refund in February's download of a payment in January's). One extra pass over the
 * input; memory: the id, customer and order of every row without a reference while it runs (about
 * 150 bytes a row), then of the referenced sales only.
 */
export async function referencedSales(warehouse: Warehouse, compiled: CompiledMapping, reader: RowReader, skip?: (row: RowInput) => boolean): Promise<Map<string, ReferencedSale>> {
  const entity = compiled.entity;
  const field = (name: string | undefined): CompiledField | undefined => (name ? compiled.byName.get(name) : undefined);
  const reference = field(entity.money?.reference)!;
  const source = field('source');
  const id = field(entity.idField)!;
  const customer = field('customer_ref')!;
  const order = field(entity.credits?.marker);
  const own = new Map<string, ReferencedSale>();
  const wanted = new Set<string>();
  await reader.run({
    columns: (names) => checkColumns(compiled, names),
    unknownKey: () => {},
    row: (row) => {
      if (skip?.(row)) return;
      const src = (source && valueOf(row, source)) ?? '';
      const ref = valueOf(row, reference);
      if (ref) {
        wanted.add(saleKey(src, ref));
        return;
      }
      const txn = valueOf(row, id);
      const who = valueOf(row, customer);
      if (txn && who) own.set(saleKey(src, txn), { ref: who, order: (order && valueOf(row, order)) ?? '' });
    },
    bad: () => {},
    chunkDone: () => {},
  });
  const found = new Map<string, ReferencedSale>();
  const missing = new Map<string, string[]>();
  for (const key of wanted) {
    const sale = own.get(key);
    if (sale) found.set(key, sale);
    else {
      const [src, txn] = key.split('\x1f');
      const list = missing.get(src) ?? [];
      list.push(txn);
      missing.set(src, list);
    }
  }
  own.clear();
  for (const [src, ids] of missing) {
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const rs = await warehouse.client.query({
        // The newest version of each sale; credit lines are never the sale a credit reverses.
        query: `SELECT transaction_id, argMax(customer_ref, version) AS ref, argMax(order_id, version) AS ord
          FROM ${quoteIdent(warehouse.database)}.${quoteIdent(entity.table)}
          WHERE source = {source:String} AND transaction_id IN {ids:Array(String)} AND status != 'credit'
          GROUP BY transaction_id`,
        query_params: { source: src, ids: ids.slice(i, i + IDS_PER_QUERY) },
        format: 'JSONEachRow',
      });
      for (const r of await rs.json<{ transaction_id: string; ref: string; ord: string }>()) found.set(saleKey(src, r.transaction_id), { ref: r.ref, order: r.ord });
    }
  }
  return found;
}

/** The field's trimmed value, its constant when empty, or undefined. */
function valueOf(row: RowInput, f: CompiledField): string | undefined {
  const s = row.start[f.index];
  const v = s >= 0 ? row.bufs[f.index].toString('utf8', s, row.end[f.index]).trim() : '';
  if (v !== '') return v;
  return f.constant ? f.constant.toString('utf8') : undefined;
}
