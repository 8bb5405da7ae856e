import type { RequestHandler } from './$types';
import { parseFilters } from '$lib/filters/url-filters.ts';
import { EXPORT_COLUMNS, parseBand, riskFilters } from '$lib/churn/queries.ts';
import { csvRow } from '$lib/format/csv.ts';
import { cubeLoad, dataAsOf } from '$lib/server/cube.ts';

/**
 * CSV of the churn-risk list with the page's filters, streamed page by page from the semantic
 * layer as the signed-in user (an owner's file holds only their customers: Cube enforces it).
 */
const PAGE = 10_000;

export const GET: RequestHandler = async ({ url, locals }) => {
  const user = locals.user!;
  const f = parseFilters(url.searchParams, await dataAsOf(user));
  const band = parseBand(url.searchParams.get('band'));
  const members = EXPORT_COLUMNS.map(([, m]) => m);
  const query = {
    dimensions: members,
    filters: riskFilters(f, band),
    order: [['customer_risk.churn_value_at_risk', 'desc'], ['customer_risk.customer_id', 'asc']] as [string, 'asc' | 'desc'][],
  };
  // The first page is read before answering, so a failure is a proper error status, not a cut file.
  let first: Awaited<ReturnType<typeof cubeLoad>>;
  try {
    first = await cubeLoad({ ...query, limit: PAGE, offset: 0 }, user);
  } catch (err) {
    return new Response(`Export failed: ${(err as Error).message}\n`, { status: 502, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  const encoder = new TextEncoder();
  let offset = 0;
  let rows = first.rows;
  let headerSent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`\uFEFF${csvRow(EXPORT_COLUMNS.map(([h]) => h))}`));
      }
      if (rows.length === 0) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(rows.map((r) => csvRow(members.map((m) => r[m]))).join('')));
      if (rows.length < PAGE) {
        rows = [];
        return;
      }
      offset += PAGE;
      try {
        rows = (await cubeLoad({ ...query, limit: PAGE, offset }, user)).rows;
      } catch (err) {
        controller.error(err);
      }
    },
  });
  const name = `churn-risk-${f.owner || user.ownerId || 'all'}${band ? `-${band}` : ''}-${new Date().toISOString().slice(0, 10)}.csv`;
  return new Response(stream, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'private, no-store',
    },
  });
};
