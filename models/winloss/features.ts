/**
 * Win/loss features of each deal as of its cutoff: a closed deal's close day, an open deal's as-of
 * day. Nothing at or after the cutoff is used (touches strictly before it, stages entered up to it,
 * the account's deals closed before this one was created): the leak test in
 * test/models/winloss/features.test.ts moves everything after the cutoff and checks that no feature
 * changes.
 *
 * Pure functions over plain records, so the arithmetic is tested without a warehouse; load.ts
 * reads the records from it.
 */

export const DAY_SECONDS = 86_400;

export interface DealRecord {
  source: string;
  opportunity_id: string;
  customer_id: string;
  owner_id: string;
  region: string;
  product: string;
  /** Base currency. */
  amount: number;
  /** As of the as-of day: a deal closed after it is open here. */
  status: 'open' | 'won' | 'lost';
  /** Current stage (as of the as-of day). */
  stage: string;
  stated_reason: string;
  competitor: string;
  /** Days since 1970-01-01 (UTC). */
  created_day: number;
  /** Null for a deal open as of the as-of day. */
  closed_day: number | null;
  history: { stage: string; day: number }[];
  discount_pct: number | null;
  lead_source: string;
  contacts_met: number | null;
  /** A snapshot of a deal during its life (snapshots.ts): measured as of this day instead of the run's as-of day. */
  as_of_day?: number;
}

/** A touch with the customer, seconds since 1970 (UTC). */
export interface TouchRecord {
  t: number;
  type: string;
  inbound: boolean;
}

/** Touches that are a conversation with the customer (campaign e-mails are not). */
export const CONTACT_TOUCHES: readonly string[] = ['call', 'meeting', 'email_sent', 'chat'];
/** Touches that say something went wrong for the customer. */
export const TROUBLE_TOUCHES: readonly string[] = ['support_ticket', 'complaint'];
/** A question from the customer is an inbound e-mail; our answer the next outbound e-mail or call. */
const ASK = 'email_sent';
const ANSWERS: readonly string[] = ['email_sent', 'call'];
/** Tickets count in a fixed window before the cutoff, so long deals do not collect more by lasting longer. */
export const TICKET_WINDOW_DAYS = 60;

export interface DealFeatures {
  cutoff_day: number;
  amount: number;
  stage_count: number;
  /** The stage the deal was in at the cutoff (the last one before a close). */
  stage_at_cutoff: string;
  days_in_stage: number;
  max_stage_days: number;
  /** The stage it spent max_stage_days in. */
  longest_stage: string;
  deal_days: number;
  calls: number;
  meetings: number;
  /** Days from the last meeting to the cutoff; NaN when there was none in the deal. */
  days_since_meeting: number;
  /** Days from the last conversation (call, meeting, e-mail, chat) to the cutoff; deal_days when none. */
  days_since_contact: number;
  /** Median days from a customer's inbound e-mail to our next outbound e-mail or call (censored at the cutoff); NaN when none. */
  reply_delay_days: number;
  contacts_met: number;
  discount_pct: number;
  /** Amount ÷ the median amount of the product's deals. */
  amount_vs_product: number;
  /** Amount ÷ the mean of the account's earlier deals; NaN for a first deal. */
  amount_vs_account: number;
  prior_deals: number;
  prior_won: number;
  /** The owner's other deals open at the cutoff. */
  owner_open_deals: number;
  /** Support tickets and complaints during the deal, in the TICKET_WINDOW_DAYS before the cutoff. */
  tickets: number;
}

export function cutoffDay(d: DealRecord, asOfDay: number): number {
  return d.closed_day ?? d.as_of_day ?? asOfDay;
}

const isClosedStage = (s: string): boolean => /^closed/i.test(s);

/** Index of the first touch at or after `t` (touches sorted by time). */
function lowerBound(touches: readonly TouchRecord[], t: number): number {
  let lo = 0;
  let hi = touches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (touches[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The deal's own features from its record and its customer's touches (sorted by time). */
export function ownFeatures(
  d: DealRecord,
  touches: readonly TouchRecord[],
  asOfDay: number,
): Omit<DealFeatures, 'amount_vs_product' | 'amount_vs_account' | 'prior_deals' | 'prior_won' | 'owner_open_deals'> {
  const cut = cutoffDay(d, asOfDay);
  const from = d.created_day * DAY_SECONDS;
  const to = cut * DAY_SECONDS;
  const stages = d.history.filter((h) => !isClosedStage(h.stage) && h.day <= cut).sort((a, b) => a.day - b.day);
  if (stages.length === 0) stages.push({ stage: isClosedStage(d.stage) ? 'unknown' : d.stage, day: d.created_day });
  let maxDays = 0;
  let longest = stages[0].stage;
  for (let k = 0; k < stages.length; k++) {
    const end = k + 1 < stages.length ? stages[k + 1].day : cut;
    if (end - stages[k].day >= maxDays) {
      maxDays = end - stages[k].day;
      longest = stages[k].stage;
    }
  }
  const last = stages[stages.length - 1];
  const dealDays = Math.max(0, cut - d.created_day);

  let calls = 0;
  let meetings = 0;
  let tickets = 0;
  let lastMeeting = -Infinity;
  let lastContact = -Infinity;
  const delays: number[] = [];
  const start = lowerBound(touches, from);
  const end = lowerBound(touches, to);
  for (let i = start; i < end; i++) {
    const x = touches[i];
    if (x.type === 'call') calls++;
    if (x.type === 'meeting') {
      meetings++;
      lastMeeting = x.t;
    }
    if (TROUBLE_TOUCHES.includes(x.type) && x.t >= to - TICKET_WINDOW_DAYS * DAY_SECONDS) tickets++;
    if (CONTACT_TOUCHES.includes(x.type)) {
      lastContact = x.t;
      if (x.inbound && x.type === ASK) {
        // Our answer: the next outbound e-mail or call before the cutoff; none yet counts until the cutoff.
        let answer = to;
        for (let k = i + 1; k < end; k++) {
          const y = touches[k];
          if (!y.inbound && ANSWERS.includes(y.type)) {
            answer = y.t;
            break;
          }
        }
        delays.push((answer - x.t) / DAY_SECONDS);
      }
    }
  }
  return {
    cutoff_day: cut,
    amount: d.amount,
    stage_count: stages.length,
    stage_at_cutoff: last.stage,
    days_in_stage: cut - last.day,
    max_stage_days: maxDays,
    longest_stage: longest,
    deal_days: dealDays,
    calls,
    meetings,
    days_since_meeting: meetings > 0 ? (to - lastMeeting) / DAY_SECONDS : NaN,
    days_since_contact: Number.isFinite(lastContact) ? (to - lastContact) / DAY_SECONDS : dealDays,
    reply_delay_days: median(delays),
    contacts_met: d.contacts_met ?? NaN,
    discount_pct: d.discount_pct ?? NaN,
    tickets,
  };
}

const same = (a: DealRecord, b: DealRecord): boolean => a.opportunity_id === b.opportunity_id && a.source === b.source;

/**
 * Features of every deal: its own, plus what depends on the other deals — the product's typical
 * amount, the account's earlier deals and the owner's open load at the cutoff. `context` holds the
 * deals as they are (default `deals`): snapshots of deals are measured against the real ones.
 */
export function buildFeatures(
  deals: readonly DealRecord[],
  touchesByCustomer: ReadonlyMap<string, readonly TouchRecord[]>,
  asOfDay: number,
  context: readonly DealRecord[] = deals,
): DealFeatures[] {
  const amountsByProduct = new Map<string, number[]>();
  for (const d of context) {
    const list = amountsByProduct.get(d.product) ?? [];
    list.push(d.amount);
    amountsByProduct.set(d.product, list);
  }
  const productMedian = new Map([...amountsByProduct].map(([k, v]) => [k, median(v)]));
  const byAccount = groupBy(context, (d) => d.customer_id);
  const byOwner = groupBy(context, (d) => d.owner_id);
  return deals.map((d) => {
    const own = ownFeatures(d, touchesByCustomer.get(d.customer_id) ?? [], asOfDay);
    const cut = own.cutoff_day;
    let priorDeals = 0;
    let priorWon = 0;
    let earlierSum = 0;
    let earlierCount = 0;
    for (const o of byAccount.get(d.customer_id) ?? []) {
      if (same(o, d)) continue;
      if (o.created_day < d.created_day) {
        earlierSum += o.amount;
        earlierCount++;
      }
      if (o.closed_day !== null && o.closed_day < d.created_day) {
        priorDeals++;
        if (o.status === 'won') priorWon++;
      }
    }
    let load = 0;
    if (d.owner_id) {
      for (const o of byOwner.get(d.owner_id) ?? []) {
        if (!same(o, d) && o.created_day <= cut && (o.closed_day === null || o.closed_day > cut)) load++;
      }
    }
    const typical = productMedian.get(d.product) ?? NaN;
    return {
      ...own,
      amount_vs_product: typical > 0 ? d.amount / typical : NaN,
      amount_vs_account: earlierCount > 0 && earlierSum > 0 ? d.amount / (earlierSum / earlierCount) : NaN,
      prior_deals: priorDeals,
      prior_won: priorWon,
      owner_open_deals: load,
    };
  });
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

/** The numeric columns the forest and the logistic candidate learn from (one-hot levels are added by model.ts). */
export const NUMERIC_FEATURES = [
  'amount',
  'stage_count',
  'days_in_stage',
  'max_stage_days',
  'deal_days',
  'calls',
  'meetings',
  'days_since_meeting',
  'days_since_contact',
  'reply_delay_days',
  'contacts_met',
  'discount_pct',
  'amount_vs_product',
  'amount_vs_account',
  'prior_deals',
  'prior_won',
  'owner_open_deals',
  'tickets',
] as const satisfies readonly (keyof DealFeatures)[];
