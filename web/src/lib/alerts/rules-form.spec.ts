import { describe, expect, test } from 'vitest';
import { defaultRules, validateRules, type AlertRules } from '../../../../alerts/index.ts';
import { configureFormat } from '../format/format.ts';
import { issuesByField, parseNumber, parseOwnerIds, parseRulesForm, RULE_LABELS, rulesToForm, type RulesFormValues } from './rules-form.ts';

const post = (values: Partial<RulesFormValues> & Record<string, string>): FormData => {
  const form = new FormData();
  for (const [k, v] of Object.entries(values)) form.set(k, v);
  return form;
};
const defaults = defaultRules({});
const filled = (over: Partial<RulesFormValues> = {}): FormData => post({ ...rulesToForm(defaults), ...over });

test.each([
  ['0.7', false, 0.7],
  [' 0.7 ', false, 0.7],
  ['0,7', false, 0.7],
  ['.5', false, 0.5],
  ['14', true, 14],
  ['1e3', false, 1000],
  ['-2', false, -2],
  ['', true, null],
  ['  ', true, null],
  ['', false, ''],
  ['abc', false, 'abc'],
  ['0x10', false, '0x10'],
  ['1.2.3', true, '1.2.3'],
] as const)('parseNumber(%j, nullable %s) → %j', (raw, nullable, expected) => expect(parseNumber(raw, nullable)).toBe(expected));

test.each([
  ['U-OWN-01', ['U-OWN-01']],
  ['U-OWN-01, U-OWN-02', ['U-OWN-01', 'U-OWN-02']],
  ['U-OWN-01\r\nU-OWN-02\n\n', ['U-OWN-01', 'U-OWN-02']],
  ['U-OWN-01;U-OWN-02 U-OWN-03', ['U-OWN-01', 'U-OWN-02', 'U-OWN-03']],
  ['', []],
])('parseOwnerIds(%j)', (raw, expected) => expect(parseOwnerIds(raw)).toEqual(expected));

describe('parseRulesForm', () => {
  test('the form of the defaults parses back to the defaults', () => {
    const v = validateRules(parseRulesForm(filled()).input, defaults);
    expect(v).toEqual({ ok: true, rules: defaults });
  });

  test('every setting reaches the rules', () => {
    const { input } = parseRulesForm(
      filled({
        probabilityThreshold: '0.72',
        minRiseSinceLastAlert: '',
        cooldownDays: '30',
        minValueAtRisk: '250.5',
        valueBasis: 'revenue_12m',
        maxCustomersPerDigest: '10',
        ownersMode: 'list',
        ownerIds: 'U-OWN-02\nU-OWN-01, U-OWN-02',
        'schedule.cron': ' 30 6 * * 1-5 ',
        'schedule.timezone': 'Europe/Berlin',
        'rescore.cron': '',
        'rescore.maxScoreAgeHours': '',
      }),
    );
    const expected: AlertRules = {
      version: 1,
      schedule: { cron: '30 6 * * 1-5', timezone: 'Europe/Berlin' },
      rescore: { cron: null, maxScoreAgeHours: null },
      probabilityThreshold: 0.72,
      minRiseSinceLastAlert: null,
      cooldownDays: 30,
      minValueAtRisk: 250.5,
      valueBasis: 'revenue_12m',
      owners: ['U-OWN-02', 'U-OWN-01'],
      maxCustomersPerDigest: 10,
    };
    expect(validateRules(input, defaults)).toEqual({ ok: true, rules: expected });
  });

  test('"all owners" ignores a leftover list; a missing choice means all', () => {
    expect(parseRulesForm(filled({ ownersMode: 'all', ownerIds: 'U-OWN-01' })).input.owners).toBe('all');
    const form = filled();
    form.delete('ownersMode');
    expect(parseRulesForm(form).input.owners).toBe('all');
  });

  test('an emptied list of owners is an empty list (digests paused), not "all"', () => {
    expect(parseRulesForm(filled({ ownersMode: 'list', ownerIds: '' })).input.owners).toEqual([]);
  });

  test('the values echo what was typed, untrimmed', () => {
    const { values } = parseRulesForm(filled({ probabilityThreshold: ' 1.5 ' }));
    expect(values.probabilityThreshold).toBe(' 1.5 ');
  });

  test.each([
    ['probabilityThreshold', '1.5', 'Churn probability threshold: must be a probability in (0, 1]'],
    ['probabilityThreshold', '', 'Churn probability threshold: must be a probability in (0, 1]'],
    ['probabilityThreshold', 'high', 'Churn probability threshold: must be a probability in (0, 1]'],
    ['cooldownDays', '-1', 'Cooldown per customer (days): must be a number of days between 0 and 3650 or null'],
    ['maxCustomersPerDigest', '2.5', 'Customers listed per digest: must be an integer between 1 and 500'],
    ['minValueAtRisk', '', 'Minimum value at risk (EUR): must be a number ≥ 0'],
    ['valueBasis', 'margin', 'Value at risk based on: must be one of clv_12m, revenue_12m'],
    ['schedule.timezone', 'Mars/Olympus', 'Time zone: must be an IANA time zone such as Europe/Berlin or UTC'],
  ] as const)('%s = %j is refused, naming the field', (field, raw, message) => {
    const v = validateRules(parseRulesForm(filled({ [field]: raw })).input, defaults);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(issuesByField(v.issues)).toEqual({ fields: { [field]: message }, form: [] });
  });

  test('a bad cron expression is reported on its field', () => {
    const v = validateRules(parseRulesForm(filled({ 'schedule.cron': 'every morning' })).input, defaults);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(issuesByField(v.issues).fields['schedule.cron']).toMatch(/^Digest schedule \(cron\): /);
  });
});

test('issuesByField: issues outside the form are kept; two on one field are joined', () => {
  expect(
    issuesByField([
      { path: '', message: 'not valid JSON' },
      { path: 'treshold', message: 'unknown field' },
      { path: 'owners', message: 'must be "all" or a list of owner ids' },
      { path: 'owners', message: 'too many' },
    ]),
  ).toEqual({
    fields: { owners: 'Owners who get digests: must be "all" or a list of owner ids; too many' },
    form: ['not valid JSON', 'treshold: unknown field'],
  });
});

test('rulesToForm shows "never"/"off" as empty fields and a list one id per line', () => {
  const v = rulesToForm({ ...defaults, minRiseSinceLastAlert: null, cooldownDays: null, rescore: { cron: null, maxScoreAgeHours: null }, owners: ['U-OWN-01', 'U-OWN-03'] });
  expect(v).toMatchObject({ minRiseSinceLastAlert: '', cooldownDays: '', 'rescore.cron': '', 'rescore.maxScoreAgeHours': '', ownersMode: 'list', ownerIds: 'U-OWN-01\nU-OWN-03' });
});

describe('the minimum value at risk names the base currency', () => {
  test('CRM_BASE_CURRENCY USD: "(USD)" in the label and in the refusal; EUR by default', () => {
    expect(RULE_LABELS.minValueAtRisk).toBe('Minimum value at risk (EUR)');
    configureFormat({ currency: 'USD' });
    try {
      expect(RULE_LABELS.minValueAtRisk).toBe('Minimum value at risk (USD)');
      const v = validateRules(parseRulesForm(filled({ minValueAtRisk: '' })).input, defaults);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(issuesByField(v.issues).fields.minValueAtRisk).toBe('Minimum value at risk (USD): must be a number ≥ 0');
    } finally {
      configureFormat({});
    }
  });
});
