import { consentSettings, CONSENT_STATUSES } from '../../lib/consent/purposes.ts';
import type { EntitySpec, FieldSpec } from './types.ts';

/**
 * Consent events (issue 16, item 1): a person granted or withdrew consent for one purpose, at a
 * time, through a channel, with evidence. Events, not a state: nothing is overwritten, the newest
 * event per customer and purpose is the current consent (migration 012, consent_current), so the
 * history a regulator may ask for stays. Loaded like interactions: files, the HTTP endpoint, and
 * the dashboard's 360 page (web/src/lib/consent), each event keyed by (source, consent_id) so a
 * re-load adds nothing.
 */
const purpose: FieldSpec = {
  name: 'purpose',
  type: 'enum',
  required: true,
  // The configured list (CRM_CONSENT_PURPOSES), read when a load compiles its mapping rather than
  // at import: a module that only lists entities must not fail on a bad variable.
  get values(): readonly string[] {
    return consentSettings().purposes;
  },
  doc: 'one of CRM_CONSENT_PURPOSES (default marketing_email | marketing_sms | marketing_phone | profiling)',
};

export const consents: EntitySpec = {
  name: 'consents',
  table: 'consent_events',
  key: ['source', 'consent_id'],
  idField: 'consent_id',
  resolvesCustomer: true,
  // Not a firstSeenField: a consent given on a web form says nothing about when someone became a
  // customer, so it must not move first-seen dates (cohorts, tenure).
  movableSortColumns: ['customer_id', 'occurred_at'],
  sourceIsColumn: true,
  derive: { id: true },
  fields: [
    { name: 'source', type: 'id', required: true, doc: 'system the event comes from; customer_ref is an id in it' },
    {
      name: 'consent_id',
      type: 'id',
      required: true,
      doc: 'event id unique within the source (derived from the row when the file has none)',
    },
    { name: 'customer_ref', type: 'id', required: true, doc: "the customer's source_id in the same source" },
    purpose,
    { name: 'status', type: 'enum', required: true, values: CONSENT_STATUSES, doc: CONSENT_STATUSES.join(' | ') },
    {
      name: 'occurred_at',
      type: 'datetime',
      required: true,
      doc: 'when the person granted or withdrew it (the newest event per purpose wins)',
    },
    { name: 'channel', type: 'string', doc: 'how: web_form, email_link, phone, paper, store, dashboard, …' },
    {
      name: 'evidence',
      type: 'string',
      doc: 'where the proof is: form submission id, recording id, document reference',
    },
    { name: 'recorded_by', type: 'id', doc: 'dashboard user id when an employee recorded it (empty for files)' },
  ],
};
