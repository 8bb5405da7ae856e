import { quoteIdent } from '../warehouse/sql.ts';
import type { TablePlan } from './discover.ts';
import { needlePattern, type Person } from './person.ts';

/**
 * Which rows of a table are the person's, as one SQL condition per table (discover.ts says which
 * columns count). The values come from a ValueSource: bound parameters for reads (subject access,
 * counts), or a scratch table for mutations — a mutation's text is kept on disk by the engine
 * (mutation_N.txt), so it must name the scratch table, never an e-mail.
 */
export type ListKind = 'id' | 'ref' | 'pair' | 'email' | 'phone';

export interface ValueSource {
  /** A set to test membership with IN. */
  set(kind: ListKind): string;
  /** The same values as an array expression (hasAny, transform). */
  array(kind: ListKind): string;
  /** The identifiers' pattern for free text (RE2). */
  pattern(): string;
}

export const paramSource: ValueSource = {
  set: (k) => `{${k}:Array(String)}`,
  array: (k) => `{${k}:Array(String)}`,
  pattern: () => '{pattern:String}',
};

export function scratchSource(table: string): ValueSource {
  return {
    set: (k) => `(SELECT v FROM ${table} WHERE k = '${k}')`,
    array: (k) => `(SELECT groupArray(v) FROM ${table} WHERE k = '${k}')`,
    pattern: () => `(SELECT any(v) FROM ${table} WHERE k = 'pattern')`,
  };
}

/** The values, by kind: query parameters for paramSource, scratch rows for scratchSource. */
export function personValues(p: Person): Record<ListKind, string[]> & { pattern: string } {
  return {
    id: p.customerIds,
    ref: [...new Set(p.sourceRecords.map((r) => r.sourceId))],
    pair: p.sourceRecords.map((r) => `${r.source}\u001f${r.sourceId}`),
    email: p.emails.map((e) => e.toLowerCase()),
    phone: p.phones,
    pattern: `(?i)${needlePattern(p)}`,
  };
}

/** The condition that selects the person's rows of a table; undefined when the table cannot hold them. */
export function rowCondition(plan: TablePlan, src: ValueSource): string | undefined {
  const parts: string[] = [];
  for (const c of plan.columns) {
    const col = `toString(${quoteIdent(c.name)})`;
    switch (c.role) {
      case 'customer_id':
        if (plan.mode === 'keyed') parts.push(`${col} IN ${src.set('id')}`);
        break;
      case 'source_ref':
        if (plan.mode === 'keyed') parts.push(plan.hasSource ? `concat(toString(source), '\\x1f', ${col}) IN ${src.set('pair')}` : `${col} IN ${src.set('ref')}`);
        break;
      case 'email':
        if (plan.mode === 'keyed') parts.push(`lower(trim(${col})) IN ${src.set('email')}`);
        break;
      case 'phone':
        if (plan.mode === 'keyed') parts.push(`${col} IN ${src.set('phone')}`);
        break;
      case 'id_array':
        if (plan.mode === 'rewrite') parts.push(`hasAny(${quoteIdent(c.name)}, ${src.array('id')})`);
        break;
      case 'text':
        if (plan.mode === 'text') parts.push(`match(${col}, ${src.pattern()})`);
        break;
      default:
        break;
    }
  }
  return parts.length ? parts.map((p) => `(${p})`).join(' OR ') : undefined;
}

/** For a rewrite table: SET clauses replacing the person's ids in every id array by their tombstone (scratch column h). */
export function rewriteAssignments(plan: TablePlan, scratch: string): string {
  return plan.columns
    .filter((c) => c.role === 'id_array')
    .map((c) => {
      const n = quoteIdent(c.name);
      return `${n} = arrayMap(x -> transform(x, (SELECT groupArray(v) FROM ${scratch} WHERE k = 'id'), (SELECT groupArray(h) FROM ${scratch} WHERE k = 'id'), x), ${n})`;
    })
    .join(', ');
}

export const tableName = (plan: TablePlan): string => `${quoteIdent(plan.database)}.${quoteIdent(plan.table)}`;
