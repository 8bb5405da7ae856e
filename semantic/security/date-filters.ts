import { createRequire } from 'node:module';

/**
 * Dates in a query that do not exist or ranges that run backwards. Cube 0.33 reads filter dates
 * leniently (moment): `beforeDate "2020-13-45"`, `inDateRange ["2024-02-30", …]`, a range whose end
 * is before its start, a `dateRange` of "2020-13-01" (normalized to "Invalid date") all answered
 * 200 with empty data, which a user reads as "no sales in that period". Each is a 400 naming the
 * member, the operator and the value, before Cube plans anything: in the API's middleware on the
 * query as sent (REST and GraphQL documents), and again in queryRewrite on the query as Cube
 * normalized it, which every path reaches (GraphQL variables, /v1/sql, dry-run).
 */

/** Operators whose values are one date, and those whose values are a range (from, to). */
const ONE_DATE = new Set(['beforeDate', 'beforeOrOnDate', 'afterDate', 'afterOrOnDate']);
const RANGE = new Set(['inDateRange', 'notInDateRange']);

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** What a message may echo back: a date's characters, short (anything else may be text the error boundary hides). */
const ECHO = /^[0-9A-Za-z :.+\-/]{1,40}$/;
const shown = (v: unknown): string => (typeof v === 'string' && ECHO.test(v) ? `"${v}"` : typeof v === 'string' ? 'a value' : String(v));
const HOW = 'write dates as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS';

/**
 * What ClickHouse's DateTime holds (UTC). It clamps a value outside to the nearest end, silently:
 * `beforeDate "1960-01-01"` was read as before 1970-01-01 and answered for a period nobody asked
 * (tenth security review). Date columns hold up to 2149-06-06; the model compares on DateTime.
 */
const FIRST_STORED = Date.UTC(1970, 0, 1);
const LAST_STORED = Date.UTC(2106, 1, 7, 6, 28, 15);
const STORED = 'the warehouse stores dates from 1970-01-01 to 2106-02-07 and would read it as the nearest of those';

/** Operators that compare a time member with values given as they are (Cube does not read them as dates). */
const VALUE_OPS = new Set(['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte']);

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * A date or date-time as milliseconds (UTC, an offset applied when given), or undefined when it is
 * no real date. `end`: a bare date is the end of its day, as Cube reads the end of a range.
 */
export function dateValue(text: unknown, end = false): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7);
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const ms = Number(`0.${m[7] ?? '0'}`) * 1000;
  let t = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), ms);
  if (m[4] === undefined && end) t += 86_400_000 - 1;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const off = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(off[2]) > 23 || Number(off[3]) > 59) return undefined;
    t -= (off[1] === '-' ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3])) * 60_000;
  }
  return t;
}

/** Why a range (two dates) is refused, or undefined. `what` names where it is ("the filter on x (inDateRange)"). */
function rangeProblem(what: string, values: readonly unknown[]): string | undefined {
  for (const v of values) {
    if (dateValue(v) === undefined) {
      // Cube's normalization writes a date it could not read as "Invalid date" (GraphQL variables, a
      // relative dateRange): the value as sent is gone by then.
      if (v === 'Invalid date') return `${what} holds a date that does not exist or cannot be read: ${HOW}.`;
      return `${what} has ${shown(v)}, which is not a date: ${HOW}.`;
    }
    const t = dateValue(v)!;
    if (t < FIRST_STORED || t > LAST_STORED) return `${what} has ${shown(v)}, outside the dates it can answer for: ${STORED}.`;
  }
  if (values.length === 2 && dateValue(values[0])! > dateValue(values[1], true)!)
    return `${what} runs backwards: ${shown(values[0])} is after ${shown(values[1])}. Put the earlier date first.`;
  return undefined;
}

/** A `dateRange` as sent: an array of one or two dates, or a string (relative phrases are Cube's to read). */
function dateRangeProblem(what: string, range: unknown): string | undefined {
  if (Array.isArray(range)) return rangeProblem(what, range);
  if (typeof range !== 'string') return undefined;
  const fromTo = /^from (.+) to (.+)$/i.exec(range.trim());
  if (fromTo && /^\d{4}-/.test(fromTo[1]) && /^\d{4}-/.test(fromTo[2])) return rangeProblem(what, [fromTo[1], fromTo[2]]);
  if (/^\d{4}-/.test(range.trim())) return rangeProblem(what, [range.trim()]);
  return undefined;
}

/** The model's time members (time-members.ts), when the caller knows them: `equals` and the like on them take dates too. */
type TimeMembers = ReadonlySet<string> | undefined;

function filterProblem(f: unknown, times: TimeMembers, depth = 0): string | undefined {
  if (!f || typeof f !== 'object' || depth > 100) return undefined;
  const filter = f as { member?: unknown; dimension?: unknown; operator?: unknown; values?: unknown; and?: unknown; or?: unknown };
  for (const sub of [filter.and, filter.or]) {
    if (!Array.isArray(sub)) continue;
    for (const s of sub) {
      const p = filterProblem(s, times, depth + 1);
      if (p) return p;
    }
  }
  const op = filter.operator;
  const member = typeof filter.member === 'string' ? filter.member : typeof filter.dimension === 'string' ? filter.dimension : '(no member)';
  const what = `The filter on ${member} (${op})`;
  const values = Array.isArray(filter.values) ? filter.values : [];
  if (typeof op === 'string' && VALUE_OPS.has(op) && times?.has(member)) {
    if (values.length === 0) return `${what} needs a date; it has none.`;
    return values.map((v) => rangeProblem(what, [v])).find(Boolean);
  }
  if (typeof op !== 'string' || !(ONE_DATE.has(op) || RANGE.has(op))) return undefined;
  const want = RANGE.has(op) ? 2 : 1;
  if (values.length !== want) return `${what} needs ${want === 2 ? 'two dates, from and to' : 'one date'}; it has ${values.length}.`;
  return rangeProblem(what, values);
}

/** Why a Cube query (or an array of them, or its JSON text) is refused for its dates, or undefined. */
export function queryDateProblem(query: unknown, times?: TimeMembers): string | undefined {
  let q = query;
  if (typeof q === 'string') {
    try {
      q = JSON.parse(q) as unknown;
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(q)) {
    for (const one of q) {
      const p = queryDateProblem(one, times);
      if (p) return p;
    }
    return undefined;
  }
  if (!q || typeof q !== 'object') return undefined;
  const { filters, timeDimensions } = q as { filters?: unknown; timeDimensions?: unknown };
  if (Array.isArray(filters)) {
    for (const f of filters) {
      const p = filterProblem(f, times);
      if (p) return p;
    }
  }
  if (Array.isArray(timeDimensions)) {
    for (const td of timeDimensions) {
      if (!td || typeof td !== 'object') continue;
      const { dimension, dateRange, compareDateRange } = td as { dimension?: unknown; dateRange?: unknown; compareDateRange?: unknown };
      const name = typeof dimension === 'string' ? dimension : '(no dimension)';
      const p = dateRangeProblem(`The dateRange of ${name}`, dateRange);
      if (p) return p;
      if (Array.isArray(compareDateRange)) {
        for (const r of compareDateRange) {
          const c = dateRangeProblem(`The compareDateRange of ${name}`, r);
          if (c) return c;
        }
      }
    }
  }
  return undefined;
}

interface GqlNode {
  kind: string;
  name?: { value: string };
  value?: unknown;
  values?: GqlNode[];
  fields?: GqlNode[];
  arguments?: GqlNode[];
  selectionSet?: { selections: GqlNode[] };
  definitions?: GqlNode[];
}
const requireHere = createRequire(import.meta.url);
const gatewayRequire = createRequire(createRequire(requireHere.resolve('@cubejs-backend/server')).resolve('@cubejs-backend/api-gateway'));
const graphql = gatewayRequire('graphql') as { parse(source: string, options?: { noLocation?: boolean }): GqlNode };

/**
 * The same for a GraphQL document: Cube's `where: { view: { member: { beforeDate: "…" } } }` (on
 * `cube`, or `member: { … }` on a view's field), with literal values. A value passed as a variable
 * is checked by queryRewrite instead (queryDateProblem on the normalized query).
 */
export function graphqlDateProblem(document: unknown): string | undefined {
  if (typeof document !== 'string' || !/DateRange|beforeDate|afterDate|beforeOrOnDate|afterOrOnDate/.test(document)) return undefined;
  let doc: GqlNode;
  try {
    doc = graphql.parse(document, { noLocation: true });
  } catch {
    return undefined; // graphql-shape.ts and Cube answer what does not parse
  }
  let problem: string | undefined;
  const literal = (v: GqlNode | undefined): unknown => (v?.kind === 'StringValue' ? v.value : v?.kind === 'Variable' ? undefined : v ? `${String(v.value ?? v.kind)}` : undefined);
  const walkValue = (v: GqlNode, path: string[]): void => {
    if (problem) return;
    if (v.kind === 'ListValue') for (const x of v.values ?? []) walkValue(x, path);
    if (v.kind !== 'ObjectValue') return;
    for (const field of v.fields ?? []) {
      const name = field.name!.value;
      const value = field.value as GqlNode;
      if (ONE_DATE.has(name) || RANGE.has(name)) {
        if (value.kind === 'Variable' || (value.kind === 'ListValue' && (value.values ?? []).some((x) => x.kind === 'Variable'))) continue;
        const values = value.kind === 'ListValue' ? (value.values ?? []).map(literal) : [literal(value)];
        problem = filterProblem({ member: path.slice(-2).join('.'), operator: name, values }, undefined);
        if (problem) return;
      } else walkValue(value, name === 'AND' || name === 'OR' ? path : [...path, name]);
    }
  };
  const walkSelections = (selections: GqlNode[], parent: string[]): void => {
    for (const s of selections) {
      if (problem) return;
      const name = s.name?.value;
      const path = name && name !== 'cube' ? [...parent, name] : parent;
      for (const arg of s.arguments ?? []) if (arg.name?.value === 'where') walkValue(arg.value as GqlNode, path);
      if (s.selectionSet) walkSelections(s.selectionSet.selections, path);
    }
  };
  for (const d of doc.definitions ?? []) if (d.selectionSet) walkSelections(d.selectionSet.selections, []);
  return problem;
}
