import type { ViewDef } from './ddl.ts';

/**
 * Current consent no longer lets a source token's `granted` override a withdrawal another sender
 * recorded (tenth security review's leftover). Migration 012's consent_current takes the newest
 * event per customer and purpose; a shop's leaked source token, with a customer's id in the shop,
 * could record `granted` for `marketing_email` after the customer withdrew it through the CRM and
 * put them back into campaign pushes. Now an event of a source token's load (its batch_id ends in
 * `-srctok`, ingest/identity/source-token-batches.ts) that grants is left out for a customer and
 * purpose with a withdrawal from the ingest token, a file or the dashboard; withdrawals always
 * count, from any sender. Without such a withdrawal the newest event wins, as before. `events`
 * still counts every event (the 360 page's history); `changed_at` is the counted status's.
 *
 * A view: CREATE OR REPLACE on every node (ON CLUSTER), nothing to copy. The window runs over
 * consent_events_resolved, where merged customers' events are already under the survivor's id.
 */
const current: ViewDef = {
  name: 'consent_current',
  select: `SELECT customer_id, purpose,
  argMaxIf(status, (occurred_at, version), counts) AS status,
  maxIf(occurred_at, counts) AS changed_at,
  argMaxIf(source, (occurred_at, version), counts) AS source,
  argMaxIf(channel, (occurred_at, version), counts) AS channel,
  argMaxIf(evidence, (occurred_at, version), counts) AS evidence,
  argMaxIf(recorded_by, (occurred_at, version), counts) AS recorded_by,
  count() AS events
FROM (
  SELECT customer_id, purpose, status, occurred_at, version, source, channel, evidence, recorded_by,
    NOT (endsWith(batch_id, '-srctok') AND status = 'granted' AND trusted_withdrawals > 0) AS counts
  FROM (
    SELECT customer_id, purpose, status, occurred_at, version, source, channel, evidence, recorded_by, batch_id,
      countIf(NOT endsWith(batch_id, '-srctok') AND status = 'withdrawn') OVER (PARTITION BY customer_id, purpose) AS trusted_withdrawals
    FROM {db}.consent_events_resolved
  )
)
GROUP BY customer_id, purpose`,
  why: "Current consent per customer and purpose: the newest counted event; a source token's grant does not override another sender's withdrawal.",
};

export const consentSourceTokenViews: ViewDef[] = [current];
