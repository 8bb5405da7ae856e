import { getWebContext } from '../server/context.ts';
import type { InboxMessage } from '../../../../alerts/index.ts';

/**
 * An owner's churn-alert digests, newest first, through the alerts module's listInbox (the outbox
 * folder of the data directory: what the embedded default delivers to). Loaded lazily so the
 * dashboard still starts when the alerts module is unavailable. The data directory comes from the
 * web context: the bundle's copy of lib/config resolves the default `.data` under web/build.
 */
export type { InboxMessage };

export async function ownerInbox(ownerId: string, limit = 50): Promise<InboxMessage[]> {
  const alerts = await import('../../../../alerts/index.ts');
  return alerts.listInbox(getWebContext().dataDir, ownerId, { limit });
}
