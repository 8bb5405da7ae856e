import type { RequestHandler } from './$types';
import { parseFilters } from '$lib/filters/url-filters.ts';
import { BANDS, EXPORT_COLUMNS, parseBand, riskFilters } from '$lib/churn/queries.ts';
import { csvResponse, csvStream, pagedRows, withUnits } from '$lib/format/csv-stream.ts';
import type { Row } from '$lib/cube/types.ts';
import { cubeLoad, dataAsOf } from '$lib/server/cube.ts';
import { audit, auditFilter, countedPages } from '$lib/server/audit.ts';
import { publicError } from '$lib/server/errors.ts';
import { getWebContext } from '$lib/server/context.ts';
import { formatContext } from '$lib/format/format.ts';
import { withoutLapsedProbability } from '$lib/churn/lapsed.ts';
import { inExportSlot } from '$lib/server/export-slots.ts';

/**
 * CSV of the churn-risk list with the page's filters, streamed page by page from the semantic
 * layer as the signed-in user (an owner's file holds only their customers: Cube enforces it).
 */
const PAGE = 10_000;
/** Rounded values with the unit in the header (lib/format/export-values.ts). */
const UNITS = {
  'customer_risk.churn_probability': 'percent',
  'customer_risk.churn_value_at_risk': 'money',
  'customer_risk.predicted_clv': 'money',
  'customer_risk.lifetime_value': 'money',
  'customer_risk.days_since_last_purchase': 'days',
  'customer_risk.value_as_of': 'date',
} as const;

// At most two exports at once per account (export-slots.ts): beyond, a 429 before any query.
export const GET: RequestHandler = ({ url, locals }) => inExportSlot(locals.user!.sub, locals.requestId, () => exportChurnRisk(url, locals));

async function exportChurnRisk(url: URL, locals: App.Locals): Promise<Response> {
  const user = locals.user!;
  const f = parseFilters(url.searchParams, await dataAsOf(user));
  const asked = url.searchParams.get('band');
  const band = parseBand(asked);
  // A misspelt band must not hand out the whole list under a name that says it is one band.
  if (asked && !band) return new Response(`Unknown band ${JSON.stringify(asked.slice(0, 40))}: use one of ${BANDS.join(', ')}, or leave band out for every band.\n`, { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  // The configured base currency names the amount columns ("value_at_risk_usd" in a USD warehouse).
  const columns = withUnits(EXPORT_COLUMNS, UNITS, getWebContext().format ?? formatContext());
  const query = {
    dimensions: columns.map(([, m]) => m),
    filters: riskFilters(f, band),
    order: [['customer_risk.churn_value_at_risk', 'desc'], ['customer_risk.customer_id', 'asc']] as [string, 'asc' | 'desc'][],
  };
  // A lapsed customer's probability is an extrapolation, not a risk (lapsed.ts): the file, like the page, leaves it empty.
  const load = async (limit: number, offset: number): Promise<Row[]> =>
    (await cubeLoad({ ...query, limit, offset }, user)).rows.map((r) => withoutLapsedProbability(r, 'customer_risk.risk_band', 'customer_risk.churn_probability'));
  // The first page is read before answering, so a failure is a proper error status, not a cut file.
  // One audit row per export, written when the file is complete (or failed): rows in the file and the filter.
  const record = (rows: number, outcome: 'ok' | 'failed', detail: string) =>
    audit(user, locals.requestId, { action: 'export.churn_risk', targetKind: 'customers', rowCount: rows, filter: auditFilter(query.filters), outcome, detail });
  let first: Row[];
  try {
    first = await load(PAGE, 0);
  } catch (err) {
    await record(0, 'failed', 'the semantic layer did not answer');
    return new Response(`${publicError('The export failed: the semantic layer did not answer', err, locals.requestId)}\n`, { status: 502, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  async function* pages(): AsyncGenerator<Row[]> {
    if (first.length > 0) yield first;
    if (first.length < PAGE) return;
    for await (const page of pagedRows((limit, offset) => load(limit, offset + PAGE), PAGE)) yield page;
  }
  const name = `churn-risk-${f.owner || user.ownerId || 'all'}${band ? `-${band}` : ''}-${new Date().toISOString().slice(0, 10)}.csv`;
  return csvResponse(csvStream(columns, countedPages(pages(), record)), name);
}
