import type { PageServerLoad } from './$types';
import { ownerInbox, type InboxMessage } from '$lib/alerts/inbox.server.ts';
import { inboxOwner } from '$lib/alerts/inbox-owner.ts';
import { OWNER_PICKER_QUERY, ownerChoices, type OwnerChoice } from '$lib/alerts/owner-picker.ts';
import { cubeLoad } from '$lib/server/cube.ts';
import { publicError } from '$lib/server/errors.ts';

/**
 * Owners see their own digests, whatever the URL says; only an administrator picks an owner with
 * ?owner= (hooks.server.ts lets no other role in, and this stays right if the table changes), from
 * a list of owners by name that is loaded for administrators only.
 */
export const load: PageServerLoad = async ({ locals, url }) => {
  const user = locals.user!;
  const ownerId = inboxOwner(user, url.searchParams.get('owner'));
  let digests: InboxMessage[] = [];
  let error: string | undefined;
  // Without the list the admin can still type an id (the page falls back to the text field).
  let owners: OwnerChoice[] | undefined;
  let ownersError: string | undefined;
  if (user.role === 'admin') {
    try {
      owners = ownerChoices((await cubeLoad(OWNER_PICKER_QUERY, user)).rows, ownerId);
    } catch (err) {
      ownersError = publicError('The list of owners could not be read', err, locals.requestId);
    }
  }
  if (ownerId) {
    try {
      digests = await ownerInbox(ownerId);
    } catch (err) {
      error = publicError('The alerts inbox could not be read', err, locals.requestId);
    }
  }
  return {
    ownerId,
    isOwner: user.role === 'owner',
    owners,
    ownersError,
    error,
    digests: digests.map((d) => ({
      id: d.delivery_id,
      subject: d.subject,
      runWindow: d.run_window,
      plannedAt: d.planned_at,
      moreAtRisk: d.more_at_risk,
      // The owner's open deals at risk as the digest carried them (a deals-only digest has no customers).
      deals: (d.deals_at_risk ?? []).map((x) => ({ id: x.opportunity_id, name: x.deal_name || x.opportunity_id, customer: x.customer_name || x.customer_id, customerId: x.customer_id, winProbability: x.win_probability, valueAtRisk: x.value_at_risk, amount: x.amount })),
      customers: d.customers.map((c) => ({
        id: c.customer_id,
        name: c.name,
        probability: c.probability,
        previous: c.previous_probability,
        valueAtRisk: c.value_at_risk,
        reasons: (c.reasons ?? []).map((r) => (typeof r === 'string' ? r : ((r as { label?: string; text?: string }).label ?? (r as { text?: string }).text ?? JSON.stringify(r)))),
        nextStep: c.next_step,
        trigger: typeof c.trigger === 'string' ? c.trigger : JSON.stringify(c.trigger),
      })),
    })),
  };
};
