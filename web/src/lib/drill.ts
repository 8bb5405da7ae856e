import type { ValueFormat } from './format/format.ts';
import type { CubeQuery, Row } from './cube/types.ts';

/**
 * A drill-down: the rows behind a bar, cell or card. Charts build one from what was clicked;
 * components/DrillDialog.svelte runs the query page by page.
 */
export interface Column {
  /** Member name in the result rows. */
  key: string;
  label: string;
  format?: ValueFormat;
  align?: 'left' | 'right';
  /** Makes the cell a link (e.g. to the customer page). */
  href?: (row: Row) => string | undefined;
  /** Long text (notes): wraps instead of truncating. */
  wrap?: boolean;
  /** Cap for long values (e-mails), e.g. '14rem'; the full text is in the cell's title. */
  maxWidth?: string;
  sortable?: boolean;
  /**
   * How much the column matters when the table is narrow (tablets, issue 15): 1 = a key column,
   * always in the row; 2 (default) and 3 move into the row's detail, 3 first, when the table would
   * otherwise scroll or clip. The first column counts as 1 unless said otherwise.
   */
  priority?: 1 | 2 | 3;
  /**
   * What the cell says when its value is empty: e.g. a customer without a name (a purchase log
   * such as CDNOW has none) showed "—" on every row of the list; `id` shows the row's id instead,
   * `text` a fixed word; with `when`, only on rows where that key holds that value (a lapsed
   * customer's churn risk says "lapsed", not the "—" of a customer never scored).
   */
  fallback?: { id: string } | { text: string; when?: { key: string; is: string } };
}

/** A cell's text: the formatted value, or the column's fallback when the value is empty. */
export function cellText(row: Row, c: Column, format: (v: unknown, f: ValueFormat) => string): string {
  const v = row[c.key];
  if ((v === null || v === undefined || v === '') && c.fallback) {
    if ('text' in c.fallback) {
      const w = c.fallback.when;
      if (!w || row[w.key] === w.is) return c.fallback.text;
    } else {
      const id = row[c.fallback.id];
      if (id !== null && id !== undefined && id !== '') return `${String(id)} (no name)`;
    }
  }
  return format(v, c.format ?? 'text');
}

export interface Drill {
  title: string;
  description?: string;
  /** A line above the rows that needs the answer (the day the recency days count to); none when it returns undefined. */
  rowsNote?: (rows: readonly Row[]) => string | undefined;
  /** Without limit/offset: the dialog pages through it. */
  query: CubeQuery;
  columns: Column[];
}

export const customerHref = (key: string) => (row: Row): string | undefined => {
  const id = row[key];
  return id ? `/customers/${encodeURIComponent(String(id))}` : undefined;
};

export const isNumericFormat = (f: ValueFormat | undefined): boolean => f === 'currency' || f === 'number' || f === 'quantity' || f === 'percent' || f === 'days';
