import { audit, idOrMarker } from '../server/audit.ts';
import { getWebContext } from '../server/context.ts';
import { cubeLoad } from '../server/cube.ts';
import { publicError } from '../server/errors.ts';
import type { LiveSession } from '../server/session-check.ts';
import { currentConsent, ownerOf, parseChange, recordConsentChange } from './consent.server.ts';
import type { ConsentPanel } from './types.ts';

/**
 * The 360 page's consent panel and its one form action. Who may change consent: an admin, or an
 * owner for their own customers (access.ts lets only those two roles post; this checks the
 * customer's owner again on the server, and the semantic layer's owner scope too). Every attempt
 * that reaches the customer writes exactly one audit row, consent.change: ok, denied (not their
 * customer) or failed (not recorded).
 */

const db = () => getWebContext().warehouse;

async function mayChange(customerId: string, user: LiveSession): Promise<boolean> {
  if (user.role === 'admin') return true;
  if (user.role !== 'owner' || !user.ownerId) return false;
  const owner = await ownerOf(db(), customerId);
  return owner !== undefined && owner !== '' && owner === user.ownerId;
}

export async function consentPanel(customerId: string, user: LiveSession, requestId: string): Promise<ConsentPanel> {
  try {
    const [purposes, canChange] = await Promise.all([currentConsent(db(), customerId), mayChange(customerId, user)]);
    return { purposes, canChange };
  } catch (err) {
    return { purposes: [], canChange: false, error: publicError('Consent could not be read', err, requestId) };
  }
}

export type ChangeResult = { ok: true; message: string } | { ok: false; status: number; message: string };

export async function changeConsent(
  customerId: string,
  form: FormData,
  user: LiveSession,
  requestId: string,
): Promise<ChangeResult> {
  const change = parseChange(form.get('purpose'), form.get('status'));
  if ('error' in change) return { ok: false, status: 400, message: change.error };
  const record = (outcome: 'ok' | 'denied' | 'failed', detail: string) =>
    audit(user, requestId, {
      action: 'consent.change',
      targetKind: 'customer',
      targetIds: [idOrMarker(customerId)],
      outcome,
      detail,
    });
  // The owner scope of the semantic layer (what the user's charts show) and the owner column must both agree.
  let visible: boolean;
  try {
    visible =
      (
        await cubeLoad(
          {
            dimensions: ['customer_base.customer_id'],
            filters: [{ member: 'customer_base.customer_id', operator: 'equals', values: [customerId] }],
            limit: 1,
          },
          user,
        )
      ).rows.length > 0;
  } catch (err) {
    await record('failed', 'semantic layer did not answer');
    return { ok: false, status: 502, message: publicError('The change could not be checked', err, requestId) };
  }
  if (!visible || !(await mayChange(customerId, user))) {
    await record('denied', `${change.purpose} ${change.status}: not this user's customer`);
    return { ok: false, status: 404, message: 'No such customer, or not one of yours.' };
  }
  const ingest = getWebContext().ingestRecords;
  try {
    if (!ingest) throw new Error('ingest is unavailable in this process');
    await recordConsentChange(db(), ingest, {
      customerId,
      purpose: change.purpose,
      status: change.status,
      userId: user.sub,
      at: new Date(),
    });
  } catch (err) {
    await record('failed', `${change.purpose} ${change.status}: not recorded`);
    return { ok: false, status: 500, message: publicError('The consent change could not be recorded', err, requestId) };
  }
  await record('ok', `${change.purpose} ${change.status}`);
  const verb = change.status === 'granted' ? 'granted' : 'withdrawn';
  return { ok: true, message: `Consent for ${change.purpose.replace(/_/g, ' ')} ${verb}.` };
}
