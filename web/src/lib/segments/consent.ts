import type { CubeQuery, MemberFilter } from '../cube/types.ts';

/**
 * Consent in segments (issue 16, item 1): the live count, the member export and the campaign push
 * leave out every member without consent for the purpose they serve, with the same Cube filter, so
 * the three agree. Which purpose each needs:
 *
 *   live count     marketing_email  (it previews the audience the export and the push send)
 *   export (CSV)   marketing_email  (the file carries e-mail addresses for a campaign)
 *   push           marketing_email  (the campaign webhook starts an e-mail campaign)
 *
 * The customer list's and the churn page's exports are internal work lists, not marketing, and
 * keep every customer the user may see. There is no override: a customer without a recorded
 * opt-in cannot be made reachable by a switch; record the consent (360 page or ingest) instead.
 *
 * Consent is "the newest event for the purpose is granted"; no event means no consent
 * (lib/consent/purposes.ts; the semantic layer's consent_status cube). This module is pure and
 * runs in the browser, so it does not read the configuration.
 */
export const SEGMENT_PURPOSE = 'marketing_email';

/** Human name of a purpose: marketing_email → "marketing e-mail". */
export const purposeLabel = (purpose: string): string => purpose.replace(/_/g, ' ').replace(/\bemail\b/, 'e-mail');

/** The member that lists a customer's consented purposes as |a|b|. */
export const CONSENT_MEMBER = 'customer_base.granted_consents';

/**
 * `contains` is a LIKE whose pattern Cube 0.33 passes on with every backslash doubled, so `\_`
 * cannot escape an underscore (measured: the escaped token matched nobody). Purpose names are
 * [a-z0-9_] (CRM_CONSENT_PURPOSES is checked), so the token's only wildcard is `_`, matching one
 * character: it could confuse two configured purposes that differ only where one has `_`, which
 * the configuration check does not allow to matter in practice (no such pair in the defaults).
 */
export const purposeToken = (purpose: string): string => `|${purpose}|`;

/** Customers who currently consent to `purpose`. */
export function consentFilter(purpose: string = SEGMENT_PURPOSE): MemberFilter {
  return { member: CONSENT_MEMBER, operator: 'contains', values: [purposeToken(purpose)] };
}

/** The same query restricted to customers with consent for `purpose` (its filters are ANDed). */
export function withConsent(query: CubeQuery, purpose: string = SEGMENT_PURPOSE): CubeQuery {
  return { ...query, filters: [...(query.filters ?? []), consentFilter(purpose)] };
}

/** Matching customers and how many of them lack consent (matching − consented, never below 0). */
export function exclusion(
  matching: number,
  consented: number,
): { matching: number; consented: number; excluded: number } {
  const m = Number.isFinite(matching) ? matching : 0;
  const c = Number.isFinite(consented) ? consented : 0;
  return { matching: m, consented: c, excluded: Math.max(0, m - c) };
}

/** "120 match · 15 excluded for lack of consent (marketing e-mail)". */
export function exclusionText(
  e: { matching: number; excluded: number },
  format: (n: number) => string,
  purpose: string = SEGMENT_PURPOSE,
): string {
  return `${format(e.matching)} match · ${format(e.excluded)} excluded for lack of consent (${purposeLabel(purpose)})`;
}
