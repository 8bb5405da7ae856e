/**
 * THE list of audited actions (issue 16, item 4) and where each is written. A closed list: the
 * writer (log.ts) refuses any other action, so a typo cannot create an action nobody filters for.
 * test/lib/audit/actions.test.ts checks this table against the dashboard's routes (access.ts
 * ROUTES) and the CLIs, and that every `where` file really writes its action.
 *
 * `where` entries: `route <route id> <load|GET|action name>` for the dashboard, `cli <npm script>
 * <command>` for a command-line tool; `files` are the modules that call the writer for it.
 */
export interface AuditActionInfo {
  label: string;
  where: readonly string[];
  files: readonly string[];
}

export const AUDIT_ACTIONS = {
  'auth.sign_in': {
    label: 'Sign-in (success or failure)',
    where: ['route /signin default'],
    files: ['web/src/routes/signin/+page.server.ts'],
  },
  'auth.sign_out': {
    label: 'Sign-out',
    where: ['route /signout default'],
    files: ['web/src/routes/signout/+page.server.ts'],
  },
  'customer.view': {
    label: 'Customer 360 view',
    where: ['route /(app)/customers/[id] load'],
    files: ['web/src/routes/(app)/customers/[id]/+page.server.ts'],
  },
  'consent.change': {
    label: 'Consent granted or withdrawn on the 360 page (purpose and status in the detail)',
    where: ['route /(app)/customers/[id] consent'],
    files: ['web/src/lib/consent/page.server.ts'],
  },
  'export.churn_risk': {
    label: 'Churn-risk CSV export',
    where: ['route /(app)/churn-risk/export.csv GET'],
    files: ['web/src/routes/(app)/churn-risk/export.csv/+server.ts'],
  },
  'export.segment': {
    label: 'Segment CSV export',
    where: ['route /(app)/segments/export.csv GET'],
    files: ['web/src/routes/(app)/segments/export.csv/+server.ts'],
  },
  'segment.push': {
    label: 'Segment push to a campaign',
    where: ['route /(app)/segments push'],
    files: ['web/src/routes/(app)/segments/+page.server.ts'],
  },
  'token.issue': {
    label: 'Semantic-API token issued',
    where: ['route /api/cube-token GET', 'cli token issue'],
    files: ['web/src/routes/api/cube-token/+server.ts', 'semantic/token-cli.ts'],
  },
  'user.add': {
    label: 'Account created or profile/role changed',
    where: ['cli users add'],
    files: ['web/users-cli.ts'],
  },
  'user.set_password': {
    label: 'Password set',
    where: ['cli users set-password'],
    files: ['web/users-cli.ts'],
  },
  'user.deactivate': {
    label: 'Account deactivated',
    where: ['cli users deactivate'],
    files: ['web/users-cli.ts'],
  },
  'user.activate': {
    label: 'Account activated',
    where: ['cli users activate'],
    files: ['web/users-cli.ts'],
  },
  'alert_rules.save': {
    label: 'Alert rules changed (admin)',
    where: ['route /(app)/alerts/rules save'],
    files: ['web/src/routes/(app)/alerts/rules/+page.server.ts'],
  },
  'privacy.erase': {
    label: 'Person erased, or an erasure looked up (dry run)',
    where: ['route /(app)/privacy erase', 'route /(app)/privacy lookup', 'cli privacy erase'],
    files: ['lib/privacy/erase.ts'],
  },
  'privacy.export': {
    label: 'Subject access export of a person',
    where: ['cli privacy export'],
    files: ['lib/privacy/export.ts'],
  },
} as const satisfies Record<string, AuditActionInfo>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;
export const AUDIT_ACTION_NAMES = Object.keys(AUDIT_ACTIONS) as AuditAction[];
export const isAuditAction = (v: unknown): v is AuditAction => typeof v === 'string' && Object.hasOwn(AUDIT_ACTIONS, v);

export const AUDIT_OUTCOMES = ['ok', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const TARGET_KINDS = ['customer', 'customers', 'segment', 'user', 'token', 'settings', 'none'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
