/**
 * Synthetic data for the semantic-layer benchmark: `INSERT … SELECT FROM numbers()` straight into
 * the base tables (millions of rows per second), used when the demo generator is not asked for.
 * Deterministic: every value is a hash of the row number, so two runs produce the same warehouse.
 *
 * Shape: customers spread over 20 owners, 5 regions and 5 channels; each customer starts buying on
 * a day of 2023-2025 and keeps buying until the end of 2025 with a personal activity level, so
 * cohorts, recency and frequency all vary; order lines come two per order.
 */
import { checkName, quoteIdent } from '../lib/warehouse/sql.ts';

export interface SyntheticScale {
  customers: number;
  transactions: number;
  interactions: number;
  opportunities: number;
  campaigns: number;
  campaignMembers: number;
}

export const BENCH_SCALE: SyntheticScale = {
  customers: 500_000,
  transactions: 10_000_000,
  interactions: 3_000_000,
  opportunities: 100_000,
  campaigns: 40,
  campaignMembers: 1_000_000,
};

/** A uniform number in [0, 1) from the row number and a salt. */
const u = (expr: string, salt: number): string => `(cityHash64(${expr}, ${salt}) % 1000000) / 1000000.0`;
const pick = (values: string[], expr: string, salt: number): string =>
  `[${values.map((v) => `'${v}'`).join(', ')}][1 + cityHash64(${expr}, ${salt}) % ${values.length}]`;

const OWNERS = 20;
const START = "toDate('2023-01-01')";
const DAYS = 1095; // 2023-01-01 … 2025-12-31

/** Statements that fill every base table the semantic layer reads. Integers only: nothing to escape. */
export function syntheticStatements(database: string, scale: SyntheticScale = BENCH_SCALE): string[] {
  const db = quoteIdent(checkName(database));
  for (const [k, v] of Object.entries(scale)) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`scale.${k} must be a non-negative integer`);
  }
  const n = scale.customers;
  // Customer c (0-based) starts on day start(c) and its orders fall between that day and the end.
  const start = (c: string): string => `toUInt32(${u(c, 11)} * ${u(c, 11)} * ${DAYS - 1})`;
  const custId = (c: string): string => `concat('C', leftPad(toString(${c}), 7, '0'))`;
  return [
    `INSERT INTO ${db}.customers (customer_id, customer_type, name, email, phone, company, region, country, city,
       acquisition_channel, owner_id, signup_date, source_records, sources, version)
     SELECT ${custId('number')}, if(${u('number', 1)} < 0.3, 'business', 'person'),
       concat('Customer ', toString(number)), concat('c', toString(number), '@example.com'), '', '',
       ${pick(['North', 'South', 'East', 'West', 'Central'], 'number', 2)}, 'DE', 'Berlin',
       ${pick(['web', 'store', 'partner', 'referral', 'ads'], 'number', 3)},
       concat('U-OWN-', leftPad(toString(number % ${OWNERS}), 2, '0')),
       ${START} + ${start('number')}, 1, ['bench'], 1
     FROM numbers(${n})`,
    `INSERT INTO ${db}.users (user_id, email, name, role, owner_id, region, password_hash, version)
     SELECT concat('U-OWN-', leftPad(toString(number), 2, '0')), concat('owner', toString(number), '@example.com'),
       concat('Owner ', toString(number)), 'owner', concat('U-OWN-', leftPad(toString(number), 2, '0')), '', '', 1
     FROM numbers(${OWNERS})`,
    // Two lines per order; the order picks its customer with a skew (some buy far more often).
    `INSERT INTO ${db}.transactions (source, transaction_id, order_id, customer_id, customer_ref, order_date, status,
       amount, original_amount, original_currency, quantity, product_id, product_name, category, channel,
       batch_id, row_hash, version)
     SELECT 'bench', concat('T', toString(number)), concat('O', toString(o)), ${custId('c')}, ${custId('c')},
       toDateTime(${START} + s + toUInt32(${u('o', 22)} * (${DAYS} - s))) + toUInt32(${u('o', 23)} * 86399),
       multiIf(${u('number', 24)} < 0.90, 'completed', ${u('number', 24)} < 0.95, 'refunded',
               ${u('number', 24)} < 0.98, 'cancelled', 'pending'),
       toDecimal64(5 + ${u('number', 25)} * 195, 2), toDecimal64(5 + ${u('number', 25)} * 195, 2), 'EUR',
       1 + cityHash64(number, 26) % 3, concat('P', toString(cityHash64(number, 27) % 200)), '',
       ${pick(['books', 'music', 'games', 'garden', 'tools', 'fashion'], 'number', 28)},
       ${pick(['web', 'store', 'partner'], 'o', 29)}, 'bench', 0, 1
     FROM (SELECT number, intDiv(number, 2) AS o, toUInt64(${n} * pow(${u('intDiv(number, 2)', 21)}, 1.6)) AS c,
             ${start('c')} AS s
           FROM numbers(${scale.transactions}))`,
    `INSERT INTO ${db}.interactions (source, interaction_id, customer_id, customer_ref, occurred_at, type, channel,
       direction, outcome, csat, campaign_id, owner_id, subject, duration_seconds, batch_id, row_hash, version)
     SELECT 'bench', concat('I', toString(number)), ${custId('c')}, ${custId('c')},
       toDateTime(${START} + s + toUInt32(${u('number', 31)} * (${DAYS} - s))),
       ${pick(['email_sent', 'email_sent', 'email_open', 'email_click', 'call', 'meeting', 'web_visit', 'support_ticket', 'complaint', 'chat', 'campaign_response'], 'number', 32)} AS t,
       ${pick(['email', 'phone', 'web', 'store'], 'number', 33)}, if(${u('number', 34)} < 0.5, 'inbound', 'outbound'), '',
       if(t IN ('support_ticket', 'complaint', 'chat'), toNullable(toUInt8(1 + cityHash64(number, 35) % 5)), NULL),
       if(t = 'campaign_response', concat('CMP', toString(cityHash64(number, 36) % ${Math.max(1, scale.campaigns)})), ''),
       '', '', 0, 'bench', 0, 1
     FROM (SELECT number, toUInt64(${n} * pow(${u('number', 30)}, 1.3)) AS c, ${start('c')} AS s FROM numbers(${scale.interactions}))`,
    `INSERT INTO ${db}.opportunities (source, opportunity_id, customer_id, customer_ref, owner_id, name, product, amount,
       original_amount, original_currency, stage, status, loss_reason, competitor, created_at, closed_at,
       expected_close_at, stage_history, notes, batch_id, row_hash, version)
     SELECT 'bench', concat('D', toString(number)), ${custId('c')}, ${custId('c')},
       concat('U-OWN-', leftPad(toString(c % ${OWNERS}), 2, '0')), concat('Deal ', toString(number)),
       ${pick(['Starter', 'Pro', 'Enterprise', 'Services'], 'number', 41)},
       toDecimal64(1000 + ${u('number', 42)} * 49000, 2), toDecimal64(1000 + ${u('number', 42)} * 49000, 2), 'EUR',
       multiIf(st = 'won', 'closed_won', st = 'lost', 'closed_lost',
               ${pick(['qualification', 'proposal', 'negotiation'], 'number', 43)}),
       st, if(st = 'lost', ${pick(['price', 'competitor', 'timing', 'features', 'no_decision'], 'number', 44)}, ''),
       if(st = 'lost', ${pick(['', 'Acme', 'Globex', 'Initech'], 'number', 45)}, ''),
       created, if(st = 'open', NULL, toNullable(created + 5 + toUInt32(${u('number', 46)} * 120))), NULL, [], '', 'bench', 0, 1
     FROM (SELECT number, cityHash64(number, 40) % ${n} AS c,
             ${START} + toUInt32(${u('number', 47)} * ${DAYS - 130}) AS created,
             multiIf(${u('number', 48)} < 0.35, 'won', ${u('number', 48)} < 0.75, 'lost', 'open') AS st
           FROM numbers(${scale.opportunities}))`,
    `INSERT INTO ${db}.campaigns (campaign_id, name, channel, objective, segment_id, started_at, ended_at, budget, batch_id, row_hash, version)
     SELECT concat('CMP', toString(number)), concat('Campaign ', toString(number)),
       ${pick(['email', 'sms', 'ads'], 'number', 51)}, ${pick(['retention', 'winback', 'upsell'], 'number', 52)},
       '', ${START} + toUInt32(number * 27), ${START} + toUInt32(number * 27 + 20), toDecimal64(5000, 2), 'bench', 0, 1
     FROM numbers(${scale.campaigns})`,
    `INSERT INTO ${db}.campaign_members (campaign_id, customer_id, customer_ref, added_at, status, responded_at, converted_at,
       revenue, batch_id, row_hash, version)
     SELECT concat('CMP', toString(number % ${Math.max(1, scale.campaigns)})), ${custId('c')}, ${custId('c')},
       toDateTime(${START} + toUInt32((number % ${Math.max(1, scale.campaigns)}) * 27)),
       multiIf(r < 0.05, 'converted', r < 0.15, 'responded', r < 0.35, 'opened', r < 0.38, 'bounced', 'sent'),
       if(r < 0.15, toNullable(toDateTime(${START} + toUInt32((number % ${Math.max(1, scale.campaigns)}) * 27 + 3))), NULL),
       if(r < 0.05, toNullable(toDateTime(${START} + toUInt32((number % ${Math.max(1, scale.campaigns)}) * 27 + 5))), NULL),
       if(r < 0.05, toDecimal64(20 + r * 2000, 2), toDecimal64(0, 2)), 'bench', 0, 1
     FROM (SELECT number, cityHash64(number, 50) % ${n} AS c, ${u('number', 53)} AS r FROM numbers(${scale.campaignMembers}))`,
    `INSERT INTO ${db}.churn_scores (customer_id, probability, risk_band, top_reasons, model_version, cutoff, scored_at)
     SELECT ${custId('number')}, p, multiIf(p >= 0.6, 'high', p >= 0.3, 'medium', 'low'),
       [('days_since_last_order', 'No order for a long time', 0.3), ('complaints_90d', 'Recent complaints', 0.1)],
       'bench', toDate('2025-12-31'), now64(3)
     FROM (SELECT number, ${u('number', 61)} * ${u('number', 62)} AS p FROM numbers(${n}))`,
    `INSERT INTO ${db}.clv_scores (customer_id, p_alive, expected_purchases_90d, expected_order_value, clv_12m, model_version, cutoff, scored_at)
     SELECT ${custId('number')}, ${u('number', 71)}, ${u('number', 72)} * 3, 20 + ${u('number', 73)} * 100,
       ${u('number', 74)} * 1500, 'bench', toDate('2025-12-31'), now64(3)
     FROM numbers(${n})`,
  ];
}
