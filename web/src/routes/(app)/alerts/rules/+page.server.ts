import { error, fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { issuesByField, parseRulesForm, rulesToForm, type FieldIssues } from '$lib/alerts/rules-form.ts';
import { readAlertRules, saveAlertRules } from '$lib/alerts/rules.server.ts';
import type { Session } from '$lib/server/session.ts';
import { audit } from '$lib/server/audit.ts';
import { publicError } from '$lib/server/errors.ts';

// hooks.server.ts already answers 403 for other roles; checked again here because writeRules
// itself trusts its caller (alerts/README.md).
function requireAdmin(user: Session | undefined): void {
  if (user?.role !== 'admin') error(403, 'Only an administrator can change the alert rules.');
}

/** The rules in force (re-read on every visit, so a hand edit of the file shows here too). */
export const load: PageServerLoad = async ({ locals }) => {
  requireAdmin(locals.user);
  const read = await readAlertRules();
  return {
    file: read.file,
    values: rulesToForm('rules' in read ? read.rules : read.defaults),
    fileIssues: 'issues' in read ? issuesByField(read.issues) : undefined,
    timezones: Intl.supportedValuesOf('timeZone'),
  };
};

export const actions: Actions = {
  save: async ({ request, locals }) => {
    requireAdmin(locals.user);
    const { values, input } = parseRulesForm(await request.formData());
    // One audit row per save: an admin changing who gets alerts about which customers.
    const record = (outcome: 'ok' | 'failed', detail: string) => audit(locals.user, locals.requestId, { action: 'alert_rules.save', targetKind: 'settings', targetIds: ['alert-rules'], outcome, detail });
    try {
      const saved = await saveAlertRules(input);
      await record(saved.ok ? 'ok' : 'failed', saved.ok ? '' : 'invalid rules');
      if (!saved.ok) return fail(400, { values, issues: issuesByField(saved.issues) });
      return { saved: true as const, file: saved.file };
    } catch (err) {
      const issues: FieldIssues = { fields: {}, form: [publicError('The rules could not be saved', err, locals.requestId)] };
      await record('failed', 'the rules file could not be written');
      return fail(500, { values, issues });
    }
  },
};
