import { guessColumn, type ColumnContext } from './guess-column.ts';
import { guessDateFormat } from './guess-date.ts';

/**
 * Does the first record name the columns? A header cell is never a number or a date; and where
 * the rows below hold numbers, dates or e-mails, a header cell is something else. Where every
 * column is free text, a header is assumed when no first-row value appears again below it.
 */
export function guessHeader(records: readonly string[][], ctx: ColumnContext): { header: boolean; why: string } {
  if (records.length === 0) return { header: false, why: 'no records' };
  const [first, ...rest] = records;
  const cells = first.map((c) => c.trim());
  const numberOrDate = cells.findIndex((c) => c !== '' && (/^[+-]?[\d.,]+$/.test(c) || guessDateFormat([c]) !== undefined));
  if (numberOrDate >= 0) return { header: false, why: `the first line has a number or date ("${cells[numberOrDate]}") where a header would have a name` };
  if (rest.length === 0) return { header: true, why: 'one line of names only' };
  let typed = 0;
  for (let i = 0; i < cells.length; i++) {
    const below = rest.map((r) => r[i] ?? '');
    const kind = guessColumn('', below, ctx).kind;
    if (['int', 'decimal', 'date', 'datetime', 'email', 'currency', 'phone', 'boolean'].includes(kind) && cells[i] !== '') {
      if (guessColumn('', [cells[i]], ctx).kind !== kind) typed++;
    }
  }
  if (typed > 0) return { header: true, why: `the first line's cells do not fit ${typed} typed column${typed > 1 ? 's' : ''} below them` };
  const repeated = cells.some((c, i) => c === '' || rest.some((r) => (r[i] ?? '').trim() === c));
  return repeated
    ? { header: false, why: 'the first line holds values that occur again below it' }
    : { header: true, why: 'the first line holds names that do not occur below them' };
}
