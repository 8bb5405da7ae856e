import type { CubeQuery, Row } from '../cube/types.ts';
import { formatDate } from '../format/format.ts';
import { getWebContext } from './context.ts';
import { issueCubeToken } from './cube-token.ts';
import type { LiveSession } from './session-check.ts';

/**
 * Server-side queries to the semantic layer, as the signed-in user (their token, so an owner's
 * server-side export is restricted exactly like their charts). Used for CSV exports, the customer
 * page's visibility check and the as-of date. Follows Cube's "Continue wait" long polling.
 */
export class CubeError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'CubeError';
  }
}

export async function cubeLoad(query: CubeQuery, user: LiveSession, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ rows: Row[]; total?: number }> {
  const ctx = getWebContext();
  const { token } = issueCubeToken(user, ctx.secrets.cubeApiSecret);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const res = await fetch(`${ctx.cubeUrl}/v1/load`, {
      method: 'POST',
      // Cube's own protocol (semantic/wait-for-answer.ts): this loop polls and keeps its own
      // deadline (opts.timeoutMs), instead of one request held up to CRM_SEMANTIC_WAIT_SECONDS.
      headers: { authorization: token, 'content-type': 'application/json', 'x-cube-continue-wait': 'allow' },
      body: JSON.stringify({ query }),
      signal: opts.signal,
    });
    const body = (await res.json().catch(() => ({}))) as { data?: Row[]; total?: number; error?: string };
    if (res.ok && body.error === 'Continue wait') {
      if (Date.now() > deadline) throw new CubeError('the semantic layer did not answer in time', 504);
      continue;
    }
    if (!res.ok || body.error) throw new CubeError(body.error ?? `semantic layer answered HTTP ${res.status}`, res.status);
    return { rows: body.data ?? [], total: body.total };
  }
}

let asOfCache: { at: number; value: string } | undefined;

/**
 * The product's as-of date (lib/as-of.ts) as the derived tables were built for it
 * (customer_base.value_as_of): CRM_AS_OF, today, or the data's end. Every page's default period
 * ends here. Cached for a minute; today when unknown.
 */
export async function dataAsOf(user: LiveSession): Promise<string> {
  if (asOfCache && Date.now() - asOfCache.at < 60_000) return asOfCache.value;
  let value = new Date().toISOString().slice(0, 10);
  try {
    const { rows } = await cubeLoad({ dimensions: ['customer_base.value_as_of'], filters: [{ member: 'customer_base.value_as_of', operator: 'set' }], limit: 1 }, user, { timeoutMs: 30_000 });
    const v = rows[0]?.['customer_base.value_as_of'];
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) {
      value = v.slice(0, 10);
      asOfCache = { at: Date.now(), value };
    }
  } catch {
    // The pages still work with today's date; their own queries will show the error.
  }
  return value;
}

/** Today (UTC, YYYY-MM-DD), the day the as-of date is compared with. */
export const todayUtc = (now: Date = new Date()): string => now.toISOString().slice(0, 10);

/**
 * The line every page shows when the data is not as of today (old data, or CRM_AS_OF): without it
 * a 1998 export looks like a dashboard of today with nothing in it. Undefined when as-of is today.
 */
export function asOfNotice(asOf: string, today: string): string | undefined {
  if (asOf === today) return undefined;
  return `Data as of ${formatDate(asOf)}: periods, recency, RFM segments and churn scores are computed as of that day, not as of today (${formatDate(today)}).`;
}
