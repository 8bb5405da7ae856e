/**
 * The alert rules file the worker runs on (`<dataDir>/alert-rules.json`, the data directory the
 * process resolved: see WebContext.dataDir), read and written only through the alerts module's public API (alerts/index.ts).
 * Loaded lazily, like the inbox, so the dashboard still starts when the alerts module is unavailable.
 */
import { getWebContext } from '../server/context.ts';
import type { AlertRules, RuleIssue } from '../../../../alerts/index.ts';

/** An invalid file comes with the defaults, for a form to start from. */
export type RulesRead = { file: string; rules: AlertRules } | { file: string; issues: RuleIssue[]; defaults: AlertRules };
export type RulesSave = { ok: true; file: string; rules: AlertRules } | { ok: false; file: string; issues: RuleIssue[] };

const alerts = () => import('../../../../alerts/index.ts');

/** The rules in force, or why the file cannot be used (an invalid file stops the digests). */
export async function readAlertRules(): Promise<RulesRead> {
  const { defaultRules, readRules, rulesPath } = await alerts();
  const dataDir = getWebContext().dataDir;
  const file = rulesPath(dataDir);
  try {
    return { file, rules: readRules(dataDir) };
  } catch (err) {
    const e = err as { code?: string; issues?: RuleIssue[] };
    if (e.code === 'RULES_INVALID' && e.issues) return { file, issues: e.issues, defaults: defaultRules() };
    throw err;
  }
}

/** Validates with validateRules; only valid rules reach writeRules (atomic temp file + rename). */
export async function saveAlertRules(input: unknown): Promise<RulesSave> {
  const { defaultRules, rulesPath, validateRules, writeRules } = await alerts();
  const dataDir = getWebContext().dataDir;
  const file = rulesPath(dataDir);
  const checked = validateRules(input, defaultRules());
  if (!checked.ok) return { ok: false, file, issues: checked.issues };
  return { ok: true, file, rules: writeRules(dataDir, checked.rules) };
}
