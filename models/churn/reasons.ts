/**
 * Per-customer reasons: the forest's tree-path (Saabas) contributions, grouped into topics a
 * salesperson recognises and worded with the customer's actual values — "no purchase for 140 days",
 * "3 complaints in the last 30 days". Only topics that push the churn risk UP are reasons.
 *
 * Related features (orders in the last 90 days and the 90 before, say) split the credit for one
 * story between them, so contributions are summed per topic; the topic is worded from its member
 * with the largest positive contribution. Given the scored population, the text also says where
 * the customer stands in it (population.ts): "— longer than 80% of customers", and no "only" for a
 * value that is not low there.
 */

import { DEFAULT_FORMAT, formatMoney, formatPercent, type FormatContext } from '../../lib/format/index.ts';
import { numberFormat } from '../../lib/format/context.ts';
import { againstPopulation, mediansOf, riskDirection, type Population } from './population.ts';

export interface Reason {
  /** The feature the text is about (the topic member with the largest contribution). */
  feature: string;
  text: string;
  /** Summed contribution of the topic to P(churn), in probability points (0.12 = +12 points). */
  contribution: number;
}

/** Feature → topic. Features not listed form a topic of their own. */
export const REASON_TOPICS: Readonly<Record<string, string>> = {
  recency_days: 'recency',
  overdue_ratio: 'recency',
  orders_90d: 'frequency',
  orders_prev_90d: 'frequency',
  orders_365d: 'frequency',
  orders_total: 'frequency',
  order_gap_days: 'frequency',
  revenue_90d: 'spend',
  revenue_prev_90d: 'spend',
  revenue_365d: 'spend',
  spend_change_90d: 'spend',
  aov_365d: 'spend',
  complaints_30d: 'complaints',
  complaints_90d: 'complaints',
  csat_avg_180d: 'satisfaction',
  support_tickets_90d: 'support',
  chats_90d: 'support',
  email_open_rate_90d: 'email',
  email_click_rate_90d: 'email',
  emails_sent_90d: 'email',
  days_since_last_contact: 'contact',
  calls_90d: 'contact',
  meetings_90d: 'contact',
  web_visits_90d: 'web',
  days_since_last_interaction: 'web',
  open_deals: 'deals',
  lost_deals_365d: 'deals',
  won_deals_365d: 'deals',
  recency_gap_z: 'recency',
  recency_over_max_gap: 'recency',
  gap_cv: 'frequency',
  gap_max_days: 'frequency',
  purchase_day_gap_days: 'frequency',
  order_trend_180d: 'frequency',
  active_months_365d: 'frequency',
  orders_same_window_last_year: 'seasonality',
  spend_trend_180d: 'spend',
  // The BG/NBD forecast is its own story, worded in the customer's terms ("expected 0.2 purchases in
  // the next 90 days"): under recency it could only be worded as the days since the last order.
  bgnbd_p_alive: 'forecast',
  bgnbd_expected_purchases: 'forecast',
  bgnbd_clv_12m: 'spend',
  bgnbd_logodds_no_purchase: 'forecast',
};

type Values = Readonly<Record<string, number>>;

const known = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
const int = (v: number): string => {
  const r = Math.round(v);
  // en-US groups thousands only, so a whole number from 0 to 999 reads as String() writes it;
  // toLocaleString goes through Intl (about a microsecond), several times per scored customer.
  return r >= 0 && r < 1000 && !Object.is(r, -0) ? String(r) : r.toLocaleString('en-US');
};
const plural = (n: number, one: string, many = `${one}s`): string => `${int(n)} ${Math.round(n) === 1 ? one : many}`;
/**
 * Amounts with the base currency, in the product's one format (lib/format): "€29,065", "€145" —
 * issue 15 found "after 29,065 the quarter before" without a currency, and cents on small amounts only.
 */
const money = (v: number, f: FormatContext): string => {
  // An amount that rounds to nothing ("<€1", never "€0" or "-€0") takes formatMoney's own rule.
  if (!Number.isFinite(v) || (v !== 0 && Math.abs(v) < 0.5)) return formatMoney(v, {}, f);
  // formatMoney's full format (whole units, narrow symbol) with its formatter looked up once per
  // context: formatMoney builds its options and their JSON key on every call, a few times per
  // scored customer (test/models/churn/reasons.test.ts checks the two agree).
  let nf = moneyFormats.get(f);
  if (!nf) {
    nf = numberFormat(f.locale, { style: 'currency', currency: f.currency, currencyDisplay: 'narrowSymbol', minimumFractionDigits: 0, maximumFractionDigits: 0 });
    moneyFormats.set(f, nf);
  }
  return nf.format(v);
};
const moneyFormats = new WeakMap<FormatContext, Intl.NumberFormat>();
/** A whole percent; a share that rounds to 0 % or 100 % without being it takes formatPercent's "<1%" / ">99%". */
const pct = (v: number): string => {
  const r = Math.round(v * 100);
  return (r === 0 && v !== 0) || (r === 100 && v > 0 && v < 1) ? formatPercent(v, 0) : `${r}%`;
};

/**
 * "the next 90 days": the BG/NBD columns forecast the model's horizon, which the caller puts in the
 * values as `horizon_days` (scoring does); "the coming period" when it did not.
 */
const nextDays = (v: Values): string => (known(v.horizon_days) ? `the next ${days(v.horizon_days)}` : 'the coming period');

/**
 * The customer's usual purchase days in a horizon-long window: the horizon over their average gap
 * between purchase days while they bought (purchase_day_gap_days), NaN with a single purchase day
 * or no horizon. The BG/NBD counts purchase days (several orders on one day are one), so the pace
 * it is read against counts them too: the gap between orders (order_gap_days) made "usually 9.0"
 * of a customer who orders three times on each of three days a quarter. A fact of their history,
 * so the forecast is read against what they did, not as a probability beside the churn probability.
 */
function usualPurchases(v: Values): number {
  const gap = v.purchase_day_gap_days;
  return known(gap) && gap > 0 && known(v.horizon_days) ? v.horizon_days / gap : NaN;
}

/**
 * An expected count with one decimal; "under 0.1" where it would show "0.0" without being 0 (a
 * 0.03 expectation is not a certainty of none).
 */
const count = (n: number): string => (n > 0 && n < 0.05 ? 'under 0.1' : n.toFixed(1));
/** The number count() shows ("under 0.1" as 0): the direction rule compares what the reader sees. */
const tenths = (n: number): number => Number(n.toFixed(1));

/**
 * The BG/NBD forecast in the customer's terms: "expected 0.3 purchase days in the next 90 days,
 * usually 2.1 orders". Without the expectation (a caller that passes only one column) the words say which
 * outcome the pattern finds likelier, never a percentage.
 */
function forecast(v: Values): string {
  const e = v.bgnbd_expected_purchases;
  if (known(e)) {
    // Both sides count purchase days (usualPurchases): orders against purchase days made the usual
    // pace the larger on data with several orders a day for that alone.
    const head = `expected ${count(e)} purchase days in ${nextDays(v)}`;
    const usual = usualPurchases(v);
    if (known(usual)) return `${head}, usually ${count(usual)} purchase days`;
    if (known(v.orders_total) && v.orders_total <= 1) return `${head}, after a single order`;
    // One purchase day (no gap between purchase days) with several orders on it.
    if (known(v.orders_total) && (v.order_gap_days === 0 || (v.purchase_day_gap_days !== undefined && !known(v.purchase_day_gap_days))))
      return `${head}, after ${int(v.orders_total)} orders on one day`;
    return head;
  }
  const logOdds = v.bgnbd_logodds_no_purchase;
  if (known(logOdds)) return `purchase pattern: ${logOdds > 0 ? 'no purchase is likelier than one' : 'a purchase is likelier than none'} in ${nextDays(v)}`;
  const alive = v.bgnbd_p_alive;
  if (known(alive)) return alive < 0.5 ? 'purchase pattern: more likely to have stopped buying than not' : 'purchase pattern: more likely still buying than not';
  return 'no forecast from the purchase pattern';
}

/**
 * Whether forecast()'s words point toward churn: fewer expected purchases than usual (as shown, to
 * a tenth), under one when there is no usual pace, no purchase the likelier outcome. pickReasons
 * counts no positive credit of the forecast topic otherwise: "expected 2.4 purchase days in the
 * next 90 days, usually 2.1 orders" is no reason to leave, whatever a model credits it with. Unknown values
 * keep their credit, as for the other features.
 */
export function forecastPointsToChurn(v: Values): boolean {
  const e = v.bgnbd_expected_purchases;
  if (known(e)) {
    const usual = usualPurchases(v);
    return tenths(e) < (known(usual) ? tenths(usual) : 1);
  }
  if (known(v.bgnbd_logodds_no_purchase)) return v.bgnbd_logodds_no_purchase > 0;
  if (known(v.bgnbd_p_alive)) return v.bgnbd_p_alive < 0.5;
  return true;
}

function days(n: number): string {
  return plural(n, 'day');
}

function ordersTrend(v: Values): string {
  const now = v.orders_90d;
  const before = v.orders_prev_90d;
  if (known(now) && known(before) && before > now) {
    return now === 0
      ? `no orders in the last 90 days, after ${plural(before, 'order')} the quarter before`
      : `${plural(now, 'order')} in the last 90 days, down from ${int(before)} the quarter before`;
  }
  if (known(now)) return now === 0 ? 'no orders in the last 90 days' : `only ${plural(now, 'order')} in the last 90 days`;
  return 'few recent orders';
}

function spendTrend(v: Values, f: FormatContext = DEFAULT_FORMAT): string {
  const now = v.revenue_90d;
  const before = v.revenue_prev_90d;
  if (known(now) && known(before) && before > 0) {
    const change = now / before - 1;
    if (now <= 0) return `no spend in the last 90 days, after ${money(before, f)} the quarter before`;
    if (change < 0) return `spend down ${pct(-change)} vs the previous quarter (${money(now, f)} vs ${money(before, f)})`;
    return `spend ${money(now, f)} this quarter vs ${money(before, f)} the quarter before`;
  }
  if (known(now) && now === 0) return 'no spend in the last 6 months';
  if (known(now)) return `spend of ${money(now, f)} in the last 90 days`;
  return 'low recent spend';
}

/**
 * How each feature reads for a customer. Values are the customer's own; the wording never claims
 * more than the value says (a positive contribution of "5 orders in 90 days" still reads as 5).
 */
export const PHRASES: Readonly<Record<string, (v: Values, f?: FormatContext) => string>> = {
  recency_days: (v) => (v.recency_days >= 30 ? `no purchase for ${days(v.recency_days)}` : `last purchase ${days(v.recency_days)} ago`),
  overdue_ratio: (v) =>
    known(v.overdue_ratio) && known(v.order_gap_days)
      ? `no purchase for ${days(v.recency_days)}, ${v.overdue_ratio.toFixed(1)}× their usual ${int(v.order_gap_days)}-day gap between orders`
      : `no purchase for ${days(v.recency_days)}`,
  orders_90d: ordersTrend,
  orders_prev_90d: ordersTrend,
  orders_365d: (v) => (v.orders_365d <= 1 ? `${plural(v.orders_365d, 'order')} in the last 12 months` : `only ${plural(v.orders_365d, 'order')} in the last 12 months`),
  orders_total: (v) => (v.orders_total <= 1 ? 'a single order so far' : `only ${plural(v.orders_total, 'order')} so far`),
  order_gap_days: (v) => (known(v.order_gap_days) ? `orders only every ${days(v.order_gap_days)} on average` : 'a single order so far'),
  revenue_90d: spendTrend,
  revenue_prev_90d: spendTrend,
  spend_change_90d: spendTrend,
  revenue_365d: (v, f = DEFAULT_FORMAT) => `spent ${money(v.revenue_365d, f)} in the last 12 months`,
  aov_365d: (v, f = DEFAULT_FORMAT) => (known(v.aov_365d) ? `average order value ${money(v.aov_365d, f)}` : 'no orders in the last 12 months'),
  tenure_days: (v) =>
    v.tenure_days < 365 ? `customer for only ${days(v.tenure_days)}` : `customer for ${(v.tenure_days / 365).toFixed(1)} years`,
  refunds_365d: (v) => `${plural(v.refunds_365d, 'refunded order')} in the last 12 months`,
  complaints_30d: (v) => (v.complaints_30d > 0 ? `${plural(v.complaints_30d, 'complaint')} in the last 30 days` : 'no complaints in the last 30 days'),
  complaints_90d: (v) => (v.complaints_90d > 0 ? `${plural(v.complaints_90d, 'complaint')} in the last 90 days` : 'no complaints in the last 90 days'),
  // The scale's best end named: a reason may be kept at the median, where no comparison is added.
  csat_avg_180d: (v) =>
    known(v.csat_avg_180d) ? `average satisfaction ${v.csat_avg_180d.toFixed(1)}/5 (5 is most satisfied)` : 'no satisfaction score in the last 6 months',
  support_tickets_90d: (v) => `${plural(v.support_tickets_90d, 'support ticket')} in the last 90 days`,
  chats_90d: (v) => `${plural(v.chats_90d, 'chat')} in the last 90 days`,
  calls_90d: (v) => (v.calls_90d === 0 ? 'no calls in the last 90 days' : `${plural(v.calls_90d, 'call')} in the last 90 days`),
  meetings_90d: (v) => (v.meetings_90d === 0 ? 'no meetings in the last 90 days' : `${plural(v.meetings_90d, 'meeting')} in the last 90 days`),
  web_visits_90d: (v) => (v.web_visits_90d === 0 ? 'no website visits in the last 90 days' : `${plural(v.web_visits_90d, 'website visit')} in the last 90 days`),
  emails_sent_90d: (v) => `${plural(v.emails_sent_90d, 'e-mail')} sent in the last 90 days`,
  email_open_rate_90d: (v) => {
    if (!known(v.email_open_rate_90d)) return 'no e-mails sent in the last 90 days';
    if (v.email_open_rate_90d === 0) return `opened none of the ${plural(v.emails_sent_90d, 'e-mail')} sent in the last 90 days`;
    return `opened ${pct(v.email_open_rate_90d)} of e-mails in the last 90 days`;
  },
  email_click_rate_90d: (v) => {
    if (!known(v.email_click_rate_90d)) return 'no e-mails sent in the last 90 days';
    if (v.email_click_rate_90d === 0) return `clicked none of the ${plural(v.emails_sent_90d, 'e-mail')} sent in the last 90 days`;
    return `clicked ${pct(v.email_click_rate_90d)} of e-mails in the last 90 days`;
  },
  days_since_last_contact: (v) =>
    known(v.days_since_last_contact) ? `no call, meeting or chat for ${days(v.days_since_last_contact)}` : 'never contacted (no call, meeting or chat on record)',
  days_since_last_interaction: (v) =>
    known(v.days_since_last_interaction) ? `no interaction of any kind for ${days(v.days_since_last_interaction)}` : 'no interactions on record',
  campaign_responses_365d: (v) =>
    v.campaign_responses_365d === 0 ? 'no campaign responses in the last 12 months' : `${plural(v.campaign_responses_365d, 'campaign response')} in the last 12 months`,
  open_deals: (v) => (v.open_deals === 0 ? 'no open deals' : `${plural(v.open_deals, 'open deal')}`),
  lost_deals_365d: (v) => `${plural(v.lost_deals_365d, 'deal')} lost in the last 12 months`,
  won_deals_365d: (v) => (v.won_deals_365d === 0 ? 'no deals won in the last 12 months' : `${plural(v.won_deals_365d, 'deal')} won in the last 12 months`),
  is_b2b: (v) => (v.is_b2b === 1 ? 'business account' : 'consumer account'),
  // gap_z measures the silence in the gaps between purchase days: the rhythm quoted is theirs.
  recency_gap_z: (v) =>
    known(v.purchase_day_gap_days)
      ? `no purchase for ${days(v.recency_days)}, well past their usual ${int(v.purchase_day_gap_days)}-day rhythm`
      : `no purchase for ${days(v.recency_days)}`,
  recency_over_max_gap: (v) =>
    known(v.gap_max_days) && v.recency_days > v.gap_max_days
      ? `no purchase for ${days(v.recency_days)}, longer than any gap they came back from (${int(v.gap_max_days)} days)`
      : `no purchase for ${days(v.recency_days)}`,
  // The coefficient of variation in words, not as "vary by 45%" (a percentage beside the churn
  // probability), and a steady buyer is not called irregular.
  gap_cv: (v) =>
    !known(v.gap_cv)
      ? 'too few purchases to show a rhythm'
      : v.gap_cv >= 1
        ? 'irregular buyer: gaps between purchases vary by more than their average length'
        : v.gap_cv >= 0.5
          ? 'irregular buyer: gaps between purchases vary by over half their average length'
          : 'steady buyer: gaps between purchases vary by under half their average length',
  gap_max_days: (v) => (known(v.gap_max_days) ? `has gone ${days(v.gap_max_days)} between purchases before` : 'a single purchase day so far'),
  purchase_day_gap_days: (v) =>
    known(v.purchase_day_gap_days) ? `buys only every ${days(v.purchase_day_gap_days)} on average` : 'a single purchase day so far',
  order_trend_180d: (v) =>
    known(v.order_trend_180d) && v.order_trend_180d < 0 ? 'fewer orders in the last 6 months than the 6 before' : 'orders over the last year',
  spend_trend_180d: (v) =>
    known(v.spend_trend_180d) && v.spend_trend_180d < 0 ? 'spending less in the last 6 months than the 6 before' : 'spend over the last year',
  active_months_365d: (v) => `bought in ${plural(v.active_months_365d, 'month')} of the last 12`,
  orders_same_window_last_year: (v) =>
    v.orders_same_window_last_year === 0 ? 'did not buy in this season last year' : `${plural(v.orders_same_window_last_year, 'order')} in this season last year`,
  // The three BG/NBD outputs word one fact, the forecast against the customer's own pace (forecast
  // below): a probability here sat beside the model's churn probability as a second, contradicting
  // one ("purchase pattern alone: 29% chance of no purchase" next to "churn probability 87.9%"),
  // and a low one listed as raising the risk read backwards.
  bgnbd_p_alive: forecast,
  bgnbd_expected_purchases: forecast,
  bgnbd_clv_12m: (v, f = DEFAULT_FORMAT) => (known(v.bgnbd_clv_12m) ? `forecast 12-month value ${money(v.bgnbd_clv_12m, f)}` : 'no value forecast'),
  bgnbd_logodds_no_purchase: forecast,
};

/** The words for one feature of one customer; amounts in `format`'s currency (default EUR, en-GB). */
export function describeFeature(feature: string, values: Values, format: FormatContext = DEFAULT_FORMAT): string {
  const phrase = PHRASES[feature];
  if (phrase) return phrase(values, format);
  const v = values[feature];
  return `${feature.replaceAll('_', ' ')} = ${known(v) ? +v.toFixed(2) : 'unknown'}`;
}

/**
 * The topic a feature's credit goes to for this customer. A customer who has not bought for 180+
 * days necessarily has no orders and no spend in the last two quarters (90+ days: in the last one):
 * those features then tell the recency story, so they count towards it instead of repeating it as
 * "no orders in the last 90 days" and "no spend in the last 6 months".
 */
export function topicOf(feature: string, values: Values): string {
  const recency = values.recency_days;
  if (known(recency) && recency >= 90) {
    if (feature === 'orders_90d' || feature === 'revenue_90d') return 'recency';
    if (recency >= 180 && (feature === 'orders_prev_90d' || feature === 'revenue_prev_90d' || feature === 'spend_change_90d')) return 'recency';
  }
  return REASON_TOPICS[feature] ?? feature;
}

/**
 * Features allowed to word a topic (default: any member). The forecast is worded by the expected
 * purchases whichever of its columns carries the credit: the text is about them, so the population
 * comparison must be theirs too ("fewer than 71% of customers"), not the P(no purchase)'s "higher than".
 */
const TOPIC_WORDING: Readonly<Record<string, readonly string[]>> = {
  recency: ['recency_days', 'overdue_ratio', 'recency_over_max_gap'],
  forecast: ['bgnbd_expected_purchases'],
};

/**
 * The features a reason of a model with these features may name: its own and the topics' wording
 * fallbacks (the stack has the P(no purchase) column but its forecast reads as the expected
 * purchases). Scoring compares each named feature with the population, so it indexes this list.
 */
export function reasonFeaturesOf(features: readonly string[]): readonly string[] {
  let out = reasonFeatureLists.get(features);
  if (!out) {
    const extra = new Set<string>();
    for (const f of features) {
      for (const recency of [0, 90, 180]) {
        const wording = TOPIC_WORDING[topicOf(f, { recency_days: recency })];
        if (wording && !features.includes(wording[0])) extra.add(wording[0]);
      }
    }
    reasonFeatureLists.set(features, (out = [...features, ...extra]));
  }
  return out;
}
const reasonFeatureLists = new WeakMap<readonly string[], readonly string[]>();

/**
 * topicOf and TOPIC_WORDING for every feature of a model's list, in its three recency cases
 * (unknown or under 90 days, 90–179, 180 and more): pickReasons runs per scored customer, and
 * looking a topic up by name for each of ~40 features was a measurable part of scoring.
 */
interface TopicTable {
  names: string[];
  /** [case][j]: the topic (index into names) of feature j. */
  topic: Int32Array[];
  /** [case][j]: 1 when feature j may word its topic. */
  wordable: Uint8Array[];
  /** Scratch of pickReasons: a topic's slot in the current call, valid while seen[id] === calls. */
  seen: Float64Array;
  slot: Int32Array;
  calls: number;
  /** The forecast topic's id in names, −1 when no feature of the list is in it. */
  forecast: number;
}

const topicTables = new WeakMap<readonly string[], TopicTable>();

function topicTableOf(features: readonly string[]): TopicTable {
  let table = topicTables.get(features);
  if (table) return table;
  const names: string[] = [];
  const idOf = (name: string): number => {
    let id = names.indexOf(name);
    if (id < 0) id = names.push(name) - 1;
    return id;
  };
  const cases = [0, 90, 180].map((recency) => {
    const topic = new Int32Array(features.length);
    const wordable = new Uint8Array(features.length);
    features.forEach((f, j) => {
      const key = topicOf(f, { recency_days: recency });
      topic[j] = idOf(key);
      const wording = TOPIC_WORDING[key];
      wordable[j] = !wording || wording.includes(f) ? 1 : 0;
    });
    return { topic, wordable };
  });
  table = {
    names,
    topic: cases.map((c) => c.topic),
    wordable: cases.map((c) => c.wordable),
    seen: new Float64Array(names.length),
    slot: new Int32Array(names.length),
    calls: 0,
    forecast: names.indexOf('forecast'),
  };
  topicTables.set(features, table);
  return table;
}

/**
 * Top `limit` reasons for one customer: topics with a positive summed contribution, largest first.
 * `contributions[j]` belongs to `features[j]` (`offset` lets a caller pass one row of a row-major
 * block); `values` holds the customer's feature values; `format` is the locale and currency of
 * the amounts in the text; `medians` (default: the population's; null: none) are where a feature's
 * value starts to point toward churn (pickReasons); given, they are the model's reference medians
 * and a reason past them says so (population.ts againstPopulation). Runs once per scored customer, so it avoids
 * per-call maps and sorts and words only the chosen topics.
 */
export function topReasons(
  features: readonly string[],
  contributions: ArrayLike<number>,
  values: Values,
  limit = 3,
  offset = 0,
  population?: Population,
  format: FormatContext = DEFAULT_FORMAT,
  medians?: Readonly<Record<string, number>> | null,
): Reason[] {
  const out = pickReasons(features, contributions, values, limit, offset, format, (medians === undefined ? population && mediansOfCached(population) : medians) ?? undefined);
  // Medians given are the model's reference (scoring): a reason past them but not past the
  // population's median says so. The population's own add nothing the share would not say.
  for (const r of out) r.text = againstPopulation(r.feature, r.text, values[r.feature], population, medians ?? undefined);
  return out;
}

const populationMedians = new WeakMap<Population, Readonly<Record<string, number>>>();
function mediansOfCached(population: Population): Readonly<Record<string, number>> {
  let m = populationMedians.get(population);
  if (!m) populationMedians.set(population, (m = mediansOf(population)));
  return m;
}

/**
 * Per feature of a model's list, the population median and the plain reading's direction
 * (population.ts riskDirection; NaN / 0: no rule), looked up once per list and set of medians.
 */
const sideTables = new WeakMap<Readonly<Record<string, number>>, WeakMap<readonly string[], { median: Float64Array; direction: Int8Array }>>();
function sideTableOf(features: readonly string[], medians: Readonly<Record<string, number>>): { median: Float64Array; direction: Int8Array } {
  let byFeatures = sideTables.get(medians);
  if (!byFeatures) sideTables.set(medians, (byFeatures = new WeakMap()));
  let t = byFeatures.get(features);
  if (!t) {
    t = {
      median: Float64Array.from(features, (f) => (known(medians[f]) ? medians[f] : NaN)),
      direction: Int8Array.from(features, (f) => riskDirection(f)),
    };
    byFeatures.set(features, t);
  }
  return t;
}

/**
 * topReasons without the population: the same reasons, each with the text before its place in the
 * population is added (`againstPopulation(feature, text, values[feature], population)` finishes
 * it). Scoring picks the reasons of a block of customers while the engine computes the next one,
 * before the whole population (which the comparison needs) is in.
 */
export function pickReasons(
  features: readonly string[],
  contributions: ArrayLike<number>,
  values: Values,
  limit = 3,
  offset = 0,
  format: FormatContext = DEFAULT_FORMAT,
  medians?: Readonly<Record<string, number>>,
): Reason[] {
  const table = topicTableOf(features);
  // A contribution is measured against the model's reference, not against the plain reading: a
  // collinear coefficient or a forest split can credit "expected 8.0 purchases in the next 90 days"
  // with raising the risk of a customer who expects more purchases than most (issue 14 point 5: a
  // 91.5 % churn probability with that as its reason). A feature whose words have a direction
  // (population.ts) may only raise the risk when its value is past `medians` that way (scoring: the
  // reference rows', predict.ts); at the median or beyond it counts. Otherwise its positive credit
  // is not counted, so it neither words nor inflates a reason.
  const sides = medians && sideTableOf(features, medians);
  const recency = values.recency_days;
  // topicOf's three cases, decided once per customer instead of once per feature.
  const regime = known(recency) && recency >= 90 ? (recency >= 180 ? 2 : 1) : 0;
  const topicOfFeature = table.topic[regime];
  const wordable = table.wordable[regime];
  const stamp = ++table.calls;
  // The forecast's words have their own direction (forecastPointsToChurn), decided once per customer.
  const forecastOff = table.forecast >= 0 && !forecastPointsToChurn(values) ? table.forecast : -1;
  const keys: string[] = [];
  const sums: number[] = [];
  const best: string[] = [];
  const bestValue: number[] = [];
  for (let j = 0; j < features.length; j++) {
    const c = contributions[offset + j];
    if (!Number.isFinite(c) || c === 0) continue;
    const id = topicOfFeature[j];
    if (c > 0 && id === forecastOff) continue;
    if (c > 0 && sides && sides.direction[j] !== 0) {
      const m = sides.median[j];
      const v = values[features[j]];
      // Unknown values (no e-mail sent, a single order) keep their credit: their words say so.
      if (known(v) && m === m && (sides.direction[j] > 0 ? v < m : v > m)) continue;
    }
    // Topics keep the order they first appear in (ties between sums go to the earlier one).
    let t: number;
    if (table.seen[id] === stamp) t = table.slot[id];
    else {
      t = keys.length;
      table.seen[id] = stamp;
      table.slot[id] = t;
      keys.push(table.names[id]);
      sums.push(0);
      best.push('');
      bestValue.push(-Infinity);
    }
    sums[t] += c;
    if (c > bestValue[t] && wordable[j] === 1) {
      best[t] = features[j];
      bestValue[t] = c;
    }
  }
  const out: Reason[] = [];
  const taken = new Array<boolean>(keys.length).fill(false);
  while (out.length < limit) {
    let pick = -1;
    for (let t = 0; t < keys.length; t++) if (!taken[t] && sums[t] > 1e-9 && (pick < 0 || sums[t] > sums[pick])) pick = t;
    if (pick < 0) break;
    taken[pick] = true;
    const feature = best[pick] || (TOPIC_WORDING[keys[pick]]?.[0] ?? keys[pick]);
    out.push({ feature, text: describeFeature(feature, values, format), contribution: sums[pick] });
  }
  return out;
}
