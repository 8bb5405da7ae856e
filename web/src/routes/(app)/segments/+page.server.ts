import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { cubeLoad } from '$lib/server/cube.ts';
import { membersQuery, parseDefinition, segmentFilters } from '$lib/segments/rules.ts';
import { deleteSegment, getSegment, listSegments, saveSegment } from '$lib/segments/store.server.ts';
import { pushConfig, pushToWebhook } from '$lib/segments/push.server.ts';
import { pagedRows } from '$lib/segments/csv-stream.ts';

/** Saved segments (warehouse) and the save / delete / push actions. */
export const load: PageServerLoad = async () => {
  try {
    return { segments: await listSegments(), segmentsError: undefined as string | undefined, canPush: !!pushConfig() };
  } catch (err) {
    return { segments: [], segmentsError: `Saved segments could not be read: ${(err as Error).message}`, canPush: !!pushConfig() };
  }
};

const PUSH_LIMIT = 200_000;
const PUSH_COLUMNS: [string, string][] = [
  ['customer_id', 'customer_base.customer_id'],
  ['email', 'customer_base.email'],
  ['name', 'customer_base.customer_name'],
];

export const actions: Actions = {
  save: async ({ request, locals }) => {
    const form = await request.formData();
    const name = String(form.get('name') ?? '').trim();
    if (!name) return fail(400, { action: 'save', error: 'Give the segment a name.' });
    let definition;
    try {
      definition = parseDefinition(String(form.get('definition') ?? ''));
    } catch (err) {
      return fail(400, { action: 'save', error: `Invalid rules: ${(err as Error).message}` });
    }
    try {
      const id = await saveSegment({ id: String(form.get('id') ?? '') || undefined, name, description: String(form.get('description') ?? ''), definition }, locals.user!.sub);
      return { action: 'save', saved: id, message: `Saved “${name}”.` };
    } catch (err) {
      return fail(500, { action: 'save', error: `Could not save: ${(err as Error).message}` });
    }
  },
  delete: async ({ request, locals }) => {
    const id = String((await request.formData()).get('id') ?? '');
    try {
      if (!(await deleteSegment(id, locals.user!.sub))) return fail(404, { action: 'delete', error: 'No such segment.' });
      return { action: 'delete', deleted: id, message: 'Segment deleted.' };
    } catch (err) {
      return fail(500, { action: 'delete', error: `Could not delete: ${(err as Error).message}` });
    }
  },
  push: async ({ request, locals }) => {
    const config = pushConfig();
    if (!config) return fail(400, { action: 'push', error: 'No campaign webhook is configured (CAMPAIGN_WEBHOOK_URL).' });
    const id = String((await request.formData()).get('id') ?? '');
    const segment = await getSegment(id).catch(() => undefined);
    if (!segment) return fail(404, { action: 'push', error: 'Save the segment before pushing it.' });
    const user = locals.user!;
    const members: Record<string, unknown>[] = [];
    try {
      for await (const page of pagedRows(async (limit, offset) => (await cubeLoad(membersQuery(segment.definition, limit, offset, PUSH_COLUMNS), user)).rows, 10_000)) {
        for (const r of page) members.push(Object.fromEntries(PUSH_COLUMNS.map(([h, m]) => [h, r[m]])));
        if (members.length >= PUSH_LIMIT) break;
      }
    } catch (err) {
      return fail(502, { action: 'push', error: `Could not read the members: ${(err as Error).message}` });
    }
    const result = await pushToWebhook(
      {
        type: 'segment.push',
        segment: { id: segment.id, name: segment.name, description: segment.description, definition: segment.definition, filters: segmentFilters(segment.definition) },
        pushed_by: user.email,
        pushed_at: new Date().toISOString(),
        truncated: members.length >= PUSH_LIMIT,
        count: members.length,
        members,
      },
      config,
    );
    if (!result.ok) return fail(502, { action: 'push', error: `The campaign tool did not accept the push after ${result.attempts} attempt(s): ${result.error}` });
    return { action: 'push', message: `Pushed ${members.length.toLocaleString('en-GB')} members of “${segment.name}” (push ${result.pushId}).` };
  },
};
