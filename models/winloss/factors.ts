/**
 * The factors the drivers and per-deal causes speak of: yes/no questions about a deal ("no meeting
 * in the 21 days before close") built from its features, plus one factor per level of the
 * categorical fields (competitor, product, lead source, region), each compared with the field's
 * most common level. Ids and labels are the contract with the dashboard (/tmp contract 18,
 * semantic cubes over winloss_drivers and deal_scores): change them only together.
 */
import { formatMoney, type FormatContext } from '../../lib/format/index.ts';
import type { DealFeatures, DealRecord } from './features.ts';

export interface FactorContext {
  /** 75th percentile of the amount per product (large_deal). */
  productP75: ReadonlyMap<string, number>;
  /** 75th percentile of the owners' open load over the deals (owner_busy). */
  ownerLoadP75: number;
  format: FormatContext;
}

export interface BinaryFactor {
  id: string;
  label: string;
  has(f: DealFeatures, d: DealRecord, ctx: FactorContext): boolean;
  /** The per-deal cause in words, with its units; `open` = the deal is still open (no close yet). */
  text(f: DealFeatures, d: DealRecord, ctx: FactorContext, open: boolean): string;
}

const days = (n: number): string => `${Math.round(n)} day${Math.round(n) === 1 ? '' : 's'}`;
const before = (open: boolean): string => (open ? 'so far' : 'before close');

export const BINARY_FACTORS: readonly BinaryFactor[] = [
  {
    id: 'no_meeting_21d',
    label: 'no meeting in the 21 days before close',
    has: (f) => !(f.days_since_meeting <= 21),
    text: (f, _d, _c, open) =>
      `no meeting in the ${open ? 'last 21 days' : '21 days before close'} (${
        Number.isNaN(f.days_since_meeting)
          ? 'none during the deal'
          : `last one ${days(f.days_since_meeting)} ${open ? 'ago' : 'before'}`
      })`,
  },
  {
    id: 'slow_replies',
    label: 'replies to the customer took over 2 days (median)',
    has: (f) => f.reply_delay_days > 2,
    text: (f) => `replies to the customer took ${f.reply_delay_days.toFixed(1)} days (median)`,
  },
  {
    id: 'silent_14d',
    label: 'no contact in the 14 days before close',
    has: (f) => f.days_since_contact >= 14,
    text: (f, _d, _c, open) => `no contact for ${days(f.days_since_contact)} ${open ? 'until today' : 'before close'}`,
  },
  {
    id: 'single_contact',
    label: 'met only one person at the customer',
    has: (f) => f.contacts_met <= 1,
    text: (f) => (f.contacts_met === 0 ? 'met nobody at the customer' : 'met only one person at the customer'),
  },
  {
    id: 'big_discount',
    label: 'discount of 15% or more',
    has: (f) => f.discount_pct >= 15,
    text: (f) => `discount of ${Math.round(f.discount_pct)}%`,
  },
  {
    id: 'large_deal',
    label: 'amount in the top quarter for its product',
    has: (f, d, c) => f.amount >= (c.productP75.get(d.product) ?? Infinity),
    text: (f, d, c) => `${formatMoney(f.amount, {}, c.format)}, in the top quarter for ${d.product}`,
  },
  {
    id: 'above_account',
    label: "amount over twice the account's earlier deals",
    has: (f) => f.amount_vs_account > 2,
    text: (f, _d, c) =>
      `${formatMoney(f.amount, {}, c.format)}, ${f.amount_vs_account.toFixed(1)}× the account's earlier deals on average`,
  },
  {
    id: 'ticket_during',
    label: 'support ticket or complaint in the 60 days before close',
    has: (f) => f.tickets > 0,
    text: (f, _d, _c, open) =>
      `${f.tickets} support ticket${f.tickets === 1 ? '' : 's'} or complaint${f.tickets === 1 ? '' : 's'} in the ${open ? 'last 60 days' : '60 days before close'}`,
  },
  {
    id: 'owner_busy',
    label: 'owner had more open deals than usual (top quarter)',
    has: (f, _d, c) => f.owner_open_deals > c.ownerLoadP75,
    text: (f, _d, _c, open) => `owner had ${f.owner_open_deals} other open deals ${open ? 'now' : 'at the close'}`,
  },
  {
    id: 'stuck_30d',
    label: '30+ days in one stage',
    has: (f) => f.max_stage_days >= 30,
    text: (f, _d, _c, open) => `${days(f.max_stage_days)} in ${f.longest_stage} ${before(open)}`,
  },
  {
    id: 'prior_won',
    label: 'the account won a deal before',
    has: (f) => f.prior_won > 0,
    text: (f) => `the account won ${f.prior_won} deal${f.prior_won === 1 ? '' : 's'} before`,
  },
];

export interface CategoricalField {
  field: 'competitor' | 'product' | 'lead_source' | 'region';
  /** The value shown for an empty field. */
  empty: string;
  label(value: string): string;
}

export const CATEGORICAL_FIELDS: readonly CategoricalField[] = [
  { field: 'competitor', empty: 'none named', label: (v) => `competitor ${v} in the deal` },
  { field: 'product', empty: 'unknown', label: (v) => `product ${v}` },
  { field: 'lead_source', empty: 'unknown', label: (v) => `lead source: ${v}` },
  { field: 'region', empty: 'unknown', label: (v) => `region ${v}` },
];

export const categoricalValue = (d: DealRecord, c: CategoricalField): string => d[c.field] || c.empty;

/** One column of the factor design: a binary factor or a categorical level. */
export interface FactorColumn {
  id: string;
  label: string;
  kind: 'binary' | 'level';
  /** For a level: its field, and the reference level it is compared with. */
  field?: CategoricalField['field'];
  reference?: string;
  value?: string;
  /** Whether deal i (an index into deals) has it. */
  has(i: number): boolean;
  /** Text of this factor for deal i. */
  text(i: number): string;
}

export interface FactorDesign {
  columns: FactorColumn[];
  /** n × p, row-major, 0/1. */
  x: Float64Array;
  n: number;
  p: number;
  /** For each level column, the other level columns of the same field (forced to 0 with it). */
  siblings: number[][];
}

const quantile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};

/** The percentiles the factors compare with, from all deals (not outcomes, so no leak). */
export function factorContext(
  deals: readonly DealRecord[],
  features: readonly DealFeatures[],
  format: FormatContext,
): FactorContext {
  const byProduct = new Map<string, number[]>();
  deals.forEach((d) => byProduct.set(d.product, [...(byProduct.get(d.product) ?? []), d.amount]));
  return {
    productP75: new Map([...byProduct].map(([k, v]) => [k, quantile(v, 0.75)])),
    ownerLoadP75: quantile(
      features.map((f) => f.owner_open_deals),
      0.75,
    ),
    format,
  };
}

/**
 * The 0/1 design over `rows` (indices into deals/features). A binary factor or level enters only
 * when at least `minEach` rows have it and `minEach` do not; a categorical's most common level is
 * its reference (no column); `exclude` drops whole fields (the slice's own dimension).
 */
export function factorDesign(
  deals: readonly DealRecord[],
  features: readonly DealFeatures[],
  rows: readonly number[],
  ctx: FactorContext,
  opts: { minEach?: number; exclude?: readonly string[] } = {},
): FactorDesign {
  const minEach = opts.minEach ?? 30;
  const n = rows.length;
  const cols: { col: FactorColumn; values: Uint8Array }[] = [];
  const siblings: number[][] = [];
  const usable = (v: Uint8Array): boolean => {
    let k = 0;
    for (const x of v) k += x;
    return k >= minEach && n - k >= minEach;
  };
  for (const f of BINARY_FACTORS) {
    const values = Uint8Array.from(rows, (i) => (f.has(features[i], deals[i], ctx) ? 1 : 0));
    if (!usable(values)) continue;
    cols.push({
      col: {
        id: f.id,
        label: f.label,
        kind: 'binary',
        has: (i) => f.has(features[i], deals[i], ctx),
        text: (i) => f.text(features[i], deals[i], ctx, deals[i].status === 'open'),
      },
      values,
    });
  }
  for (const c of CATEGORICAL_FIELDS) {
    if (opts.exclude?.includes(c.field)) continue;
    const counts = new Map<string, number>();
    for (const i of rows)
      counts.set(categoricalValue(deals[i], c), (counts.get(categoricalValue(deals[i], c)) ?? 0) + 1);
    const levels = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (levels.length < 2) continue;
    const reference = levels[0][0];
    const first = cols.length;
    for (const [value] of levels.slice(1)) {
      const values = Uint8Array.from(rows, (i) => (categoricalValue(deals[i], c) === value ? 1 : 0));
      if (!usable(values)) continue;
      cols.push({
        col: {
          id: `${c.field}=${value}`,
          label: `${c.label(value)} (vs ${reference})`,
          kind: 'level',
          field: c.field,
          reference,
          value,
          has: (i) => categoricalValue(deals[i], c) === value,
          text: () => c.label(value),
        },
        values,
      });
    }
    const mine = cols.map((_, k) => k).filter((k) => k >= first);
    for (const k of mine) siblings[k] = mine.filter((j) => j !== k);
  }
  const p = cols.length;
  const x = new Float64Array(n * p);
  cols.forEach(({ values }, j) => {
    for (let r = 0; r < n; r++) x[r * p + j] = values[r];
  });
  return { columns: cols.map((c) => c.col), x, n, p, siblings: cols.map((_, k) => siblings[k] ?? []) };
}
