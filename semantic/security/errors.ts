import { randomUUID } from 'node:crypto';
import { isRollupTableRace } from '../../lib/warehouse/sql.ts';

/**
 * What the semantic API may say when a request fails. Cube 0.33 answers errors with its stack
 * trace, file paths of the server, and — for a query ClickHouse refuses — the exception text with
 * the generated SQL (table names, the owner filter, bound values). None of that helps a user and
 * all of it helps an attacker, so every error body is rebuilt here from a short list of kinds; the
 * original goes to the server log under the same request id.
 */

/** A caller's x-request-id is kept when it is a plain token, so their logs and ours line up. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export function requestIdFor(header: unknown): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/**
 * Internals a message must not carry to a client: stack frames, file paths, source positions,
 * SQL, ClickHouse exception text. Checked on every message that leaves, including Cube's own
 * validation messages (which are passed through when clean).
 */
const INTERNALS =
  /\bat \S+ \(|\n\s+at |(^|[\s'"(=:])\/(work|home|tmp|usr|opt|app|var|srv|etc|root|data|mnt|proc|Users|private)\/|file:\/\/|[A-Za-z]:\\|node_modules|\.[cm]?[jt]s:\d+|\.ya?ml\b|\b(SELECT|FROM|WHERE|JOIN|INSERT|CREATE|ALTER|DROP)\b|Code: \d+|DB::|query id:|pre_aggregations/;

export const leaksInternals = (text: string): boolean => INTERNALS.test(text);

export interface PublicError {
  status: number;
  error: string;
  type: string;
}

export interface Limits {
  timeoutSeconds: number;
  maxRows: number;
  /** How long /load and /graphql wait for an answer (CRM_SEMANTIC_WAIT_SECONDS). */
  waitSeconds?: number;
}

const stripErrorPrefix = (message: string): string => message.replace(/^(\s*(Error|UserError|TypeError|SyntaxError):\s*)+/, '').trim();

/**
 * Maps one raw error (Cube's `error` field or a GraphQL error message) and the status Cube chose
 * to what the client sees. Kinds a user can act on get a specific message; anything else gets a
 * generic one pointing at the request id.
 */
export function publicError(raw: string, status: number, cubeType: string | undefined, limits: Limits): PublicError {
  const message = stripErrorPrefix(raw);
  // Cube's "not done yet" (semantic/wait-for-answer.ts re-asks until the wait is over): said as
  // what it means for someone who cannot poll.
  if (message === 'Continue wait') {
    return {
      status: 504,
      type: 'StillRunning',
      error: `The query is still running after ${limits.waitSeconds ?? 60} s (CRM_SEMANTIC_WAIT_SECONDS). It keeps running and its answer is cached: ask again in a minute. Or narrow the date range, add filters or group by fewer dimensions.`,
    };
  }
  if (/Query execution timeout|Timeout error|timed out/i.test(raw)) {
    return {
      status: 504,
      type: 'QueryTimeout',
      error: `Query timed out after ${limits.timeoutSeconds} s (CUBEJS_DB_QUERY_TIMEOUT). Narrow the date range, add filters or group by fewer dimensions.`,
    };
  }
  if (/query limit has been exceeded/i.test(raw)) {
    return {
      status: 400,
      type: 'RowLimitExceeded',
      error: `Row limit exceeded: a query may return at most ${limits.maxRows} rows (CUBEJS_DB_QUERY_LIMIT). Ask for a smaller "limit" and page with "offset", or aggregate more.`,
    };
  }
  // Cube's query path and its rollup refresh race on rollup tables (isRollupTableRace): asked
  // again, the query works. The dashboard's proxy retries on type RollupRebuilding.
  if (isRollupTableRace(raw)) {
    return { status: 503, type: 'RollupRebuilding', error: 'A rollup (pre-aggregation) table was being rebuilt while this query read it. Ask again in a moment.' };
  }
  if (/request entity too large/i.test(raw)) {
    return { status: 413, type: 'RequestTooLarge', error: 'The request body is larger than 1 MB.' };
  }
  if (/^\s*SyntaxError:/.test(raw) && /JSON/.test(raw)) {
    // Node's JSON.parse message says where the input broke; it quotes only the caller's own input.
    const detail = message.replace(/\s+/g, ' ').slice(0, 200);
    return { status: 400, type: 'InvalidJson', error: leaksInternals(detail) ? 'The query is not valid JSON.' : `The query is not valid JSON: ${detail}` };
  }
  const unknownMember = /^'([^']+)' not found for path '([^']+)'$/.exec(message);
  if (unknownMember) return { status: 400, type: 'UnknownMember', error: `Unknown member: ${unknownMember[2]}. GET /v1/meta lists the views and their members.` };
  const unknownCube = /^Cube '([^']+)' not found for path '([^']+)'$/.exec(message);
  if (unknownCube) return { status: 400, type: 'UnknownMember', error: `Unknown member: ${unknownCube[2]} (no view ${unknownCube[1]}). GET /v1/meta lists the views and their members.` };
  // ClickHouse refused the generated SQL (Cube: "Query failed: …" from the driver, status 400).
  if (/Query failed|DB::Exception|Code: \d+|query id:/.test(raw)) {
    if (/Cannot (parse|read)|Cannot convert|CANNOT_PARSE/i.test(raw)) {
      return {
        status: 400,
        type: 'QueryFailed',
        error: 'The warehouse could not run this query: a filter value does not fit the member\'s type (e.g. text where a number or a date is expected).',
      };
    }
    return { status: 500, type: 'QueryFailed', error: 'The warehouse could not run this query. Quote the request id to your administrator: the server log has the details.' };
  }
  if (status < 500 && message && !leaksInternals(message)) {
    const type = cubeType === 'UserError' || /^Invalid query format/.test(message) ? 'InvalidQuery' : status === 403 ? 'Forbidden' : status === 404 ? 'NotFound' : 'BadRequest';
    return { status, type, error: message.slice(0, 1000) };
  }
  if (status < 500) return { status, type: 'InvalidQuery', error: 'The query is not valid. Quote the request id to your administrator: the server log has the details.' };
  return { status: 500, type: 'InternalError', error: 'The semantic layer failed to answer. Quote the request id to your administrator: the server log has the details.' };
}
