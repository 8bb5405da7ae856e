/**
 * Which columns of a table go into the row detail when the table is too wide for its box (issue 15:
 * at 768 px the customers list hid LTV, CLV and churn off to the right; at 1366 px lost-deal notes
 * were clipped). The component measures; this module decides, so the order is tested without a
 * browser: lowest priority first (3, then 2), rightmost first among equals; key columns
 * (priority 1, the first column by default) never move.
 */
export interface FitColumn {
  key: string;
  priority?: 1 | 2 | 3;
  /** Long text (notes, reasons): makes rows tall when squeezed, so it moves before its equals. */
  wrap?: boolean;
}

export const priorityOf = (c: FitColumn, index: number): 1 | 2 | 3 => c.priority ?? (index === 0 ? 1 : 2);

/** The next column to move into the detail, or undefined when only key columns are left. */
export function nextToHide(columns: readonly FitColumn[], hidden: ReadonlySet<string>): string | undefined {
  let best: { key: string; rank: number; index: number } | undefined;
  columns.forEach((c, index) => {
    const p = priorityOf(c, index);
    if (p === 1 || hidden.has(c.key)) return;
    // Wrapped long text counts half a step lower: it is what makes narrow rows ~150 px tall.
    const rank = p + (c.wrap ? 0.5 : 0);
    if (!best || rank > best.rank || (rank === best.rank && index > best.index)) best = { key: c.key, rank, index };
  });
  return best?.key;
}

/**
 * Columns that go into the detail even before anything overflows: wrapped long text below
 * `wrapDetailBelow` px of table width (a squeezed "Why" column makes every row tall).
 */
export function initiallyHidden(columns: readonly FitColumn[], width: number, wrapDetailBelow = 1000): Set<string> {
  const out = new Set<string>();
  if (width <= 0 || width >= wrapDetailBelow) return out;
  columns.forEach((c, index) => {
    if (c.wrap && priorityOf(c, index) !== 1) out.add(c.key);
  });
  return out;
}
