import { chunked, type WarehouseIO } from '../core/warehouse-io.ts';
import type { CustomerResolution } from './resolve.ts';
import { viaSourceTokenSql } from './source-token-batches.ts';

/**
 * The golden `customers` row of a resolved customer, built from all its source records.
 *
 * Survivorship is decided per attribute (the customers entity declares it, see Survivorship):
 * - `newest`: the value of the most recently updated record that has one (record version = its
 *   updated_at, else when it was loaded; ties: the larger source:source_id). Names and contact
 *   details change, the latest system to hear of a change knows best.
 * - `earliest`: the value of the record seen first (the earliest signup_date; records without one
 *   after those with one; then the oldest version; ties: the smaller source:source_id). Facts about
 *   how the customer started (acquisition channel, customer since) must not be rewritten by a
 *   system that met the customer later.
 * E-mail and phone use their normalised forms when valid. signup_date is the earliest one known.
 * source_records counts the records, sources lists their systems.
 *
 * Records written through a source token (`via_token`, identity/source-token-batches.ts: a shop's
 * webhook, credentialed for its own source only) fill a golden attribute only where no other
 * record gives it: whoever holds a leaked shop token and knows a CRM customer's e-mail must not
 * make its record the newest for that customer's name, e-mail or phone (a newer e-mail receives the
 * customer's campaign mail). Among themselves, and among the other records, the rules above hold.
 */
export interface SourceRow {
  source: string;
  source_id: string;
  customer_id: string;
  customer_type: string;
  name: string;
  email: string;
  email_norm: string;
  phone: string;
  phone_norm: string;
  company: string;
  region: string;
  country: string;
  city: string;
  acquisition_channel: string;
  owner_id: string;
  signup_date: string | null;
  version: string;
  /** 1 when the stored record came through a source token. */
  via_token?: number | string;
}

export interface GoldenRow {
  customer_id: string;
  customer_type: string;
  name: string;
  email: string;
  phone: string;
  company: string;
  region: string;
  country: string;
  city: string;
  acquisition_channel: string;
  owner_id: string;
  signup_date: string | null;
  source_records: number;
  sources: string[];
}

export type Survivorship = Readonly<Record<string, 'earliest' | 'newest'>>;

/** Golden attributes chosen by a rule (the others are computed: ids, counts, sources). */
const CHOSEN = ['customer_type', 'name', 'email', 'phone', 'company', 'region', 'country', 'city', 'acquisition_channel', 'owner_id', 'signup_date'] as const;
type Chosen = (typeof CHOSEN)[number];

const key = (r: SourceRow): string => `${r.source}:${r.source_id}`;

function newestFirst(a: SourceRow, b: SourceRow): number {
  const d = Number(b.version) - Number(a.version);
  if (d !== 0) return d;
  return key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0;
}

function earliestFirst(a: SourceRow, b: SourceRow): number {
  if (a.signup_date !== b.signup_date) {
    if (!a.signup_date) return 1;
    if (!b.signup_date) return -1;
    return a.signup_date < b.signup_date ? -1 : 1;
  }
  const d = Number(a.version) - Number(b.version);
  if (d !== 0) return d;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** The value a record holds for a golden attribute (e-mail and phone normalised when valid). */
function valueOf(r: SourceRow, field: Chosen): string | null | undefined {
  if (field === 'email') return r.email_norm || r.email;
  if (field === 'phone') return r.phone_norm || r.phone;
  return r[field];
}

/** A golden row with no attributes yet: what survivorship fills, and a customer known from facts alone. */
export function blankGolden(customerId: string): GoldenRow {
  return {
    customer_id: customerId,
    customer_type: '',
    name: '',
    email: '',
    phone: '',
    company: '',
    region: '',
    country: '',
    city: '',
    acquisition_channel: '',
    owner_id: '',
    signup_date: null,
    source_records: 0,
    sources: [],
  };
}

export function goldenOf(customerId: string, records: readonly SourceRow[], rules: Survivorship): GoldenRow {
  const trusted = (r: SourceRow): boolean => !Number(r.via_token ?? 0);
  // Trusted records first, each group in the rule's order (a stable partition of the sorted list).
  const ranked = (order: (a: SourceRow, b: SourceRow) => number): SourceRow[] => {
    const sorted = [...records].sort(order);
    return [...sorted.filter(trusted), ...sorted.filter((r) => !trusted(r))];
  };
  const orders = { newest: ranked(newestFirst), earliest: ranked(earliestFirst) };
  const g: GoldenRow = {
    ...blankGolden(customerId),
    source_records: records.length,
    sources: [...new Set(records.map((r) => r.source))].sort(),
  };
  for (const field of CHOSEN) {
    const rule = rules[field];
    if (rule === undefined) throw new Error(`no survivorship rule for customers.${field}`);
    let value: string | null = null;
    for (const r of orders[rule]) {
      const v = valueOf(r, field);
      if (v !== null && v !== undefined && v.trim() !== '') {
        value = v.trim();
        break;
      }
    }
    if (field === 'signup_date') g.signup_date = value;
    else g[field] = value ?? '';
  }
  return g;
}

function sameGolden(a: GoldenRow, b: GoldenRow): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Rebuilds the golden rows of the customers a load touched, writing only those that changed, and
 * removes golden rows of customers merged away. Safe to repeat: a re-run after a crash writes
 * whatever is missing and nothing else.
 */
export async function rebuildGolden(io: WarehouseIO, res: CustomerResolution, runVersion: number, rules: Survivorship): Promise<number> {
  const members = new Map<string, string[]>();
  for (const root of res.affected) members.set(root, [root]);
  for (const [from, to] of res.aliases) members.get(to)?.push(from);
  let written = 0;
  for (const roots of chunked([...res.affected].sort(), 20_000)) {
    const ids = roots.flatMap((r) => members.get(r) ?? [r]);
    const rows = await io.rows<SourceRow>(
      `SELECT source, source_id, customer_id, customer_type, name, email, email_norm, phone, phone_norm, company, region, country, city,
              acquisition_channel, owner_id, toString(signup_date) AS signup_date, toString(version) AS version,
              ${viaSourceTokenSql()} AS via_token
       FROM ${io.table('customer_records')} FINAL WHERE customer_id IN {ids:Array(String)}`,
      { ids },
    );
    const byRoot = new Map<string, SourceRow[]>();
    for (const r of rows) {
      const root = res.aliases.get(r.customer_id) ?? r.customer_id;
      let list = byRoot.get(root);
      if (!list) byRoot.set(root, (list = []));
      list.push(r);
    }
    const stored = await io.rows<GoldenRow & { source_records: string | number }>(
      `SELECT customer_id, customer_type, name, email, phone, company, region, country, city, acquisition_channel, owner_id,
              toString(signup_date) AS signup_date, source_records, sources
       FROM ${io.table('customers')} FINAL WHERE customer_id IN {ids:Array(String)}`,
      { ids: roots },
    );
    const storedBy = new Map(stored.map((s) => [s.customer_id, { ...s, source_records: Number(s.source_records), sources: [...s.sources].sort() }]));
    const out: Record<string, unknown>[] = [];
    for (const root of roots) {
      const recs = byRoot.get(root);
      if (!recs || recs.length === 0) continue;
      const g = goldenOf(root, recs, rules);
      const prev = storedBy.get(root);
      // A customer first known from facts (placeholders.ts) keeps that first-seen day when its
      // records bring no signup date: "customer since" does not get lost by learning a name.
      if (g.signup_date === null && prev?.signup_date) g.signup_date = prev.signup_date;
      if (prev && sameGolden(prev as GoldenRow, g)) continue;
      out.push({ ...g, version: runVersion });
    }
    await io.insertRows('customers', out);
    written += out.length;
  }
  // Golden rows of merged-away customers: this load's, and any a crash left behind.
  const leftovers = await io.rows<{ customer_id: string }>(
    `SELECT DISTINCT customer_id FROM ${io.table('customers')} WHERE customer_id IN (SELECT from_id FROM ${io.table('customer_aliases')} WHERE to_id != from_id)`,
  );
  const gone = [...new Set([...leftovers.map((r) => r.customer_id)])];
  for (const part of chunked(gone, 5_000)) {
    await io.command(`DELETE FROM ${io.table('customers')} WHERE customer_id IN {ids:Array(String)}`, { ids: part });
  }
  return written;
}
