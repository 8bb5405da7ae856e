import { splitRecords, type Delimiter } from './split-records.ts';

export interface Dialect {
  delimiter: Delimiter;
  quote: string;
  /** Fields per record in most records. */
  columns: number;
  /** Share of the sampled records with exactly `columns` fields (1 = every one). */
  consistency: number;
}

/** Multi-character candidates come before their one-character prefix so `||` is not read as `|` + empty field. */
const CANDIDATES: Delimiter[] = ['||', ',', ';', '\t', '|'];

/**
 * Picks the delimiter that splits the sampled records into the same number (> 1) of fields most
 * consistently; ties go to the one giving more fields, then to the order above. Runs of whitespace
 * are the fallback when no single delimiter splits the lines consistently (column-aligned text,
 * e.g. the CDNOW purchase log, whose one tab among spaces would otherwise fool a tab guess).
 */
export function guessDialect(text: string, truncated = false): Dialect {
  const quote = guessQuote(text);
  let best: Dialect | undefined;
  for (const delimiter of [...CANDIDATES, 'whitespace']) {
    const records = splitRecords(text, delimiter, { quote, limit: 200, truncated });
    if (records.length === 0) continue;
    const counts = new Map<number, number>();
    for (const r of records) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
    let columns = 1;
    let hits = 0;
    for (const [c, k] of counts) if (k > hits || (k === hits && c > columns)) [columns, hits] = [c, k];
    if (columns < 2) continue;
    if (delimiter === '||' && !records.every((r) => r.every((f) => !f.includes('|')))) continue;
    const consistency = hits / records.length;
    if (delimiter === '|' && best?.delimiter === '||' && best.consistency >= consistency) continue;
    const candidate: Dialect = { delimiter, quote, columns, consistency };
    // Whitespace only wins where nothing else is consistent: prose columns would split on every space.
    if (delimiter === 'whitespace' && best && best.consistency >= 0.9) continue;
    if (!best || consistency > best.consistency + 1e-9 || (Math.abs(consistency - best.consistency) < 1e-9 && columns > best.columns && delimiter !== 'whitespace')) {
      best = candidate;
    }
  }
  return best ?? { delimiter: ',', quote, columns: 1, consistency: 1 };
}

/** `"` unless fields are wrapped in single quotes and never in double ones. */
export function guessQuote(text: string): string {
  const head = text.slice(0, 65536);
  const dq = (head.match(/(^|[,;\t|])"/gm) ?? []).length;
  const sq = (head.match(/(^|[,;\t|])'[^']*'(?=[,;\t|]|\r?$)/gm) ?? []).length;
  return sq > 0 && dq === 0 ? "'" : '"';
}
