import { blackFriday, DAY } from './calendar.ts';
import {
  CATEGORIES, CATEGORY_SEASON, COMPETITORS, CURRENCY_RATES, DEAL_PRODUCTS, DEAL_STAGES, LOSS_REASONS, PRODUCTS, SUBJECTS,
  type Channel, type Currency, type DealProduct, type LossReason, type Product,
} from './catalog.ts';
import { channelMix, engagementFactor, inDissatisfiedDrift, purchaseFactor, type Person } from './person.ts';
import { Choice, Random } from './random.ts';
import type { CampaignDef, World } from './world.ts';

export type TxStatus = 'completed' | 'refunded' | 'cancelled' | 'pending';

export interface Line {
  product: Product;
  qty: number;
  /** Unit price in the order currency, cents. */
  unit: number;
  status: TxStatus;
  updatedAt: number;
}

export interface Order {
  at: number;
  channel: Channel;
  currency: Currency;
  lines: Line[];
  /** 0 = the person's main shop account, 1 = their second (duplicate) account. */
  account: 0 | 1;
}

export type Source = 'shop' | 'support' | 'sales';

export interface Touch {
  source: Source;
  at: number;
  type: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  outcome: string;
  csat: number | null;
  campaignId: string | null;
  ownerId: string | null;
  subject: string | null;
  duration: number | null;
}

export interface Membership {
  campaign: CampaignDef;
  source: 'shop' | 'sales';
  addedAt: number;
  status: string;
  respondedAt: number | null;
  convertedAt: number | null;
  /** In the base currency (EUR), cents. */
  revenue: number;
}

export interface Deal {
  createdDay: number;
  product: DealProduct;
  /** In `currency`, cents. */
  amount: number;
  currency: Currency;
  /** Position of the amount in the product's price range, 0..1 (log scale). */
  size: number;
  discount: number;
  /**
   * Open and won deals: the competitor met in the deal ('' none named). Lost deals: the one the
   * customer chose instead, named only when the loss reason says another vendor won
   * (LOST_TO_A_RIVAL); '' for a deal nobody won (no decision, timing) or lost on our own service.
   */
  competitor: string;
  ownerId: string;
  status: 'open' | 'won' | 'lost';
  stage: string;
  lossReason: LossReason | '';
  closedDay: number | null;
  expectedDay: number;
  history: [string, number][];
  notes: string;
  updatedAt: number;
  /** Where the lead came from: a planted NON-cause (no effect on winning). */
  leadSource: string;
  /** People at the customer the team met (planted cause: only one lowers the win chance). */
  contactsMet: number;
  /** Planted cause: a meeting in the 21 days before the close (open deals: before today) raises the win chance. */
  lateMeeting: boolean;
  /** Planted cause: our replies to the customer's questions take days, not hours; lowers the win chance. */
  slowReplies: boolean;
}

export interface Activity {
  orders: Order[];
  touches: Touch[];
  memberships: Membership[];
  deals: Deal[];
  /** Day the person opened a second shop account (undefined: none). */
  secondAccountDay: number | undefined;
}

/**
 * Planted win/loss causes and non-causes (issue 18), in win-probability points. Each is drawn
 * independently of everything else, and each pair of adjustments averages to ~0 over the deals,
 * so the overall win rate stays where the loss-reason model above expects it. No stated loss
 * reason names the meeting gap or the reply delay: only the data shows them.
 */
export const WINLOSS_PLANTED = {
  causes: {
    no_meeting_21d: { share: 0.4, when: 'no meeting in the 21 days before the close', win_points: -0.12, otherwise: +0.08 },
    slow_replies: { share: 0.3, when: 'replies to the customer take 2.5+ days (median), else under 1.2 days', win_points: -0.12, otherwise: +0.05 },
    single_contact: { share: 0.3, when: 'the team met only one person at the customer (contacts_met = 1)', win_points: -0.1, otherwise: +0.04 },
  },
  non_causes: {
    lead_source: { values: ['web', 'referral', 'event', 'outbound', 'partner'], weights: [30, 20, 15, 25, 10], effect: 'none' },
    discount_pct: { range: '0–20, uniform', effect: 'none on winning (only on which reason a lost deal states)' },
  },
} as const;
/** Stream id of the planted win/loss draws (ingest/demo/random.ts Stream holds the shared ones). */
const WINLOSS_STREAM = 0x3d_ea15;
const leadSourceChoice = new Choice(WINLOSS_PLANTED.non_causes.lead_source.values, WINLOSS_PLANTED.non_causes.lead_source.weights);

/** Account owners who lose far more deals on support experience and indecision (planted). */
export const WEAK_OWNERS = ['U-OWN-02', 'U-OWN-07'] as const;

/**
 * Loss reasons that mean another vendor won the deal: only these name a competitor on a lost deal
 * (issue 15: deals lost for "No decision" named one). `competitor` always does (its weight is 0
 * when no competitor was in the running); price and product_fit do when one was.
 */
export const LOST_TO_A_RIVAL: readonly LossReason[] = ['price', 'competitor', 'product_fit'];

/** The planted loss-reason model: base weights and multipliers, also written to the manifest. */
export const LOSS_MODEL = {
  base: { price: 1.0, competitor: 0.8, product_fit: 0.7, timing: 0.6, no_decision: 0.8, support_experience: 0.25 } as Record<LossReason, number>,
  competitor: {
    '': { competitor: 0, no_decision: 1.8 },
    Acme: { price: 5 },
    Globex: { product_fit: 3 },
    Initech: { competitor: 3 },
    // A competitor's multiplier only shows in the data on a reason that names it (LOST_TO_A_RIVAL).
    Umbrella: { competitor: 2.5 },
    Hooli: { competitor: 2 },
  } as Record<string, Partial<Record<LossReason, number>>>,
  product: {
    'Office Fit-out': { product_fit: 4 },
    'Managed Service Plan': { support_experience: 2.5 },
  } as Record<string, Partial<Record<LossReason, number>>>,
  largeDeal: { price: 2.5, no_decision: 1.4 } as Partial<Record<LossReason, number>>,
  smallDeal: { price: 0.6 } as Partial<Record<LossReason, number>>,
  bigDiscount: { price: 0.6 } as Partial<Record<LossReason, number>>,
  weakOwner: { support_experience: 8, no_decision: 4 } as Partial<Record<LossReason, number>>,
  unhappyAccount: { support_experience: 4 } as Partial<Record<LossReason, number>>,
};

const productChoices = CATEGORIES.map((c) => {
  const items = PRODUCTS.filter((p) => p.category === c);
  return new Choice(items, items.map((_, i) => 1 / Math.pow(i + 1, 0.7)));
});

const hours = (weights: number[]) => new Choice(weights.map((_, h) => h), weights);
// prettier-ignore
const HOURS: Record<Channel, Choice<number>> = {
  web: hours([2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4.5, 5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6, 7.5, 8.5, 8, 6, 4]),
  marketplace: hours([2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4.5, 5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6, 7.5, 8.5, 8, 6, 4]),
  store: hours([0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 5, 6, 7, 6.5, 6, 6.5, 7, 7.5, 7, 4, 0, 0, 0, 0]),
  phone: hours([0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 7, 7, 5, 6, 7, 6, 5, 3, 0, 0, 0, 0, 0, 0]),
  partner: hours([0, 0, 0, 0, 0, 0, 0, 1, 4, 6, 7, 7, 5, 6, 7, 6, 5, 3, 1, 0, 0, 0, 0, 0]),
};

const competitorChoice = new Choice(COMPETITORS.map((c) => c[0]), COMPETITORS.map((c) => c[1]));
const DEAL_PRODUCT_WEIGHTS = [25, 12, 18, 16, 15, 14];
const CSAT_NORMAL = [4, 6, 15, 35, 40];
const CSAT_COMPLAINT = [30, 35, 25, 8, 2];
const CSAT_UNHAPPY = [55, 35, 7, 2, 1];

const promoCache = new Map<number, number>();
function isBlackFridayWeek(world: World, day: number): boolean {
  const y = world.cal.yearOf(day);
  let bf = promoCache.get(y);
  if (bf === undefined) {
    bf = blackFriday(y);
    promoCache.set(y, bf);
  }
  return day >= bf - 4 && day <= bf + 3;
}

/** Charm price in a foreign currency: EUR cents → x.99 in GBP/USD. */
export function convertPrice(eurCents: number, currency: Currency): number {
  if (currency === 'EUR') return eurCents;
  return Math.max(99, Math.round(eurCents / CURRENCY_RATES[currency] / 100) * 100 - 1);
}

export function toBase(cents: number, currency: Currency): number {
  return Math.round(cents * CURRENCY_RATES[currency]);
}

/** Generates everything a person does over the history, in time order within each kind. */
export function simulate(world: World, rng: Random, p: Person): Activity {
  const todayT = world.today * DAY;
  const orders: Order[] = [];
  const touches: Touch[] = [];
  const memberships: Membership[] = [];

  if (!p.prospect) {
    baseOrders(world, rng, p, orders);
    runCampaigns(world, rng, p, orders, touches, memberships);
    orders.sort((a, b) => a.at - b.at);
    for (const o of orders) settle(world, rng, p, o, todayT);
    supportTouches(world, rng, p, orders, touches);
    webVisits(world, rng, p, orders, touches);
  } else {
    runCampaigns(world, rng, p, orders, touches, memberships);
  }
  const deals = makeDeals(world, rng, p, touches);

  let secondAccountDay: number | undefined;
  if (p.type === 'person' && orders.length >= 4 && rng.chance(0.025)) {
    const k = Math.floor(orders.length / 2);
    secondAccountDay = Math.floor(orders[k].at / DAY);
    for (let i = k; i < orders.length; i++) if (rng.chance(0.75)) orders[i].account = 1;
  }
  touches.sort((a, b) => a.at - b.at);
  return { orders, touches, memberships, deals, secondAccountDay };
}

function timeOn(rng: Random, day: number, fromHour: number, toHour: number): number {
  return day * DAY + rng.int(fromHour * 3600, toHour * 3600 - 1);
}

/**
 * Purchases as a renewal process in "expected-order time": intensity accumulates day by day
 * (rate × season × drift) and an order falls where it crosses the next threshold. Gaps are
 * Gamma(k, 1/k) in those units — people shop with habits, more regularly than Poisson (k = 1) —
 * so a long silence is informative (as for real customers) rather than everyday noise.
 */
function baseOrders(world: World, rng: Random, p: Person, orders: Order[]): void {
  const from = p.signupDay;
  const to = p.churn ? p.churn.day : world.today;
  if (to <= from) return;
  const k = p.type === 'business' ? 3 : 2;
  const perDay = p.rate / 365;
  const season = world.season;
  const offset = world.start;
  // Most people register at their first checkout; the others are somewhere in their cycle.
  const first = rng.chance(0.7);
  let next = (first ? 1 : rng.float()) * rng.gamma(k, 1 / k);
  if (first) orders.push(newOrder(world, rng, p, from, undefined));
  const driftStart = p.churn ? p.churn.driftStart : to;
  let acc = 0;
  for (let day = from; day < to; day++) {
    acc += perDay * season[day - offset] * (day < driftStart ? 1 : purchaseFactor(p, day));
    while (acc >= next) {
      orders.push(newOrder(world, rng, p, day, undefined));
      next += rng.gamma(k, 1 / k);
    }
  }
}

function newOrder(world: World, rng: Random, p: Person, day: number, campaignCategory: number | undefined): Order {
  const business = p.type === 'business';
  let channel: Channel = campaignCategory !== undefined ? 'web' : rng.chance(0.7) ? p.primaryChannel : channelMix[p.type].pick(rng);
  if (channel === 'store' && world.cal.weekdayOf(day) === 0) channel = 'web';
  const at = day * DAY + HOURS[channel].pick(rng) * 3600 + rng.int(0, 3599);
  const currency: Currency = p.country.currency === 'GBP' ? 'GBP' : channel === 'marketplace' && rng.chance(0.35) ? 'USD' : 'EUR';
  const nLines = Math.min(6, 1 + rng.poisson(business ? 1.2 : 0.35));
  const month = world.cal.monthOf(day);
  const promo = isBlackFridayWeek(world, day);
  const lines: Line[] = [];
  for (let i = 0; i < nLines; i++) {
    let ci: number;
    if (campaignCategory !== undefined && i === 0) {
      ci = campaignCategory;
    } else {
      // The person's taste, tilted by season (rejection: redraw a few times out of season).
      ci = p.categories.pick(rng);
      for (let t = 0; t < 3 && rng.float() * 1.8 >= CATEGORY_SEASON[CATEGORIES[ci]][month]; t++) ci = p.categories.pick(rng);
    }
    const product = productChoices[ci].pick(rng);
    const qty = business
      ? product.category === 'Office' ? rng.int(2, 25) : rng.int(1, 8)
      : [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3][rng.int(0, 15)];
    const discount = promo ? 0.2 : campaignCategory !== undefined ? 0.1 : rng.chance(0.06) ? 0.1 : 0;
    const unit = convertPrice(Math.round(product.price * (1 - discount)), currency);
    lines.push({ product, qty, unit, status: 'completed', updatedAt: at });
  }
  return { at, channel, currency, lines, account: 0 };
}

/** Pending (last two days), cancelled (~2% of orders), refunded (~4% of lines; more when unhappy). */
function settle(world: World, rng: Random, p: Person, o: Order, todayT: number): void {
  const day = Math.floor(o.at / DAY);
  if (day >= world.today - 2 && rng.chance(0.6)) {
    for (const l of o.lines) l.status = 'pending';
    return;
  }
  if (rng.chance(0.02)) {
    const at = Math.min(todayT - 1, o.at + rng.int(600, 2 * DAY));
    for (const l of o.lines) {
      l.status = 'cancelled';
      l.updatedAt = at;
    }
    return;
  }
  const refundP = inDissatisfiedDrift(p, day) ? 0.12 : 0.036;
  for (const l of o.lines) {
    if (!rng.chance(refundP)) continue;
    const at = o.at + rng.int(3, 30) * DAY + rng.int(0, DAY - 1);
    if (at < todayT) {
      l.status = 'refunded';
      l.updatedAt = at;
    }
  }
}

function lastOrderBefore(orders: Order[], t: number): number | undefined {
  let last: number | undefined;
  for (const o of orders) if (o.at < t && (last === undefined || o.at > last)) last = o.at;
  return last;
}

function runCampaigns(world: World, rng: Random, p: Person, orders: Order[], touches: Touch[], memberships: Membership[]): void {
  const todayT = world.today * DAY;
  const vipRate = 2 * world.ordersPerYear;
  let unsubscribed = false;
  for (const c of world.campaigns) {
    const b2b = c.audience === 'b2b';
    if (b2b ? p.type !== 'business' || p.accountDay > c.start - 7 : p.prospect || p.signupDay > c.start - 7) continue;
    if (c.channel === 'email' && (!p.emailOptIn || unsubscribed)) continue;
    const startT = c.start * DAY;
    if (c.audience === 'lapsed') {
      const last = lastOrderBefore(orders, startT) ?? p.signupDay * DAY;
      if (startT - last < 120 * DAY) continue;
    } else if (c.audience === 'vip') {
      if (p.rate < vipRate || (p.churn && p.churn.day <= c.start)) continue;
    } else if (c.audience === 'category') {
      if (p.favourite !== world.categoryIndex.get(c.category!) && !rng.chance(0.25)) continue;
    }
    if (!rng.chance(c.reach)) continue;
    const addedDay = c.start + rng.int(0, 2);
    const addedAt = timeOn(rng, addedDay, 6, 10);
    if (addedAt >= todayT) continue;
    const source: Source = b2b ? 'sales' : 'shop';
    const m: Membership = { campaign: c, source, addedAt, status: 'sent', respondedAt: null, convertedAt: null, revenue: 0 };
    memberships.push(m);
    const ef = engagementFactor(p, addedDay);
    let respondAt: number | undefined;
    if (c.channel === 'email') {
      campaignTouch(touches, todayT, m, addedAt, 'email_sent', 'email', 'outbound', p.bouncing ? 'bounced' : 'delivered');
      if (p.bouncing) {
        m.status = 'bounced';
        continue;
      }
      if (!rng.chance(p.engagement * ef)) continue;
      const openAt = addedAt + rng.int(600, 3 * DAY);
      if (openAt >= todayT) continue;
      campaignTouch(touches, todayT, m, openAt, 'email_open', 'email', 'inbound', 'opened');
      m.status = 'opened';
      if (rng.chance(ef < 1 ? 0.06 : 0.012)) {
        campaignTouch(touches, todayT, m, openAt + rng.int(5, 600), 'email_click', 'email', 'inbound', 'unsubscribed');
        m.status = 'unsubscribed';
        unsubscribed = true;
        continue;
      }
      if (!rng.chance(0.3 * ef)) continue;
      const clickAt = openAt + rng.int(5, 3600);
      campaignTouch(touches, todayT, m, clickAt, 'email_click', 'email', 'inbound', 'clicked');
      m.status = 'clicked';
      if (!rng.chance(0.4)) continue;
      respondAt = clickAt + rng.int(60, 2 * DAY);
    } else {
      const respondP = { sms: 0.08, social: 0.06, direct_mail: 0.1, webinar: 0.3 }[c.channel];
      if (!rng.chance(respondP * ef)) continue;
      respondAt = addedAt + rng.int(3600, 7 * DAY);
    }
    if (respondAt >= todayT) continue;
    campaignTouch(touches, todayT, m, respondAt, 'campaign_response', c.channel === 'email' ? 'web' : c.channel, 'inbound', c.channel === 'webinar' ? 'attended' : 'responded');
    m.status = 'responded';
    m.respondedAt = respondAt;
    if (c.channel === 'webinar' || p.prospect || !rng.chance(0.55)) continue;
    const convDay = Math.floor((respondAt + rng.int(300, 3 * DAY)) / DAY);
    if (convDay >= world.today || (p.churn && convDay >= p.churn.day) || purchaseFactor(p, convDay) < rng.float()) continue;
    const category = c.category ? world.categoryIndex.get(c.category)! : p.favourite;
    const order = newOrder(world, rng, p, convDay, category);
    if (order.at < respondAt) order.at = respondAt + rng.int(60, 3600);
    if (order.at >= todayT || Math.floor(order.at / DAY) !== convDay) continue;
    orders.push(order);
    m.status = 'converted';
    m.convertedAt = order.at;
    m.revenue = order.lines.reduce((s, l) => s + toBase(l.unit * l.qty, order.currency), 0);
  }
}

function campaignTouch(touches: Touch[], todayT: number, m: Membership, at: number, type: string, channel: string, direction: Touch['direction'], outcome: string): void {
  if (at < todayT) touches.push({ source: m.source, at, type, channel, direction, outcome, csat: null, campaignId: m.campaign.id, ownerId: null, subject: m.campaign.name, duration: null });
}

function csat(rng: Random, weights: number[], presentP: number): number | null {
  return rng.chance(presentP) ? 1 + rng.weighted(weights) : null;
}

/** Poisson event days with `perYear` rate over [from, to). */
function eventDays(rng: Random, from: number, to: number, perYear: number): number[] {
  if (to <= from || perYear <= 0) return [];
  const n = rng.poisson((perYear * (to - from)) / 365);
  const days: number[] = [];
  for (let i = 0; i < n; i++) days.push(from + Math.floor(rng.float() * (to - from)));
  return days;
}

function supportTouch(world: World, rng: Random, touches: Touch[], day: number, type: string, unhappy: boolean): void {
  const at = timeOn(rng, day, 8, 20);
  let channel: string;
  let outcome: string;
  let score: number | null;
  let duration: number | null = null;
  let subject: string;
  if (type === 'complaint') {
    channel = ['email', 'email', 'phone', 'store', 'web'][rng.int(0, 4)];
    outcome = unhappy ? rng.pick(['escalated', 'unresolved', 'unresolved', 'resolved']) : rng.pick(['resolved', 'resolved', 'escalated', 'unresolved']);
    score = csat(rng, unhappy ? CSAT_UNHAPPY : CSAT_COMPLAINT, 0.65);
    subject = rng.pick(SUBJECTS.complaint);
    if (channel === 'phone') duration = rng.int(120, 1800);
  } else if (type === 'chat') {
    channel = 'chat';
    outcome = rng.chance(0.85) ? 'resolved' : 'transferred';
    score = csat(rng, unhappy ? CSAT_UNHAPPY : CSAT_NORMAL, 0.5);
    subject = rng.pick(SUBJECTS.chat);
    duration = rng.int(120, 1500);
  } else if (type === 'call') {
    channel = 'phone';
    outcome = rng.chance(0.8) ? 'resolved' : 'callback';
    score = csat(rng, unhappy ? CSAT_UNHAPPY : CSAT_NORMAL, 0.4);
    subject = rng.pick(SUBJECTS.support_call);
    duration = rng.int(60, 1800);
  } else {
    channel = ['email', 'email', 'web', 'web', 'phone'][rng.int(0, 4)];
    const recent = day >= world.today - 3;
    outcome = recent ? 'open' : unhappy ? rng.pick(['resolved', 'escalated', 'unresolved']) : rng.chance(0.85) ? 'resolved' : rng.pick(['escalated', 'unresolved']);
    score = recent ? null : csat(rng, unhappy ? CSAT_UNHAPPY : CSAT_NORMAL, 0.55);
    subject = rng.pick(SUBJECTS.support_ticket);
  }
  touches.push({ source: 'support', at, type, channel, direction: 'inbound', outcome, csat: score, campaignId: null, ownerId: null, subject, duration });
}

function supportTouches(world: World, rng: Random, p: Person, orders: Order[], touches: Touch[]): void {
  const business = p.type === 'business';
  const end = world.today;
  const rates = business ? { support_ticket: 0.8, chat: 0.2, call: 0.6, complaint: 0.12 } : { support_ticket: 0.45, chat: 0.5, call: 0.2, complaint: 0.08 };
  const c = p.churn;
  const activeEnd = c ? c.day : end;
  for (const [type, rate] of Object.entries(rates)) {
    for (const day of eventDays(rng, p.signupDay, activeEnd, rate)) supportTouch(world, rng, touches, day, type, inDissatisfiedDrift(p, day) && rng.chance(0.5));
    if (c) for (const day of eventDays(rng, c.day, end, rate * 0.25)) supportTouch(world, rng, touches, day, type, false);
  }
  if (c && c.archetype === 'dissatisfied') {
    // The planted signal: complaints and poorly rated tickets pile up before the customer leaves.
    for (const day of eventDays(rng, c.driftStart, c.day, 3)) supportTouch(world, rng, touches, day, 'complaint', true);
    for (const day of eventDays(rng, c.driftStart, c.day, 3.5)) supportTouch(world, rng, touches, day, 'support_ticket', true);
    for (const day of eventDays(rng, c.driftStart, c.day, 1)) supportTouch(world, rng, touches, day, 'chat', true);
  }
  if (p.episodeDay !== undefined) {
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) supportTouch(world, rng, touches, Math.min(end - 1, p.episodeDay + rng.int(0, 29)), 'complaint', false);
    supportTouch(world, rng, touches, Math.min(end - 1, p.episodeDay + rng.int(0, 29)), 'support_ticket', true);
  }
  // Refunds start with a return request.
  for (const o of orders) {
    for (const l of o.lines) {
      if (l.status !== 'refunded' || !rng.chance(0.6)) continue;
      const day = Math.floor((o.at + (l.updatedAt - o.at) / 2) / DAY);
      touches.push({
        source: 'support', at: timeOn(rng, day, 8, 20), type: 'support_ticket', channel: 'web', direction: 'inbound', outcome: 'resolved',
        csat: csat(rng, inDissatisfiedDrift(p, day) ? CSAT_UNHAPPY : CSAT_NORMAL, 0.45), campaignId: null, ownerId: null,
        subject: rng.pick(SUBJECTS.return_request), duration: null,
      });
    }
  }
}

function webVisit(touches: Touch[], todayT: number, at: number, outcome: string, duration: number): void {
  if (at < todayT) touches.push({ source: 'shop', at, type: 'web_visit', channel: 'web', direction: 'inbound', outcome, csat: null, campaignId: null, ownerId: null, subject: null, duration });
}

function webVisits(world: World, rng: Random, p: Person, orders: Order[], touches: Touch[]): void {
  const todayT = world.today * DAY;
  for (const o of orders) {
    if ((o.channel === 'web' || o.channel === 'marketplace') && rng.chance(0.35)) webVisit(touches, todayT, o.at - Math.min(rng.int(60, 1800), o.at % DAY), 'purchase', rng.int(120, 1500));
  }
  const browsePerYear = 1.5;
  for (const day of eventDays(rng, p.signupDay, world.today, browsePerYear)) {
    if (rng.float() >= engagementFactor(p, day)) continue;
    const r = rng.float();
    const outcome = r < 0.3 ? 'bounce' : r < 0.85 ? 'browse' : 'add_to_cart';
    webVisit(touches, todayT, day * DAY + HOURS.web.pick(rng) * 3600 + rng.int(0, 3599), outcome, outcome === 'bounce' ? rng.int(3, 30) : rng.int(30, 900));
  }
}

function pickReason(rng: Random, weights: Record<LossReason, number>): LossReason {
  return LOSS_REASONS[rng.weighted(LOSS_REASONS.map((r) => weights[r]))];
}

function applyMultipliers(w: Record<LossReason, number>, m: Partial<Record<LossReason, number>> | undefined): void {
  if (!m) return;
  for (const [k, v] of Object.entries(m)) w[k as LossReason] *= v;
}

/** Stage index (0 prospecting … 3 negotiation) at which a deal lost for `reason` left the funnel. */
function exitStage(rng: Random, reason: LossReason): number {
  switch (reason) {
    case 'price': return rng.chance(0.65) ? 3 : 2;
    case 'competitor': return rng.chance(0.5) ? 2 : 3;
    case 'product_fit': return rng.chance(0.5) ? 1 : 2;
    case 'timing': return rng.int(1, 3);
    case 'no_decision': return rng.chance(0.4) ? 1 : 2;
    case 'support_experience': return rng.chance(0.4) ? 2 : 3;
  }
}

/** `d.competitor` is the deal's recorded one: a note names a vendor only when the deal does. */
function lossNote(rng: Random, reason: LossReason, d: { competitor: string; product: string; discount: number }): string {
  const comp = d.competitor;
  const pct = rng.int(8, 25);
  const named = (text: string): string[] => (comp ? [text] : []);
  const options: Record<LossReason, string[]> = {
    price: [...named(`Lost on price: ${comp} quoted about ${pct}% below us.`), `Customer said "too expensive" — we offered ${d.discount}% discount, not enough.`, `Budget could not stretch to our quote for ${d.product}.`],
    competitor: [`Went with ${comp}: longer relationship, bundled services.`, `Chose ${comp}, citing their local account team.`],
    product_fit: [`Product fit: requirements for ${d.product} (integration, custom sizes) not met.`, ...named(`Needed features we do not offer; ${comp} covered them.`)],
    timing: ['Budget frozen until next fiscal year; revisit next quarter.', 'Project postponed — reorganisation at the customer.'],
    no_decision: ['No decision: contact stopped responding after the proposal.', 'Deal stalled, no budget owner identified.'],
    support_experience: ['Customer cited slow support on open tickets as the reason.', 'Lost: "your service desk never called back" — escalations unresolved.'],
  };
  const text = rng.pick(options[reason]);
  return rng.chance(0.15) ? `Call summary:\n- ${text}\n- Next step: close out, re-engage in 6 months` : text;
}

function makeDeals(world: World, rng: Random, p: Person, touches: Touch[]): Deal[] {
  const deals: Deal[] = [];
  const business = p.type === 'business';
  let count = 0;
  if (business) count = p.prospect ? 1 + rng.poisson(0.6) : rng.poisson((1.95 * (world.today - p.accountDay)) / 365);
  else if (!p.prospect && rng.chance(0.012)) count = 1;
  if (count === 0) return deals;
  const owners = world.ownersByRegion.get(p.country.region)!;
  const ownerId = p.owner?.user_id ?? owners[rng.int(0, owners.length - 1)].user_id;
  p.owner ??= owners.find((o) => o.user_id === ownerId);
  const todayT = world.today * DAY;
  const from = p.accountDay;
  // The planted win/loss causes draw from their own stream, so the rest of a person's data stays
  // what it was before they were added (only deals whose outcome they flip change course).
  const side = new Random(world.options.seed, WINLOSS_STREAM, p.index);
  for (let i = 0; i < count; i++) {
    let created = from + Math.floor(rng.float() * (world.today - 1 - from));
    if (p.churn && created >= p.churn.day && !rng.chance(0.25)) created = from + Math.floor(rng.float() * (p.churn.day - from));
    deals.push(makeDeal(world, rng, side, p, created, ownerId));
  }
  deals.sort((a, b) => a.createdDay - b.createdDay);

  // The owner's calls and meetings: a background rhythm plus bursts around each deal.
  if (business && !p.prospect) {
    const end = world.today;
    for (const [type, rate] of [['call', 2], ['meeting', 0.6]] as const) {
      for (const day of eventDays(rng, from, end, rate)) if (!p.churn || day < p.churn.day || rng.chance(0.3)) salesTouch(rng, touches, todayT, ownerId, day, type);
    }
  }
  for (const d of deals) {
    const end = Math.max(d.createdDay + 1, d.closedDay ?? world.today);
    const calls = 1 + rng.poisson(2);
    for (let i = 0; i < calls; i++) salesTouch(rng, touches, todayT, ownerId, rng.int(d.createdDay, end - 1), 'call');
    // Meetings: without the planted late meeting, none in the 21 days before the end (moved
    // earlier, or dropped when the deal is shorter); with it, one more in those 21 days.
    const meetings = rng.poisson(1.2);
    const lastEarly = end - 22;
    for (let i = 0; i < meetings; i++) {
      let day = rng.int(d.createdDay, end - 1);
      if (!d.lateMeeting && day > lastEarly) {
        if (lastEarly < d.createdDay) continue;
        day = side.int(d.createdDay, lastEarly);
      }
      salesTouch(rng, touches, todayT, ownerId, day, 'meeting');
    }
    if (d.lateMeeting) salesTouch(side, touches, todayT, ownerId, side.int(Math.max(d.createdDay, end - 21), end - 1), 'meeting', 'held');
    // The customer's questions and our answers: the planted reply delay (replies may land after
    // the close — the model must not see them, the leak test checks that).
    const asks = 1 + side.poisson(0.3);
    for (let i = 0; i < asks; i++) {
      const at = timeOn(side, side.int(d.createdDay, end - 1), 8, 18);
      if (at >= todayT) continue;
      touches.push({ source: 'sales', at, type: 'email_sent', channel: 'email', direction: 'inbound', outcome: 'received', csat: null, campaignId: null, ownerId, subject: side.pick(SUBJECTS.question), duration: null });
      const delayDays = d.slowReplies ? 2.5 + 3 * -Math.log(1 - side.float()) : 1.2 * side.float();
      const reply = at + Math.round(delayDays * DAY);
      const call = side.chance(0.4);
      if (reply < todayT) touches.push({ source: 'sales', at: reply, type: call ? 'call' : 'email_sent', channel: call ? 'phone' : 'email', direction: 'outbound', outcome: call ? 'connected' : 'sent', csat: null, campaignId: null, ownerId, subject: 'Re: your question', duration: call ? side.int(120, 1200) : null });
    }
  }
  return deals;
}

function salesTouch(rng: Random, touches: Touch[], todayT: number, ownerId: string, day: number, type: 'call' | 'meeting', outcome?: string): void {
  const at = timeOn(rng, day, 8, 18);
  if (at >= todayT) return;
  const call = type === 'call';
  touches.push({
    source: 'sales', at, type, channel: call ? 'phone' : rng.chance(0.6) ? 'video' : 'in_person', direction: call && rng.chance(0.15) ? 'inbound' : 'outbound',
    outcome: outcome ?? (call ? rng.pick(['connected', 'connected', 'connected', 'voicemail', 'no_answer']) : rng.pick(['held', 'held', 'held', 'held', 'rescheduled', 'cancelled'])),
    csat: null, campaignId: null, ownerId, subject: rng.pick(call ? SUBJECTS.sales_call : SUBJECTS.meeting), duration: call ? rng.int(60, 2400) : rng.int(1800, 5400),
  });
}

function makeDeal(world: World, rng: Random, side: Random, p: Person, createdDay: number, ownerId: string): Deal {
  const product = DEAL_PRODUCTS[rng.weighted(DEAL_PRODUCT_WEIGHTS)];
  const size = rng.float();
  const amountEur = Math.round((product.min * Math.pow(product.max / product.min, size)) / 100) * 100;
  const currency: Currency = p.country.currency === 'GBP' ? 'GBP' : rng.chance(0.05) ? 'USD' : 'EUR';
  const amount = currency === 'EUR' ? amountEur * 100 : Math.round(amountEur / CURRENCY_RATES[currency] / 100) * 10_000;
  const competitor = competitorChoice.pick(rng);
  const discount = rng.int(0, 20);
  const weak = (WEAK_OWNERS as readonly string[]).includes(ownerId);
  const unhappy = !!p.churn && p.churn.archetype === 'dissatisfied' && createdDay >= p.churn.driftStart;

  let winP = 0.45;
  if (competitor === 'Acme') winP -= 0.12;
  if (competitor === 'Globex') winP -= 0.05;
  if (competitor === '') winP += 0.08;
  if (weak) winP -= 0.15;
  if (size >= 0.75) winP -= 0.08;
  if (product.name === 'Office Fit-out') winP -= 0.05;
  if (unhappy) winP -= 0.2;
  const planted = WINLOSS_PLANTED.causes;
  const leadSource = leadSourceChoice.pick(side);
  const lateMeeting = !side.chance(planted.no_meeting_21d.share);
  const slowReplies = side.chance(planted.slow_replies.share);
  const contactsMet = side.chance(planted.single_contact.share) ? 1 : 2 + side.poisson(1.2);
  winP += lateMeeting ? planted.no_meeting_21d.otherwise : planted.no_meeting_21d.win_points;
  winP += slowReplies ? planted.slow_replies.win_points : planted.slow_replies.otherwise;
  winP += contactsMet === 1 ? planted.single_contact.win_points : planted.single_contact.otherwise;
  const won = rng.chance(Math.min(0.95, Math.max(0.05, winP)));

  const planned = Math.min(300, Math.max(14, Math.round((20 + 70 * Math.pow(amountEur / 50_000, 0.35)) * Math.exp(0.3 * rng.normal()))));
  const expectedDay = createdDay + Math.round(planned * (0.8 + 0.2 * rng.float()));
  let reason: LossReason | '' = '';
  let exitIdx = 3;
  let cycle: number;
  if (won) {
    cycle = Math.round(planned * (0.8 + 0.7 * rng.float()));
  } else {
    const w = { ...LOSS_MODEL.base };
    applyMultipliers(w, LOSS_MODEL.competitor[competitor]);
    applyMultipliers(w, LOSS_MODEL.product[product.name]);
    if (size >= 0.75) applyMultipliers(w, LOSS_MODEL.largeDeal);
    if (size < 0.25) applyMultipliers(w, LOSS_MODEL.smallDeal);
    if (discount >= 15) applyMultipliers(w, LOSS_MODEL.bigDiscount);
    if (weak) applyMultipliers(w, LOSS_MODEL.weakOwner);
    if (unhappy) applyMultipliers(w, LOSS_MODEL.unhappyAccount);
    reason = pickReason(rng, w);
    exitIdx = exitStage(rng, reason);
    cycle = Math.round(planned * ((exitIdx + 1) / 4) * (0.7 + 0.6 * rng.float()) * (reason === 'no_decision' ? 1.5 : 1));
  }
  cycle = Math.max(3, cycle);
  const closeDay = createdDay + cycle;
  const open = closeDay >= world.today;
  let reached = exitIdx;
  let span = cycle;
  if (open) {
    span = Math.max(1, world.today - 1 - createdDay);
    reached = Math.min(exitIdx, Math.floor((span / planned) * 4));
  }
  const cuts: number[] = [];
  for (let k = 0; k < reached; k++) cuts.push(rng.float());
  cuts.sort((a, b) => a - b);
  const history: [string, number][] = [[DEAL_STAGES[0], createdDay]];
  for (let k = 1; k <= reached; k++) history.push([DEAL_STAGES[k], createdDay + Math.floor(cuts[k - 1] * span)]);
  let stage: string = DEAL_STAGES[reached];
  let status: Deal['status'] = 'open';
  let notes: string;
  // A lost deal names the competitor only when the reason says another vendor won.
  const lost = !open && !won;
  const recorded = lost && !LOST_TO_A_RIVAL.includes(reason as LossReason) ? '' : competitor;
  const names = { competitor: recorded, product: product.name, discount };
  if (open) {
    reason = '';
    notes = `Next step: ${rng.pick(['send revised proposal', 'demo with the IT team', 'legal review of the contract', 'pricing call with procurement', 'reference visit'])}.`;
  } else if (won) {
    stage = 'closed_won';
    status = 'won';
    history.push([stage, closeDay]);
    notes = competitor && rng.chance(0.5)
      ? `Won against ${competitor}; decisive: delivery times and service.`
      : `Signed ${rng.int(1, 3)}-year agreement, ${discount}% discount.`;
  } else {
    stage = 'closed_lost';
    status = 'lost';
    history.push([stage, closeDay]);
    notes = lossNote(rng, reason as LossReason, names);
  }
  const lastDay = history[history.length - 1][1];
  return {
    createdDay, product, amount, currency, size, discount, competitor: recorded, ownerId, status, stage,
    lossReason: status === 'lost' ? reason : '',
    closedDay: open ? null : closeDay,
    expectedDay,
    history,
    notes,
    updatedAt: timeOn(rng, Math.min(lastDay, world.today - 1), 8, 19),
    leadSource,
    contactsMet,
    lateMeeting,
    slowReplies,
  };
}
