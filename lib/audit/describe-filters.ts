/**
 * A filter as the audit log records it: member names and operators always; values only where they
 * cannot be personal text. The rule (docs/security.md, "Audit log"):
 * - numbers and ISO dates are kept (thresholds, date ranges: never a person's data here);
 * - other values are kept only for members the caller names as ids or enums (RFM segment, risk
 *   band, region, owner id, campaign ids …);
 * - every other value becomes `?` (a name or e-mail typed into a filter never reaches the log).
 * Cube's REST filter shape: `{ member, operator, values }`, nested in `{ and: [...] }` / `{ or: [...] }`.
 */
export type FilterLike =
  | { member?: string; dimension?: string; operator?: string; values?: unknown[] }
  | { and: FilterLike[] }
  | { or: FilterLike[] };

const NUMBER = /^-?\d+(\.\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;
/** Names of members and operators are code, but a hand-written query could put anything there. */
const NAME = /^[A-Za-z0-9_.]{1,100}$/;

function describeValue(value: unknown, keep: boolean): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const text = String(value ?? '');
  if (NUMBER.test(text) || ISO_DATE.test(text)) return text;
  return keep ? JSON.stringify(text) : '?';
}

function describeOne(filter: FilterLike, enumMembers: ReadonlySet<string>): string {
  if ('and' in filter) return `(${filter.and.map((f) => describeOne(f, enumMembers)).join(' AND ')})`;
  if ('or' in filter) return `(${filter.or.map((f) => describeOne(f, enumMembers)).join(' OR ')})`;
  const member = filter.member ?? filter.dimension ?? '';
  const name = NAME.test(member) ? member : '?';
  const operator = NAME.test(filter.operator ?? '') ? filter.operator : '?';
  const values = filter.values ?? [];
  if (!values.length) return `${name} ${operator}`;
  const keep = name !== '?' && enumMembers.has(name);
  return `${name} ${operator} [${values.map((v) => describeValue(v, keep)).join(', ')}]`;
}

/** `filters` joined by AND (Cube's top level), e.g. `customer_base.region equals ["EMEA"] AND customer_base.lifetime_value gte [100]`. */
export function describeFilters(filters: readonly FilterLike[], enumMembers: ReadonlySet<string> = new Set()): string {
  return filters.map((f) => describeOne(f, enumMembers)).join(' AND ');
}
