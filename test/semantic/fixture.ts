import type { ClickHouseClient } from '@clickhouse/client';

/**
 * A small, hand-countable CRM for the semantic-layer tests, written straight into the base tables.
 * Every expected number in the tests is derived from the rows below (the derivations are in comments
 * next to the assertions). Summary:
 *
 * - Owners U-OWN-01 (Ann: C01–C05) and U-OWN-02 (Bob: C06–C10, C12). C11 is a duplicate of C01 that
 *   identity resolution merged (alias C11 → C01): its order counts for C01 and it is not a customer.
 *   C04 was first assigned to U-OWN-02 (version 1) and moved to U-OWN-01 (version 2).
 * - 26 paid orders (completed or refunded lines) from 2024-01-05 to 2024-06-30, net revenue 2350.
 *   C10 also has a cancelled and a pending order (not sales); C12 never bought.
 * - Deals D1–D8, interactions I1–I8, campaigns CMP1/CMP2, segment SEG1, churn and CLV scores.
 */
export const OWNER_ANN = 'U-OWN-01';
export const OWNER_BOB = 'U-OWN-02';

const customer = (id: string, name: string, owner: string, region: string, channel: string, type: string, signup: string, version = 1) => ({
  customer_id: id,
  customer_type: type,
  name,
  email: `${name.toLowerCase()}@example.com`,
  company: type === 'business' ? `${name} GmbH` : '',
  region,
  country: 'DE',
  city: 'Berlin',
  acquisition_channel: channel,
  owner_id: owner,
  signup_date: signup,
  source_records: 1,
  sources: ['fixture'],
  version,
});

export const customers = [
  customer('C01', 'Alice', OWNER_ANN, 'North', 'web', 'person', '2024-01-05'),
  customer('C02', 'Bert', OWNER_ANN, 'North', 'store', 'person', '2024-01-10'),
  customer('C03', 'Cora', OWNER_ANN, 'South', 'web', 'business', '2024-02-01'),
  customer('C04', 'Dan', OWNER_BOB, 'South', 'partner', 'person', '2024-02-15', 1),
  customer('C04', 'Dan', OWNER_ANN, 'South', 'partner', 'person', '2024-02-15', 2),
  customer('C05', 'Eve', OWNER_ANN, 'East', 'web', 'person', '2024-03-01'),
  customer('C06', 'Finn', OWNER_BOB, 'East', 'ads', 'person', '2024-01-20'),
  customer('C07', 'Gail', OWNER_BOB, 'West', 'web', 'business', '2024-02-03'),
  customer('C08', 'Hugo', OWNER_BOB, 'West', 'referral', 'person', '2024-03-10'),
  customer('C09', 'Ida', OWNER_BOB, 'North', 'web', 'person', '2024-03-20'),
  customer('C10', 'Jon', OWNER_BOB, 'South', 'store', 'person', '2024-04-01'),
  customer('C11', 'Alice', OWNER_BOB, 'North', 'web', 'person', '2024-01-05'),
  customer('C12', 'Kim', OWNER_BOB, 'West', 'ads', 'person', '2024-05-01'),
];

export const users = [
  { user_id: 'u-ann', email: 'ann@example.com', name: 'Ann Owner', role: 'owner', owner_id: OWNER_ANN, region: 'North', password_hash: 'x', version: 1 },
  { user_id: 'u-bob', email: 'bob@example.com', name: 'Bob Owner', role: 'owner', owner_id: OWNER_BOB, region: 'West', password_hash: 'x', version: 1 },
  { user_id: 'u-eve', email: 'exec@example.com', name: 'Erin Exec', role: 'executive', owner_id: '', region: '', password_hash: 'x', version: 1 },
];

export const aliases = [{ from_id: 'C11', to_id: 'C01', rule: 'email', version: 1 }];

/**
 * Source ids (identity_map, as identity resolution writes it). C11's shop record follows the merge
 * to C01; C06 was also found in the CRM by e-mail, and that CRM record carries an ERP number
 * (customer_records.external_ids). Expected lists: C01 "shop:00001, shop:00011", C04 "shop:00004",
 * C06 "crm:C-17, erp:E-600, shop:00006", C12 "shop:00012"; the others have none.
 */
const mapped = (source: string, sourceId: string, customerId: string, rule = 'new') => ({
  source, source_id: sourceId, customer_id: customerId, rule, matched_on: '', matched_record: '', version: 1,
});
export const identityMap = [
  mapped('shop', '00001', 'C01'),
  mapped('shop', '00004', 'C04'),
  mapped('shop', '00006', 'C06'),
  mapped('crm', 'C-17', 'C06', 'email'),
  mapped('shop', '00011', 'C11'),
  mapped('shop', '00012', 'C12'),
];
export const customerRecords = [
  { source: 'crm', source_id: 'C-17', customer_id: 'C06', customer_type: 'person', name: 'Finn', email: 'finn@example.com', external_ids: { erp: 'E-600' }, owner_id: OWNER_BOB, batch_id: 'fixture', row_hash: 0, version: 1 },
];

let line = 0;
/** One order line; `order` defaults to one line per order. */
const tx = (customerId: string, orderId: string, date: string, amount: number, status = 'completed', version = 1, transactionId?: string) => ({
  source: 'shop',
  transaction_id: transactionId ?? `T${String(++line).padStart(3, '0')}`,
  order_id: orderId,
  customer_id: customerId,
  customer_ref: customerId,
  order_date: `${date} 12:00:00`,
  status,
  amount: amount.toFixed(2),
  original_amount: amount.toFixed(2),
  original_currency: 'EUR',
  quantity: 1,
  product_id: 'P1',
  product_name: 'Widget',
  category: amount >= 100 ? 'premium' : 'standard',
  channel: 'web',
  batch_id: 'fixture',
  row_hash: 0,
  version,
});

export const transactions = [
  // C01 Alice: 6 paid orders (one recorded under her duplicate C11), net 540.
  tx('C01', 'O-0101', '2024-01-10', 100),
  tx('C01', 'O-0102', '2024-02-12', 120),
  tx('C01', 'O-0103', '2024-03-15', 80),
  tx('C11', 'O-1101', '2024-04-10', 50),
  tx('C01', 'O-0104', '2024-05-20', 60),
  tx('C01', 'O-0104', '2024-05-20', 40),
  tx('C01', 'O-0105', '2024-06-28', 90),
  // C02 Bert: 1 order, net 30.
  tx('C02', 'O-0201', '2024-01-15', 30),
  // C03 Cora: 4 orders, the May one refunded (first loaded as completed, then a newer version), net 480.
  tx('C03', 'O-0301', '2024-02-05', 200),
  tx('C03', 'O-0302', '2024-03-10', 150),
  tx('C03', 'O-0303', '2024-05-05', 70, 'completed', 1, 'T-REFUND'),
  tx('C03', 'O-0303', '2024-05-05', 70, 'refunded', 2, 'T-REFUND'),
  tx('C03', 'O-0304', '2024-06-20', 130),
  // C04 Dan: 2 orders, the second partially refunded (40 kept, 25 refunded), net 100.
  tx('C04', 'O-0401', '2024-02-20', 60),
  tx('C04', 'O-0402', '2024-03-05', 40),
  tx('C04', 'O-0402', '2024-03-05', 25, 'refunded'),
  // C05 Eve: 1 order on the last day with a paid order (as_of = 2024-06-30), net 75.
  tx('C05', 'O-0501', '2024-06-30', 75),
  // C06 Finn: 3 orders, net 365.
  tx('C06', 'O-0601', '2024-01-22', 300),
  tx('C06', 'O-0602', '2024-02-01', 20),
  tx('C06', 'O-0603', '2024-02-20', 45),
  // C07 Gail: 5 orders of 40, net 200.
  tx('C07', 'O-0701', '2024-02-10', 40),
  tx('C07', 'O-0702', '2024-02-25', 40),
  tx('C07', 'O-0703', '2024-03-12', 40),
  tx('C07', 'O-0704', '2024-04-02', 40),
  tx('C07', 'O-0705', '2024-04-25', 40),
  // C08 Hugo: 1 order, net 500.
  tx('C08', 'O-0801', '2024-05-30', 500),
  // C09 Ida: 2 orders, net 25.
  tx('C09', 'O-0901', '2024-01-05', 10),
  tx('C09', 'O-0902', '2024-01-25', 15),
  // C10 Jon: 1 paid order (net 35), a cancelled and a later pending one that are not sales.
  tx('C10', 'O-1001', '2024-06-10', 35),
  tx('C10', 'O-1002', '2024-06-25', 999, 'cancelled'),
  tx('C10', 'O-1003', '2024-07-02', 888, 'pending'),
];

const deal = (
  id: string, customerId: string, owner: string, product: string, amount: number, status: string, stage: string,
  created: string, closed: string | null, lossReason = '', competitor = '', history: [string, string][] = [],
) => ({
  source: 'crm', opportunity_id: id, customer_id: customerId, customer_ref: customerId, owner_id: owner,
  name: `Deal ${id}`, product, amount: amount.toFixed(2), original_amount: amount.toFixed(2), original_currency: 'EUR',
  stage, status, loss_reason: lossReason, competitor, created_at: created, closed_at: closed, expected_close_at: null,
  stage_history: history.map(([stage, entered_at]) => ({ stage, entered_at })), notes: `notes ${id}`, batch_id: 'fixture', row_hash: 0, version: 1,
});

export const opportunities = [
  deal('D1', 'C01', OWNER_ANN, 'Pro', 1000, 'won', 'closed_won', '2024-01-10', '2024-02-09'),
  deal('D2', 'C02', OWNER_ANN, 'Starter', 500, 'lost', 'closed_lost', '2024-01-15', '2024-03-15', 'price', 'Acme',
    [['qualification', '2024-01-15'], ['proposal', '2024-02-01'], ['closed_lost', '2024-03-15']]),
  deal('D3', 'C03', OWNER_ANN, 'Enterprise', 5000, 'open', 'negotiation', '2024-04-01', null),
  deal('D4', 'C06', OWNER_BOB, 'Pro', 2000, 'lost', 'closed_lost', '2024-02-01', '2024-04-20', 'price', 'Globex',
    [['qualification', '2024-02-01'], ['closed_lost', '2024-04-20']]),
  deal('D5', 'C07', OWNER_BOB, 'Pro', 3000, 'won', 'closed_won', '2024-02-10', '2024-05-10'),
  deal('D6', 'C08', OWNER_BOB, 'Services', 800, 'lost', 'closed_lost', '2024-03-01', '2024-05-15', 'timing'),
  deal('D7', 'C09', OWNER_BOB, 'Starter', 400, 'open', 'proposal', '2024-05-01', null),
  deal('D8', 'C04', OWNER_ANN, 'Pro', 1500, 'lost', 'closed_lost', '2024-03-01', '2024-06-01', 'features', 'Acme'),
];

const touch = (id: string, customerId: string, at: string, type: string, channel: string, direction: string, csat: number | null = null, campaign = '') => ({
  source: 'desk', interaction_id: id, customer_id: customerId, customer_ref: customerId, occurred_at: `${at} 10:00:00`,
  type, channel, direction, outcome: '', csat, campaign_id: campaign, owner_id: '', subject: type, duration_seconds: 0,
  batch_id: 'fixture', row_hash: 0, version: 1,
});

export const interactions = [
  touch('I1', 'C01', '2024-01-11', 'email_sent', 'email', 'outbound'),
  touch('I2', 'C01', '2024-01-12', 'email_open', 'email', 'inbound'),
  touch('I3', 'C02', '2024-01-20', 'complaint', 'phone', 'inbound', 2),
  touch('I4', 'C02', '2024-01-21', 'support_ticket', 'web', 'inbound', 3),
  touch('I5', 'C06', '2024-02-25', 'complaint', 'email', 'inbound', 1),
  touch('I6', 'C07', '2024-03-01', 'call', 'phone', 'outbound', 5),
  touch('I7', 'C08', '2024-05-31', 'campaign_response', 'email', 'inbound', null, 'CMP1'),
  touch('I8', 'C09', '2024-02-01', 'chat', 'web', 'inbound', 4),
];

export const campaigns = [
  { campaign_id: 'CMP1', name: 'Spring winback', channel: 'email', objective: 'winback', segment_id: 'SEG1', started_at: '2024-05-01', ended_at: '2024-05-31', budget: '1000.00', batch_id: 'fixture', row_hash: 0, version: 1 },
  { campaign_id: 'CMP2', name: 'VIP upsell', channel: 'email', objective: 'upsell', segment_id: '', started_at: '2024-06-01', ended_at: '2024-06-30', budget: '400.00', batch_id: 'fixture', row_hash: 0, version: 1 },
];

/** revenue null: not reported (stored NULL since migration 023). */
const member = (campaign: string, customerId: string, status: string, revenue: number | null = 0) => ({
  campaign_id: campaign, customer_id: customerId, customer_ref: customerId, added_at: '2024-05-01 09:00:00', status,
  responded_at: ['responded', 'converted'].includes(status) ? '2024-05-10 09:00:00' : null,
  converted_at: status === 'converted' ? '2024-05-12 09:00:00' : null,
  revenue: revenue === null ? null : revenue.toFixed(2), batch_id: 'fixture', row_hash: 0, version: 1,
});

export const campaignMembers = [
  member('CMP1', 'C02', 'sent'),
  member('CMP1', 'C06', 'responded', null),
  member('CMP1', 'C08', 'converted', 500),
  member('CMP1', 'C09', 'bounced'),
  // CMP2's tool reported no revenue: its conversion's is unknown, not 0.
  member('CMP2', 'C01', 'converted', null),
  member('CMP2', 'C03', 'sent', null),
];

export const segments = [
  { segment_id: 'SEG1', name: 'Lapsed buyers', description: 'No order for 3 months', definition: '{}', created_by: 'u-eve', created_at: '2024-04-30 08:00:00', updated_at: '2024-04-30 08:00:00', deleted: 0, version: 1 },
  { segment_id: 'SEG2', name: 'Deleted test', description: '', definition: '{}', created_by: 'u-eve', created_at: '2024-04-30 08:00:00', updated_at: '2024-04-30 08:00:00', deleted: 1, version: 2 },
];

/** SEG1 evaluated twice: the newer evaluation (C02, C06, C09) is the membership. */
export const segmentMembers = [
  { segment_id: 'SEG1', customer_id: 'C02', evaluated_at: '2024-04-01 00:00:00.000' },
  { segment_id: 'SEG1', customer_id: 'C04', evaluated_at: '2024-04-01 00:00:00.000' },
  { segment_id: 'SEG1', customer_id: 'C02', evaluated_at: '2024-05-01 00:00:00.000' },
  { segment_id: 'SEG1', customer_id: 'C06', evaluated_at: '2024-05-01 00:00:00.000' },
  { segment_id: 'SEG1', customer_id: 'C09', evaluated_at: '2024-05-01 00:00:00.000' },
];

const reasons = (text: string) => [{ feature: 'days_since_last_order', text, contribution: 0.5 }, { feature: 'complaints_90d', text: 'Recent complaints', contribution: 0.2 }];
const churn = (id: string, probability: number, band: string, reason: string) => ({
  customer_id: id, probability, risk_band: band, top_reasons: reasons(reason),
  model_version: 'fixture', cutoff: '2024-06-30', scored_at: '2024-07-01 00:00:00.000',
});

export const churnScores = [
  churn('C01', 0.1, 'low', 'Buys often'),
  churn('C02', 0.8, 'high', 'No order in 167 days'),
  churn('C06', 0.7, 'high', 'No order in 131 days'),
  churn('C08', 0.4, 'medium', 'Single order'),
  churn('C09', 0.65, 'high', 'No order in 157 days'),
];

const clv = (id: string, pAlive: number, value: number) => ({
  customer_id: id, p_alive: pAlive, expected_purchases_90d: 1, expected_order_value: 50, clv_12m: value,
  model_version: 'fixture', cutoff: '2024-06-30', scored_at: '2024-07-01 00:00:00.000',
});

export const clvScores = [clv('C01', 0.9, 600), clv('C02', 0.2, 10), clv('C06', 0.3, 100), clv('C08', 0.6, 300), clv('C09', 0.1, 5)];

export async function loadFixture(client: ClickHouseClient, database: string): Promise<void> {
  const put = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  await put('customers', customers);
  await put('users', users);
  await put('customer_aliases', aliases);
  await put('identity_map', identityMap);
  await put('customer_records', customerRecords);
  await put('transactions', transactions);
  await put('opportunities', opportunities);
  await put('interactions', interactions);
  await put('campaigns', campaigns);
  await put('campaign_members', campaignMembers);
  await put('segments', segments);
  await put('segment_members', segmentMembers);
  await put('churn_scores', churnScores);
  await put('clv_scores', clvScores);
}
