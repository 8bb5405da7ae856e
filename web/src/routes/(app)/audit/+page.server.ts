import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { AUDIT_ACTIONS, AUDIT_ACTION_NAMES, isAuditAction } from '../../../../../lib/audit/actions.ts';
import { readAudit, type AuditPage } from '../../../../../lib/audit/log.ts';
import { getWebContext } from '$lib/server/context.ts';
import { publicError } from '$lib/server/errors.ts';

const PAGE_SIZE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The audit log (lib/audit), newest first, for administrators only: hooks.server.ts refuses other
 * roles (access.ts), and the load checks again because it reads who saw whom. Filters arrive as
 * query parameters (action, actor, from, to, page); a bad one is dropped with a note, not an error.
 */
export const load: PageServerLoad = async ({ url, locals }) => {
  if (locals.user?.role !== 'admin') error(403, 'Only an administrator can read the audit log.');
  const p = url.searchParams;
  const notes: string[] = [];
  const action = p.get('action') ?? '';
  const filters = {
    action: isAuditAction(action) ? action : '',
    actor: (p.get('actor') ?? '').trim().slice(0, 200),
    from: DAY.test(p.get('from') ?? '') ? p.get('from')! : '',
    to: DAY.test(p.get('to') ?? '') ? p.get('to')! : '',
  };
  if (action && !filters.action) notes.push(`Unknown action “${action.slice(0, 60)}” ignored.`);
  for (const key of ['from', 'to'] as const)
    if (p.get(key) && !filters[key]) notes.push(`The ${key} date must be YYYY-MM-DD; ignored.`);
  const page = Math.max(1, Math.floor(Number(p.get('page')) || 1));
  const actions = AUDIT_ACTION_NAMES.map((name) => ({ name, label: AUDIT_ACTIONS[name].label }));
  let result: AuditPage = { rows: [], total: 0, page, pageSize: PAGE_SIZE };
  let loadError: string | undefined;
  try {
    const ctx = getWebContext();
    result = await readAudit(
      { client: ctx.warehouse.client, database: ctx.warehouse.database },
      {
        action: filters.action || undefined,
        actor: filters.actor || undefined,
        from: filters.from || undefined,
        to: filters.to || undefined,
        page,
        pageSize: PAGE_SIZE,
      },
    );
  } catch (err) {
    loadError = publicError('The audit log could not be read', err, locals.requestId);
  }
  return { filters, notes, actions, ...result, pages: Math.max(1, Math.ceil(result.total / PAGE_SIZE)), loadError };
};
