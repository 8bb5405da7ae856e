import { error, fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { erasePerson, ERASURES_TABLE, type Receipt } from '../../../../../lib/privacy/erase.ts';
import { PersonLookupError } from '../../../../../lib/privacy/person.ts';
import { privacyKey } from '../../../../../lib/privacy/tombstone.ts';
import { qualified, rows } from '../../../../../lib/warehouse/sql.ts';
import type { Session } from '$lib/server/session.ts';
import { getWebContext } from '$lib/server/context.ts';
import { publicError } from '$lib/server/errors.ts';
import { adminWarehouse, NoAdminError } from './admin-warehouse.server.ts';

/**
 * The Privacy page (issue 16): an administrator looks a person up (a dry run: what erasure would
 * remove, table by table) and erases them; recent erasure receipts below. Admins only — hooks.server.ts
 * refuses other roles (access.ts) and every load and action checks again, because erasure is
 * irreversible. Both actions are audited (privacy.erase, the look-up with detail "dry run") by
 * lib/privacy/erase.ts. Derived tables lose the person's rows at once and are rebuilt whole at the
 * next refresh (`npm run privacy` rebuilds them at once).
 */
function requireAdmin(user: Session | undefined): void {
  if (user?.role !== 'admin') error(403, 'Only an administrator can erase a person.');
}

export interface ReceiptRow {
  erasure_id: string;
  subject: string;
  actor: string;
  at: string;
  rows_removed: string;
}

export const load: PageServerLoad = async ({ locals }) => {
  requireAdmin(locals.user);
  const ctx = getWebContext();
  let receipts: ReceiptRow[] = [];
  let loadError: string | undefined;
  try {
    receipts = await rows<ReceiptRow>(ctx.warehouse.client, {
      query: `SELECT erasure_id, subject, actor, toString(at) AS at, rows_removed FROM ${ctx.warehouse.database ? qualified(ctx.warehouse.database, ERASURES_TABLE) : ERASURES_TABLE} ORDER BY at DESC LIMIT 50`,
    });
  } catch (err) {
    loadError = publicError('The erasure receipts could not be read', err, locals.requestId);
  }
  return { receipts, loadError };
};

async function run(request: Request, locals: App.Locals, dryRun: boolean) {
  requireAdmin(locals.user);
  const form = await request.formData();
  const who = String(form.get('who') ?? '').trim().slice(0, 300);
  if (!who) return fail(400, { who, problem: 'Give a customer id, an e-mail address or a source record (source:id).' });
  if (!dryRun && String(form.get('confirm') ?? '') !== 'ERASE') {
    return fail(400, { who, problem: 'Type ERASE to confirm: erasure cannot be undone.' });
  }
  const ctx = getWebContext();
  let wh;
  try {
    wh = await adminWarehouse(ctx.dataDir);
  } catch (err) {
    if (err instanceof NoAdminError)
      return fail(503, { who, problem: `This dashboard does not hold the warehouse administrator's credentials (${err.message}). Run npm run privacy -- erase <id> where the migrate service runs.` });
    throw err;
  }
  try {
    const receipt: Receipt = await erasePerson(
      { client: wh.client, database: wh.database, cluster: wh.cluster },
      who,
      {
        key: privacyKey(process.env, ctx.dataDir),
        actor: locals.user!.sub,
        actorRole: locals.user!.role,
        requestId: locals.requestId,
        dryRun,
        dataDir: ctx.dataDir,
        // A page answer cannot wait long; the receipt says when replaced parts were still on disk.
        cleanupTimeoutMs: 90_000,
      },
    );
    return { who: dryRun ? who : '', receipt };
  } catch (err) {
    if (err instanceof PersonLookupError) return fail(404, { who, problem: err.message });
    return fail(500, { who, problem: publicError(dryRun ? 'The look-up failed' : 'The erasure failed', err, locals.requestId) });
  } finally {
    await wh.close();
  }
}

export const actions: Actions = {
  lookup: async ({ request, locals }) => run(request, locals, true),
  erase: async ({ request, locals }) => run(request, locals, false),
};
