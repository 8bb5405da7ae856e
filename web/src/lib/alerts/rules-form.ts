/**
 * The alert-rules form (admin page /alerts/rules) ↔ the rules object of the alerts module (alerts/index.ts).
 * Pure: parsing only turns the posted strings into the shape validateRules checks; every judgement
 * about a value (ranges, cron, time zone) stays in validateRules, so the form and the file can
 * never disagree about what is valid.
 */
import type { AlertRules, RuleIssue, ValueBasis } from '../../../../alerts/index.ts';
import { formatContext } from '../format/format.ts';

/** Posted field names: the rules' dotted paths, so an issue's `path` names its input directly. */
export const RULE_FIELDS = [
  'probabilityThreshold',
  'minRiseSinceLastAlert',
  'cooldownDays',
  'minValueAtRisk',
  'valueBasis',
  'maxCustomersPerDigest',
  'owners',
  'schedule.cron',
  'schedule.timezone',
  'rescore.cron',
  'rescore.maxScoreAgeHours',
] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

export const RULE_LABELS: Record<RuleField, string> = {
  probabilityThreshold: 'Churn probability threshold',
  minRiseSinceLastAlert: 'Rise since the last alert',
  cooldownDays: 'Cooldown per customer (days)',
  // The configured base currency (CRM_BASE_CURRENCY), read when the label is shown: the rule is in
  // that currency, and a fixed "(EUR)" misnamed it on a USD warehouse.
  get minValueAtRisk() {
    return `Minimum value at risk (${formatContext().currency})`;
  },
  valueBasis: 'Value at risk based on',
  maxCustomersPerDigest: 'Customers listed per digest',
  owners: 'Owners who get digests',
  'schedule.cron': 'Digest schedule (cron)',
  'schedule.timezone': 'Time zone',
  'rescore.cron': 'Model refresh schedule (cron)',
  'rescore.maxScoreAgeHours': 'Maximum score age (hours)',
};

/** What the inputs hold: strings as typed, plus the owners choice and the owner-id list. */
export interface RulesFormValues {
  probabilityThreshold: string;
  minRiseSinceLastAlert: string;
  cooldownDays: string;
  minValueAtRisk: string;
  valueBasis: string;
  maxCustomersPerDigest: string;
  ownersMode: 'all' | 'list';
  ownerIds: string;
  'schedule.cron': string;
  'schedule.timezone': string;
  'rescore.cron': string;
  'rescore.maxScoreAgeHours': string;
}

const text = (v: number | string | null): string => (v === null ? '' : String(v));

/** The form's initial values for rules in force. Nullable settings show as empty ("never"/"off"). */
export function rulesToForm(rules: AlertRules): RulesFormValues {
  return {
    probabilityThreshold: text(rules.probabilityThreshold),
    minRiseSinceLastAlert: text(rules.minRiseSinceLastAlert),
    cooldownDays: text(rules.cooldownDays),
    minValueAtRisk: text(rules.minValueAtRisk),
    valueBasis: rules.valueBasis,
    maxCustomersPerDigest: text(rules.maxCustomersPerDigest),
    ownersMode: rules.owners === 'all' ? 'all' : 'list',
    ownerIds: rules.owners === 'all' ? '' : rules.owners.join('\n'),
    'schedule.cron': rules.schedule.cron,
    'schedule.timezone': rules.schedule.timezone,
    'rescore.cron': text(rules.rescore.cron),
    'rescore.maxScoreAgeHours': text(rules.rescore.maxScoreAgeHours),
  };
}

type Posted = Pick<FormData, 'get'>;

const NUMBER = /^[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?$/;

/**
 * A typed number; empty means null where the rule allows "never". Anything that is not a number is
 * passed through as text so validateRules reports it with the field's own message.
 */
export function parseNumber(raw: string, nullable: boolean): number | string | null {
  const t = raw.trim();
  if (t === '') return nullable ? null : t;
  // A decimal comma is what much of Europe types.
  return NUMBER.test(t) ? Number(t.replace(',', '.')) : t;
}

/** Owner ids separated by commas, spaces or lines. */
export function parseOwnerIds(raw: string): string[] {
  return raw.split(/[\s,;]+/).filter(Boolean);
}

/** The posted form → the echo of what was typed, and the input for validateRules / writeRules. */
export function parseRulesForm(form: Posted): { values: RulesFormValues; input: Record<string, unknown> } {
  const get = (name: string): string => {
    const v = form.get(name);
    return typeof v === 'string' ? v : '';
  };
  const values: RulesFormValues = {
    probabilityThreshold: get('probabilityThreshold'),
    minRiseSinceLastAlert: get('minRiseSinceLastAlert'),
    cooldownDays: get('cooldownDays'),
    minValueAtRisk: get('minValueAtRisk'),
    valueBasis: get('valueBasis'),
    maxCustomersPerDigest: get('maxCustomersPerDigest'),
    ownersMode: get('ownersMode') === 'list' ? 'list' : 'all',
    ownerIds: get('ownerIds'),
    'schedule.cron': get('schedule.cron'),
    'schedule.timezone': get('schedule.timezone'),
    'rescore.cron': get('rescore.cron'),
    'rescore.maxScoreAgeHours': get('rescore.maxScoreAgeHours'),
  };
  const rescoreCron = values['rescore.cron'].trim();
  const input = {
    schedule: { cron: values['schedule.cron'].trim(), timezone: values['schedule.timezone'].trim() },
    rescore: { cron: rescoreCron === '' ? null : rescoreCron, maxScoreAgeHours: parseNumber(values['rescore.maxScoreAgeHours'], true) },
    probabilityThreshold: parseNumber(values.probabilityThreshold, false),
    minRiseSinceLastAlert: parseNumber(values.minRiseSinceLastAlert, true),
    cooldownDays: parseNumber(values.cooldownDays, true),
    minValueAtRisk: parseNumber(values.minValueAtRisk, false),
    valueBasis: values.valueBasis,
    owners: values.ownersMode === 'all' ? 'all' : parseOwnerIds(values.ownerIds),
    maxCustomersPerDigest: parseNumber(values.maxCustomersPerDigest, false),
  };
  return { values, input };
}

/**
 * Issues per form field, named by their label ("Churn probability threshold: must be …"), and those that belong to no
 * field (a broken file, an unknown key) under `form`.
 */
export interface FieldIssues {
  fields: Partial<Record<RuleField, string>>;
  form: string[];
}

export function issuesByField(issues: readonly RuleIssue[]): FieldIssues {
  const fields: FieldIssues['fields'] = {};
  const form: string[] = [];
  for (const i of issues) {
    const field = (RULE_FIELDS as readonly string[]).includes(i.path) ? (i.path as RuleField) : undefined;
    if (!field) form.push(i.path ? `${i.path}: ${i.message}` : i.message);
    else fields[field] = fields[field] ? `${fields[field]}; ${i.message}` : `${RULE_LABELS[field]}: ${i.message}`;
  }
  return { fields, form };
}

/** The value-at-risk choices, in the words of alerts/README.md. */
export const VALUE_BASIS_LABELS: Record<ValueBasis, string> = {
  clv_12m: 'Predicted 12-month CLV (last 12 months’ revenue where a customer has no CLV score)',
  revenue_12m: 'Last 12 months’ completed revenue',
};
