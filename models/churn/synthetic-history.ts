/**
 * A synthetic CRM history with a planted churn signal, inserted straight into the warehouse tables:
 * for the churn tests (a known truth, fast) and the model benchmark (100k customers, loaded in
 * chunks so memory stays flat).
 *
 * Every customer buys at their own rate from their start day. Some customers have a churn day τ:
 * in the 90 days before τ they buy at 40% of their rate, complain often with a low satisfaction
 * score and stop opening e-mails; from τ on they never buy again. Everyone else keeps buying (and
 * may still go 90 days without an order by chance, which only recency can see).
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';

export interface FixtureOptions {
  customers: number;
  /** Index of the first customer (chunked generation; default 0). Customer k is the same whatever the chunking. */
  firstCustomer?: number;
  /** YYYY-MM-DD: the last day of history is the day before. */
  today: string;
  /** Days of history before today (default 760). */
  historyDays?: number;
  seed?: number;
}

export interface FixtureTruth {
  /** Churn day (epoch day) per customer, Infinity when the customer never churns. */
  churnDay: Map<string, number>;
  rows: { transactions: number; interactions: number; opportunities: number; customers: number };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;
const epochDay = (s: string): number => Date.parse(`${s}T00:00:00Z`) / DAY_MS;
const stamp = (day: number, rnd: () => number): string =>
  new Date(day * DAY_MS + Math.floor(rnd() * 86_000) * 1000).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Days of the events of a Poisson process over [from, to) whose rate (events per day) is at most
 * `maxRate`, by thinning: candidate times at exponential gaps of the maximal rate, each kept with
 * probability rate(day) / maxRate. Cost is proportional to the events, not the days.
 */
function poissonDays(from: number, to: number, rate: (day: number) => number, maxRate: number, rnd: () => number): number[] {
  const out: number[] = [];
  if (!(maxRate > 0)) return out;
  let t = from;
  for (;;) {
    t += -Math.log(1 - rnd()) / maxRate;
    if (t >= to) return out;
    const d = Math.floor(t);
    if (rnd() * maxRate < rate(d)) out.push(d);
  }
}

export function generateFixture(opts: FixtureOptions): { truth: FixtureTruth; tables: Record<string, Record<string, unknown>[]> } {
  const today = epochDay(opts.today);
  const first = today - (opts.historyDays ?? 760);
  const tables: Record<string, Record<string, unknown>[]> = { transactions: [], interactions: [], opportunities: [], customers: [] };
  const churnDay = new Map<string, number>();
  const from = opts.firstCustomer ?? 0;
  for (let c = from; c < from + opts.customers; c++) {
    // One stream per customer: the data do not depend on how the customers are chunked.
    const rnd = mulberry32(((opts.seed ?? 7) * 0x9e3779b1 + c * 0x85ebca6b) >>> 0);
    const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const id = `C${String(c).padStart(6, '0')}`;
    let txn = 0;
    let ix = 0;
    const start = first + Math.floor(rnd() * (today - first - 60));
    // Mean gap between orders 12-90 days.
    const gap = Math.exp(Math.log(30) + 0.5 * normal());
    const rate = 1 / Math.min(120, Math.max(8, gap));
    const tau = rnd() < 0.55 ? start + 30 + Math.floor(-Math.log(1 - rnd()) * 420) : Infinity;
    churnDay.set(id, tau);
    const declining = (d: number): boolean => d >= tau - 90 && d < tau;
    const b2b = rnd() < 0.2;
    tables.customers.push({ customer_id: id, customer_type: b2b ? 'business' : 'person', name: `Customer ${c}`, version: 1 });

    const buyRate = (d: number): number => (d >= tau ? 0 : declining(d) ? 0.4 * rate : rate);
    const orderDays = poissonDays(start, today, buyRate, rate, rnd);
    if (orderDays.length === 0 || orderDays[0] !== start) orderDays.unshift(start);
    const basket = Math.exp(Math.log(60) + 0.6 * normal());
    for (const d of orderDays) {
      const lines = 1 + Math.floor(rnd() * 2);
      const orderId = `${id}-O${txn}`;
      for (let l = 0; l < lines; l++) {
        const refunded = rnd() < 0.03;
        tables.transactions.push({
          source: 'fixture',
          transaction_id: `${id}-T${txn++}`,
          order_id: orderId,
          customer_id: id,
          customer_ref: id,
          order_date: stamp(d, rnd),
          status: refunded ? 'refunded' : 'completed',
          amount: (basket * (0.5 + rnd())).toFixed(2),
          quantity: 1,
          version: 1,
        });
      }
    }
    const event = (type: string, d: number, extra: Record<string, unknown> = {}): void => {
      tables.interactions.push({ source: 'fixture', interaction_id: `${id}-I${ix++}`, customer_id: id, customer_ref: id, occurred_at: stamp(d, rnd), type, version: 1, ...extra });
    };
    const end = today;
    for (const d of poissonDays(start, end, (d) => (declining(d) ? 0.035 : 0.002), 0.035, rnd)) {
      event('complaint', d, { csat: declining(d) ? 1 + Math.floor(rnd() * 2) : 2 + Math.floor(rnd() * 4) });
    }
    for (const d of poissonDays(start, end, () => 0.006, 0.006, rnd)) event('support_ticket', d, { csat: 3 + Math.floor(rnd() * 3) });
    for (const d of poissonDays(start, end, () => 1 / 21, 1 / 21, rnd)) {
      event('email_sent', d);
      const pOpen = d >= tau ? 0.05 : declining(d) ? 0.1 : 0.5;
      if (rnd() < pOpen) {
        event('email_open', d);
        if (rnd() < 0.3) event('email_click', d);
      }
    }
    for (const d of poissonDays(start, end, (d) => (d >= tau ? 0.005 : 0.03), 0.03, rnd)) event('web_visit', d);
    // Noise: calls and meetings unrelated to churn.
    for (const d of poissonDays(start, end, () => (b2b ? 0.01 : 0.002), 0.01, rnd)) event(rnd() < 0.5 ? 'call' : 'meeting', d);
    if (b2b && rnd() < 0.5) {
      const created = start + Math.floor(rnd() * Math.max(1, today - start));
      const closed = created + 20 + Math.floor(rnd() * 60);
      const status = closed >= today ? 'open' : rnd() < 0.5 ? 'won' : 'lost';
      tables.opportunities.push({
        source: 'fixture',
        opportunity_id: `P${c}`,
        customer_id: id,
        customer_ref: id,
        amount: '1000.00',
        stage: status,
        status,
        created_at: new Date(created * DAY_MS).toISOString().slice(0, 10),
        closed_at: status === 'open' ? null : new Date(closed * DAY_MS).toISOString().slice(0, 10),
        version: 1,
      });
    }
  }
  return {
    truth: {
      churnDay,
      rows: {
        transactions: tables.transactions.length,
        interactions: tables.interactions.length,
        opportunities: tables.opportunities.length,
        customers: tables.customers.length,
      },
    },
    tables,
  };
}

/**
 * Generates the history and inserts it, `chunk` customers at a time; returns the truth.
 * `onProgress` gets the number of customers loaded so far.
 */
export async function loadFixture(
  warehouse: Warehouse,
  opts: FixtureOptions & { chunk?: number; onProgress?: (customers: number, rows: number) => void },
): Promise<FixtureTruth> {
  const chunk = opts.chunk ?? 5_000;
  const churnDay = new Map<string, number>();
  const total = { transactions: 0, interactions: 0, opportunities: 0, customers: 0 };
  const first = opts.firstCustomer ?? 0;
  for (let start = first; start < first + opts.customers; start += chunk) {
    const count = Math.min(chunk, first + opts.customers - start);
    const { truth, tables } = generateFixture({ ...opts, firstCustomer: start, customers: count });
    for (const [id, day] of truth.churnDay) churnDay.set(id, day);
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += truth.rows[k];
    for (const [table, rows] of Object.entries(tables)) {
      for (let i = 0; i < rows.length; i += 100_000) {
        await warehouse.client.insert({ table, values: rows.slice(i, i + 100_000), format: 'JSONEachRow' });
      }
    }
    opts.onProgress?.(start + count - first, total.transactions + total.interactions + total.opportunities + total.customers);
  }
  return { churnDay, rows: total };
}
