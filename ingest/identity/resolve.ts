import type { IdentityKeys } from '../core/customer-id-source.ts';
import { chunked, type WarehouseIO } from '../core/warehouse-io.ts';
import { loadAliases, rootOf } from './aliases.ts';
import { customerIdFor } from './customer-id.ts';
import { externalKeys } from './external-ids.ts';

/**
 * Identity resolution for a customers load.
 *
 * Rules, strongest first: a shared external id (a record's own `source:source_id` counts, so a
 * support record with external id `shop:1001` joins the shop's record 1001), a shared normalised
 * e-mail, a shared normalised phone. Records connected by any chain of these are one customer.
 *
 * Deterministic: records are processed sorted by source and id, never in file order, so the same
 * file in any row order gives the same ids; files loaded in the same order give the same ids.
 *
 * Stable: a record keeps the customer it was first resolved to (identity_map is never rewritten for
 * it). When a new record bridges existing customers, the oldest customer (first resolved) survives
 * and the others become aliases of it (customer_aliases, rule = how they were joined); facts keep
 * their id and the *_resolved views map it. A new cluster gets the id of its smallest record
 * (customerIdFor), which is also the id an unmatched fact reference to that record already got.
 *
 * Records sent with a source token (`viaSourceToken`: a shop's webhook, trusted for its own source
 * only) never bridge customers that exist already: knowing two customers' e-mail and phone must not
 * merge them. When such a load's records would join two or more existing customers (placeholders of
 * facts alone not counted), each of its records is decided on its own: it keeps the customer it was
 * resolved to before; else it joins the one existing customer its own keys reach, if exactly one;
 * else (none, or several) it is kept apart as a customer of its own. No existing customer is merged.
 */
export interface CustomerResolution {
  /** source\x1fsource_id → 14-byte customer id, for every record of the load. */
  readonly idFor: (source: string, ref: string) => Buffer | undefined;
  /** Surviving customer ids whose golden record must be rebuilt. */
  affected: Set<string>;
  /** Customer ids merged away in this load (their golden rows go). */
  aliased: Set<string>;
  /** Current alias map including this load's merges. */
  aliases: Map<string, string>;
  stats: { newCustomers: number; matchedRecords: number; merges: number };
}

type Rule = 'external_id' | 'email' | 'phone' | 'customer_id';
const RULE_ORDER: Record<Rule, number> = { external_id: 0, email: 1, phone: 2, customer_id: 3 };

interface Node {
  /** A record of this load, or an existing customer (by surviving id). */
  record?: IdentityKeys;
  customer?: string;
  label: string;
  /** Match keys with the record that carries them (for an existing customer: its matched records). */
  keys: { key: string; via: string }[];
}

function ruleOf(key: string): Rule {
  return key.startsWith('ext:') ? 'external_id' : key.startsWith('email:') ? 'email' : key.startsWith('phone:') ? 'phone' : 'customer_id';
}

function valueOf(key: string): string {
  return key.slice(key.indexOf(':') + 1);
}

function keysOf(source: string, sourceId: string, email: string, phone: string, ext: ReadonlyMap<string, string>): string[] {
  const keys = externalKeys(source, sourceId, ext).map((k) => `ext:${k}`);
  if (email) keys.push(`email:${email}`);
  if (phone) keys.push(`phone:${phone}`);
  return keys;
}

class UnionFind {
  readonly parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r];
    while (this.parent[x] !== r) {
      const n = this.parent[x];
      this.parent[x] = r;
      x = n;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

const NONE = ['\u0000'];

export interface ResolveOptions {
  /** Every record of the load came through a source token (identity/source-token-batches.ts). */
  viaSourceToken?: boolean;
}

export async function resolveCustomers(io: WarehouseIO, input: readonly IdentityKeys[], runVersion: number, opts: ResolveOptions = {}): Promise<CustomerResolution> {
  // One record per (source, source_id): the newest version, then the last line.
  const byKey = new Map<string, IdentityKeys>();
  for (const r of input) {
    const k = `${r.source}\u001f${r.sourceId}`;
    const prev = byKey.get(k);
    if (!prev || r.version > prev.version || (r.version === prev.version && r.line > prev.line)) byKey.set(k, r);
  }
  const records = [...byKey.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  const label = (r: { source: string; sourceId: string }): string => `${r.source}:${r.sourceId}`;
  let aliases = await loadAliases(io);

  // What the warehouse knows: the records' own identity rows (sticky), and existing records
  // that share a match key.
  const sticky = new Map<string, { customerId: string; rule: string }>();
  const bySource = new Map<string, string[]>();
  for (const r of records) {
    let list = bySource.get(r.source);
    if (!list) bySource.set(r.source, (list = []));
    list.push(r.sourceId);
  }
  for (const [source, ids] of bySource) {
    for (const part of chunked(ids)) {
      const rows = await io.rows<{ source_id: string; customer_id: string; rule: string }>(
        `SELECT source_id, argMax(customer_id, version) AS customer_id, argMax(rule, version) AS rule
         FROM ${io.table('identity_map')} WHERE source = {source:String} AND source_id IN {ids:Array(String)} GROUP BY source_id`,
        { source, ids: part },
      );
      for (const row of rows) sticky.set(`${source}\u001f${row.source_id}`, { customerId: row.customer_id, rule: row.rule });
    }
  }
  const emails = [...new Set(records.map((r) => r.emailNorm).filter(Boolean))];
  const phones = [...new Set(records.map((r) => r.phoneNorm).filter(Boolean))];
  const exts = [...new Set(records.flatMap((r) => externalKeys(r.source, r.sourceId, r.externalIds)))];
  interface Existing {
    source: string;
    source_id: string;
    email_norm: string;
    phone_norm: string;
    external_ids: Record<string, string>;
    customer_id: string;
  }
  const existing = new Map<string, Existing>();
  const rounds = Math.max(Math.ceil(emails.length / 10_000), Math.ceil(phones.length / 10_000), Math.ceil(exts.length / 10_000));
  for (let i = 0; i < rounds; i++) {
    const part = (list: string[]): string[] => {
      const p = list.slice(i * 10_000, (i + 1) * 10_000);
      return p.length ? p : NONE;
    };
    const rows = await io.rows<Existing>(
      `SELECT r.source AS source, r.source_id AS source_id, r.email_norm AS email_norm, r.phone_norm AS phone_norm, r.external_ids AS external_ids, m.customer_id AS customer_id
       FROM (SELECT source, source_id, argMax(email_norm, version) AS email_norm, argMax(phone_norm, version) AS phone_norm,
                    argMax(external_ids, version) AS external_ids
             FROM ${io.table('customer_records')} GROUP BY source, source_id) AS r
       INNER JOIN (SELECT source, source_id, argMax(customer_id, version) AS customer_id FROM ${io.table('identity_map')} GROUP BY source, source_id) AS m
         ON m.source = r.source AND m.source_id = r.source_id
       WHERE r.email_norm IN {emails:Array(String)} OR r.phone_norm IN {phones:Array(String)}
          OR concat(lower(r.source), ':', r.source_id) IN {exts:Array(String)}
          OR arrayExists((k, v) -> concat(k, ':', v) IN {exts:Array(String)}, mapKeys(r.external_ids), mapValues(r.external_ids))`,
      { emails: part(emails), phones: part(phones), exts: part(exts) },
    );
    for (const row of rows) existing.set(`${row.source}\u001f${row.source_id}`, row);
  }

  // Graph: one node per record of this load, one per existing customer (surviving id).
  const uf = new UnionFind();
  const nodes: Node[] = [];
  const customerNode = new Map<string, number>();
  const nodeOfCustomer = (id: string): number => {
    let n = customerNode.get(id);
    if (n === undefined) {
      n = uf.add();
      nodes.push({ customer: id, label: id, keys: [] });
      customerNode.set(id, n);
    }
    return n;
  };
  const bucket = new Map<string, number[]>();
  const link = (key: string, node: number): void => {
    const list = bucket.get(key);
    if (!list) bucket.set(key, [node]);
    else {
      if (list[list.length - 1] !== node) list.push(node);
      uf.union(list[0], node);
    }
  };
  const recordNode = new Map<string, number>();
  for (const r of records) {
    const n = uf.add();
    const keys = keysOf(r.source, r.sourceId, r.emailNorm, r.phoneNorm, r.externalIds);
    nodes.push({ record: r, label: label(r), keys: keys.map((key) => ({ key, via: label(r) })) });
    recordNode.set(`${r.source}\u001f${r.sourceId}`, n);
    for (const key of keys) link(key, n);
  }
  for (const [k, e] of existing) {
    if (recordNode.has(k)) continue; // the record is in this load: its new values count, and it is sticky below
    const n = nodeOfCustomer(rootOf(aliases, e.customer_id));
    const keys = keysOf(e.source, e.source_id, e.email_norm, e.phone_norm, new Map(Object.entries(e.external_ids ?? {}).map(([a, b]) => [a.toLowerCase(), b])));
    for (const key of keys) {
      nodes[n].keys.push({ key, via: `${e.source}:${e.source_id}` });
      link(key, n);
    }
  }
  for (const r of records) {
    const s = sticky.get(`${r.source}\u001f${r.sourceId}`);
    if (!s) continue;
    const rn = recordNode.get(`${r.source}\u001f${r.sourceId}`)!;
    const cn = nodeOfCustomer(rootOf(aliases, s.customerId));
    const key = `id:${rootOf(aliases, s.customerId)}`;
    nodes[rn].keys.push({ key, via: label(r) });
    nodes[cn].keys.push({ key, via: label(r) });
    link(key, rn);
    link(key, cn);
  }

  // Existing customers: real (some record resolved to them) or only a fact's placeholder; age.
  const customerIds = [...customerNode.keys()];
  const info = new Map<string, { first: number; real: boolean }>();
  for (const part of chunked(customerIds)) {
    const rows = await io.rows<{ customer_id: string; first: string; real: string }>(
      `SELECT customer_id, toString(toUnixTimestamp64Milli(minIf(resolved_at, rule != 'unmatched'))) AS first, toString(countIf(rule != 'unmatched')) AS real
       FROM (SELECT source, source_id, argMax(customer_id, version) AS customer_id, argMax(rule, version) AS rule, argMax(resolved_at, version) AS resolved_at
             FROM ${io.table('identity_map')} GROUP BY source, source_id)
       WHERE customer_id IN {ids:Array(String)} GROUP BY customer_id`,
      { ids: part },
    );
    for (const row of rows) info.set(row.customer_id, { first: Number(row.first), real: Number(row.real) > 0 });
  }
  // A customer matched through an existing record is real even if its rows point at alias ids.
  for (const e of existing.values()) {
    const root = rootOf(aliases, e.customer_id);
    const i = info.get(root);
    if (!i) info.set(root, { first: Number.MAX_SAFE_INTEGER, real: true });
    else i.real = true;
  }

  // Clusters.
  const clusters = new Map<number, number[]>();
  for (let n = 0; n < nodes.length; n++) {
    const r = uf.find(n);
    const list = clusters.get(r);
    if (list) list.push(n);
    else clusters.set(r, [n]);
  }
  const ids = new Map<string, Buffer>();
  const affected = new Set<string>();
  const aliased = new Set<string>();
  const newAliases: { from_id: string; to_id: string; rule: string; version: number }[] = [];
  const identityRows: Record<string, unknown>[] = [];
  const stats = { newCustomers: 0, matchedRecords: 0, merges: 0 };
  const resolvedAt = runVersion;

  const isReal = (n: number): boolean => nodes[n].customer !== undefined && info.get(nodes[n].customer!)?.real === true;
  /** A source token's records that would bridge existing customers: each on its own (see the top). */
  const resolveApart = (recs: number[]): void => {
    for (const n of recs) {
      const r = nodes[n].record!;
      const k = `${r.source}\u001f${r.sourceId}`;
      const s = sticky.get(k);
      if (s && s.rule !== 'unmatched') {
        ids.set(k, Buffer.from(s.customerId, 'latin1'));
        affected.add(rootOf(aliases, s.customerId));
        continue;
      }
      // The existing customers this record's own keys reach (not through the load's other records).
      const reached = new Map<string, { rule: Rule; value: string; via: string }>();
      const own = [...nodes[n].keys].sort((a, b) => RULE_ORDER[ruleOf(a.key)] - RULE_ORDER[ruleOf(b.key)] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { key } of own) {
        if (key.startsWith('id:')) continue;
        for (const v of bucket.get(key) ?? []) {
          if (!isReal(v) || reached.has(nodes[v].customer!)) continue;
          const via = nodes[v].keys.find((x) => x.key === key)?.via ?? '';
          reached.set(nodes[v].customer!, { rule: ruleOf(key), value: valueOf(key), via });
        }
      }
      const placeholder = s ? rootOf(aliases, s.customerId) : undefined;
      let target: string;
      let how: { rule: Rule; value: string; via: string } | undefined;
      if (reached.size === 1) {
        [[target, how]] = [...reached];
        stats.matchedRecords++;
      } else {
        target = placeholder ?? customerIdFor(r.source, r.sourceId);
        stats.newCustomers++;
      }
      if (placeholder !== undefined && placeholder !== target) {
        aliased.add(placeholder);
        newAliases.push({ from_id: placeholder, to_id: target, rule: 'merged', version: runVersion });
      }
      affected.add(target);
      identityRows.push({
        source: r.source,
        source_id: r.sourceId,
        customer_id: target,
        rule: how ? how.rule : 'new',
        matched_on: how ? how.value : '',
        matched_record: how ? how.via : '',
        version: runVersion,
        resolved_at: resolvedAt,
      });
      ids.set(k, Buffer.from(target, 'latin1'));
    }
  };

  for (const members of clusters.values()) {
    const recs = members.filter((n) => nodes[n].record);
    if (recs.length === 0) continue;
    const customers = members.filter((n) => nodes[n].customer);
    const real = customers.filter((n) => info.get(nodes[n].customer!)?.real);
    if (opts.viaSourceToken && real.length > 1) {
      resolveApart(recs);
      continue;
    }
    let survivor: string;
    let start: number;
    if (real.length > 0) {
      real.sort((a, b) => {
        const ia = info.get(nodes[a].customer!)!;
        const ib = info.get(nodes[b].customer!)!;
        return ia.first - ib.first || (nodes[a].customer! < nodes[b].customer! ? -1 : 1);
      });
      start = real[0];
      survivor = nodes[start].customer!;
    } else {
      start = recs[0]; // records are sorted: the smallest source:source_id
      const r = nodes[start].record!;
      survivor = customerIdFor(r.source, r.sourceId);
      stats.newCustomers++;
    }
    affected.add(survivor);

    // Explanations: breadth-first from the survivor over shared keys, strongest rule first.
    const how = new Map<number, { rule: Rule; value: string; via: string }>();
    const seen = new Set<number>([start]);
    const queue = [start];
    for (let qi = 0; qi < queue.length; qi++) {
      const u = queue[qi];
      const keys = [...nodes[u].keys].sort((a, b) => RULE_ORDER[ruleOf(a.key)] - RULE_ORDER[ruleOf(b.key)] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { key, via } of keys) {
        for (const v of bucket.get(key) ?? []) {
          if (seen.has(v)) continue;
          seen.add(v);
          how.set(v, { rule: ruleOf(key), value: valueOf(key), via });
          queue.push(v);
        }
      }
    }
    for (const n of customers) {
      const id = nodes[n].customer!;
      if (id === survivor) continue;
      const h = how.get(n);
      aliased.add(id);
      newAliases.push({ from_id: id, to_id: survivor, rule: h && h.rule !== 'customer_id' ? h.rule : 'merged', version: runVersion });
      if (info.get(id)?.real) stats.merges++;
    }
    for (const n of recs) {
      const r = nodes[n].record!;
      const s = sticky.get(`${r.source}\u001f${r.sourceId}`);
      if (s && s.rule !== 'unmatched') {
        ids.set(`${r.source}\u001f${r.sourceId}`, Buffer.from(s.customerId, 'latin1'));
        continue;
      }
      const h = n === start ? undefined : how.get(n);
      const rule = h && h.rule !== 'customer_id' ? h.rule : 'new';
      if (rule !== 'new') stats.matchedRecords++;
      identityRows.push({
        source: r.source,
        source_id: r.sourceId,
        customer_id: survivor,
        rule,
        matched_on: rule === 'new' ? '' : h!.value,
        matched_record: rule === 'new' ? '' : h!.via,
        version: runVersion,
        resolved_at: resolvedAt, // ms: DateTime64(3) reads an integer as a scaled Unix time
      });
      ids.set(`${r.source}\u001f${r.sourceId}`, Buffer.from(survivor, 'latin1'));
    }
  }

  // Re-point older aliases at the new survivors so every alias is one hop.
  const repoint: typeof newAliases = [];
  const merged = new Map(newAliases.map((a) => [a.from_id, a.to_id]));
  for (const [from, to] of aliases) {
    const next = merged.get(to);
    if (next !== undefined && next !== to) repoint.push({ from_id: from, to_id: next, rule: 'merged', version: runVersion });
  }
  // Aliases before identity rows: either order is repaired by a re-run, this one keeps facts
  // pointing at a resolvable id at every moment.
  await io.insertRows('customer_aliases', [...newAliases, ...repoint]);
  for (const part of chunked(identityRows, 50_000)) await io.insertRows('identity_map', part);
  aliases = new Map([...aliases, ...[...newAliases, ...repoint].map((a) => [a.from_id, a.to_id] as [string, string])]);
  return {
    idFor: (source, ref) => ids.get(`${source}\u001f${ref}`),
    affected,
    aliased,
    aliases,
    stats,
  };
}
