import type { RequestHandler } from './$types';
import { cubeLoad } from '$lib/server/cube.ts';
import { audienceQuery, matchQuery, membersQuery, parseDefinition, segmentFilters, type SegmentDefinition } from '$lib/segments/rules.ts';
import { exclusion, SEGMENT_PURPOSE } from '$lib/segments/consent.ts';
import { audit, auditFilter, countedPages } from '$lib/server/audit.ts';
import { publicError } from '$lib/server/errors.ts';
import { csvResponse, csvStream, pagedRows } from '$lib/format/csv-stream.ts';
import { exportRow, memberExportColumns } from '$lib/segments/export-columns.ts';
import { getWebContext } from '$lib/server/context.ts';
import { formatContext } from '$lib/format/format.ts';
import { getSegment } from '$lib/segments/store.server.ts';
import type { Row } from '$lib/cube/types.ts';
import { inExportSlot } from '$lib/server/export-slots.ts';

/**
 * Every member of a segment as CSV, streamed page by page from the semantic layer as the signed-in
 * user (so an owner's file holds only their customers). `?id=<saved segment>` or
 * `?definition=<rules JSON>` (the builder's unsaved rules).
 */
const PAGE = 10_000;
const text = (status: number, body: string): Response => new Response(`${body}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

// At most two exports at once per account (export-slots.ts): beyond, a 429 before any query.
export const GET: RequestHandler = ({ url, locals }) => inExportSlot(locals.user!.sub, locals.requestId, () => exportSegment(url, locals));

async function exportSegment(url: URL, locals: App.Locals): Promise<Response> {
  const user = locals.user!;
  const requestId = locals.requestId;
  let def: SegmentDefinition;
  let name = 'segment';
  const id = url.searchParams.get('id');
  try {
    if (id) {
      const s = await getSegment(id);
      if (!s) return text(404, 'No such segment');
      def = s.definition;
      name = s.name;
    } else {
      def = parseDefinition(url.searchParams.get('definition') ?? '');
    }
  } catch (err) {
    return text(400, publicError('The segment could not be read', err, requestId));
  }
  try {
    // Every rule must apply: a rule left out would export more customers than the segment holds.
    segmentFilters(def);
  } catch (err) {
    return text(400, publicError('Invalid segment', err, requestId));
  }
  const load = async (limit: number, offset: number): Promise<Row[]> => (await cubeLoad(membersQuery(def, limit, offset), user)).rows.map(exportRow);
  // One audit row per export, written when the file is complete (or failed): the saved segment's id
  // (none for unsaved rules), rows in the file and the filter.
  // Members without consent for the purpose are left out (membersQuery); how many is counted from
  // the rules alone (matchQuery) minus the rows written, and said in the audit row and a header.
  let matching: number | undefined;
  let excludedUpFront: number;
  const excludedPhrase = (rows: number): string => (matching === undefined ? '' : `${Math.max(0, matching - rows)} excluded for lack of ${SEGMENT_PURPOSE} consent`);
  const record = (rows: number, outcome: 'ok' | 'failed', detail: string) =>
    audit(user, requestId, {
      action: 'export.segment',
      targetKind: id ? 'segment' : 'customers',
      targetIds: id ? [id] : [],
      rowCount: rows,
      filter: auditFilter(segmentFilters(def)),
      outcome,
      detail: [detail, outcome === 'ok' ? excludedPhrase(rows) : ''].filter(Boolean).join('; '),
    });
  // The first page is read before answering, so a failure is an error status, not a cut file.
  let first: Row[];
  try {
    first = await load(PAGE, 0);
    const count = async (q: ReturnType<typeof matchQuery>): Promise<number> => Number((await cubeLoad(q, user)).rows[0]?.['customer_base.customers'] ?? 0);
    matching = await count(matchQuery(def));
    excludedUpFront = exclusion(matching, await count(audienceQuery(def))).excluded;
  } catch (err) {
    await record(0, 'failed', 'the semantic layer did not answer');
    return text(502, publicError('The export failed: the semantic layer did not answer', err, requestId));
  }
  async function* pages(): AsyncGenerator<Row[]> {
    if (first.length > 0) yield first;
    if (first.length < PAGE) return;
    for await (const page of pagedRows((limit, offset) => load(limit, offset + PAGE), PAGE)) yield page;
  }
  const response = csvResponse(csvStream(memberExportColumns(getWebContext().format ?? formatContext()), countedPages(pages(), record)), `${name}-${new Date().toISOString().slice(0, 10)}.csv`);
  // Customers the rules match who lack consent, counted before the body (the audit row counts them again from the rows written).
  response.headers.set('x-excluded-for-consent', String(excludedUpFront));
  response.headers.set('x-consent-purpose', SEGMENT_PURPOSE);
  return response;
}
