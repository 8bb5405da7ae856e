import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { cubeLoad } from '$lib/server/cube.ts';
import { matchQuery, membersQuery, parseDefinition, segmentFilters } from '$lib/segments/rules.ts';
import { SEGMENT_PURPOSE } from '$lib/segments/consent.ts';
import { publicError } from '$lib/server/errors.ts';
import { decide } from '$lib/auth/access.ts';
import { deleteSegment, getSegment, listSegments, saveSegment, segmentDb } from '$lib/segments/store.server.ts';
import { pushConfig, pushToWebhook } from '$lib/segments/push.server.ts';
import { audit, auditFilter } from '$lib/server/audit.ts';
import { campaignIdFor, logPush, normalizeCampaignName, recentPushes, recordCampaign, type PushLogRow, type PushStatus } from '$lib/segments/campaign-push.server.ts';
import { pagedRows } from '$lib/format/csv-stream.ts';
import { getWebContext } from '$lib/server/context.ts';

/** Saved segments (warehouse), their last pushes, and the save / delete / push actions. */
export const load: PageServerLoad = async ({ locals, route }) => {
  // The forms show only to roles the access table lets post them (others would get a 403).
  const canEdit = decide(route.id, locals.user?.role, 'save') === 'allow';
  const mayPush = decide(route.id, locals.user?.role, 'push') === 'allow';
  const canPush = mayPush && !!pushConfig();
  // Someone who may push but cannot, because the webhook is unset, sees the button disabled and why.
  const pushOff = mayPush && !canPush;
  try {
    const segments = await listSegments();
    // The push log is secondary: the page works without it.
    const pushes: PushLogRow[] = segments.length ? await recentPushes(segmentDb(), segments.map((s) => s.id), 1).catch(() => []) : [];
    const lastPush = Object.fromEntries(segments.flatMap((s) => {
      const p = pushes.find((x) => x.segment_id === s.id);
      return p ? [[s.id, p]] : [];
    }));
    return { segments, lastPush, segmentsError: undefined as string | undefined, canPush, pushOff, canEdit };
  } catch (err) {
    return { segments: [], lastPush: {} as Record<string, PushLogRow>, segmentsError: publicError('Saved segments could not be read', err, locals.requestId), canPush, pushOff, canEdit };
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
      // A segment is saved only when every rule applies: export and push would refuse it later.
      segmentFilters(definition);
    } catch (err) {
      return fail(400, { action: 'save', error: publicError('Invalid rules', err, locals.requestId) });
    }
    try {
      const id = await saveSegment({ id: String(form.get('id') ?? '') || undefined, name, description: String(form.get('description') ?? ''), definition }, locals.user!.sub);
      return { action: 'save', saved: id, message: `Saved “${name}”.` };
    } catch (err) {
      return fail(500, { action: 'save', error: publicError('The segment could not be saved', err, locals.requestId) });
    }
  },
  delete: async ({ request, locals }) => {
    const id = String((await request.formData()).get('id') ?? '');
    try {
      if (!(await deleteSegment(id, locals.user!.sub))) return fail(404, { action: 'delete', error: 'No such segment.' });
      return { action: 'delete', deleted: id, message: 'Segment deleted.' };
    } catch (err) {
      return fail(500, { action: 'delete', error: publicError('The segment could not be deleted', err, locals.requestId) });
    }
  },
  push: async ({ request, locals }) => {
    const config = pushConfig();
    if (!config) return fail(400, { action: 'push', error: 'No campaign webhook is configured (CAMPAIGN_WEBHOOK_URL).' });
    const form = await request.formData();
    const id = String(form.get('id') ?? '');
    const segment = await getSegment(id).catch(() => undefined);
    if (!segment) return fail(404, { action: 'push', error: 'Save the segment before pushing it.' });
    try {
      segmentFilters(segment.definition);
    } catch (err) {
      return fail(400, { action: 'push', error: publicError(`“${segment.name}” cannot be pushed`, err, locals.requestId) });
    }
    const campaignName = normalizeCampaignName(String(form.get('campaign') ?? '')) || segment.name;
    const campaignId = campaignIdFor(segment.id, campaignName);
    const user = locals.user!;
    // One audit row per push that got as far as reading the members: segment and campaign ids, members sent.
    const record = (outcome: 'ok' | 'failed', rows: number, detail: string) =>
      audit(user, locals.requestId, { action: 'segment.push', targetKind: 'segment', targetIds: [segment.id, campaignId], rowCount: rows, filter: auditFilter(segmentFilters(segment.definition)), outcome, detail });
    const members: Record<string, unknown>[] = [];
    // Members without consent for the purpose are not pushed (membersQuery); the rules alone say how many match.
    let matching: number;
    try {
      matching = Number((await cubeLoad(matchQuery(segment.definition), user)).rows[0]?.['customer_base.customers'] ?? 0);
      for await (const page of pagedRows(async (limit, offset) => (await cubeLoad(membersQuery(segment.definition, limit, offset, PUSH_COLUMNS), user)).rows, 10_000)) {
        for (const r of page) members.push(Object.fromEntries(PUSH_COLUMNS.map(([h, m]) => [h, r[m]])));
        if (members.length >= PUSH_LIMIT) break;
      }
    } catch (err) {
      await record('failed', 0, 'the semantic layer did not answer');
      return fail(502, { action: 'push', error: publicError('The members could not be read from the semantic layer', err, locals.requestId) });
    }
    const truncated = members.length >= PUSH_LIMIT;
    const excluded = truncated ? 0 : Math.max(0, matching - members.length);
    const excludedText = `${excluded.toLocaleString('en-GB')} excluded for lack of ${SEGMENT_PURPOSE} consent`;
    const at = new Date();
    const result = await pushToWebhook(
      {
        type: 'segment.push',
        // The campaign tool reports responses back (npm run ingest -- campaign_members) under this id.
        campaign: { id: campaignId, name: campaignName },
        segment: { id: segment.id, name: segment.name, description: segment.description, definition: segment.definition, filters: segmentFilters(segment.definition) },
        pushed_by: user.email,
        pushed_at: at.toISOString(),
        truncated,
        count: members.length,
        consent: { purpose: SEGMENT_PURPOSE, excluded },
        members,
      },
      config,
    );
    let status: PushStatus = result.ok ? 'delivered' : 'failed';
    let error = result.error;
    let newMembers = 0;
    const db = segmentDb();
    if (result.ok) {
      try {
        const ingest = getWebContext().ingestRecords;
        if (!ingest) throw new Error('ingest is unavailable in this process');
        ({ newMembers } = await recordCampaign(db, ingest, { pushId: result.pushId, campaignId, campaignName, segmentId: segment.id, customerIds: members.map((m) => String(m.customer_id ?? '')), at }));
      } catch (err) {
        status = 'not_recorded';
        error = `delivered, but the campaign could not be written to the warehouse (request ${locals.requestId})`;
        publicError('The campaign could not be recorded', err, locals.requestId);
      }
    }
    let logError = '';
    try {
      await logPush(db, {
        pushId: result.pushId, segmentId: segment.id, segmentName: segment.name, campaignId, campaignName, members: members.length, newMembers, truncated,
        webhookUrl: config.url, status, httpStatus: result.status, attempts: result.attempts, error, pushedBy: user.sub, pushedByEmail: user.email, at,
      });
    } catch (err) {
      logError = ` ${publicError('The push could not be logged', err, locals.requestId)}`;
    }
    await record(result.ok ? 'ok' : 'failed', members.length, [result.ok ? (status === 'not_recorded' ? 'delivered, campaign not recorded' : '') : 'the campaign tool did not accept the push', `${excluded} excluded for lack of ${SEGMENT_PURPOSE} consent`].filter(Boolean).join('; '));
    if (!result.ok) return fail(502, { action: 'push', error: `The campaign tool did not accept the push after ${result.attempts} attempt(s): ${result.error}.${logError}` });
    if (status === 'not_recorded') return fail(500, { action: 'push', error: `Pushed ${members.length.toLocaleString('en-GB')} members, but ${error}.${logError}` });
    return {
      action: 'push',
      // What the page waits to see in the campaign results (results.ts, JustPushed), and the counts.
      pushed: { campaignId, campaignName, segmentId: segment.id, newMembers, members: members.length, excluded },
      message: `Pushed ${members.length.toLocaleString('en-GB')} members of “${segment.name}” to campaign “${campaignName}” (${newMembers.toLocaleString('en-GB')} new; ${excludedText}; push ${result.pushId}).${logError}`,
    };
  },
};
