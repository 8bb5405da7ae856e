import { blackFriday, Calendar, parseIsoDay } from './calendar.ts';
import { CATEGORIES, type Category, OWNERS, REGIONS, type DemoUser, type RegionName } from './catalog.ts';
import { Random, Stream } from './random.ts';
import type { Scale } from './scale.ts';

/** Days of history before `today` (three years). */
export const HISTORY_DAYS = 1096;
export const DEFAULT_TODAY = '2026-11-01';
export const DEFAULT_SEED = 42;

export interface DemoOptions {
  /** Output directory (created when missing). */
  out: string;
  scale: Scale;
  seed: number;
  /** Reference day "YYYY-MM-DD": the export is taken that morning, so all events are before it. */
  today: string;
}

export type CampaignChannel = 'email' | 'sms' | 'social' | 'direct_mail' | 'webinar';
export type Audience = 'all' | 'lapsed' | 'vip' | 'b2b' | 'category';

export interface CampaignDef {
  id: string;
  name: string;
  channel: CampaignChannel;
  objective: string;
  segmentId: string;
  start: number;
  end: number;
  budgetCents: number;
  audience: Audience;
  category?: Category;
  /** Share of eligible customers put in the campaign. */
  reach: number;
}

interface CampaignTemplate {
  label: string;
  month: number;
  day: number | 'black-friday';
  days: number;
  channel: CampaignChannel;
  objective: string;
  segmentId: string;
  audience: Audience;
  category?: Category;
  reach: number;
}

const CAMPAIGN_YEAR: readonly CampaignTemplate[] = [
  { label: 'Winter Win-back', month: 1, day: 1, days: 14, channel: 'email', objective: 'winback', segmentId: 'seg_lapsed_120d', audience: 'lapsed', reach: 0.85 },
  { label: 'Spring Sale', month: 2, day: 15, days: 14, channel: 'email', objective: 'promotion', segmentId: 'seg_all_customers', audience: 'all', reach: 0.6 },
  { label: 'VIP Loyalty Mailing', month: 5, day: 1, days: 30, channel: 'direct_mail', objective: 'loyalty', segmentId: 'seg_vip', audience: 'vip', reach: 0.9 },
  { label: 'Summer Win-back', month: 7, day: 1, days: 14, channel: 'email', objective: 'winback', segmentId: 'seg_lapsed_120d', audience: 'lapsed', reach: 0.85 },
  { label: 'Back-to-Business Webinar', month: 8, day: 20, days: 7, channel: 'webinar', objective: 'lead_generation', segmentId: 'seg_b2b_accounts', audience: 'b2b', reach: 0.6 },
  { label: 'Autumn Outdoor', month: 9, day: 10, days: 21, channel: 'social', objective: 'cross_sell', segmentId: 'seg_outdoor_fans', audience: 'category', category: 'Outdoor', reach: 0.6 },
  { label: 'Black Friday', month: 10, day: 'black-friday', days: 8, channel: 'email', objective: 'promotion', segmentId: 'seg_all_customers', audience: 'all', reach: 0.75 },
  { label: 'Holiday Gift Guide', month: 11, day: 2, days: 21, channel: 'sms', objective: 'cross_sell', segmentId: 'seg_gift_buyers', audience: 'category', category: 'Electronics', reach: 0.35 },
];

const BUDGET_BASE: Readonly<Record<CampaignChannel, number>> = { email: 9_000, sms: 7_000, social: 22_000, direct_mail: 38_000, webinar: 12_000 };

/** Measured: mean orders/year per target line per customer (lines per order, tenure, churn, prospects). */
const ORDERS_PER_YEAR_PER_LINE_TARGET = 0.405;

const MONTH_FACTOR = [0.85, 0.8, 0.9, 0.95, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.4, 1.6];
const WEEKDAY_FACTOR = [0.95, 0.95, 0.9, 0.95, 1.0, 1.1, 1.2];

/** Everything fixed for one generation run: dates, seasonality, campaigns, owners. */
export class World {
  readonly today: number;
  readonly start: number;
  readonly cal: Calendar;
  /** Purchase intensity by day (index = day - start), mean 1 over the history. */
  readonly season: Float64Array;
  readonly seasonMax: number;
  readonly campaigns: CampaignDef[];
  readonly ownersByRegion: ReadonlyMap<RegionName, DemoUser[]>;
  readonly categoryIndex: ReadonlyMap<Category, number>;
  /** Mean orders per customer-year, calibrated so transaction lines per customer meet the scale's target. */
  readonly ordersPerYear: number;

  constructor(readonly options: DemoOptions) {
    const today = parseIsoDay(options.today);
    if (today === undefined) throw new Error(`--today must be a date YYYY-MM-DD, got "${options.today}"`);
    this.today = today;
    this.start = today - HISTORY_DAYS;
    this.cal = new Calendar(this.start - 400, today + 800);
    this.season = new Float64Array(HISTORY_DAYS);
    this.seasonMax = this.buildSeason();
    this.campaigns = this.buildCampaigns(new Random(options.seed, Stream.campaigns));
    const owners = new Map<RegionName, DemoUser[]>();
    for (const region of REGIONS) owners.set(region, OWNERS.filter((o) => o.region === region));
    this.ownersByRegion = owners;
    this.categoryIndex = new Map(CATEGORIES.map((c, i) => [c, i]));
    this.ordersPerYear = ORDERS_PER_YEAR_PER_LINE_TARGET * options.scale.transactionsPerCustomer;
  }

  seasonOf(day: number): number {
    return this.season[day - this.start] ?? 1;
  }

  private buildSeason(): number {
    const specials = new Map<number, number>();
    for (let y = this.cal.yearOf(this.start); y <= this.cal.yearOf(this.today - 1); y++) {
      const bf = blackFriday(y);
      specials.set(bf, 2.5);
      specials.set(bf + 1, 1.6);
      specials.set(bf + 2, 1.5);
      specials.set(bf + 3, 1.9); // Cyber Monday
      const xmas = Date.UTC(y, 11, 24) / 86_400_000;
      specials.set(xmas, 0.6);
      specials.set(xmas + 1, 0.3);
      specials.set(xmas + 2, 0.5);
    }
    let sum = 0;
    for (let i = 0; i < HISTORY_DAYS; i++) {
      const day = this.start + i;
      const w = MONTH_FACTOR[this.cal.monthOf(day)] * WEEKDAY_FACTOR[this.cal.weekdayOf(day)] * (specials.get(day) ?? 1);
      this.season[i] = w;
      sum += w;
    }
    const mean = sum / HISTORY_DAYS;
    let max = 0;
    for (let i = 0; i < HISTORY_DAYS; i++) {
      this.season[i] /= mean;
      if (this.season[i] > max) max = this.season[i];
    }
    return max;
  }

  private buildCampaigns(rng: Random): CampaignDef[] {
    const list: Omit<CampaignDef, 'id'>[] = [];
    for (let y = this.cal.yearOf(this.start); y <= this.cal.yearOf(this.today); y++) {
      for (const t of CAMPAIGN_YEAR) {
        const start = t.day === 'black-friday' ? blackFriday(y) - 4 : Date.UTC(y, t.month, t.day) / 86_400_000;
        if (start < this.start + 45 || start >= this.today) continue;
        // A win-back needs customers who have been quiet for 120 days: none exist in the first months.
        if (t.audience === 'lapsed' && start < this.start + 180) continue;
        list.push({
          name: `${t.label} ${y}`,
          channel: t.channel,
          objective: t.objective,
          segmentId: t.segmentId,
          start,
          end: start + t.days - 1,
          budgetCents: Math.round((BUDGET_BASE[t.channel] * (0.8 + 0.45 * rng.float())) / 100) * 10_000,
          audience: t.audience,
          category: t.category,
          reach: t.reach,
        });
      }
    }
    list.sort((a, b) => a.start - b.start);
    return list.map((c, i) => ({ id: `CMP-${String(i + 1).padStart(3, '0')}`, ...c }));
  }
}
