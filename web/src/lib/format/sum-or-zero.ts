/**
 * A sum over no rows is NULL in SQL, so Cube answers "Lost value: —" beside "Lost deals: 0": the
 * dash reads as "no data" where the data say none was lost. When the count over the same rows is
 * known to be 0 the sum is 0; without a count (the query failed, nothing loaded) it stays missing.
 */
import { toNumber, type Num } from '../../../../lib/format/index.ts';

export function sumOrZero(sum: Num, count: Num): number | undefined {
  const s = toNumber(sum);
  if (s !== undefined) return s;
  return toNumber(count) === 0 ? 0 : undefined;
}
