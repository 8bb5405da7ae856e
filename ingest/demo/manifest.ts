import { isoDay } from './calendar.ts';
import { CURRENCY_RATES, DEMO_USERS, LOSS_REASONS, type LossReason } from './catalog.ts';
import { DAY } from './calendar.ts';
import { LOSS_MODEL, WEAK_OWNERS, WINLOSS_PLANTED, type Activity, type Deal } from './activity.ts';
import { DIRTY_RATE, FILES, type DirtyKind, type FileKey } from './files.ts';
import { PHONE_RULES } from './identity.ts';
import { CHURN_PROBABILITY, type Person } from './person.ts';
import { PER_CUSTOMER } from './scale.ts';
import type { World } from './world.ts';

export interface FileSummary {
  entity: string;
  /** The source every row carries, or "column" when rows name their own source. */
  source: string;
  format: 'csv' | 'ndjson';
  columns: readonly string[];
  rows: number;
  valid_rows: number;
  dirty_rows: number;
  dirty: Partial<Record<DirtyKind, number>>;
  bytes: number;
  sha256: string;
}

export type DemoManifest = ReturnType<typeof buildManifest>;

/** Bump when the generated data changes, so stale demo directories are regenerated (ensureDemoFiles). */
export const FORMAT_VERSION = 3; // 2: lost deals name a competitor only when another vendor won (issue 15); 3: deals carry discount_pct, lead_source, contacts_met and planted win/loss causes (issue 18)

const round = (x: number, digits = 3): number => Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : 0;
const share = (a: number, b: number): number => round(b > 0 ? a / b : 0);

type ReasonCounts = Record<LossReason, number>;
const zeroReasons = (): ReasonCounts => Object.fromEntries(LOSS_REASONS.map((r) => [r, 0])) as ReasonCounts;

/** What the generator planted, tallied while writing (the tests recompute the same figures from the files). */
export class Stats {
  customers = 0;
  prospects = 0;
  businesses = 0;
  secondAccounts = 0;
  personsBySources: Record<string, number> = {};
  records: Record<string, { total: number; email: number; phone: number; phoneOnly: number; externalIds: number }> = {};
  churners = 0;
  archetypes = { dissatisfied: 0, silent: 0 };
  churnBuckets = { before_last_year: 0, last_year_to_6_months: 0, last_6_to_3_months: 0, last_90_days: 0 };
  cutoffs: { cutoff: number; active: number; plantedChurn: number; noPurchaseNext90: number }[];
  signal = {
    churner: { n: 0, complaints: 0, tickets: 0, lowCsat: 0, sends: 0, opens: 0, visits: 0 },
    other: { n: 0, complaints: 0, tickets: 0, lowCsat: 0, sends: 0, opens: 0, visits: 0 },
    churnerOrders: { n: 0, last90: 0, earlier90: 0 },
  };
  orders = 0;
  lines = 0;
  lineStatus: Record<string, number> = {};
  currencies: Record<string, number> = {};
  channels: Record<string, number> = {};
  touchTypes: Record<string, number> = {};
  touchSources: Record<string, number> = {};
  deals = { open: 0, won: 0, lost: 0 };
  lost = {
    all: zeroReasons(),
    byCompetitor: {} as Record<string, ReasonCounts>,
    byProduct: {} as Record<string, ReasonCounts>,
    bySize: { small: zeroReasons(), mid: zeroReasons(), large: zeroReasons() },
    byOwner: { weak: zeroReasons(), other: zeroReasons() },
  };
  closedByOwner = { weak: { won: 0, lost: 0 }, other: { won: 0, lost: 0 } };
  /** Closed deals won / lost with and without each planted win/loss cause or non-cause (issue 18). */
  winloss: Record<string, { with: { won: number; lost: number }; without: { won: number; lost: number } }> = {};
  campaigns: Record<string, { members: number; responded: number; converted: number; revenue: number }> = {};

  constructor(private readonly world: World) {
    this.cutoffs = [world.today - 180, world.today - 90].map((cutoff) => ({ cutoff, active: 0, plantedChurn: 0, noPurchaseNext90: 0 }));
  }

  record(source: string, r: { email: string; phone: string; ext: string }): void {
    const s = (this.records[source] ??= { total: 0, email: 0, phone: 0, phoneOnly: 0, externalIds: 0 });
    s.total++;
    if (r.email) s.email++;
    if (r.phone) s.phone++;
    if (r.phone && !r.email) s.phoneOnly++;
    if (r.ext) s.externalIds++;
  }

  person(p: Person, act: Activity, recs: { shop: number; support: number; sales: number }): void {
    const { today } = this.world;
    if (p.type === 'business') this.businesses++;
    if (p.prospect) this.prospects++;
    else this.customers++;
    if (recs.shop > 1) this.secondAccounts++;
    const key = (['shop', 'support', 'sales'] as const).filter((s) => recs[s] > 0).join('+');
    this.personsBySources[key] = (this.personsBySources[key] ?? 0) + 1;

    for (const o of act.orders) {
      this.orders++;
      this.channels[o.channel] = (this.channels[o.channel] ?? 0) + 1;
      for (const l of o.lines) {
        this.lines++;
        this.lineStatus[l.status] = (this.lineStatus[l.status] ?? 0) + 1;
        this.currencies[o.currency] = (this.currencies[o.currency] ?? 0) + 1;
      }
    }
    for (const t of act.touches) {
      this.touchTypes[t.type] = (this.touchTypes[t.type] ?? 0) + 1;
      this.touchSources[t.source] = (this.touchSources[t.source] ?? 0) + 1;
    }

    const c = p.churn;
    if (c) {
      this.churners++;
      this.archetypes[c.archetype]++;
      const age = today - c.day;
      if (age > 365) this.churnBuckets.before_last_year++;
      else if (age > 180) this.churnBuckets.last_year_to_6_months++;
      else if (age > 90) this.churnBuckets.last_6_to_3_months++;
      else this.churnBuckets.last_90_days++;
    }
    if (!p.prospect) {
      // Signal windows: a churner's last 90 days before leaving vs. a staying customer's last 90 days.
      const windowEnd = c ? c.day : today;
      if (windowEnd - 90 >= p.signupDay) this.window(c ? this.signal.churner : this.signal.other, act, windowEnd);
      if (c && c.day - 270 >= p.signupDay) {
        const o = this.signal.churnerOrders;
        o.n++;
        for (const x of act.orders) {
          const d = Math.floor(x.at / DAY);
          if (d >= c.day - 90 && d < c.day) o.last90++;
          else if (d >= c.day - 270 && d < c.day - 180) o.earlier90++;
        }
      }
      for (const k of this.cutoffs) {
        if (p.signupDay >= k.cutoff || (c && c.day < k.cutoff)) continue;
        k.active++;
        if (c && c.day < k.cutoff + 90) k.plantedChurn++;
        if (!act.orders.some((o) => o.at >= k.cutoff * DAY && o.at < (k.cutoff + 90) * DAY)) k.noPurchaseNext90++;
      }
    }

    for (const d of act.deals) {
      this.deals[d.status]++;
      const group = (WEAK_OWNERS as readonly string[]).includes(d.ownerId) ? 'weak' : 'other';
      if (d.status !== 'open') {
        this.closedByOwner[group][d.status]++;
        for (const [name, has] of Object.entries(plantedFlags(d))) {
          const s = (this.winloss[name] ??= { with: { won: 0, lost: 0 }, without: { won: 0, lost: 0 } });
          s[has ? 'with' : 'without'][d.status]++;
        }
      }
      if (d.status !== 'lost') continue;
      const r = d.lossReason as LossReason;
      this.lost.all[r]++;
      (this.lost.byCompetitor[d.competitor || '(none)'] ??= zeroReasons())[r]++;
      (this.lost.byProduct[d.product.name] ??= zeroReasons())[r]++;
      this.lost.bySize[d.size >= 0.75 ? 'large' : d.size < 0.25 ? 'small' : 'mid'][r]++;
      this.lost.byOwner[group][r]++;
    }
    for (const m of act.memberships) {
      const s = (this.campaigns[m.campaign.id] ??= { members: 0, responded: 0, converted: 0, revenue: 0 });
      s.members++;
      if (m.respondedAt !== null) s.responded++;
      if (m.convertedAt !== null) s.converted++;
      s.revenue += m.revenue;
    }
  }

  private window(s: Stats['signal']['churner'], act: Activity, end: number): void {
    const from = (end - 90) * DAY;
    const to = end * DAY;
    s.n++;
    // E-mail: campaigns are months apart, so opens are counted per campaign e-mail sent in 180 days.
    for (const m of act.memberships) {
      if (m.campaign.channel !== 'email' || m.status === 'bounced' || m.addedAt < (end - 180) * DAY || m.addedAt >= to) continue;
      s.sends++;
      if (m.status !== 'sent') s.opens++;
    }
    for (const t of act.touches) {
      if (t.at < from || t.at >= to) continue;
      if (t.type === 'complaint') s.complaints++;
      else if (t.type === 'support_ticket') s.tickets++;
      else if (t.type === 'web_visit') s.visits++;
      if (t.csat !== null && t.csat <= 2) s.lowCsat++;
    }
  }
}

const LOAD_ORDER: FileKey[] = ['users', 'customers_shop', 'customers_support', 'customers_sales', 'campaigns', 'transactions', 'interactions', 'opportunities', 'campaign_members', 'consents'];
const SOURCE: Partial<Record<FileKey, string>> = { customers_shop: 'shop', customers_support: 'support', customers_sales: 'sales', transactions: 'shop', interactions: 'column', opportunities: 'sales', campaign_members: 'column', consents: 'column' };

const DIRTY_ORDER: DirtyKind[] = ['missing_id', 'bad_date', 'negative_quantity', 'invalid_utf8', 'unknown_status', 'unknown_type'];
const ordered = (d: Partial<Record<DirtyKind, number>>): Partial<Record<DirtyKind, number>> =>
  Object.fromEntries(DIRTY_ORDER.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));

function reasonShares(c: ReasonCounts): Record<string, number> & { lost: number } {
  const total = LOSS_REASONS.reduce((s, r) => s + c[r], 0);
  return { lost: total, ...Object.fromEntries(LOSS_REASONS.map((r) => [r, share(c[r], total)])) };
}

export function buildManifest(world: World, stats: Stats, results: Record<FileKey, { rows: number; bytes: number; sha256: string; dirty: Partial<Record<DirtyKind, number>>; dirtyRows: number }>) {
  const { options } = world;
  const files: Record<string, FileSummary> = {};
  for (const k of [...LOAD_ORDER, 'truth'] as FileKey[]) {
    const spec = FILES[k];
    const r = results[k];
    files[spec.file] = {
      entity: spec.entity, source: SOURCE[k] ?? '', format: spec.format as 'csv' | 'ndjson', columns: spec.columns,
      rows: r.rows, valid_rows: r.rows - r.dirtyRows, dirty_rows: r.dirtyRows, dirty: ordered(r.dirty), bytes: r.bytes, sha256: r.sha256,
    };
  }
  const sig = stats.signal;
  const per = (x: number, n: number): number => round(n > 0 ? x / n : 0, 4);
  const n = options.scale.customers;
  const rateOf = (s: typeof sig.churner) => ({
    customers: s.n,
    complaints_per_customer: per(s.complaints, s.n),
    tickets_per_customer: per(s.tickets, s.n),
    low_csat_per_customer: per(s.lowCsat, s.n),
    email_open_rate: per(s.opens, s.sends),
    web_visits_per_customer: per(s.visits, s.n),
  });
  const churner = rateOf(sig.churner);
  const other = rateOf(sig.other);
  const owner = stats.closedByOwner;

  return {
    generator: 'ingest/demo',
    format_version: FORMAT_VERSION,
    seed: options.seed,
    today: options.today,
    history_start: isoDay(world.start),
    conventions: {
      time: 'UTC wall times "YYYY-MM-DD HH:MM:SS"; dates "YYYY-MM-DD"; every event is before `today` 00:00.',
      amounts: 'decimal point, 2 decimals, in the row\'s currency; transactions.amount is the line total (unit price × quantity), positive also for refunded/cancelled lines (status says what happened).',
      csv: 'RFC 4180, UTF-8, comma, header row, LF line ends; fields quoted when they hold a comma, quote, line break or leading/trailing space (opportunity notes contain line breaks).',
      ndjson: 'interactions.ndjson: one JSON object per line with every canonical key; absent values are null (csat, campaign_id, owner_id, subject, duration_seconds).',
      external_ids: 'customers.external_ids is a JSON object string, e.g. {"shop":"SH-0000001"}, or empty.',
      ordering: 'files are written customer by customer (rows of one customer together), not in time order.',
    },
    scale: {
      name: options.scale.name,
      customers: n,
      targets: {
        transactions: n * options.scale.transactionsPerCustomer,
        interactions: n * PER_CUSTOMER.interactions,
        opportunities: Math.round(n * PER_CUSTOMER.opportunities),
        tolerance: 0.15,
      },
    },
    base_currency: 'EUR',
    currency_rates: CURRENCY_RATES,
    currency_rates_meaning: 'EUR per 1 unit of the currency: amount_eur = amount × rate (also in mapping.json).',
    load_order: LOAD_ORDER.map((k) => FILES[k].file),
    not_ingested: ['truth.csv', 'manifest.json', 'mapping.json'],
    files,
    demo_users: DEMO_USERS.map((u) => ({ ...u, password: 'set by the app at load time' })),
    identity: {
      expected_distinct_customers: n,
      true_persons: n,
      prospects_sales_only: stats.prospects,
      businesses: stats.businesses,
      persons_by_sources: stats.personsBySources,
      second_shop_accounts: stats.secondAccounts,
      records: stats.records,
      rules: [
        'e-mail: trim + lower-case (records differ in case and surrounding white space only)',
        'phone: E.164 using the record\'s country (phone_rules): "+49 30 1234567" = "030 1234567" = "0049301234567" = "+49 (0)30 1234567" = "+49-30-1234567"',
        'external_ids: {"shop": <shop source_id>} on some sales and support records',
        'no two persons share an e-mail or phone; every duplicate record shares at least one of the three keys with another record of its person',
        'names are NOT unique (many companies share a name): never merge on name',
      ],
      phone_rules: PHONE_RULES,
      truth: 'truth.csv: person_id → shop_id, shop_id_2, support_id, sales_id, email_norm, phone_e164',
    },
    churn: {
      definition: 'a churner makes no purchase on or after churn_date; purchases thin out from drift_start (rate falls linearly to 15%)',
      churn_probability: CHURN_PROBABILITY,
      churners: stats.churners,
      customers: stats.customers,
      churner_share: share(stats.churners, stats.customers),
      archetypes: {
        dissatisfied: { count: stats.archetypes.dissatisfied, shows: 'falling purchases; +3 complaints/yr, +3.5 tickets/yr, +1 chat/yr in the drift, CSAT mostly 1-2, more escalations, 3× refund rate, fewer e-mail opens and web visits, lower deal win rate and support_experience losses (B2B)' },
        silent: { count: stats.archetypes.silent, shows: 'falling purchases, fewer e-mail opens and web visits; no complaints' },
      },
      churn_dates: stats.churnBuckets,
      noise: 'about 12% of staying customers have a complaint episode (1-2 complaints, a poorly rated ticket) and stay; low-frequency stayers can have long gaps',
      evaluation_windows: stats.cutoffs.map((k) => ({
        cutoff: isoDay(k.cutoff),
        active_customers: k.active,
        planted_churn_within_90_days: k.plantedChurn,
        no_purchase_within_90_days: k.noPurchaseNext90,
      })),
      observed_signal: {
        window: 'churners: the 90 days before churn_date; staying customers: the 90 days before today (customers signed up by then); email_open_rate: share of campaign e-mails (not bounced) sent in the 180 days before that were opened',
        churners: churner,
        staying: other,
        complaint_ratio: round(churner.complaints_per_customer / Math.max(1e-9, other.complaints_per_customer), 2),
        churner_orders_last_90_days_vs_days_180_to_270_before: { customers: sig.churnerOrders.n, last_90: sig.churnerOrders.last90, earlier_90: sig.churnerOrders.earlier90, ratio: share(sig.churnerOrders.last90, sig.churnerOrders.earlier90) },
      },
    },
    transactions: { orders: stats.orders, lines: stats.lines, line_status: stats.lineStatus, currencies: stats.currencies, order_channels: stats.channels },
    interactions: { by_type: stats.touchTypes, by_source: stats.touchSources },
    opportunities: {
      status: stats.deals,
      loss_model: {
        how: 'lost-deal reason ~ base weights × multipliers (multinomial); see `multipliers`',
        base: LOSS_MODEL.base,
        multipliers: {
          competitor: LOSS_MODEL.competitor,
          product: LOSS_MODEL.product,
          large_deal: { when: 'amount in the top quarter of the product\'s price range (log scale)', ...LOSS_MODEL.largeDeal },
          small_deal: { when: 'amount in the bottom quarter', ...LOSS_MODEL.smallDeal },
          big_discount: { when: 'discount (in notes) ≥ 15%', ...LOSS_MODEL.bigDiscount },
          weak_owners: { owners: WEAK_OWNERS, ...LOSS_MODEL.weakOwner },
          unhappy_account: { when: 'account is a dissatisfied churner in its drift', ...LOSS_MODEL.unhappyAccount },
        },
        win_rate: 'base 45%; Acme −12 pts, Globex −5, no competitor +8, weak owner −15, large deal −8, Office Fit-out −5, unhappy account −20',
        competitor_on_lost_deals: 'named only when another vendor won: reasons price, competitor (always) and product_fit; blank for no_decision, timing and support_experience',
        stage_where_lost: 'price: negotiation/proposal; competitor: proposal/negotiation; product_fit: qualification/proposal; timing: any; no_decision: qualification/proposal (long cycles); support_experience: proposal/negotiation',
      },
      observed: {
        all: reasonShares(stats.lost.all),
        by_competitor: Object.fromEntries(Object.entries(stats.lost.byCompetitor).sort().map(([k, v]) => [k, reasonShares(v)])),
        by_product: Object.fromEntries(Object.entries(stats.lost.byProduct).sort().map(([k, v]) => [k, reasonShares(v)])),
        by_deal_size: Object.fromEntries(Object.entries(stats.lost.bySize).map(([k, v]) => [k, reasonShares(v)])),
        by_owner: { weak: reasonShares(stats.lost.byOwner.weak), other: reasonShares(stats.lost.byOwner.other) },
        win_rate_by_owner: { weak: share(owner.weak.won, owner.weak.won + owner.weak.lost), other: share(owner.other.won, owner.other.won + owner.other.lost) },
      },
      win_loss: {
        how: 'win probability = base 45% plus the points above and below; each planted cause is drawn independently of the rest; the non-causes change nothing',
        planted: WINLOSS_PLANTED,
        observed_loss_rate: Object.fromEntries(
          Object.entries(stats.winloss).map(([k, v]) => [k, {
            with: share(v.with.lost, v.with.won + v.with.lost), without: share(v.without.lost, v.without.won + v.without.lost),
            n_with: v.with.won + v.with.lost, n_without: v.without.won + v.without.lost,
          }]),
        ),
      },
    },
    campaigns: world.campaigns.map((c) => {
      const s = stats.campaigns[c.id] ?? { members: 0, responded: 0, converted: 0, revenue: 0 };
      return { campaign_id: c.id, name: c.name, channel: c.channel, audience: c.audience, members: s.members, responded: s.responded, converted: s.converted, revenue_eur: round(s.revenue / 100, 2) };
    }),
    dirty_rows: {
      rate: DIRTY_RATE,
      how: 'extra rows: a copy of a real row with a fresh id and one defect; the clean rows are exactly the generated world. Expected: every dirty row is rejected, every other row loads.',
      kinds: {
        missing_id: 'the id column is empty (campaign_members: customer_ref)',
        bad_date: 'an impossible date: 2025-02-30, 2026-13-01, 0000-00-00, 2025-06-31 25:61:00, "yesterday", "not a date"',
        negative_quantity: 'transactions.quantity < 0',
        invalid_utf8: 'a text field in Latin-1 (or with stray 0xFF 0xFE bytes): not valid UTF-8',
        unknown_status: 'a status outside the allowed set (transactions, opportunities, campaign_members)',
        unknown_type: 'customer_type (customers) or type (interactions) outside the allowed set',
      },
      users_and_campaigns: 'always clean (small dimension files)',
    },
  };
}

/** The planted win/loss flags of a deal, named like the model's factors (models/winloss). */
function plantedFlags(d: Deal): Record<string, boolean> {
  return {
    no_meeting_21d: !d.lateMeeting,
    slow_replies: d.slowReplies,
    single_contact: d.contactsMet === 1,
    big_discount: d.discount >= 15,
    ...Object.fromEntries(WINLOSS_PLANTED.non_causes.lead_source.values.map((v) => [`lead_source=${v}`, d.leadSource === v])),
  };
}
