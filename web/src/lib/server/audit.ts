import { writeAudit, type AuditEntry } from '../../../../lib/audit/log.ts';
export { unknownAccount } from '../../../../lib/audit/log.ts';
import { describeFilters, type FilterLike } from '../../../../lib/audit/describe-filters.ts';
import type { Role } from '../auth/roles.ts';
import { FIELDS, RESPONSE_MEMBERS } from '../segments/rules.ts';
import { getWebContext } from './context.ts';
import { serverLog } from './errors.ts';
import { AuditRepeats } from './audit-repeats.ts';

/**
 * The dashboard's side of the audit log (lib/audit, issue 16): one call per audited action, with
 * the signed-in user as the actor and the request id. The row is awaited, so it is in the
 * warehouse before the answer (or the export's last byte) goes out. A row that cannot be written
 * does not stop the action — the person was allowed to do it, and the warehouse being briefly
 * unreachable should not block work — but is logged at error level with everything the row held,
 * so the structured log keeps the record (docs/security.md, "Audit log").
 */
export interface Actor {
  sub: string;
  role: Role;
}

export type DashboardAuditEntry = Omit<AuditEntry, 'actor' | 'actorRole' | 'requestId'> & {
  actor?: string;
  actorRole?: string;
};

export async function audit(user: Actor | undefined, requestId: string, entry: DashboardAuditEntry): Promise<void> {
  const full: AuditEntry = {
    ...entry,
    actor: entry.actor ?? user?.sub ?? 'anonymous',
    actorRole: entry.actorRole ?? user?.role ?? '',
    requestId,
  };
  try {
    const ctx = getWebContext();
    await writeAudit({ client: ctx.warehouse.client, database: ctx.warehouse.database }, full);
  } catch (err) {
    serverLog().error({ requestId, err, audit: { ...full, at: undefined } }, 'audit row not written');
  }
}

const repeats = new AuditRepeats<DashboardAuditEntry, Actor>();

async function writeDueRepeats(now: number): Promise<void> {
  for (const r of repeats.due(now)) await audit(r.actor, r.requestId, r.entry);
}
// Windows that end while the user is idle are written within a minute (not keeping the process alive).
setInterval(() => void writeDueRepeats(Date.now()), 60_000).unref();

/**
 * For actions a signed-in user can repeat at will and cheaply (a Cube token, a customer's 360 page):
 * the same row as audit(), but repeats and a flood are counted into one row per window
 * (audit-repeats.ts) instead of one append-only row per request.
 */
export async function auditRepeatable(user: Actor, requestId: string, entry: DashboardAuditEntry): Promise<void> {
  const now = Date.now();
  void writeDueRepeats(now);
  if (repeats.admit(user, requestId, entry, now)) await audit(user, requestId, entry);
}

/**
 * Members whose filter values are enums or ids, kept in the log: the segment builder's category
 * fields, campaign ids, owner and risk band. Everything else a filter holds is recorded as `?`
 * unless it is a number or a date (lib/audit/describe-filters.ts).
 */
const ENUM_MEMBERS: ReadonlySet<string> = new Set([
  ...Object.values(FIELDS)
    .filter((f) => f.kind === 'category')
    .map((f) => f.member),
  RESPONSE_MEMBERS.campaigns,
  'customer_base.owner_id',
  'customer_risk.owner_id',
  'customer_risk.risk_band',
  'customer_risk.region',
  'customer_base.churn_risk_band',
]);

export const auditFilter = (filters: readonly FilterLike[]): string => describeFilters(filters, ENUM_MEMBERS);

/** A URL segment that is not id-shaped (someone typed a name or an address) is not recorded as such. */
export const idOrMarker = (id: string): string => (/^[A-Za-z0-9:_.-]{1,200}$/.test(id) ? id : 'not-an-id');

/**
 * An export's pages, counted on their way into the file; `finish` runs exactly once, when the last
 * page went out (ok), the semantic layer failed mid-way or the download was cancelled (failed).
 */
export async function* countedPages<T extends unknown[]>(
  pages: AsyncIterable<T>,
  finish: (rows: number, outcome: 'ok' | 'failed', detail: string) => Promise<void>,
): AsyncGenerator<T> {
  let rows = 0;
  let outcome: 'ok' | 'failed' = 'failed';
  let detail = 'download stopped before the end';
  try {
    for await (const page of pages) {
      rows += page.length;
      yield page;
    }
    outcome = 'ok';
    detail = '';
  } catch (err) {
    detail = 'the semantic layer failed during the export';
    throw err;
  } finally {
    await finish(rows, outcome, detail);
  }
}
