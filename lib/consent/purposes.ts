import { loadVariables, type Env } from '../config/schema.ts';

/**
 * Consent purposes (issue 16, item 1) and the rule every reader applies to them:
 *
 * - The purposes an event may name are configured (CRM_CONSENT_PURPOSES, default
 *   marketing_email, marketing_sms, marketing_phone, profiling).
 * - The newest event per customer and purpose wins (migration 012's consent_current view).
 * - A customer with no event for a purpose: marketing purposes (and any other purpose but
 *   profiling) are NOT consented — marketing needs an explicit, provable opt-in. Profiling
 *   follows CRM_CONSENT_PROFILING_DEFAULT: `granted` by default (scoring customers for churn
 *   is run on legitimate interest, GDPR art. 6(1)(f), and a person may object, art. 21: a
 *   withdrawn event), `denied` where profiling needs opt-in (e.g. PIPL art. 13/24 readings).
 */
export const PROFILING = 'profiling';

/** What the live count, the segment export and the campaign push need from a member. */
export const SEGMENT_PURPOSE = 'marketing_email';

export const CONSENT_STATUSES = ['granted', 'withdrawn'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export interface ConsentSettings {
  purposes: readonly string[];
  profilingDefault: 'granted' | 'denied';
}

/** The configured purposes and the profiling default (throws a ConfigError naming the variable). */
export function consentSettings(env?: Env): ConsentSettings {
  const c = env
    ? loadVariables(['CRM_CONSENT_PURPOSES', 'CRM_CONSENT_PROFILING_DEFAULT'], env)
    : loadVariables(['CRM_CONSENT_PURPOSES', 'CRM_CONSENT_PROFILING_DEFAULT']);
  return { purposes: c.CRM_CONSENT_PURPOSES, profilingDefault: c.CRM_CONSENT_PROFILING_DEFAULT };
}

/** Whether a customer has consent for `purpose`, given their newest event's status (undefined: none). */
export function hasConsent(
  purpose: string,
  latest: ConsentStatus | undefined,
  settings: Pick<ConsentSettings, 'profilingDefault'>,
): boolean {
  if (latest) return latest === 'granted';
  return purpose === PROFILING && settings.profilingDefault === 'granted';
}
