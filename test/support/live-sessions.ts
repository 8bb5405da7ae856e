import { snapshotOf } from '../../lib/accounts/account-snapshots.ts';
import type { UserRecord } from '../../web/src/lib/server/context.ts';
import { LiveSessions, LocalAccountChanges } from '../../web/src/lib/server/session-check.ts';

/**
 * The dashboard's session check (web/src/lib/server/session-check.ts) over these accounts, for
 * tests of what calls it (the Cube gate): its snapshot is read from the list instead of the
 * warehouse, with no sign-out or write of this process's own.
 */
export function liveSessionsOf(...accounts: UserRecord[]): LiveSessions {
  const rows = accounts.map((a) => ({ user_id: a.userId, role: a.role, owner_id: a.ownerId, active: a.active ? 1 : 0, updated_ms: String(a.updatedAt) }));
  return new LiveSessions(async () => snapshotOf(rows, []), { local: new LocalAccountChanges() });
}
