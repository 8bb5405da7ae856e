import type { RequestHandler } from './$types';
import { cubeLoad } from '$lib/server/cube.ts';
import { MEMBER_COLUMNS, membersQuery, parseDefinition, type SegmentDefinition } from '$lib/segments/rules.ts';
import { csvStream, pagedRows } from '$lib/segments/csv-stream.ts';
import { getSegment } from '$lib/segments/store.server.ts';
import type { Row } from '$lib/cube/types.ts';

/**
 * Every member of a segment as CSV, streamed page by page from the semantic layer as the signed-in
 * user (so an owner's file holds only their customers). `?id=<saved segment>` or
 * `?definition=<rules JSON>` (the builder's unsaved rules).
 */
const PAGE = 10_000;
const text = (status: number, body: string): Response => new Response(`${body}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

export const GET: RequestHandler = async ({ url, locals }) => {
  const user = locals.user!;
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
    return text(400, `Invalid segment: ${(err as Error).message}`);
  }
  const load = async (limit: number, offset: number): Promise<Row[]> => (await cubeLoad(membersQuery(def, limit, offset), user)).rows;
  // The first page is read before answering, so a failure is an error status, not a cut file.
  let first: Row[];
  try {
    first = await load(PAGE, 0);
  } catch (err) {
    return text(502, `Export failed: ${(err as Error).message}`);
  }
  async function* pages(): AsyncGenerator<Row[]> {
    if (first.length > 0) yield first;
    if (first.length < PAGE) return;
    for await (const page of pagedRows((limit, offset) => load(limit, offset + PAGE), PAGE)) yield page;
  }
  const file = `${name}-${new Date().toISOString().slice(0, 10)}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
  return new Response(csvStream(MEMBER_COLUMNS, pages()), {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${file}"`,
      'cache-control': 'private, no-store',
    },
  });
};
