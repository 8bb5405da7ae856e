/**
 * Tables for notebook output: a data frame (danfojs-node DataFrame, or anything with `columns` and
 * row `values`) as an HTML table with numbers formatted, so executed notebooks and their HTML show
 * readable tables instead of danfojs's box-drawing text.
 */

export interface TableLike {
  columns: string[];
  values: unknown[] | unknown[][];
  /** Row labels; shown unless they are just 0, 1, 2, … */
  index?: readonly (string | number)[];
}

export interface TableOptions {
  /** Decimals for non-integer numbers (default 3); per column with `columnDigits`. */
  digits?: number;
  columnDigits?: Record<string, number>;
  /** Rows shown at most (default 50); the rest are counted. */
  maxRows?: number;
  caption?: string;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export function formatCell(value: unknown, digits = 3): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  if (Array.isArray(value)) return value.map((v) => formatCell(v, digits)).join('; ');
  return String(value);
}

export function htmlTable(frame: TableLike, options: TableOptions = {}): string {
  const maxRows = options.maxRows ?? 50;
  // A one-column frame's `values` is a flat array.
  const rows = (frame.values as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
  const shown = rows.slice(0, maxRows);
  const digitsOf = frame.columns.map((c) => options.columnDigits?.[c] ?? options.digits ?? 3);
  const labels = frame.index && !frame.index.every((v, i) => v === i) ? frame.index : undefined;
  const head = (labels ? '<th></th>' : '') + frame.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = shown
    .map((r, i) => {
      const label = labels ? `<th>${escapeHtml(String(labels[i]))}</th>` : '';
      return `<tr>${label}${r.map((v, j) => `<td${typeof v === 'number' ? ' style="text-align:right"' : ''}>${escapeHtml(formatCell(v, digitsOf[j]))}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const more = rows.length > shown.length ? `<p><em>${rows.length - shown.length} more rows</em></p>` : '';
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : '';
  return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
}

/** Rows of records as a table (columns from the first row unless given). */
export function recordsTable(records: readonly object[], options: TableOptions & { columns?: string[] } = {}): string {
  const columns = options.columns ?? Object.keys(records[0] ?? {});
  return htmlTable({ columns, values: records.map((r) => columns.map((c) => (r as Record<string, unknown>)[c])) }, options);
}
