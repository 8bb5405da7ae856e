import { error, fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getWebContext, type SourceRecordView } from '$lib/server/context.ts';
import { auditRepeatable, idOrMarker } from '$lib/server/audit.ts';
import { cubeLoad } from '$lib/server/cube.ts';
import { publicError } from '$lib/server/errors.ts';
import { consentPanel, changeConsent } from '$lib/consent/page.server.ts';
import { latestChurnCard } from '$lib/models/card.server.ts';

/**
 * The merged source records come from the warehouse (ingest's sourceRecordsOf), so the server
 * first asks the semantic layer — as this user — whether the customer is visible to them: an owner
 * gets a 404 for someone else's customer, exactly as their charts would show nothing.
 */
export const load: PageServerLoad = async ({ params, locals }) => {
  const user = locals.user!;
  const id = params.id;
  if (!id || id.length > 200) error(404, 'No such customer');
  const visible = await cubeLoad({ dimensions: ['customer_base.customer_id'], filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: [id] }], limit: 1 }, user).catch((err: unknown) => {
    publicError('Customer visibility check failed', err, locals.requestId);
    return undefined;
  });
  const hidden = visible !== undefined && visible.rows.length === 0;
  // One row per opened 360 view: also a refused one (someone else's customer) and one the semantic
  // layer could not check; the same view again within a window, or a flood, counted (audit-repeats.ts).
  await auditRepeatable(user, locals.requestId, {
    action: 'customer.view',
    targetKind: 'customer',
    targetIds: [idOrMarker(id)],
    outcome: hidden ? 'denied' : visible ? 'ok' : 'failed',
    detail: hidden ? 'not visible to this user' : visible ? '' : 'semantic layer did not answer',
  });
  if (hidden) error(404, 'No such customer, or not one of yours');
  let sourceRecords: SourceRecordView[] | undefined;
  let sourceError: string | undefined;
  const ctx = getWebContext();
  if (!visible) sourceError = 'The semantic layer did not answer; source records are not shown.';
  else if (!ctx.sourceRecordsOf) sourceError = 'Source records are not available in this installation.';
  else {
    try {
      sourceRecords = await ctx.sourceRecordsOf(id);
    } catch (err) {
      sourceError = publicError('Could not read the source records', err, locals.requestId);
    }
  }
  // The churn probability's window (the model card's horizon): "99.8%" alone read as "will leave, ever".
  const card = await latestChurnCard().catch(() => undefined);
  const churnHorizonDays = card?.horizonDays;
  // The window scoring called a customer lapsed with (lapsed.ts; undefined: the default).
  const churnActiveWindowDays = card?.activeWindowDays;
  return { customerId: id, sourceRecords, sourceError, consent: visible ? await consentPanel(id, user, locals.requestId) : undefined, churnHorizonDays, churnActiveWindowDays };
};

export const actions: Actions = {
  // Grant or withdraw one purpose (issue 16): admins and the customer's owner; audited as consent.change.
  consent: async ({ params, request, locals }) => {
    const r = await changeConsent(params.id ?? '', await request.formData(), locals.user!, locals.requestId);
    return r.ok ? { action: 'consent', message: r.message } : fail(r.status, { action: 'consent', error: r.message });
  },
};
