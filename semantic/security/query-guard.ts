import { isRole, type SecurityContext } from './auth.ts';
import { queryDateProblem } from './date-filters.ts';

/**
 * Cube's queryRewrite hook. Row-level security does NOT live here: it is in the SQL of every cube
 * (see semantic/README.md, "Security"), where no query shape can reach around it. This hook is the
 * second line: it refuses a request whose context did not come from our checkAuth and attaches
 * nothing that could widen a scope.
 */
export interface CubeQuery {
  measures?: string[];
  dimensions?: string[];
  timeDimensions?: { dimension: string }[];
  filters?: unknown[];
  segments?: string[];
  limit?: number;
  timezone?: unknown;
  [key: string]: unknown;
}

/** Duck-typed like Cube's UserError (`type === 'UserError'`): the gateway answers 400 with the message. */
export class QueryRefused extends Error {
  readonly type = 'UserError';
  constructor(message: string) {
    super(message);
    this.name = 'QueryRefused';
  }
}

/** Every member name a query mentions: selected, filtered (nested and/or), ordered. */
export function membersOf(query: CubeQuery): string[] {
  const out: string[] = [];
  const add = (m: unknown): void => {
    if (typeof m === 'string') out.push(m);
  };
  for (const m of [...(query.measures ?? []), ...(query.dimensions ?? []), ...(query.segments ?? [])]) add(m);
  for (const td of query.timeDimensions ?? []) add(td?.dimension);
  const walk = (f: unknown): void => {
    if (!f || typeof f !== 'object') return;
    const filter = f as { member?: unknown; dimension?: unknown; and?: unknown; or?: unknown };
    add(filter.member);
    add(filter.dimension);
    for (const sub of [filter.and, filter.or]) if (Array.isArray(sub)) sub.forEach(walk);
  };
  (query.filters ?? []).forEach(walk);
  const order = query.order;
  if (Array.isArray(order)) for (const pair of order) add(Array.isArray(pair) ? pair[0] : undefined);
  else if (order && typeof order === 'object') Object.keys(order).forEach(add);
  return out;
}

/**
 * Cube 0.33's ClickHouse dialect writes the query's timezone between quotes into the SQL
 * (`toTimeZone(x, '<timezone>')`, ClickHouseQuery.convertTz and timeGroupedColumn) without
 * escaping it, and the API only checks that it is a string: a quote in it ended the string and the
 * rest ran as SQL outside the owner condition (an owner token read every owner's customer ids).
 * Only a name the runtime knows as a zone, spelled with the characters zone names use, goes on.
 */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
export function checkTimezone(timezone: unknown, warehouseZones?: ReadonlySet<string>): void {
  if (timezone === undefined) return;
  let known = false;
  if (typeof timezone === 'string' && ZONE_NAME.test(timezone)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
      known = true;
    } catch {
      // RangeError: not a zone the runtime knows
    }
  }
  if (!known) {
    // The value is named back only when it looks like a zone name: anything else may be SQL, which
    // the API's error boundary would hide behind a generic message.
    const shown = typeof timezone === 'string' && ZONE_NAME.test(timezone) ? ` "${timezone}" is not a known zone` : ' (not a zone name)';
    throw new QueryRefused(`Invalid timezone${shown}: give an IANA time zone name such as "UTC" or "Europe/Berlin".`);
  }
  // Zones Node knows and the warehouse does not (`US/Pacific-New`, removed from tzdata; a zone newer
  // than the server's) failed in ClickHouse with a generic error (tenth security review).
  if (warehouseZones && warehouseZones.size > 0 && !warehouseZones.has(timezone as string)) {
    throw new QueryRefused(`Invalid timezone: the warehouse does not know "${timezone as string}"; give an IANA time zone name it has, such as "UTC" or "America/Los_Angeles" (system.time_zones lists them).`);
  }
}

/** What the guard knows of the model and the warehouse, when it runs in the Cube process. */
export interface GuardModel {
  /** Cubes behind the views (refused as unknown members). */
  hiddenCubes?: ReadonlySet<string>;
  /** Time members (time-members.ts): a value compared with one must be a date. */
  timeMembers?: ReadonlySet<string>;
  /** The warehouse's zones (`system.time_zones`); empty or absent: Node's list alone decides. */
  zones?: ReadonlySet<string>;
}

/**
 * `hiddenCubes`: the cubes behind the views. Cube 0.33 runs a query on them and then fails
 * building the answer (a 500 with a stack trace); refused here first, as the unknown member it is
 * to the caller, before anything reaches the warehouse.
 */
export function guardQuery<Q extends CubeQuery>(query: Q, securityContext: unknown, model: ReadonlySet<string> | GuardModel = {}): Q {
  const known: GuardModel = model instanceof Set ? { hiddenCubes: model as ReadonlySet<string> } : (model as GuardModel);
  const { hiddenCubes = new Set<string>(), timeMembers, zones } = known;
  const ctx = securityContext as Partial<SecurityContext> | undefined;
  if (!ctx || !isRole(ctx.role) || typeof ctx.sub !== 'string') throw new QueryRefused('No valid security context');
  if (ctx.role === 'owner' && !ctx.owner_id) throw new QueryRefused('Owner token without owner_id');
  const hidden = membersOf(query).find((m) => hiddenCubes.has(m.split('.')[0]));
  if (hidden) throw new QueryRefused(`Unknown member: ${hidden}. Query the views (GET /v1/meta lists them and their members).`);
  checkTimezone(query.timezone, zones);
  // Also here, on the query as Cube normalized it: what the middleware could not see (GraphQL variables).
  const dates = queryDateProblem(query, timeMembers);
  if (dates) throw new QueryRefused(dates);
  return query;
}
