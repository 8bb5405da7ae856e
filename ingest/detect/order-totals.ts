import type { NumberGuess } from './guess-number.ts';
import { isNumberIn } from './guess-number.ts';

/**
 * Order totals in line-level exports. An invoice or order export with one row per line repeats the
 * order's own figures (Xero's `Total`, WooCommerce's `order_total`, Shopify's `Total`) on each line;
 * mapped to the line's `amount`, a three-line invoice would count its total three times. Decided by
 * the values, not the header: within every order the sample shows on several rows, the column holds
 * one value (or is filled on the first line only) and that value is at least the sum of the lines
 * (or the lines differ while it does not).
 */

/** What the sample says about a column mapped to the amount. */
export type AmountVerdict =
  /** No order shows on two rows, or the column differs within an order: a line figure. */
  | { kind: 'line' }
  /** One value per order, at least the sum of its lines: an order total. */
  | { kind: 'order-total'; order: string; value: number; lines: number; sum: number }
  /** One value per order and nothing to compare it with (no unit price, no other amount column). */
  | { kind: 'unknown'; order: string; value: number; rows: number };

export interface LineFigures {
  /** Columns of the unit price and quantity (quantity 1 when absent, as the load prices a line). */
  unitPrice?: number;
  quantity?: number;
  /** Another column that may be the line amount (its empty cells priced by the unit price when there is one). */
  amount?: number;
}

/** A sampled cell as a number in the file's format, or undefined when empty or not a number. */
export function numberIn(value: string | undefined, numbers: Pick<NumberGuess, 'decimal' | 'thousands'>): number | undefined {
  const v = (value ?? '').trim();
  if (v === '' || !isNumberIn(v, numbers)) return undefined;
  const plain = (numbers.thousands ? v.split(numbers.thousands).join('') : v).replace(numbers.decimal, '.');
  const n = Number(plain);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The row's line figure: the smaller of the other amount column and unit price × quantity (a
 * discount makes the priced figure larger than the line's amount; the smaller one keeps a total
 * that includes tax above the lines it sums).
 */
function lineFigure(row: string[], figures: LineFigures, numbers: Pick<NumberGuess, 'decimal' | 'thousands'>): number | undefined {
  const other = figures.amount === undefined ? undefined : numberIn(row[figures.amount], numbers);
  const price = figures.unitPrice === undefined ? undefined : numberIn(row[figures.unitPrice], numbers);
  const qty = figures.quantity === undefined ? 1 : numberIn(row[figures.quantity], numbers);
  const priced = price === undefined || qty === undefined ? undefined : price * qty;
  if (other === undefined) return priced;
  return priced === undefined ? other : Math.min(other, priced);
}

/**
 * Judges `col` as a line amount, given the rows (currency signs and accounting parentheses already
 * read), the columns that key an order (its id; without one, the customer and order time, as the
 * load's orders.by groups lines) and what else could give each line its figure.
 */
export function judgeAmount(rows: string[][], col: number, orderCols: readonly number[], figures: LineFigures, numbers: Pick<NumberGuess, 'decimal' | 'thousands'>): AmountVerdict {
  const orders = new Map<string, string[][]>();
  for (const r of rows) {
    const parts = orderCols.map((c) => (r[c] ?? '').trim());
    if (parts.some((p) => p === '')) continue;
    const id = parts.join(' ');
    const list = orders.get(id);
    if (list) list.push(r);
    else orders.set(id, [r]);
  }
  let total: AmountVerdict | undefined;
  let unknown: AmountVerdict | undefined;
  let repeated = false;
  for (const [order, lines] of orders) {
    if (lines.length < 2) continue;
    const values = lines.map((r) => numberIn(r[col], numbers));
    const filled = values.filter((v): v is number => v !== undefined);
    if (filled.length === 0) continue;
    // Two different values on one order's lines: the column is per line.
    if (filled.some((v) => Math.abs(v - filled[0]) > 0.005)) return { kind: 'line' };
    const value = filled[0];
    const figured = lines.map((r) => lineFigure(r, figures, numbers));
    const each = figured.filter((v): v is number => v !== undefined);
    if (each.length === lines.length) {
      const sum = each.reduce((t, v) => t + v, 0);
      // At least the lines' sum (taxes, shipping on top), or one value beside lines that differ.
      const differ = each.some((v) => Math.abs(v - each[0]) > 0.005) && filled.length > 1;
      if (value >= sum - 0.005 * lines.length || differ) total ??= { kind: 'order-total', order, value, lines: lines.length, sum };
      // A line amount column filled on one line of the order, the others priced: per line.
      else return { kind: 'line' };
    } else if (filled.length > 1) {
      repeated = true;
      unknown ??= { kind: 'unknown', order, value, rows: filled.length };
    }
  }
  return total ?? (repeated ? unknown! : { kind: 'line' });
}
