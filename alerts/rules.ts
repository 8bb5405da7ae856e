/**
 * Alert rules: a JSON file in the data directory (`<dataDir>/alert-rules.json`), created with the
 * defaults on first use and edited by an admin in the dashboard through readRules / writeRules.
 * Every field is described in alerts/README.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Cron } from 'croner';
import { privateDir, writePrivateFile } from '../lib/config.ts';
import { configFrom, type Config } from '../lib/config/schema.ts';
import { AlertRulesError, type RuleIssue } from './errors.ts';

export type ValueBasis = 'clv_12m' | 'revenue_12m';
export const VALUE_BASES: readonly ValueBasis[] = ['clv_12m', 'revenue_12m'];

export interface AlertRules {
  /** Format of this file. */
  version: 1;
  /** When digests go out: a cron expression (5 fields, or 6 with seconds) read in an IANA time zone. */
  schedule: { cron: string; timezone: string };
  /**
   * Model refresh: `cron` re-trains and re-scores on its own schedule (same time zone; null: never);
   * before each alert run, scores older than `maxScoreAgeHours` are refreshed first (null: never).
   */
  rescore: { cron: string | null; maxScoreAgeHours: number | null };
  /** Alert when the churn probability is at least this (0–1]. */
  probabilityThreshold: number;
  /** Alert again inside the cooldown when the probability rose by at least this since the last alert (null: never). */
  minRiseSinceLastAlert: number | null;
  /** Days after an alert before the same customer, still at risk, is alerted again (null: not while at risk). */
  cooldownDays: number | null;
  /** Only customers whose value at risk (churn probability × predicted 12-month CLV) is at least this (base currency). */
  minValueAtRisk: number;
  /**
   * No longer used (issue 15): value at risk is defined once, churn probability × predicted
   * 12-month CLV, the same number as on the churn and customer pages. Kept, and still checked, so
   * rules files and forms that carry it stay valid.
   */
  valueBasis: ValueBasis;
  /** Owners who get digests: "all", or a list of owner ids (customers.owner_id). */
  owners: 'all' | string[];
  /** Customers listed in one digest (highest value at risk first); more are counted but not listed. */
  maxCustomersPerDigest: number;
}

export const RULES_FILE = 'alert-rules.json';

export function rulesPath(dataDir: string): string {
  return join(dataDir, RULES_FILE);
}

/**
 * The process's Config (lib/config/schema.ts), or an environment to parse (tests pass a literal).
 * Left out, configFrom() parses the process's environment: only the schema reads process.env.
 */
type Env = Record<string, string | undefined> | Config;

/** The defaults; the time zone comes from CRM_TIMEZONE when set, else UTC. */
export function defaultRules(env?: Env): AlertRules {
  const timezone = configFrom(env).CRM_TIMEZONE;
  return {
    version: 1,
    schedule: { cron: '0 7 * * *', timezone },
    rescore: { cron: '0 5 * * *', maxScoreAgeHours: 24 },
    probabilityThreshold: 0.6,
    minRiseSinceLastAlert: 0.15,
    cooldownDays: 14,
    minValueAtRisk: 0,
    valueBasis: 'clv_12m',
    owners: 'all',
    maxCustomersPerDigest: 25,
  };
}

export type RulesValidation = { ok: true; rules: AlertRules } | { ok: false; issues: RuleIssue[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Null when the expression parses, else croner's message. */
export function cronError(expr: string): string | null {
  try {
    new Cron(expr, { paused: true, mode: '5-or-6-parts' }).stop();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Checks rules from a form or a file. Missing fields take the defaults (so files written by an
 * older version stay valid); unknown fields are errors, so a typo ("treshold") is not ignored.
 */
export function validateRules(input: unknown, defaults: AlertRules = defaultRules()): RulesValidation {
  const issues: RuleIssue[] = [];
  const add = (path: string, message: string): void => void issues.push({ path, message });
  if (!isObject(input)) return { ok: false, issues: [{ path: '', message: 'must be a JSON object' }] };

  const known = new Set(Object.keys(defaults));
  for (const k of Object.keys(input)) if (!known.has(k)) add(k, 'unknown field');

  const pick = <T>(key: keyof AlertRules): T => (key in input ? input[key] : defaults[key]) as T;
  const num = (path: string, v: unknown, check: (n: number) => boolean, what: string, nullable = false): void => {
    if (v === null && nullable) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) add(path, `must be ${what}${nullable ? ' or null' : ''}`);
  };
  const sub = <K extends 'schedule' | 'rescore'>(key: K): AlertRules[K] => {
    const v = pick<unknown>(key);
    if (!isObject(v)) {
      add(key, 'must be an object');
      return defaults[key];
    }
    const base = defaults[key] as Record<string, unknown>;
    for (const k of Object.keys(v)) if (!(k in base)) add(`${key}.${k}`, 'unknown field');
    return { ...base, ...v } as AlertRules[K];
  };

  if ('version' in input && input.version !== 1) add('version', 'must be 1');

  const schedule = sub('schedule');
  if (typeof schedule.cron !== 'string' || !schedule.cron.trim()) add('schedule.cron', 'must be a cron expression');
  else {
    const e = cronError(schedule.cron);
    if (e) add('schedule.cron', e);
  }
  if (typeof schedule.timezone !== 'string' || !isValidTimezone(schedule.timezone)) add('schedule.timezone', 'must be an IANA time zone such as Europe/Berlin or UTC');

  const rescore = sub('rescore');
  if (rescore.cron !== null) {
    if (typeof rescore.cron !== 'string' || !rescore.cron.trim()) add('rescore.cron', 'must be a cron expression or null');
    else {
      const e = cronError(rescore.cron);
      if (e) add('rescore.cron', e);
    }
  }
  num('rescore.maxScoreAgeHours', rescore.maxScoreAgeHours, (n) => n > 0, 'a number of hours > 0', true);

  const probabilityThreshold = pick<number>('probabilityThreshold');
  num('probabilityThreshold', probabilityThreshold, (n) => n > 0 && n <= 1, 'a probability in (0, 1]');
  const minRise = pick<number | null>('minRiseSinceLastAlert');
  num('minRiseSinceLastAlert', minRise, (n) => n > 0 && n <= 1, 'a probability difference in (0, 1]', true);
  const cooldownDays = pick<number | null>('cooldownDays');
  num('cooldownDays', cooldownDays, (n) => n >= 0 && n <= 3650, 'a number of days between 0 and 3650', true);
  const minValueAtRisk = pick<number>('minValueAtRisk');
  num('minValueAtRisk', minValueAtRisk, (n) => n >= 0, 'a number ≥ 0');
  const valueBasis = pick<ValueBasis>('valueBasis');
  if (!VALUE_BASES.includes(valueBasis)) add('valueBasis', `must be one of ${VALUE_BASES.join(', ')}`);
  const maxCustomersPerDigest = pick<number>('maxCustomersPerDigest');
  num('maxCustomersPerDigest', maxCustomersPerDigest, (n) => Number.isInteger(n) && n >= 1 && n <= 500, 'an integer between 1 and 500');

  let owners = pick<unknown>('owners');
  if (owners !== 'all') {
    if (!Array.isArray(owners) || owners.some((o) => typeof o !== 'string' || !o.trim())) add('owners', 'must be "all" or a list of owner ids');
    else owners = [...new Set(owners.map((o: string) => o.trim()))];
  }

  if (issues.length) return { ok: false, issues };
  return {
    ok: true,
    rules: {
      version: 1,
      schedule: { cron: schedule.cron.trim(), timezone: schedule.timezone },
      rescore: { cron: rescore.cron === null ? null : rescore.cron.trim(), maxScoreAgeHours: rescore.maxScoreAgeHours },
      probabilityThreshold,
      minRiseSinceLastAlert: minRise,
      cooldownDays,
      minValueAtRisk,
      valueBasis,
      owners: owners as AlertRules['owners'],
      maxCustomersPerDigest,
    },
  };
}

/** Whole or not at all, and private: the rules name owners and their thresholds. */
function writeAtomically(file: string, text: string): void {
  privateDir(dirname(file));
  writePrivateFile(file, text);
}

/**
 * The rules in force. A missing file is created with the defaults; an invalid one throws
 * AlertRulesError (with every issue and the file name) instead of silently alerting on defaults.
 */
export function readRules(dataDir: string, env?: Env): AlertRules {
  const file = rulesPath(dataDir);
  const defaults = defaultRules(env);
  if (!existsSync(file)) {
    writeAtomically(file, `${JSON.stringify(defaults, null, 2)}\n`);
    return defaults;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AlertRulesError([{ path: '', message: `not valid JSON: ${(err as Error).message}` }], file);
  }
  const v = validateRules(parsed, defaults);
  if (!v.ok) throw new AlertRulesError(v.issues, file);
  return v.rules;
}

/**
 * Validates and saves rules (an admin's edit); returns what was saved. Throws AlertRulesError with
 * `issues` (path + message per field) when invalid, leaving the file untouched. The worker reads the
 * file before every run and picks up a changed schedule within a minute.
 */
export function writeRules(dataDir: string, input: unknown, env?: Env): AlertRules {
  const file = rulesPath(dataDir);
  const v = validateRules(input, defaultRules(env));
  if (!v.ok) throw new AlertRulesError(v.issues, file);
  writeAtomically(file, `${JSON.stringify(v.rules, null, 2)}\n`);
  return v.rules;
}
